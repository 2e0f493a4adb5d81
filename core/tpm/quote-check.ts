/**
 * Quote verification with node:crypto: ECDSA P-256 over SHA-256(TPMS_ATTEST), plus the
 * content checks from quote.ts. Kept apart from quote.ts so the parsers stay browser-safe.
 */
import { createPublicKey, verify as cryptoVerify } from "node:crypto";
import type { KeyObject } from "node:crypto";
import { ProvenantError } from "../errors.ts";
import { TPM_ALG_ECC, TPM_ECC_NIST_P256 } from "./constants.ts";
import { checkQuoteContents, parseAttest, parseEcdsaSignature, replayEventLog, signatureToP1363, ZERO_PCR } from "./quote.ts";
import type { Check, EcdsaSignature, PcrEvent, PcrValues, QuoteContentCheckName, QuoteInfo } from "./quote.ts";
import type { TpmtPublic } from "./public.ts";

function b64url(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString("base64url");
}

/** The P-256 public key of an ECC TPMT_PUBLIC as a node KeyObject. */
export function ecPublicKeyFromTpmtPublic(pub: TpmtPublic): KeyObject {
  if (pub.type !== TPM_ALG_ECC || pub.curveId !== TPM_ECC_NIST_P256 || !pub.x || !pub.y) {
    throw new ProvenantError("ATTESTATION_INVALID", "TPMT_PUBLIC is not an ECC NIST P-256 key");
  }
  if (pub.x.length !== 32 || pub.y.length !== 32) {
    throw new ProvenantError("ATTESTATION_INVALID", "TPMT_PUBLIC P-256 point coordinates are not 32 bytes");
  }
  try {
    return createPublicKey({ key: { kty: "EC", crv: "P-256", x: b64url(pub.x), y: b64url(pub.y) }, format: "jwk" });
  } catch (e) {
    throw new ProvenantError("ATTESTATION_INVALID", "TPMT_PUBLIC point is not on P-256", { cause: e });
  }
}

/** SubjectPublicKeyInfo PEM of a public key. */
export function publicKeyToPem(key: KeyObject): string {
  return key.export({ type: "spki", format: "pem" }).toString();
}

/** Load a P-256 public key from PEM (or pass a KeyObject through), rejecting other key types. */
export function p256PublicKey(key: string | KeyObject): KeyObject {
  let k: KeyObject;
  try {
    k = typeof key === "string" ? createPublicKey(key) : key;
  } catch (e) {
    throw new ProvenantError("INPUT_INVALID", "AK public key is not a readable PEM public key", { cause: e });
  }
  if (k.asymmetricKeyType !== "ec" || k.asymmetricKeyDetails?.namedCurve !== "prime256v1") {
    throw new ProvenantError("INPUT_INVALID", "AK public key is not an EC P-256 key");
  }
  return k;
}

/**
 * True when `signature` (TPMT_SIGNATURE bytes, or already parsed) is a valid ECDSA P-256
 * signature over SHA-256(attest) by `akPublicKey`. Accepts both high and low s.
 * Throws ProvenantError for an unparseable signature or a key that is not P-256.
 */
export function verifyQuoteSignature(akPublicKey: string | KeyObject, attest: Uint8Array, signature: Uint8Array | EcdsaSignature): boolean {
  const key = p256PublicKey(akPublicKey);
  const sig = signature instanceof Uint8Array ? parseEcdsaSignature(signature) : signature;
  return cryptoVerify("sha256", attest, { key, dsaEncoding: "ieee-p1363" }, signatureToP1363(sig));
}

export type QuoteCheckName = "attestParsed" | "signatureParsed" | "signature" | QuoteContentCheckName;

export type VerifyQuoteParameters = {
  /** TPMS_ATTEST bytes as the TPM returned them. */
  attest: Uint8Array;
  /** TPMT_SIGNATURE bytes. */
  signature: Uint8Array;
  /** The enrolled AK's public key. */
  akPublicKey: string | KeyObject;
  nonce: Uint8Array;
  /** PCRs the quote must select (SHA-256 bank). */
  pcrs: readonly number[];
  /** Expected PCR values; or give `eventLog`. */
  pcrValues?: PcrValues;
  /** Events since the selected PCRs were last reset; replayed from zeros. */
  eventLog?: readonly PcrEvent[];
  qualifiedSigner?: Uint8Array;
};

export type QuoteVerification = {
  ok: boolean;
  checks: Check<QuoteCheckName>[];
  quote?: QuoteInfo;
  signature?: EcdsaSignature;
};

/**
 * Verify a quote end to end. Never throws for bad evidence: every failure is a failed named
 * check and `ok` is false. Throws only for a caller error (neither pcrValues nor eventLog).
 */
export function verifyQuote(p: VerifyQuoteParameters): QuoteVerification {
  if (!p.pcrValues && !p.eventLog) {
    throw new ProvenantError("INPUT_INVALID", "verifyQuote needs pcrValues or eventLog");
  }
  const checks: Check<QuoteCheckName>[] = [];
  const done = (extra: Partial<QuoteVerification> = {}): QuoteVerification => ({
    ok: checks.every((c) => c.ok),
    checks,
    ...extra,
  });

  let quote: QuoteInfo;
  try {
    quote = parseAttest(p.attest);
    checks.push({ name: "attestParsed", ok: true, detail: "TPMS_ATTEST of type quote" });
  } catch (e) {
    checks.push({ name: "attestParsed", ok: false, detail: (e as Error).message });
    return done();
  }
  let sig: EcdsaSignature;
  try {
    sig = parseEcdsaSignature(p.signature);
    checks.push({ name: "signatureParsed", ok: true, detail: "TPMT_SIGNATURE ECDSA-SHA256" });
  } catch (e) {
    checks.push({ name: "signatureParsed", ok: false, detail: (e as Error).message });
    return done({ quote });
  }
  let sigOk = false;
  let sigDetail: string;
  try {
    sigOk = verifyQuoteSignature(p.akPublicKey, p.attest, sig);
    sigDetail = sigOk ? "ECDSA P-256 signature by the AK over SHA-256(attest)" : "signature does not verify under the AK public key";
  } catch (e) {
    sigDetail = (e as Error).message;
  }
  checks.push({ name: "signature", ok: sigOk, detail: sigDetail });

  let pcrValues: PcrValues;
  if (p.pcrValues) {
    pcrValues = p.pcrValues;
  } else {
    try {
      pcrValues = replayEventLog(p.eventLog!);
    } catch (e) {
      checks.push({ name: "pcrDigest", ok: false, detail: `event log: ${(e as Error).message}` });
      return done({ quote, signature: sig });
    }
    for (const pcr of p.pcrs) pcrValues[pcr] ??= ZERO_PCR;
  }
  checks.push(
    ...checkQuoteContents(quote, {
      nonce: p.nonce,
      pcrs: p.pcrs,
      pcrValues,
      ...(p.qualifiedSigner ? { qualifiedSigner: p.qualifiedSigner } : {}),
    }),
  );
  return done({ quote, signature: sig });
}

/** Throw ProvenantError("ATTESTATION_INVALID") naming the first failed check. */
export function assertQuoteValid(v: QuoteVerification): void {
  const failed = v.checks.find((c) => !c.ok);
  if (failed) throw new ProvenantError("ATTESTATION_INVALID", `quote check ${failed.name} failed: ${failed.detail}`);
}
