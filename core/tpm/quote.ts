/**
 * TPM 2.0 quotes in pure TypeScript: parse TPMS_ATTEST and TPMT_SIGNATURE, normalise
 * ECDSA `s`, compute the expected pcrDigest, replay an event log. Uses only Uint8Array
 * and @noble/hashes, so it also runs in a browser. Signature verification needs a P-256
 * implementation and lives in quote-check.ts.
 */
import { sha256 } from "@noble/hashes/sha2.js";
import { ProvenantError } from "../errors.ts";
import { ByteReader, malformed } from "./bytes.ts";
import { bigIntToBytes, bytesEqual, bytesToBigInt, bytesToHex, concatBytes, hexToBytes } from "../hex.ts";
import {
  HASH_ALG_NAMES,
  HASH_ALG_SIZES,
  MAX_DIGEST_SIZE,
  MAX_NAME_SIZE,
  MAX_PCR_BANKS,
  MAX_PCR_SELECT_SIZE,
  P256_HALF_N,
  P256_N,
  PCR_COUNT,
  TPM_ALG_ECDSA,
  TPM_ALG_SHA256,
  TPM_GENERATED_VALUE,
  TPM_ST_ATTEST_QUOTE,
} from "./constants.ts";

/** One TPMS_PCR_SELECTION: a bank and the PCRs selected in it, ascending. */
export type PcrSelection = {
  hashAlg: number;
  /** "sha256" etc., or "0x…" for an algorithm this code does not know. */
  hashAlgName: string;
  pcrs: number[];
};

/** A parsed TPMS_ATTEST of type TPM_ST_ATTEST_QUOTE. */
export type QuoteInfo = {
  /** The signing key's qualified name (nameAlg ‖ H(QN(parent) ‖ Name(AK))), not its name. */
  qualifiedSigner: Uint8Array;
  /** The caller's nonce (qualifyingData). */
  extraData: Uint8Array;
  clock: bigint;
  resetCount: number;
  restartCount: number;
  safe: boolean;
  firmwareVersion: bigint;
  pcrSelection: PcrSelection[];
  pcrDigest: Uint8Array;
};

/** A parsed TPMT_SIGNATURE with ECDSA over SHA-256; r and s are 32 bytes each. */
export type EcdsaSignature = {
  sigAlg: typeof TPM_ALG_ECDSA;
  hashAlg: typeof TPM_ALG_SHA256;
  r: Uint8Array;
  s: Uint8Array;
};

/** One measurement: `digest` is the SHA-256 extended into `pcr`. */
export type PcrEvent = {
  pcr: number;
  /** SHA-256 hex digest (64 hex characters, no 0x). */
  digest: string;
  type?: string;
  description?: string;
};

/** PCR index -> SHA-256 value as lowercase hex. */
export type PcrValues = Record<number, string>;

function hashAlgName(alg: number): string {
  return HASH_ALG_NAMES[alg] ?? `0x${alg.toString(16).padStart(4, "0")}`;
}

/**
 * Parse a TPMS_ATTEST produced by TPM2_Quote. Rejects anything that is not exactly one
 * quote structure: wrong magic or type, sizes over their bounds, truncation, trailing bytes.
 * Throws ProvenantError("ATTESTATION_INVALID").
 */
