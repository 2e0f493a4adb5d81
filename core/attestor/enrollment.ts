/**
 * Enrolling an attestor. The attestor side reads its EK certificate, creates (or reuses) its AK and writes
 * an enrollment request (`provenant-attestor-enrollment-v1`). The registry side verifies the request with
 * core/tpm/enroll.ts (EK chain to a configured root, AK attributes and Name, MakeCredential/
 * ActivateCredential through the attestor) and derives what AttestorRegistry.register records. The chain is
 * the record of the registration: an attestor finds its address by its AK's qualified name.
 */
import { createHash } from "node:crypto";
import { ProvenantError } from "../errors.ts";
import { bytesToHex, hexToBytes } from "../hex.ts";
import { enroll } from "../tpm/enroll.ts";
import type { EnrollmentResult, TrustedRoot } from "../tpm/enroll.ts";
import type { CredentialChallenge } from "../tpm/credential.ts";
import { parseTpm2bPublic } from "../tpm/public.ts";
import type { AkInfo, TpmTransport } from "../tpm/transport.ts";
import type { TpmKindName } from "../chain/attestor-registry.ts";
import type { Address, Hex32 } from "./pcr-events.ts";

export const ENROLLMENT_FORMAT = "provenant-attestor-enrollment-v1";

export type EnrollmentRequest = {
  format: typeof ENROLLMENT_FORMAT;
  /** The address the attestor is registered under. */
  address: Address;
  /** EK certificate, DER, base64. */
  ekCertificate: string;
  /** Intermediate CA certificates the attestor knows of (PEM); the registry's roots decide. */
  ekIntermediates: string[];
  /** The AK's TPM2B_PUBLIC, hex. */
  akPublic: string;
  akName: string;
  akPublicKeyPem: string;
};

/** Read the EK certificate and the AK (created when there is none, or when `newAk`) into a request. */
export async function createEnrollmentRequest(
  tpm: TpmTransport,
  p: { address: string; ekIntermediates?: string[]; newAk?: boolean },
): Promise<{ request: EnrollmentRequest; ak: AkInfo; created: boolean }> {
  if (!/^0x[0-9a-fA-F]{40}$/.test(p.address)) throw new ProvenantError("INPUT_INVALID", `attestor address ${p.address} is not an address`);
  const ekCertificate = await tpm.readEkCertificate();
  let ak = p.newAk ? undefined : await tpm.loadAk();
  const created = !ak;
  ak ??= await tpm.createAk();
  return {
    request: {
      format: ENROLLMENT_FORMAT,
      address: p.address as Address,
      ekCertificate: Buffer.from(ekCertificate).toString("base64"),
      ekIntermediates: p.ekIntermediates ?? [],
      akPublic: bytesToHex(ak.tpm2bPublic),
      akName: bytesToHex(ak.name),
      akPublicKeyPem: ak.publicKeyPem,
    },
    ak,
    created,
  };
}

export function parseEnrollmentRequest(value: unknown): EnrollmentRequest {
  const bad = (why: string): never => {
    throw new ProvenantError("INPUT_INVALID", `enrollment request: ${why}`);
  };
  if (typeof value !== "object" || value === null) bad("not a JSON object");
  const v = value as Record<string, unknown>;
  if (v.format !== ENROLLMENT_FORMAT) {
    throw new ProvenantError("FORMAT_UNSUPPORTED", `enrollment request format is ${JSON.stringify(v.format)}, expected ${ENROLLMENT_FORMAT}`);
  }
  for (const k of ["address", "ekCertificate", "akPublic", "akName", "akPublicKeyPem"]) {
    if (typeof v[k] !== "string") bad(`${k} is missing`);
  }
  if (!/^0x[0-9a-fA-F]{40}$/.test(v.address as string)) bad("address is not an address");
  if (!Array.isArray(v.ekIntermediates) || v.ekIntermediates.some((x) => typeof x !== "string")) bad("ekIntermediates is not a list of PEM strings");
  return v as unknown as EnrollmentRequest;
}

/** What AttestorRegistry.register records, derived from a verified enrollment. */
export type AttestorRegistrationParams = {
  attestor: Address;
  akX: Hex32;
  akY: Hex32;
  akQualifiedName: Hex32;
  ekCertificateHash: Hex32;
  kind: TpmKindName;
};

export type EnrollmentVerification = EnrollmentResult & {
  registration?: AttestorRegistrationParams;
};

/**
 * The registry side: verify the request and prove the AK lives in the EK's TPM by having the attestor
 * activate a credential (`activate` talks to it: the local transport, or the service over HTTP).
 * `registration` is set only when every check passed.
 */
export async function verifyEnrollmentRequest(
  request: EnrollmentRequest,
  p: {
    roots: readonly (TrustedRoot | string)[];
    /** The registry's own intermediates, added to the request's. */
    intermediates?: readonly string[];
    activate: (challenge: CredentialChallenge) => Promise<Uint8Array>;
    now?: Date;
  },
): Promise<EnrollmentVerification> {
  const ekDer = new Uint8Array(Buffer.from(request.ekCertificate, "base64"));
  const result: EnrollmentVerification = await enroll({
    ekCertificate: ekDer,
    roots: p.roots,
    intermediates: [...(p.intermediates ?? []), ...request.ekIntermediates],
    akTpm2bPublic: hexToBytes(request.akPublic, "akPublic"),
    akName: hexToBytes(request.akName, "akName"),
    akPublicKeyPem: request.akPublicKeyPem,
    activate: p.activate,
    ...(p.now ? { now: p.now } : {}),
  });
  if (result.ok && result.akQualifiedName && result.kind) {
    const pub = parseTpm2bPublic(hexToBytes(request.akPublic));
    result.registration = {
      attestor: request.address,
      akX: `0x${bytesToHex(pub.x!)}`,
      akY: `0x${bytesToHex(pub.y!)}`,
      akQualifiedName: `0x${bytesToHex(result.akQualifiedName.subarray(2))}`,
      ekCertificateHash: `0x${createHash("sha256").update(ekDer).digest("hex")}`,
      kind: result.kind,
    };
  }
  return result;
}
