/**
 * TPM2B_PUBLIC / TPMT_PUBLIC parsing, object Names and qualified names, and the TCG default
 * RSA EK template. Pure TypeScript (Uint8Array + @noble/hashes).
 */
import { sha256 } from "@noble/hashes/sha2.js";
import { ByteReader, malformed } from "./bytes.ts";
import { concatBytes, hexToBytes, u16be, u32be } from "../hex.ts";
import { MAX_DIGEST_SIZE, TPMA_OBJECT, TPM_ALG_AES, TPM_ALG_CFB, TPM_ALG_ECC, TPM_ALG_NULL, TPM_ALG_RSA, TPM_ALG_SHA256, TPM_RH_ENDORSEMENT } from "./constants.ts";
import type { TpmaObjectFlag } from "./constants.ts";

export type SymDef = { algorithm: number; keyBits?: number; mode?: number };
export type SchemeDef = { scheme: number; hashAlg?: number };

export type TpmtPublic = {
  type: number;
  nameAlg: number;
  objectAttributes: number;
  authPolicy: Uint8Array;
  symmetric: SymDef;
  scheme: SchemeDef;
  /** ECC keys */
  curveId?: number;
  kdf?: SchemeDef;
  x?: Uint8Array;
  y?: Uint8Array;
  /** RSA keys */
  keyBits?: number;
  exponent?: number;
  modulus?: Uint8Array;
  /** The TPMT_PUBLIC bytes (without the TPM2B size): what the Name hashes. */
  bytes: Uint8Array;
};

function readSymDef(r: ByteReader, field: string): SymDef {
  const algorithm = r.u16(`${field}.algorithm`);
  if (algorithm === TPM_ALG_NULL) return { algorithm };
  return { algorithm, keyBits: r.u16(`${field}.keyBits`), mode: r.u16(`${field}.mode`) };
}

function readScheme(r: ByteReader, field: string): SchemeDef {
  const scheme = r.u16(`${field}.scheme`);
  if (scheme === TPM_ALG_NULL) return { scheme };
  return { scheme, hashAlg: r.u16(`${field}.hashAlg`) };
}

/** Parse a TPMT_PUBLIC (RSA or ECC; other types are rejected). Consumes exactly the given bytes. */
export function parseTpmtPublic(bytes: Uint8Array): TpmtPublic {
  const r = new ByteReader(bytes, "TPMT_PUBLIC");
  const type = r.u16("type");
  const nameAlg = r.u16("nameAlg");
  const objectAttributes = r.u32("objectAttributes");
  const authPolicy = r.tpm2b("authPolicy", MAX_DIGEST_SIZE);
  const symmetric = readSymDef(r, "symmetric");
  const scheme = readScheme(r, "scheme");
  let out: TpmtPublic;
  if (type === TPM_ALG_ECC) {
    const curveId = r.u16("curveID");
    const kdf = readScheme(r, "kdf");
    const x = r.tpm2b("unique.x", 66);
    const y = r.tpm2b("unique.y", 66);
    out = { type, nameAlg, objectAttributes, authPolicy, symmetric, scheme, curveId, kdf, x, y, bytes };
  } else if (type === TPM_ALG_RSA) {
    const keyBits = r.u16("keyBits");
    const exponent = r.u32("exponent");
    const modulus = r.tpm2b("unique.n", 512);
    out = { type, nameAlg, objectAttributes, authPolicy, symmetric, scheme, keyBits, exponent, modulus, bytes };
  } else {
    throw malformed("TPMT_PUBLIC", `type 0x${type.toString(16)} is neither RSA nor ECC`);
  }
  r.end();
  return out;
}

/** Parse a TPM2B_PUBLIC (u16 size then TPMT_PUBLIC), as `tpm2_readpublic -f tss` writes it. */
export function parseTpm2bPublic(bytes: Uint8Array): TpmtPublic {
  const r = new ByteReader(bytes, "TPM2B_PUBLIC");
  const inner = r.tpm2b("publicArea", 0xffff);
  r.end();
  return parseTpmtPublic(inner);
}

/** Object Name: nameAlg ‖ H_nameAlg(TPMT_PUBLIC). Only SHA-256 name algorithms are supported. */
export function computeName(pub: TpmtPublic): Uint8Array {
  if (pub.nameAlg !== TPM_ALG_SHA256) {
    throw malformed("TPMT_PUBLIC", `nameAlg 0x${pub.nameAlg.toString(16)} is not SHA-256`);
  }
  return concatBytes(u16be(TPM_ALG_SHA256), sha256(pub.bytes));
}

/** Qualified name: nameAlg ‖ SHA-256(QN(parent) ‖ Name(object)). */
export function computeQualifiedName(parentQualifiedName: Uint8Array, name: Uint8Array): Uint8Array {
  return concatBytes(u16be(TPM_ALG_SHA256), sha256(concatBytes(parentQualifiedName, name)));
}

/** The qualified name of a hierarchy is its handle. */
export const ENDORSEMENT_HIERARCHY_QN: Uint8Array = u32be(TPM_RH_ENDORSEMENT);

/** PolicySecret(TPM_RH_ENDORSEMENT): the authPolicy of the TCG default EK templates. */
export const EK_AUTH_POLICY = hexToBytes("837197674484b3f81a90cc8d46a5d724fd52d76e06520b64f2a1da1b331469aa");

/**
 * TPMT_PUBLIC of an RSA-2048 EK made from the TCG default template (EK Credential Profile,
 * template L-1: what `tpm2_createek -G rsa` and swtpm_setup create) with the given modulus.
 */
export function rsaEkPublicArea(modulus: Uint8Array): TpmtPublic {
  if (modulus.length !== 256) throw malformed("EK public key", `modulus is ${modulus.length} bytes, not 256`);
  const attrs =
    TPMA_OBJECT.fixedTPM | TPMA_OBJECT.fixedParent | TPMA_OBJECT.sensitiveDataOrigin | TPMA_OBJECT.adminWithPolicy | TPMA_OBJECT.restricted | TPMA_OBJECT.decrypt;
  const bytes = concatBytes(
    u16be(TPM_ALG_RSA),
    u16be(TPM_ALG_SHA256),
    u32be(attrs),
    u16be(EK_AUTH_POLICY.length),
    EK_AUTH_POLICY,
    u16be(TPM_ALG_AES),
    u16be(128),
    u16be(TPM_ALG_CFB),
    u16be(TPM_ALG_NULL),
    u16be(2048),
    u32be(0),
    u16be(modulus.length),
    modulus,
  );
  return parseTpmtPublic(bytes);
}

/** Names of the TPMA_OBJECT flags set in `attributes`. */
export function describeAttributes(attributes: number): TpmaObjectFlag[] {
  return (Object.keys(TPMA_OBJECT) as TpmaObjectFlag[]).filter((k) => (attributes & TPMA_OBJECT[k]) !== 0);
}
