/**
 * Big-endian readers and small byte helpers for TPM 2.0 structures. Pure TypeScript
 * (Uint8Array only) so the parsers built on it also run in a browser.
 *
 * Every read checks the remaining length first: the bytes come from an attestor and
 * are attacker-controlled.
 */
import { ProvenantError } from "../errors.ts";

/** Thrown by the readers below; callers turn it into a named check or rethrow. */
export function malformed(what: string, detail: string): ProvenantError {
  return new ProvenantError("ATTESTATION_INVALID", `${what}: ${detail}`);
}

export class ByteReader {
  readonly bytes: Uint8Array;
  readonly what: string;
  offset: number;

  constructor(bytes: Uint8Array, what: string) {
    this.bytes = bytes;
    this.what = what;
    this.offset = 0;
  }

  get remaining(): number {
    return this.bytes.length - this.offset;
  }

  private need(n: number, field: string): void {
    if (n > this.remaining) {
      throw malformed(
        this.what,
        `truncated at ${field} (offset ${this.offset}: need ${n} bytes, have ${this.remaining})`
      );
    }
  }

  u8(field: string): number {
    this.need(1, field);
    return this.bytes[this.offset++]!;
  }

  u16(field: string): number {
    this.need(2, field);
    const v = (this.bytes[this.offset]! << 8) | this.bytes[this.offset + 1]!;
    this.offset += 2;
    return v;
  }

  u32(field: string): number {
    this.need(4, field);
    const b = this.bytes;
    const o = this.offset;
    const v = ((b[o]! << 24) >>> 0) + ((b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!);
    this.offset += 4;
    return v;
  }

  u64(field: string): bigint {
    const hi = this.u32(field);
    const lo = this.u32(field);
    return (BigInt(hi) << 32n) | BigInt(lo);
  }

  raw(n: number, field: string): Uint8Array {
    this.need(n, field);
    const out = this.bytes.slice(this.offset, this.offset + n);
    this.offset += n;
    return out;
  }

  /** A TPM2B: u16 size then that many bytes. `max` bounds the size field. */
  tpm2b(field: string, max: number): Uint8Array {
    const size = this.u16(`${field}.size`);
    if (size > max) {
      throw malformed(this.what, `${field} is ${size} bytes, more than the ${max} allowed`);
    }
    return this.raw(size, field);
  }

  /** Rejects trailing bytes: call after the last field. */
  end(): void {
    if (this.remaining !== 0) {
      throw malformed(this.what, `${this.remaining} trailing bytes after offset ${this.offset}`);
    }
  }
}

export function bytesToHex(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += b.toString(16).padStart(2, "0");
  return s;
}

export function hexToBytes(hex: string, what = "hex string"): Uint8Array {
  const h = hex.startsWith("0x") || hex.startsWith("0X") ? hex.slice(2) : hex;
  if (h.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(h)) {
    throw new ProvenantError("INPUT_INVALID", `${what} is not an even-length hex string`);
  }
  const out = new Uint8Array(h.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(h.slice(2 * i, 2 * i + 2), 16);
  return out;
}

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

export function u16be(v: number): Uint8Array {
  return new Uint8Array([(v >>> 8) & 0xff, v & 0xff]);
}

export function u32be(v: number): Uint8Array {
  return new Uint8Array([(v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff]);
}

/** Constant-time for equal lengths; different lengths are simply unequal. */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i]! ^ b[i]!;
  return d === 0;
}

export function bytesToBigInt(bytes: Uint8Array): bigint {
  let v = 0n;
  for (const b of bytes) v = (v << 8n) | BigInt(b);
  return v;
}

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
