/**
 * The big-endian reader for TPM 2.0 structures (TPM2B sizes, trailing-byte checks). Pure TypeScript
 * (Uint8Array only) so the parsers built on it also run in a browser; hex and byte primitives are core/hex.ts.
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
      throw malformed(this.what, `truncated at ${field} (offset ${this.offset}: need ${n} bytes, have ${this.remaining})`);
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
