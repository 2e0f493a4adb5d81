/**
 * Verification of a training certificate against the chain, failing closed. Every check is reported by
 * name; a check that cannot be evaluated (because an earlier one failed or a fact is missing) is reported
 * as failed with the reason, never skipped. Nothing here throws for bad evidence.
 *
 * The certificate is loaded and its digest recomputed here; every other check belongs to a check group
 * (certificate-checks/), run in the order of CHECK_GROUPS over the evidence parsed once. The chain facts
 * (attestor record, dataset roots, parent digests, the model record) are passed in, read by
 * core/attestor/registration.ts `readCertificateFacts`: this module does no I/O.
 */
import { ProvenantError } from "../errors.ts";
import type { TrustedRoot } from "../tpm/enroll.ts";
import type { Check, QuoteInfo } from "../tpm/quote.ts";
import { computeCertificateDigest } from "./certificate.ts";
import type { TrainingCertificate } from "./certificate.ts";
import { parseCertificate } from "./certificate-loader.ts";
import type { ChainFacts } from "./chain-facts.ts";
import type { Hex32 } from "./pcr-events.ts";
import { akBinding } from "./certificate-checks/ak-binding.ts";
import { attestorRecord } from "./certificate-checks/attestor-record.ts";
import { bootState } from "./certificate-checks/boot-state.ts";
import { chainBinding } from "./certificate-checks/chain-binding.ts";
import { errMessage } from "./certificate-checks/check-group.ts";
import type { CheckGroup } from "./certificate-checks/check-group.ts";
import { clock } from "./certificate-checks/clock.ts";
import { createCheckContext } from "./certificate-checks/context.ts";
import { ekChain } from "./certificate-checks/ek-chain.ts";
import { eventLog } from "./certificate-checks/event-log.ts";
import { inputsOnChain } from "./certificate-checks/inputs-on-chain.ts";
import { modelRecord } from "./certificate-checks/model-record.ts";
import { outputDigest } from "./certificate-checks/output-digest.ts";
import { pcrReplay } from "./certificate-checks/pcr-replay.ts";
import { quoteNonces } from "./certificate-checks/quote-nonces.ts";
import { quoteSignatures } from "./certificate-checks/quote-signatures.ts";

/** The check groups, in report order: a new group is a module in certificate-checks/ and a line here. */
const CHECK_GROUPS = [
  chainBinding,
  attestorRecord,
  ekChain,
  akBinding,
  quoteSignatures,
  quoteNonces,
  eventLog,
  pcrReplay,
  inputsOnChain,
  outputDigest,
  clock,
  modelRecord,
] as const;

/**
 * Groups for some certificates only, each with the test for it: their checks are reported after the others,
 * and only for a certificate they apply to (a PCR-23-only certificate has no boot checks to pass or fail).
 */
const CONDITIONAL_GROUPS = [{ group: bootState, appliesTo: (c: TrainingCertificate) => c.payload.boot !== undefined }] as const;

type GroupCheckName = (typeof CHECK_GROUPS)[number]["checks"][number];
type ConditionalCheckName = (typeof CONDITIONAL_GROUPS)[number]["group"]["checks"][number];

/** Every check of a certificate, in report order; a conditional group's checks follow where it applies. */
export const CERTIFICATE_CHECKS: readonly ("certificateFormat" | "certificateDigest" | GroupCheckName)[] = [
  "certificateFormat",
  "certificateDigest",
  ...CHECK_GROUPS.flatMap((g): readonly GroupCheckName[] => g.checks),
];
export type CertificateCheckName = (typeof CERTIFICATE_CHECKS)[number] | ConditionalCheckName | "contractVerdict";
export type CertificateCheck = Check<CertificateCheckName>;

