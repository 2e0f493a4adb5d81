/**
 * Who this attestor is, from its TPM and the chain: the AK the TPM holds, its qualified name under the EK
 * of the EK certificate, and the AttestorRegistry record registered for that qualified name. Refuses
 * (NOT_ENROLLED) when there is no AK, no registration, a revoked one, or a registered key that is not the
 * TPM's AK.
 */
import { X509Certificate } from "node:crypto";
import type { AttestorFacts, AttestorRegistryClient } from "../chain/attestor-registry.ts";
import { bytesToHex } from "../hex.ts";
import { akQualifiedName } from "../tpm/enroll.ts";
import { parseTpm2bPublic } from "../tpm/public.ts";
import type { TpmTransport } from "../tpm/transport.ts";
import { publicKeyToPem } from "../tpm/quote-check.ts";
import { AttestorError } from "./errors.ts";
import type { AttestorIdentity } from "./run.ts";

export async function resolveAttestorIdentity(
  tpm: TpmTransport,
  attestors: AttestorRegistryClient,
  ekIntermediates: string[],
): Promise<{ identity: AttestorIdentity; record: AttestorFacts }> {
  // The EK certificate first: an unreachable TPM is TPM_UNAVAILABLE, not "no AK".
  const ekCertificate = await tpm.readEkCertificate();
  const ak = await tpm.loadAk();
  if (!ak) throw new AttestorError("NOT_ENROLLED", "the TPM has no attestation key: run provenant attestor enroll");
  const ekPem = publicKeyToPem(new X509Certificate(Buffer.from(ekCertificate)).publicKey);
  const qn = akQualifiedName(ekPem, ak.name);
  const qnDigest = `0x${bytesToHex(qn.subarray(2))}`;
  const address = await attestors.attestorOfQualifiedName(qnDigest);
  if (!address) {
    throw new AttestorError(
      "NOT_ENROLLED",
      `no attestor is registered in ${attestors.address} for this TPM's AK (qualified name ${bytesToHex(qn)}): run provenant attestor enroll`,
    );
  }
  const record = await attestors.attestorOf(address);
  if (!record) throw new AttestorError("NOT_ENROLLED", `attestor ${address} is not registered`);
  if (record.revokedAt !== 0) {
    throw new AttestorError("NOT_ENROLLED", `attestor ${address} was revoked at ${new Date(record.revokedAt * 1000).toISOString()}`);
  }
  const pub = parseTpm2bPublic(ak.tpm2bPublic);
  if (record.akX.toLowerCase() !== `0x${bytesToHex(pub.x!)}` || record.akY.toLowerCase() !== `0x${bytesToHex(pub.y!)}`) {
    throw new AttestorError("NOT_ENROLLED", `attestor ${address} is registered with another key than this TPM's AK`);
  }
  return {
    identity: {
      address: address as `0x${string}`,
      tpmKind: record.kind,
      ekCertificate,
      ekIntermediates,
      ak,
      akQualifiedName: qn,
    },
    record,
  };
}
