/**
 * What every check group sees: the loaded certificate, its recomputed digest, the chain facts, and the
 * evidence parsed once (the AK, both quotes, the EK certificate). A part that does not parse is recorded
 * as the failure of the checks that need it, here, before any group runs; the group then finds it absent.
 * The two results more than one group uses (the EK chain, the expected event log) are computed once, on
 * first use.
 */
import { createHash } from "node:crypto";
import type { KeyObject } from "node:crypto";
import { bytesToHex, hexToBytes } from "../../hex.ts";
import { verifyEkCertificate } from "../../tpm/enroll.ts";
import type { EkCertificateVerification, TrustedRoot } from "../../tpm/enroll.ts";
import { parseTpm2bPublic } from "../../tpm/public.ts";
import { parseAttest } from "../../tpm/quote.ts";
import type { QuoteInfo } from "../../tpm/quote.ts";
import { ecPublicKeyFromTpmtPublic } from "../../tpm/quote-check.ts";
import { commandDigestOf, configDigestOf, environmentDigestOf } from "../certificate.ts";
import type { TrainingCertificate, TrainingCertificatePayload } from "../certificate.ts";
import type { ChainFacts } from "../chain-facts.ts";
import { trainingEvents } from "../pcr-events.ts";
import type { Hex32, TrainingEvent } from "../pcr-events.ts";
import { errMessage } from "./check-group.ts";
import type { RecordCheck } from "./check-group.ts";

/** The certificate's evidence, parsed; a part is absent when it did not parse. */
export type ParsedEvidence = {
  akKey?: KeyObject;
  /** The AK's point as 0x-hex words, as AttestorRegistry keeps it. */
  akXY?: { x: string; y: string };
  /** The final quote (nonce: the certificate digest). */
  quote?: QuoteInfo;
  /** The start quote (nonce: the run id). */
  startQuote?: QuoteInfo;
  ekDer: Buffer;
  /** SHA-256 of the EK certificate as given. */
  ekHash: Hex32;
};

/** The event log the inputs give, with the inner digests (command, config, environment) that do not match their contents. */
export type ExpectedEventLog = { ok: true; events: TrainingEvent[]; innerMismatches: string[] } | { ok: false; error: string };

export type CertificateCheckContext = {
  readonly certificate: TrainingCertificate;
  readonly payload: TrainingCertificatePayload;
  /** SHA-256 of the canonical payload, recomputed (not the stated certificateDigest). */
  readonly digest: Hex32;
  readonly facts: ChainFacts;
  readonly roots: readonly (TrustedRoot | string)[];
  readonly stage: "registered" | "pre-registration";
  readonly now?: Date;
  readonly evidence: ParsedEvidence;
  /** The EK certificate checked against the roots. */
  ekVerification(): EkCertificateVerification;
  expectedEventLog(): ExpectedEventLog;
};

type EvidenceCheckName = "akBound" | "nonce" | "quoteSignature" | "clock";

/** Parse the AK and both quotes, recording a part that does not parse as the failure of the checks that need it. */
export function parseEvidence(certificate: TrainingCertificate, record: RecordCheck<EvidenceCheckName>): ParsedEvidence {
  const pl = certificate.payload;
  const evidence: Partial<ParsedEvidence> = {};
  try {
    const pub = parseTpm2bPublic(hexToBytes(pl.attestor.akPublic, "akPublic"));
    evidence.akKey = ecPublicKeyFromTpmtPublic(pub);
    evidence.akXY = { x: `0x${bytesToHex(pub.x!)}`, y: `0x${bytesToHex(pub.y!)}` };
  } catch (e) {
    record("akBound", false, `AK public area: ${errMessage(e)}`);
  }
  try {
    evidence.quote = parseAttest(hexToBytes(certificate.quote.attest, "quote.attest"));
  } catch (e) {
    record("nonce", false, `quote: ${errMessage(e)}`);
    record("quoteSignature", false, `quote: ${errMessage(e)}`);
  }
  try {
    evidence.startQuote = parseAttest(hexToBytes(pl.run.startQuote.attest, "run.startQuote.attest"));
  } catch (e) {
    record("clock", false, `start quote: ${errMessage(e)}`);
    record("quoteSignature", false, `start quote: ${errMessage(e)}`);
  }
  const ekDer = Buffer.from(pl.attestor.ekCertificate, "base64");
  const ekHash = `0x${createHash("sha256").update(ekDer).digest("hex")}` as Hex32;
  return { ...evidence, ekDer, ekHash };
}

/** The EK certificate's chain to the roots; a missing or unreadable trust anchor fails it, since nothing can be said for the EK. */
function verifyEk(payload: TrainingCertificatePayload, ekDer: Buffer, roots: CertificateCheckContext["roots"], now?: Date): EkCertificateVerification {
  try {
    if (roots.length === 0) throw new Error("no EK root certificates configured (the verifier's roots, or PROVENANT_EK_ROOTS)");
    return verifyEkCertificate({
      ekCertificate: new Uint8Array(ekDer),
      roots,
      intermediates: payload.attestor.ekIntermediates,
      ...(now ? { now } : {}),
    });
  } catch (e) {
    return { ok: false, checks: [{ name: "ekCertificateChain", ok: false, detail: errMessage(e) }], chain: [] };
  }
}

/** The event log recomputed from the inputs, in order, and which inner digests disagree with their contents. */
function expectEventLog(pl: TrainingCertificatePayload): ExpectedEventLog {
  try {
    const i = pl.inputs;
    const innerMismatches: string[] = [];
    if (commandDigestOf(i.command) !== i.command.digest) innerMismatches.push("command digest");
    if (configDigestOf(i.config) !== i.config.digest) innerMismatches.push("config digest");
    if (environmentDigestOf(i.environment) !== i.environment.digest) innerMismatches.push("environment digest");
    const events = trainingEvents({
      run: {
        chainId: pl.chain.chainId,
        attestorRegistry: pl.chain.attestorRegistry,
        modelRegistry: pl.chain.modelRegistry,
        registrant: pl.run.registrant,
        attestor: pl.attestor.address,
        runId: pl.run.id,
      },
      datasets: i.datasets,
      parents: i.parents,
      codeDigest: i.code.digest,
      commandDigest: i.command.digest,
      configDigest: i.config.digest,
      environmentDigest: i.environment.digest,
      outputDigest: pl.outputs.weightsDigest,
    });
    return { ok: true, events, innerMismatches };
  } catch (e) {
    return { ok: false, error: errMessage(e) };
  }
}

/** Computed on first call, then the same value. */
function once<T>(compute: () => T): () => T {
  let value: { v: T } | undefined;
  return () => (value ??= { v: compute() }).v;
}

export function createCheckContext(p: {
  certificate: TrainingCertificate;
  digest: Hex32;
  facts: ChainFacts;
  roots: CertificateCheckContext["roots"];
  stage: CertificateCheckContext["stage"];
  now?: Date;
  record: RecordCheck<EvidenceCheckName>;
}): CertificateCheckContext {
  const payload = p.certificate.payload;
  const evidence = parseEvidence(p.certificate, p.record);
  return {
    certificate: p.certificate,
    payload,
    digest: p.digest,
    facts: p.facts,
    roots: p.roots,
    stage: p.stage,
    ...(p.now ? { now: p.now } : {}),
    evidence,
    ekVerification: once(() => verifyEk(payload, evidence.ekDer, p.roots, p.now)),
    expectedEventLog: once(() => expectEventLog(payload)),
  };
}
