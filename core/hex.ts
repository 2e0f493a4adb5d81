import { InputError } from "./errors.ts";

/**
 * Hex and byte primitives for every layer, Node and browser alike: plain Uint8Array code, no Buffer, no node:*
 * imports. TPM marshalling (core/tpm/bytes.ts) and the Merkle code build on these; nothing else keeps a copy.
 */

/** A 32-byte digest as lowercase 0x-hex, the form every saved format and the chain use. */
export type Hex32 = `0x${string}`;
/** A 20-byte address as 0x-hex (any case). */
export type Address = `0x${string}`;

const HEX_32 = /^0x[0-9a-fA-F]{64}$/;
const HEX_DIGITS = "0123456789abcdef";
const BYTE_HEX: string[] = Array.from({ length: 256 }, (_, b) => HEX_DIGITS[b >> 4] + HEX_DIGITS[b & 15]);

/** Lowercase hex digits of `bytes`, without a prefix (the form tpm2-tools and ak.json use). */
export function bytesToHex(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i++) s += BYTE_HEX[bytes[i]];
  return s;
}

/** `bytes` as lowercase 0x-hex. */
export function toHex(bytes: Uint8Array): Hex32 {
  return `0x${bytesToHex(bytes)}`;
}

function nibble(c: number): number {
  if (c >= 48 && c <= 57) return c - 48; // 0-9
  if (c >= 97 && c <= 102) return c - 87; // a-f
  if (c >= 65 && c <= 70) return c - 55; // A-F
  return -1;
}

/** Bytes of an even-length hex string, with or without 0x; `what` names the value in the error. */
export function hexToBytes(value: string, what = "hex string"): Uint8Array {
  const s = value.startsWith("0x") || value.startsWith("0X") ? value.slice(2) : value;
  const out = new Uint8Array(s.length >> 1);
  let ok = s.length % 2 === 0;
  for (let i = 0; ok && i < out.length; i++) {
    const hi = nibble(s.charCodeAt(2 * i));
    const lo = nibble(s.charCodeAt(2 * i + 1));
    ok = hi >= 0 && lo >= 0;
    out[i] = (hi << 4) | lo;
  }
  if (!ok) throw new InputError("INPUT_INVALID", `${what} is not an even-length hex string`);
  return out;
}

/** Parses a 0x-prefixed 32-byte hex string; `what` names the field in the error. */
export function parseHex32(value: unknown, what: string): Uint8Array {
  if (!isHex32(value)) {
    throw new InputError("INPUT_INVALID", `${what} must be a 0x-prefixed 32-byte hex string, got ${preview(value)}`);
  }
  return hexToBytes(value, what);
}

/** A sha256sum line: the digest (with or without 0x), then whitespace and the file name, "*" before it in binary mode. */
const SHA256SUM_LINE = /^(?:0[xX])?([0-9a-fA-F]{64})(?:\s+\*?(.*))?$/s;

/**
 * A SHA-256 as people paste it: 64 hex digits with or without 0x, in either case, surrounding spaces ignored,
 * and what `sha256sum` prints after it ("<hex>  <file>") too. The digest and the file name ("" when none);
 * null when it is anything else. The one reader of pasted hashes: search, the prove panels, --hash and hash lists.
 */
export function sha256sumLine(value: string): { hash: Uint8Array; name: string } | null {
  const m = SHA256SUM_LINE.exec(value.trim());
  return m ? { hash: hexToBytes(m[1]), name: (m[2] ?? "").trim() } : null;
}

/** The digest of a pasted SHA-256 (sha256sumLine without the file name), or null. */
export function looseHex32(value: string): Uint8Array | null {
  return sha256sumLine(value)?.hash ?? null;
}

/** looseHex32, or an INPUT_INVALID naming `what`. */
export function parseLooseHex32(value: string, what: string): Uint8Array {
  const bytes = looseHex32(value);
  if (!bytes) throw new InputError("INPUT_INVALID", `${what} must be a SHA-256: 64 hex digits, with or without 0x, got ${preview(value)}`);
  return bytes;
}

export function isHex32(value: unknown): value is Hex32 {
  return typeof value === "string" && HEX_32.test(value);
}

/** Bytewise comparison (shorter sorts first on a common prefix): negative, zero or positive. */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const len = Math.min(a.length, b.length);
  for (let i = 0; i < len; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}

/** Equal bytes, in time that depends on the length only (digests, names and secrets are compared with it). */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i] ^ b[i];
  return d === 0;
}

/** One Uint8Array holding the parts end to end, given as a list or as arguments. */
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array;
export function concatBytes(...parts: Uint8Array[]): Uint8Array;
export function concatBytes(...args: Uint8Array[] | [readonly Uint8Array[]]): Uint8Array {
  const parts = (args.length === 1 && Array.isArray(args[0]) ? args[0] : args) as readonly Uint8Array[];
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** `v` as 2 big-endian bytes (the low 16 bits). */
export function u16be(v: number): Uint8Array {
  return new Uint8Array([(v >>> 8) & 0xff, v & 0xff]);
}

/** `v` as 4 big-endian bytes (the low 32 bits). */
export function u32be(v: number): Uint8Array {
  return new Uint8Array([(v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff]);
}

/** The unsigned big-endian integer `bytes` hold. */
export function bytesToBigInt(bytes: Uint8Array): bigint {
  let v = 0n;
  for (const b of bytes) v = (v << 8n) | BigInt(b);
  return v;
}

/** `v` as exactly `length` big-endian bytes; a negative value or one that does not fit is a RangeError. */
export function bigIntToBytes(v: bigint, length: number): Uint8Array {
  if (v < 0n) throw new RangeError("negative");
  const out = new Uint8Array(length);
  let x = v;
  for (let i = length - 1; i >= 0; i--) {
    out[i] = Number(x & 0xffn);
    x >>= 8n;
  }
  if (x !== 0n) throw new RangeError(`value does not fit in ${length} bytes`);
  return out;
}

/** A value as it may appear in an error line: JSON for strings, at most 80 characters. */
export function preview(value: unknown): string {
  const s = typeof value === "string" ? JSON.stringify(value) : String(value);
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}