export type VerifyCertificateParameters = {
  /** Parsed JSON (validated here) or a loaded certificate. */
  certificate: unknown;
  facts: ChainFacts;
  /** EK trust anchors: TPM vendors' roots; for a software TPM its local CA. */
  roots: readonly (TrustedRoot | string)[];
  /**
   * "registered" (default): the model record must exist and match. "pre-registration": the attestor's own
   * check before it registers; the modelRecord check then only states that there is no record yet.
   */
  stage?: "registered" | "pre-registration";
  now?: Date;
  /** The contract's own verdict (AttestorRegistry.checkTrainingCertificate as an eth_call), when asked for. */
  contractVerdict?: { ok: boolean; detail: string };
};

export type CertificateVerification = {
  ok: boolean;
  checks: CertificateCheck[];
  certificate?: TrainingCertificate;
  quote?: QuoteInfo;
  startQuote?: QuoteInfo;
};

/** The checks' outcomes as they are recorded (see RecordCheck), and the report they come to. */
function checkResults(contractVerdict: VerifyCertificateParameters["contractVerdict"]) {
  const results = new Map<CertificateCheckName, CertificateCheck>();
  const record = (name: CertificateCheckName, ok: boolean, detail: string) => {
    const prev = results.get(name);
    // A check evaluated in parts fails if any part fails; the first failure's detail is kept.
    if (prev && (!prev.ok || ok)) return;
    results.set(name, { name, ok, detail });
  };
  const finish = (extra: Partial<CertificateVerification> = {}, conditional: readonly CertificateCheckName[] = []): CertificateVerification => {
    const checks: CertificateCheck[] = [...CERTIFICATE_CHECKS, ...conditional].map(
      (n) => results.get(n) ?? { name: n, ok: false, detail: "not checked: an earlier check failed" },
    );
    if (contractVerdict) checks.push({ name: "contractVerdict", ...contractVerdict });
    return { ok: checks.every((c) => c.ok), checks, ...extra };
  };
  return { record, finish };
}

/** The certificate's payload digest, recomputed and compared with the stated one; undefined when it cannot be computed. */
function checkDigest(cert: TrainingCertificate, record: (name: "certificateDigest", ok: boolean, detail: string) => void): Hex32 | undefined {
  let digest: Hex32;
  try {
    digest = computeCertificateDigest(cert.payload);
  } catch (e) {
    record("certificateDigest", false, errMessage(e));
    return undefined;
  }
  const ok = digest === cert.certificateDigest;
  record("certificateDigest", ok, ok ? `SHA-256 of the canonical payload is ${digest}` : `the payload hashes to ${digest}, not the stated ${cert.certificateDigest}`);
  return digest;
}

/** Verify a training certificate. Never throws for bad evidence; `ok` is true only when every check passed. */
export function verifyTrainingCertificate(p: VerifyCertificateParameters): CertificateVerification {
  const { record, finish } = checkResults(p.contractVerdict);
  let cert: TrainingCertificate;
  try {
    cert = parseCertificate(p.certificate);
    record("certificateFormat", true, "provenant-training-certificate-v1, every field well-formed");
  } catch (e) {
    record("certificateFormat", false, errMessage(e));
    return finish();
  }
  const conditional = CONDITIONAL_GROUPS.filter((g) => g.appliesTo(cert)).map((g) => g.group);
  const conditionalChecks = conditional.flatMap((g) => g.checks);
  const digest = checkDigest(cert, record);
  if (!digest) return finish({ certificate: cert }, conditionalChecks);

  const ctx = createCheckContext({ certificate: cert, digest, facts: p.facts, roots: p.roots, stage: p.stage ?? "registered", ...(p.now ? { now: p.now } : {}), record });
  for (const group of [...CHECK_GROUPS, ...conditional] as readonly CheckGroup<CertificateCheckName>[]) group.run(ctx, record);
  const { quote, startQuote } = ctx.evidence;
  return finish({ certificate: cert, ...(quote ? { quote } : {}), ...(startQuote ? { startQuote } : {}) }, conditionalChecks);
}

/** Throw ProvenantError("CERTIFICATE_INVALID") naming the first failed check. */
export function assertCertificateValid(v: CertificateVerification): void {
  const failed = v.checks.find((c) => !c.ok);
  if (failed) throw new ProvenantError("CERTIFICATE_INVALID", `certificate check ${failed.name} failed: ${failed.detail}`);
}
