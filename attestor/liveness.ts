/**
 * PCR 23 outside runs. A liveness quote resets it to the liveness event first, and the service extends the
 * closing event at start: no quote is ever made over a value a run left there (a certificate's value,
 * quoted again with another payload's digest as nonce, would certify an altered copy of that run).
 */
import { TRAINING_PCR, closingEvent, livenessEvent, replayTrainingPcr } from "../core/attestor/pcr-events.ts";
import type { QuoteResult, TpmTransport } from "../core/tpm/transport.ts";
import { errorBody } from "./http.ts";
import type { Logger } from "./log.ts";

/** PCR 23 as every liveness quote sees it: reset, then the liveness event alone. */
export const LIVENESS_PCR = replayTrainingPcr([livenessEvent()]).pcr;

/** A liveness quote: PCR 23 reset and extended with the liveness event, then quoted. Called under the TPM lock. */
export async function livenessQuote(tpm: TpmTransport, nonce: Uint8Array): Promise<QuoteResult> {
  await tpm.pcrReset(TRAINING_PCR);
  await tpm.pcrExtend(TRAINING_PCR, livenessEvent().digest);
  return tpm.quote([TRAINING_PCR], nonce);
}

/**
 * At start, extend the closing event: a process that died between a run's final quote and its closing
 * event left PCR 23 at the certified value. Liveness quotes reset PCR 23 anyway; this is the second lock
 * on that door. A TPM that is not there yet is only logged (health reports it; runs fail on it).
 */
export async function closeTrainingPcr(tpm: TpmTransport, log: Logger): Promise<void> {
  try {
    await tpm.pcrExtend(TRAINING_PCR, closingEvent().digest);
  } catch (e) {
    log.warn("could not extend the closing event into PCR 23 at start", { error: errorBody(e) });
  }
}
