/** TPM 2.0 constants used by the parsers (TPM 2.0 Library Part 2, Structures). */

/** TPM_GENERATED_VALUE: every TPMS_ATTEST the TPM signs starts with it ("\xffTCG"). */
export const TPM_GENERATED_VALUE = 0xff544347;
/** TPM_ST_ATTEST_QUOTE */
export const TPM_ST_ATTEST_QUOTE = 0x8018;

export const TPM_ALG_RSA = 0x0001;
export const TPM_ALG_SHA1 = 0x0004;
export const TPM_ALG_AES = 0x0006;
export const TPM_ALG_SHA256 = 0x000b;
export const TPM_ALG_SHA384 = 0x000c;
export const TPM_ALG_SHA512 = 0x000d;
export const TPM_ALG_NULL = 0x0010;
export const TPM_ALG_ECDSA = 0x0018;
export const TPM_ALG_ECC = 0x0023;
export const TPM_ALG_CFB = 0x0043;

export const TPM_ECC_NIST_P256 = 0x0003;
export const TPM_ECC_NIST_P384 = 0x0004;

/** TPM_RH_ENDORSEMENT: the endorsement hierarchy; its handle is its Name. */
export const TPM_RH_ENDORSEMENT = 0x4000000b;

/** TPMA_OBJECT bits. */
export const TPMA_OBJECT = {
  fixedTPM: 1 << 1,
  stClear: 1 << 2,
  fixedParent: 1 << 4,
  sensitiveDataOrigin: 1 << 5,
  userWithAuth: 1 << 6,
  adminWithPolicy: 1 << 7,
  noDA: 1 << 10,
  encryptedDuplication: 1 << 11,
  restricted: 1 << 16,
  decrypt: 1 << 17,
  sign: 1 << 18,
} as const;

export type TpmaObjectFlag = keyof typeof TPMA_OBJECT;

/** P-256 group order n. */
export const P256_N = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;
export const P256_HALF_N = P256_N >> 1n;

export const HASH_ALG_NAMES: Readonly<Record<number, string>> = {
  [TPM_ALG_SHA1]: "sha1",
  [TPM_ALG_SHA256]: "sha256",
  [TPM_ALG_SHA384]: "sha384",
  [TPM_ALG_SHA512]: "sha512",
};

/** Digest sizes for the hash algorithms a PCR bank can use. */
export const HASH_ALG_SIZES: Readonly<Record<number, number>> = {
  [TPM_ALG_SHA1]: 20,
  [TPM_ALG_SHA256]: 32,
  [TPM_ALG_SHA384]: 48,
  [TPM_ALG_SHA512]: 64,
};

/** Bounds from Part 2: TPMU_NAME is at most a TPMT_HA (2 + 64 bytes); TPM2B_DATA/TPM2B_DIGEST 64. */
export const MAX_NAME_SIZE = 66;
export const MAX_DIGEST_SIZE = 64;
/** PCR_SELECT_MAX on any TPM we accept (up to 64 PCRs); HASH_COUNT bound for a selection list. */
export const MAX_PCR_SELECT_SIZE = 8;
export const MAX_PCR_BANKS = 16;
/** PCRs a quote may select (0..23 on PC-client TPMs). */
export const PCR_COUNT = 24;