export function parseAttest(attest: Uint8Array): QuoteInfo {
  const r = new ByteReader(attest, "TPMS_ATTEST");
  const magic = r.u32("magic");
  if (magic !== TPM_GENERATED_VALUE) {
    throw malformed("TPMS_ATTEST", `magic is 0x${magic.toString(16)}, not 0xff544347 (not TPM-generated)`);
  }
  const type = r.u16("type");
  if (type !== TPM_ST_ATTEST_QUOTE) {
    throw malformed("TPMS_ATTEST", `type is 0x${type.toString(16)}, not 0x8018 (TPM_ST_ATTEST_QUOTE)`);
  }
  const qualifiedSigner = r.tpm2b("qualifiedSigner", MAX_NAME_SIZE);
  const extraData = r.tpm2b("extraData", MAX_DIGEST_SIZE);
  const clock = r.u64("clockInfo.clock");
  const resetCount = r.u32("clockInfo.resetCount");
  const restartCount = r.u32("clockInfo.restartCount");
  const safeByte = r.u8("clockInfo.safe");
  if (safeByte > 1) throw malformed("TPMS_ATTEST", `clockInfo.safe is ${safeByte}, not 0 or 1`);
  const firmwareVersion = r.u64("firmwareVersion");

  const count = r.u32("pcrSelect.count");
  if (count > MAX_PCR_BANKS) {
    throw malformed("TPMS_ATTEST", `pcrSelect.count is ${count}, more than ${MAX_PCR_BANKS}`);
  }
  const pcrSelection: PcrSelection[] = [];
  for (let i = 0; i < count; i++) {
    const hashAlg = r.u16(`pcrSelections[${i}].hash`);
    const size = r.u8(`pcrSelections[${i}].sizeofSelect`);
    if (size > MAX_PCR_SELECT_SIZE) {
      throw malformed("TPMS_ATTEST", `pcrSelections[${i}].sizeofSelect is ${size}, more than ${MAX_PCR_SELECT_SIZE}`);
    }
    const bitmap = r.raw(size, `pcrSelections[${i}].pcrSelect`);
    const pcrs: number[] = [];
    for (let byte = 0; byte < size; byte++) {
      for (let bit = 0; bit < 8; bit++) {
        if ((bitmap[byte]! >> bit) & 1) pcrs.push(byte * 8 + bit);
      }
    }
    pcrSelection.push({ hashAlg, hashAlgName: hashAlgName(hashAlg), pcrs });
  }
  const pcrDigest = r.tpm2b("pcrDigest", MAX_DIGEST_SIZE);
  r.end();
  return {
    qualifiedSigner,
    extraData,
    clock,
    resetCount,
    restartCount,
    safe: safeByte === 1,
    firmwareVersion,
    pcrSelection,
    pcrDigest,
  };
}

/**
 * Parse a TPMT_SIGNATURE holding ECDSA-SHA256 on P-256 (sigAlg 0x0018, hash 0x000b, then r
 * and s as TPM2B_ECC_PARAMETER). r and s are returned left-padded to 32 bytes and must lie
 * in [1, n-1]. Throws ProvenantError("ATTESTATION_INVALID").
 */
export function parseEcdsaSignature(signature: Uint8Array): EcdsaSignature {
  const rd = new ByteReader(signature, "TPMT_SIGNATURE");
  const sigAlg = rd.u16("sigAlg");
  if (sigAlg !== TPM_ALG_ECDSA) {
    throw malformed("TPMT_SIGNATURE", `sigAlg is 0x${sigAlg.toString(16)}, not 0x0018 (ECDSA)`);
  }
  const hashAlg = rd.u16("hash");
  if (hashAlg !== TPM_ALG_SHA256) {
    throw malformed("TPMT_SIGNATURE", `hash is 0x${hashAlg.toString(16)}, not 0x000b (SHA-256)`);
  }
  const r = rd.tpm2b("signatureR", 32);
  const s = rd.tpm2b("signatureS", 32);
  rd.end();
  for (const [name, v] of [
    ["r", r],
    ["s", s],
  ] as const) {
    const n = bytesToBigInt(v);
    if (n === 0n || n >= P256_N) throw malformed("TPMT_SIGNATURE", `${name} is not in [1, n-1]`);
  }
  return { sigAlg: TPM_ALG_ECDSA, hashAlg: TPM_ALG_SHA256, r: leftPad32(r), s: leftPad32(s) };
}

function leftPad32(v: Uint8Array): Uint8Array {
  if (v.length === 32) return v;
  const out = new Uint8Array(32);
  out.set(v, 32 - v.length);
  return out;
}

/** Serialize an ECDSA signature back to TPMT_SIGNATURE (r and s as 32-byte TPM2Bs). */
export function encodeEcdsaSignature(sig: { r: Uint8Array; s: Uint8Array }): Uint8Array {
  const r = leftPad32(sig.r);
  const s = leftPad32(sig.s);
  return concatBytes(new Uint8Array([0x00, 0x18, 0x00, 0x0b, 0x00, 0x20]), r, new Uint8Array([0x00, 0x20]), s);
}

/** r ‖ s, 64 bytes: the IEEE P1363 form node:crypto and most verifiers take. */
export function signatureToP1363(sig: { r: Uint8Array; s: Uint8Array }): Uint8Array {
  return concatBytes(leftPad32(sig.r), leftPad32(sig.s));
}

