/**
 * Test support for attested evaluations: a real quote from a software TPM over an evaluation's event log
 * (core/attestor/evaluation-events.ts), and the structs EvaluationRegistry takes.
 */
import { bytesToHex, hexToBytes } from "../../core/hex.ts";
import { normalizeLowS, parseEcdsaSignature } from "../../core/tpm/quote.ts";
import type { TpmTransport } from "../../core/tpm/transport.ts";
import { TRAINING_PCR } from "../../core/attestor/pcr-events.ts";
import type { Hex32 } from "../../core/attestor/pcr-events.ts";
import { evaluationEvents, type EvaluationEvent } from "../../core/attestor/evaluation-events.ts";
import type { EvaluationEvidenceStruct, EvaluationParamsStruct } from "../../core/chain/evaluation-registry.ts";
import { randomHex32, sha } from "./helpers.ts";

export type QuotedEvaluationInput = {
  chainId: number;
  attestorRegistry: string;
  evaluationRegistry: string;
  registrant: string;
  attestor: string;
  modelId: string;
  weightsDigest: Hex32;
  datasetId: string;
  root: Hex32;
  metricsDigest: Hex32;
  certificateDigest?: Hex32;
  /** Boot PCRs to quote with PCR 23 (their current values go into the evidence): the boot+pcr23 level. */
  bootPcrs?: number[];
};

export type QuotedEvaluation = {
  params: EvaluationParamsStruct;
  evidence: EvaluationEvidenceStruct;
  events: EvaluationEvent[];
  attest: Uint8Array;
};

/** Reset PCR 23, extend an evaluation's events, and quote them with nonce = the certificate digest. */
export async function quotedEvaluation(tpm: TpmTransport, p: QuotedEvaluationInput): Promise<QuotedEvaluation> {
  const runId = randomHex32();
  const certificateDigest = p.certificateDigest ?? randomHex32();
  const digests = { codeDigest: sha("code"), commandDigest: sha("command"), configDigest: sha("config"), environmentDigest: sha("environment") };
  const events = evaluationEvents({
    run: {
      chainId: p.chainId,
      attestorRegistry: p.attestorRegistry as Hex32,
      evaluationRegistry: p.evaluationRegistry as Hex32,
      registrant: p.registrant as Hex32,
      attestor: p.attestor as Hex32,
      runId,
    },
    model: { modelId: p.modelId, weightsDigest: p.weightsDigest },
    dataset: { datasetId: p.datasetId, root: p.root },
    ...digests,
    metricsDigest: p.metricsDigest,
  });
  await tpm.pcrReset(TRAINING_PCR);
  for (const e of events) await tpm.pcrExtend(TRAINING_PCR, e.digest);
  const bootPcrs = p.bootPcrs ?? [];
  const held = bootPcrs.length > 0 ? await tpm.pcrRead(bootPcrs) : {};
  const q = await tpm.quote([...bootPcrs, TRAINING_PCR], hexToBytes(certificateDigest));
  const sig = normalizeLowS(parseEcdsaSignature(q.signature));
  return {
    events,
    attest: q.attest,
    params: { modelId: BigInt(p.modelId), datasetId: BigInt(p.datasetId), metricsDigest: p.metricsDigest },
    evidence: {
      attestor: p.attestor,
      certificateDigest,
      runId,
      ...digests,
      bootPcrs: bootPcrs.map((pcr) => `0x${held[pcr]!}`),
      attest: `0x${bytesToHex(q.attest)}`,
      r: `0x${bytesToHex(sig.r)}`,
      s: `0x${bytesToHex(sig.s)}`,
    },
  };
}
