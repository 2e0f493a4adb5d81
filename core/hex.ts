import { InputError } from "./errors.ts";

/** A 32-byte digest as lowercase 0x-hex, the form every saved format and the chain use. */
export type Hex32 = `0x${string}`;

const HEX_32 = /^0x[0-9a-fA-F]{64}$/;

export function toHex(bytes: Uint8Array): Hex32 {
  return `0x${Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex")}`;
}

/** Parses a 0x-prefixed 32-byte hex string; `what` names the field in the error. */
export function parseHex32(value: unknown, what: string): Uint8Array {
  if (typeof value !== "string" || !HEX_32.test(value)) {
    throw new InputError("INPUT_INVALID", `${what} must be a 0x-prefixed 32-byte hex string, got ${preview(value)}`);
  }
  return new Uint8Array(Buffer.from(value.slice(2), "hex"));
}

export function isHex32(value: unknown): value is Hex32 {
  return typeof value === "string" && HEX_32.test(value);
}

/** Bytewise comparison of two equal-length digests. */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  return Buffer.compare(a, b);
}

export function preview(value: unknown): string {
  const s = typeof value === "string" ? JSON.stringify(value) : String(value);
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}
