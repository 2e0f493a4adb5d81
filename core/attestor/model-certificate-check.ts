/**
 * `provenant verify certificate <model-id>` as a library function: read the model record, fetch its
 * certificate from the store by CID (the store checks the bytes against the CID), read the chain facts (each
 * record once: the model's and its attestor's are not read again), ask the contract for its verdict on the
 * lineage the model registry holds, and verify, failing closed.
 */
import { readFileSync } from "node:fs";
import type { ChainConnection } from "../chain/connect.ts";
import { AttestorRegistryClient } from "../chain/attestor-registry.ts";
import { attestedModelRegistry, provenantAddresses, readModelFacts, type ModelRegistryAddresses } from "../chain/model-registry.ts";
import { ChainError, isProvenantError, ProvenantError } from "../errors.ts";
import { attestationFrom, type ModelAttestation } from "./attestation.ts";
import type { ContentStore } from "../storage/store.ts";
import type { TrustedRoot } from "../tpm/enroll.ts";
import { MAX_CERTIFICATE_BYTES } from "./certificate.ts";
import { certificateEvidence } from "./certificate-onchain.ts";
import { decodeCertificate } from "./certificate-loader.ts";
import type { TrainingCertificate } from "./certificate.ts";
import { lineageFromFacts, readCertificateFacts } from "./registration.ts";
import { verifyTrainingCertificate } from "./certificate-check.ts";
import type { CertificateCheck, CertificateVerification } from "./certificate-check.ts";

export type ModelCertificateVerification = CertificateVerification & {
  modelId: string;
  certificateCid: string | null;
  /** When the model's attestor was revoked (unix seconds), read from AttestorRegistry; null while active or unknown. */
  attestorRevokedAt: number | null;
};

/** EK roots from PEM files: the paths given, else PROVENANT_EK_ROOTS (':'-separated). */
export function loadEkRoots(paths: readonly string[] = []): TrustedRoot[] {
  const all = paths.length > 0 ? paths : (process.env.PROVENANT_EK_ROOTS ?? "").split(":").filter(Boolean);
  return all.map((p) => {
    try {
      return { certificatePem: readFileSync(p, "utf8"), label: p };
    } catch (e) {
      throw new ProvenantError("CONFIG_INVALID", `EK root certificate ${p} cannot be read`, { cause: e });
    }
  });
}

export async function verifyModelCertificate(p: {
  conn: ChainConnection;
  store: ContentStore;
  modelId: string;
  roots: readonly (TrustedRoot | string)[];
  addresses?: Partial<ModelRegistryAddresses>;
}): Promise<ModelCertificateVerification> {
  const addr = provenantAddresses(p.conn, p.addresses);
  const models = attestedModelRegistry(addr.modelRegistry, p.conn.provider);
  const model = await readModelFacts(models, p.modelId);
  if (!model) throw new ChainError("TOKEN_NOT_FOUND", `model #${p.modelId} does not exist on chain ${p.conn.chainId}`);
  const attestors = new AttestorRegistryClient(addr.attestorRegistry, p.conn.provider, p.conn.chainId);
  // Read for the model's own attestor, so a revocation shows even when the certificate cannot be read.
  const attestor =
    model.provenance === "attested" && !/^0x0{40}$/i.test(model.attestor) ? { address: model.attestor, facts: await attestors.attestorOf(model.attestor) } : undefined;
  const attestorRevokedAt = attestor?.facts?.revokedAt || null;
  const failed = (detail: string): ModelCertificateVerification => ({
    ok: false,
    modelId: p.modelId,
    certificateCid: model.certificateCid || null,
    attestorRevokedAt,
    checks: [{ name: "certificateFormat", ok: false, detail } as CertificateCheck],
  });
  if (model.provenance !== "attested" || !model.certificateCid) {
    return failed(`model #${p.modelId} is ${model.provenance}: it has no training certificate`);
  }
  let certificate: TrainingCertificate;
  try {
    certificate = decodeCertificate(await p.store.get(model.certificateCid, { maxBytes: MAX_CERTIFICATE_BYTES, what: "training certificate" }));
  } catch (e) {
    return failed(`certificate ${model.certificateCid}: ${(e as Error).message}`);
  }
  const facts = await readCertificateFacts(p.conn, certificate, { modelId: p.modelId, addresses: p.addresses, known: { model, ...(attestor ? { attestor } : {}) } });
  // The lineage as the model registry holds it (edges from the record, roots and digests from the chain).
  const contractVerdict = await attestors.checkTrainingCertificate(lineageFromFacts(certificate, facts, model.registrant), certificateEvidence(certificate));
  const v = verifyTrainingCertificate({ certificate, facts, roots: p.roots, contractVerdict });
  return { ...v, modelId: p.modelId, certificateCid: model.certificateCid, attestorRevokedAt };
}

/**
 * `provenant verify certificate --file`: a certificate file checked against the chain before (or without) its
 * registration: every check but the model record, and the contract's verdict on the lineage the model
 * registry would build for the certificate's registrant.
 */
export async function verifyCertificateFile(p: {
  conn: ChainConnection;
  bytes: Uint8Array;
  roots: readonly (TrustedRoot | string)[];
  addresses?: Partial<ModelRegistryAddresses>;
}): Promise<CertificateVerification> {
  let certificate: TrainingCertificate;
  try {
    if (p.bytes.length > MAX_CERTIFICATE_BYTES)
      throw new ProvenantError("CERTIFICATE_INVALID", `the certificate is ${p.bytes.length} bytes, more than ${MAX_CERTIFICATE_BYTES}`);
    certificate = decodeCertificate(p.bytes);
  } catch (e) {
    return { ok: false, checks: [{ name: "certificateFormat", ok: false, detail: (e as Error).message }] };
  }
  const facts = await readCertificateFacts(p.conn, certificate, { addresses: p.addresses });
  const attestors = new AttestorRegistryClient(facts.attestorRegistry, p.conn.provider, p.conn.chainId);
  const contractVerdict = await attestors.checkTrainingCertificate(
    lineageFromFacts(certificate, facts, certificate.payload.run.registrant),
    certificateEvidence(certificate),
  );
  return verifyTrainingCertificate({ certificate, facts, roots: p.roots, stage: "pre-registration", contractVerdict });
}

/** The verdict a verification comes to (core/attestor/attestation.ts), knowing whether any EK root was given. */
export function attestationOfVerification(v: ModelCertificateVerification, rootCount: number): ModelAttestation {
  return attestationFrom({ ...v, trustLevel: v.certificate?.payload.attestor.trustLevel ?? null, rootsConfigured: rootCount > 0 });
}

/**
 * The verdict on model `modelId`'s training certificate, for an edge that shows or exports it: never throws;
 * a verification that cannot run (chain, storage) is "unchecked" with the reason.
 */
export async function modelAttestation(p: Parameters<typeof verifyModelCertificate>[0]): Promise<ModelAttestation> {
  try {
    return attestationOfVerification(await verifyModelCertificate(p), p.roots.length);
  } catch (e) {
    return { state: "unchecked", trustLevel: null, revokedAt: null, reason: isProvenantError(e) ? e.message : "the certificate could not be checked" };
  }
}
