/**
 * What a model's "attested" is worth once its training certificate has been checked, as one value that every
 * edge shows the same way (the dApp's badges, the lineage exports): verified, attested by a revoked attestor,
 * failed, or not checked. The chain's provenance flag alone says only that a certificate was accepted at
 * registration; a certificate that does not verify now, or an attestor revoked since, never reads as attested.
 * Browser-safe, no I/O.
 */
import { describeTrustLevel } from "./certificate.ts";

/**
 * What the model's training certificate was found worth when the graph was built (core/attestor/attestation.ts).
 * Absent: nobody checked it, and an attested model is then not called attested.
 */
export interface ModelAttestation {
  state: "verified" | "revoked" | "failed" | "unchecked";
  /** The certificate's trust level ("software-tpm-pcr23"), when it could be read. */
  trustLevel: string | null;
  /** When the attestor was revoked (unix seconds); null while it is active. */
  revokedAt: number | null;
  /** Why it is not verified (the first failed check); null when verified. */
  reason: string | null;
}

/**
 * An attested evaluation of a model (core/attestor/evaluation-results.ts): a benchmark result bound by an
 * evaluation certificate to the model's weights and a dataset token, with what its certificate was found worth.
 * Only a `verified` one may be shown or exported as an attested result.
 */
export interface AttestedEvaluation {
  evaluationId: string;
  /** The evaluation dataset (not necessarily in the lineage): its token, and its manifest's name when it could be read. */
  dataset: { tokenId: string; name: string | null; root: `0x${string}` | null };
  /** The metrics of the certificate (empty when it could not be read). */
  metrics: { name: string; value: number; split: string; config?: string }[];
  metricsDigest: `0x${string}`;
  certificateCid: string;
  attestation: ModelAttestation;
}

/** A certificate verification as core/attestor/model-certificate-check.ts (or the lineage verifier) reports it. */
export interface AttestationInput {
  ok: boolean;
  checks: readonly { name: string; ok: boolean; detail: string }[];
  trustLevel?: string | null;
  /** When the model's attestor was revoked (unix seconds); 0, null or absent while it is active. */
  attestorRevokedAt?: number | null;
  /** False when the verifier had no EK roots: nothing could be said for the TPM, which is not a failure of the certificate. */
  rootsConfigured?: boolean;
}

/** An attested model whose certificate was not verified by whoever built this value. */
export const NOT_CHECKED: ModelAttestation = { state: "unchecked", trustLevel: null, revokedAt: null, reason: "its training certificate was not verified" };

export function attestationFrom(v: AttestationInput): ModelAttestation {
  const trustLevel = v.trustLevel ?? null;
  const revokedAt = v.attestorRevokedAt ? v.attestorRevokedAt : null;
  const failed = v.checks.filter((c) => !c.ok);
  // Fail closed: a verdict that is not ok, or has nothing to show, is never "verified".
  if (v.ok && failed.length === 0 && v.checks.length > 0 && revokedAt === null) return { state: "verified", trustLevel, revokedAt: null, reason: null };
  const reason = failed[0] ? `${failed[0].name}: ${failed[0].detail}` : "the certificate verification did not pass";
  if (revokedAt !== null) return { state: "revoked", trustLevel, revokedAt, reason };
  if (v.rootsConfigured === false) {
    return { state: "unchecked", trustLevel, revokedAt: null, reason: "no trusted TPM vendor roots are configured to check it against (PROVENANT_EK_ROOTS)" };
  }
  return { state: "failed", trustLevel, revokedAt: null, reason };
}

export const isoTime = (unixSeconds: number) => new Date(unixSeconds * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");

export interface ProvenanceWords {
  /** "self-declared", "attested" (verified only), "attestation-revoked", "attestation-failed", "attestation-unchecked". */
  value: string;
  /** Whether anyone may call the model attested. */
  attested: boolean;
  /** The badge text. */
  badge: string;
  /** ok: green; bad: red; warn: amber; plain: grey. */
  tone: "ok" | "bad" | "warn" | "plain";
  /** One sentence for a page or a document. */
  sentence: string;
}

/** The one way a model's provenance is put into words, from the chain's flag and the certificate's verdict. */
export function provenanceWords(provenance: string, attestation: ModelAttestation | null | undefined): ProvenanceWords {
  if (provenance !== "attested") return { value: "self-declared", attested: false, badge: "self-declared", tone: "plain", sentence: "self-declared by the owner" };
  const a = attestation ?? NOT_CHECKED;
  switch (a.state) {
    case "verified":
      return {
        value: "attested",
        attested: true,
        badge: "TPM-attested",
        tone: "ok",
        sentence: `attested (${describeTrustLevel(a.trustLevel).summary}). ${describeTrustLevel(a.trustLevel).meaning}`,
      };
    case "revoked": {
      const when = a.revokedAt ? isoTime(a.revokedAt) : "at an unknown time";
      return {
        value: "attestation-revoked",
        attested: false,
        badge: "attested by a revoked attestor",
        tone: "bad",
        sentence: `attested by a revoked attestor (revoked ${when}): its training certificate no longer counts`,
      };
    }
    case "failed":
      return {
        value: "attestation-failed",
        attested: false,
        badge: "attestation failed",
        tone: "bad",
        sentence: `registered as attested, but its training certificate failed verification (${a.reason})`,
      };
    case "unchecked":
      return {
        value: "attestation-unchecked",
        attested: false,
        badge: "attestation not checked",
        tone: "warn",
        sentence: `registered as attested, but its training certificate was not checked (${a.reason})`,
      };
  }
}
