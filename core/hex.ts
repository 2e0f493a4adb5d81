import { InputError } from "./errors.ts";

/**
 * Hex and byte helpers shared by Node and the browser: plain Uint8Array code, no Buffer, no node:* imports.
 */

/** A 32-byte digest as lowercase 0x-hex, the form every saved format and the chain use. */
export type Hex32 = `0x${string}`;

const HEX_32 = /^0x[0-9a-fA-F]{64}$/;
const HEX_DIGITS = "0123456789abcdef";
const BYTE_HEX: string[] = Array.from({ length: 256 }, (_, b) => HEX_DIGITS[b >> 4] + HEX_DIGITS[b & 15]);

export function toHex(bytes: Uint8Array): Hex32 {
  let s = "0x";
  for (let i = 0; i < bytes.length; i++) s += BYTE_HEX[bytes[i]];
  return s as Hex32;
}

function nibble(c: number): number {
  if (c >= 48 && c <= 57) return c - 48; // 0-9
  if (c >= 97 && c <= 102) return c - 87; // a-f
  if (c >= 65 && c <= 70) return c - 55; // A-F
  return -1;
}

/** Bytes of an even-length hex string, with or without 0x; null when it is not hex. */
export function hexToBytes(value: string): Uint8Array | null {
  const s = value.startsWith("0x") || value.startsWith("0X") ? value.slice(2) : value;
  if (s.length % 2 !== 0) return null;
  const out = new Uint8Array(s.length / 2);
  for (let i = 0; i < out.length; i++) {
    const hi = nibble(s.charCodeAt(2 * i));
    const lo = nibble(s.charCodeAt(2 * i + 1));
    if (hi < 0 || lo < 0) return null;
    out[i] = (hi << 4) | lo;
  }
  return out;
}

/** Parses a 0x-prefixed 32-byte hex string; `what` names the field in the error. */
export function parseHex32(value: unknown, what: string): Uint8Array {
  if (typeof value !== "string" || !HEX_32.test(value)) {
    throw new InputError("INPUT_INVALID", `${what} must be a 0x-prefixed 32-byte hex string, got ${preview(value)}`);
  }
  return hexToBytes(value) as Uint8Array;
}

/**
 * A SHA-256 as people paste it: 64 hex digits with or without 0x, in either case, surrounding spaces ignored
 * (`sha256sum` prints it bare). Null when it is anything else.
 */
export function looseHex32(value: string): Uint8Array | null {
  const s = value.trim().replace(/^0[xX]/, "");
  return /^[0-9a-fA-F]{64}$/.test(s) ? hexToBytes(s) : null;
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

/** One Uint8Array holding `parts` end to end. */
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export function preview(value: unknown): string {
  const s = typeof value === "string" ? JSON.stringify(value) : String(value);
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}