export function isLowS(s: Uint8Array): boolean {
  return bytesToBigInt(s) <= P256_HALF_N;
}

/**
 * Low-s form of a P-256 ECDSA signature: s -> n - s when s > n/2. Both forms verify
 * under plain ECDSA; TPMs do not normalise, and OpenZeppelin's P256 verifier and many
 * chains accept only low s.
 */
export function normalizeLowS<T extends { r: Uint8Array; s: Uint8Array }>(sig: T): T {
  const s = bytesToBigInt(sig.s);
  if (s <= P256_HALF_N) return sig;
  return { ...sig, s: bigIntToBytes(P256_N - s, 32) };
}

function checkPcrIndex(pcr: number): void {
  if (!Number.isInteger(pcr) || pcr < 0 || pcr >= PCR_COUNT) {
    throw new ProvenantError("INPUT_INVALID", `PCR index ${pcr} is not an integer in 0..${PCR_COUNT - 1}`);
  }
}

function checkSha256Hex(hex: string, what: string): Uint8Array {
  const bytes = /^[0-9a-fA-F]{64}$/.test(hex) ? hexToBytes(hex) : undefined;
  if (!bytes) throw new ProvenantError("INPUT_INVALID", `${what} is not a SHA-256 hex digest (64 hex characters)`);
  return bytes;
}

/** SHA-256 of bytes or of a UTF-8 string, as lowercase hex: an event's digest. */
export function sha256Hex(data: Uint8Array | string): string {
  return bytesToHex(sha256(typeof data === "string" ? new TextEncoder().encode(data) : data));
}

/** TPM2_PCR_Extend in the SHA-256 bank: new = SHA-256(old ‖ digest). Hex in, hex out. */
export function extendPcr(oldValue: string, digest: string): string {
  const old = checkSha256Hex(oldValue, "PCR value");
  const d = checkSha256Hex(digest, "event digest");
  return bytesToHex(sha256(concatBytes(old, d)));
}

export const ZERO_PCR = "0".repeat(64);

/**
 * Replay an event log into final SHA-256 PCR values, each PCR starting from zeros (or from
 * `initial`). Only PCRs that appear in the log or in `initial` are in the result.
 */
export function replayEventLog(events: readonly PcrEvent[], initial: PcrValues = {}): PcrValues {
  const values: PcrValues = {};
  for (const [k, v] of Object.entries(initial)) {
    const pcr = Number(k);
    checkPcrIndex(pcr);
    values[pcr] = bytesToHex(checkSha256Hex(v, `initial PCR ${pcr}`));
  }
  events.forEach((e, i) => {
    checkPcrIndex(e.pcr);
    checkSha256Hex(e.digest, `event ${i} digest`);
    values[e.pcr] = extendPcr(values[e.pcr] ?? ZERO_PCR, e.digest.toLowerCase());
  });
  return values;
}

/** Normalise a list of PCR indexes into one SHA-256 selection (ascending, no duplicates). */
export function sha256Selection(pcrs: readonly number[]): PcrSelection[] {
  const sorted = [...new Set(pcrs)].sort((a, b) => a - b);
  sorted.forEach(checkPcrIndex);
  return [{ hashAlg: TPM_ALG_SHA256, hashAlgName: "sha256", pcrs: sorted }];
}

/**
 * The pcrDigest a quote over `selection` must carry given PCR `values`: SHA-256 over the
 * selected values concatenated in selection order (banks in order, PCRs ascending).
 * Only SHA-256 banks are supported.
 */
export function computePcrDigest(selection: readonly PcrSelection[] | readonly number[], values: PcrValues): Uint8Array {
  const sel: readonly PcrSelection[] =
    selection.length > 0 && typeof selection[0] === "number" ? sha256Selection(selection as readonly number[]) : (selection as readonly PcrSelection[]);
  const parts: Uint8Array[] = [];
  for (const bank of sel) {
    if (bank.hashAlg !== TPM_ALG_SHA256) {
      throw new ProvenantError("INPUT_INVALID", `PCR bank ${bank.hashAlgName} is not supported (only sha256)`);
    }
    for (const pcr of bank.pcrs) {
      const v = values[pcr];
      if (v === undefined) throw new ProvenantError("INPUT_INVALID", `no value for PCR ${pcr}`);
      const bytes = checkSha256Hex(v, `PCR ${pcr} value`);
      if (bytes.length !== HASH_ALG_SIZES[TPM_ALG_SHA256]) throw new ProvenantError("INPUT_INVALID", `PCR ${pcr} value size`);
      parts.push(bytes);
    }
  }
  return sha256(concatBytes(...parts));
}

