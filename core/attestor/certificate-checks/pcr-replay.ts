/**
 * `pcrReplay`: the event log replays to the final quote's PCR 23 (after the stated boot PCR values, for a
 * certificate with a boot section), and its first (run) event alone to the start quote's.
 */
import { bytesToHex } from "../../hex.ts";
import { quotedPcrDigest } from "../boot-state.ts";
import { TRAINING_PCR, replayTrainingPcr } from "../pcr-events.ts";
import { checkGroup, errMessage } from "./check-group.ts";

export const pcrReplay = checkGroup(["pcrReplay"], (ctx, record) => {
  const { quote, startQuote } = ctx.evidence;
  // Without a parsed quote or an event log the inputs give, there is nothing to replay against.
  if (!quote || !ctx.expectedEventLog().ok) return;
  const pl = ctx.payload;
  const log = pl.eventLog;
  try {
    const { pcrDigest, pcrs: quoted } = quotedPcrDigest(pl);
    const sel = quote.pcrSelection;
    const selOk = sel.length === 1 && sel[0]!.hashAlgName === "sha256" && sel[0]!.pcrs.join() === quoted.join();
    const ok = selOk && pcrDigest === bytesToHex(quote.pcrDigest);
    record(
      "pcrReplay",
      ok,
      ok
        ? `the event log replays to the quoted PCR ${TRAINING_PCR}${pl.boot ? ` after the boot PCRs ${pl.boot.pcrs.join(", ")}` : ""} (pcrDigest ${pcrDigest})`
        : !selOk
          ? `the quote does not select sha256:${quoted.join(",")}`
          : `the event log replays to pcrDigest ${pcrDigest}, the quote has ${bytesToHex(quote.pcrDigest)}`,
    );
    if (startQuote) {
      const start = replayTrainingPcr(log.slice(0, 1)).pcrDigest;
      const okStart = start === bytesToHex(startQuote.pcrDigest);
      record("pcrReplay", okStart, okStart ? "" : "the start quote's PCR is not the run event alone");
    }
  } catch (e) {
    record("pcrReplay", false, errMessage(e));
  }
});