/** One named check of a verification; `detail` says what was found when it failed. */
export type Check<Name extends string = string> = { name: Name; ok: boolean; detail: string };

export type QuoteContentCheckName = "nonce" | "pcrSelection" | "pcrDigest" | "qualifiedSigner";

export type ExpectedQuoteContents = {
  nonce: Uint8Array;
  /** PCRs the quote must select, in the SHA-256 bank and nothing else. */
  pcrs: readonly number[];
  /** Values to compare against, e.g. from replayEventLog. */
  pcrValues: PcrValues;
  /** When known (see enroll.ts akQualifiedName), the AK's qualified name. */
  qualifiedSigner?: Uint8Array;
};

/**
 * Check a parsed quote's contents (not its signature): nonce, exact PCR selection, pcrDigest
 * against the expected values, and optionally the qualified signer. Never throws on a
 * mismatch; each mismatch is a failed named check.
 */
export function checkQuoteContents(quote: QuoteInfo, expected: ExpectedQuoteContents): Check<QuoteContentCheckName>[] {
  const checks: Check<QuoteContentCheckName>[] = [];
  const nonceOk = bytesEqual(quote.extraData, expected.nonce);
  checks.push({
    name: "nonce",
    ok: nonceOk,
    detail: nonceOk ? "extraData equals the nonce" : `extraData ${bytesToHex(quote.extraData)} is not the nonce`,
  });

  const want = sha256Selection(expected.pcrs);
  const selOk = quote.pcrSelection.length === 1 && quote.pcrSelection[0]!.hashAlg === TPM_ALG_SHA256 && quote.pcrSelection[0]!.pcrs.join(",") === want[0]!.pcrs.join(",");
  const describe = (s: readonly PcrSelection[]) => s.map((b) => `${b.hashAlgName}:${b.pcrs.join(",")}`).join(" ");
  checks.push({
    name: "pcrSelection",
    ok: selOk,
    detail: selOk ? `selects ${describe(want)}` : `selects ${describe(quote.pcrSelection) || "nothing"}, expected ${describe(want)}`,
  });

  let digestOk = false;
  let digestDetail: string;
  try {
    const digest = computePcrDigest(want, expected.pcrValues);
    digestOk = bytesEqual(digest, quote.pcrDigest);
    digestDetail = digestOk
      ? "pcrDigest equals the digest of the expected PCR values"
      : `pcrDigest ${bytesToHex(quote.pcrDigest)} is not the expected ${bytesToHex(digest)}`;
  } catch (e) {
    digestDetail = e instanceof Error ? e.message : String(e);
  }
  checks.push({ name: "pcrDigest", ok: digestOk, detail: digestDetail });

  if (expected.qualifiedSigner) {
    const ok = bytesEqual(quote.qualifiedSigner, expected.qualifiedSigner);
    checks.push({
      name: "qualifiedSigner",
      ok,
      detail: ok
        ? "signed by the enrolled AK under the enrolled EK"
        : `qualifiedSigner ${bytesToHex(quote.qualifiedSigner)} is not ${bytesToHex(expected.qualifiedSigner)}`,
    });
  }
  return checks;
}

/** JSON-friendly view of a parsed quote (hex strings, decimal strings for u64). */
export function quoteInfoToJson(q: QuoteInfo): Record<string, unknown> {
  return {
    qualifiedSigner: bytesToHex(q.qualifiedSigner),
    extraData: bytesToHex(q.extraData),
    clock: q.clock.toString(),
    resetCount: q.resetCount,
    restartCount: q.restartCount,
    safe: q.safe,
    firmwareVersion: `0x${q.firmwareVersion.toString(16).padStart(16, "0")}`,
    pcrSelection: q.pcrSelection.map((s) => ({ hashAlg: s.hashAlgName, pcrs: s.pcrs })),
    pcrDigest: bytesToHex(q.pcrDigest),
  };
}
