import { expect } from "chai";
import { createHash } from "node:crypto";
import fc from "fast-check";
import {
  bigIntToBytes,
  bytesEqual,
  bytesToBigInt,
  bytesToHex,
  compareBytes,
  concatBytes,
  hexToBytes,
  isHex32,
  looseHex32,
  parseHex32,
  parseLooseHex32,
  sha256sumLine,
  preview,
  toHex,
  u16be,
  u32be,
} from "../core/hex.ts";
import { ProvenantError } from "../core/errors.ts";

const bytes = (...b: number[]) => new Uint8Array(b);
const DIGEST = `0x${createHash("sha256").update("x").digest("hex")}`;

describe("core/hex.ts: hex and byte primitives", () => {
  it("writes lowercase hex, with 0x from toHex and without from bytesToHex, as Node does", () => {
    expect(bytesToHex(bytes())).to.equal("");
    expect(toHex(bytes())).to.equal("0x");
    expect(bytesToHex(bytes(0, 9, 10, 15, 16, 0xab, 0xff))).to.equal("00090a0f10abff");
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), (b) => toHex(b) === `0x${Buffer.from(b).toString("hex")}` && bytesToHex(b) === Buffer.from(b).toString("hex")),
      { numRuns: 300, seed: 3 },
    );
  });

  it("reads hex with 0x, 0X or no prefix, in either case, and the empty string", () => {
    expect([...hexToBytes("0x00Af9f")]).to.deep.equal([0x00, 0xaf, 0x9f]);
    expect([...hexToBytes("0XFF")]).to.deep.equal([0xff]);
    expect([...hexToBytes("0123456789abcdefABCDEF")]).to.deep.equal([0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, 0xab, 0xcd, 0xef]);
    expect(hexToBytes("")).to.have.length(0);
    expect(hexToBytes("0x")).to.have.length(0);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), (b) => Buffer.from(hexToBytes(toHex(b))).equals(Buffer.from(b))),
      { numRuns: 300, seed: 4 },
    );
  });

  it("refuses odd lengths and characters outside 0-9, a-f, A-F (either nibble), naming the value", () => {
    for (const bad of ["abc", "0x0", "zz", "0g", "g0", "0x/0", "0x:0", "0x@0", "0x`0", "0xG0", "0x0G", " 00", "-1"]) {
      expect(() => hexToBytes(bad, "the nonce"), bad)
        .to.throw(ProvenantError, "the nonce is not an even-length hex string")
        .with.property("code", "INPUT_INVALID");
    }
    expect(() => hexToBytes("x")).to.throw(/^hex string is not an even-length hex string$/);
  });

  it("parses a 0x-prefixed 32-byte hex string and refuses anything else with the field's name and a preview", () => {
    expect(toHex(parseHex32(DIGEST, "root"))).to.equal(DIGEST);
    expect(toHex(parseHex32(DIGEST.toUpperCase().replace("0X", "0x"), "root"))).to.equal(DIGEST);
    const cases: Array<[unknown, string]> = [
      [DIGEST.slice(2), JSON.stringify(DIGEST.slice(2))], // no 0x
      [`${DIGEST}00`, JSON.stringify(`${DIGEST}00`)], // 33 bytes
      [DIGEST.slice(0, 64), JSON.stringify(DIGEST.slice(0, 64))], // an odd number of digits
      [`${DIGEST.slice(0, 65)}g`, JSON.stringify(`${DIGEST.slice(0, 65)}g`)],
      [42, "42"],
      [undefined, "undefined"],
    ];
    for (const [value, shown] of cases) {
      expect(() => parseHex32(value, "root"), String(value))
        .to.throw(ProvenantError, `root must be a 0x-prefixed 32-byte hex string, got ${shown}`)
        .with.property("code", "INPUT_INVALID");
    }
    expect(isHex32(DIGEST)).to.equal(true);
    expect(isHex32(DIGEST.slice(0, 65))).to.equal(false);
    expect(isHex32(null)).to.equal(false);
  });

  it("reads a pasted SHA-256 as sha256sum prints it: with or without 0x, any case, spaces around, a file name after", () => {
    const bare = DIGEST.slice(2);
    for (const pasted of [DIGEST, bare, bare.toUpperCase(), `0X${bare}`, `  ${bare}\n`, `${bare}  sample 7.txt`, `${bare} *weights.bin\n`, `\t0x${bare}\tname`]) {
      expect(toHex(looseHex32(pasted)!), pasted).to.equal(DIGEST);
      expect(toHex(parseLooseHex32(pasted, "--hash"))).to.equal(DIGEST);
    }
    expect(sha256sumLine(`${bare}  sample 7.txt\n`)).to.deep.equal({ hash: hexToBytes(bare), name: "sample 7.txt" });
    expect(sha256sumLine(`${bare} *weights.bin`)!.name).to.equal("weights.bin");
    expect(sha256sumLine(bare)!.name).to.equal("");
    for (const bad of ["", bare.slice(1), `${bare}0`, `${bare}x`, `0x${bare.slice(2)}`, `0x 0x${bare}`, `name  ${bare}`, `${bare.slice(0, 63)}g`, `00x${bare}`]) {
      expect(looseHex32(bad), bad).to.equal(null);
      expect(() => parseLooseHex32(bad, "--hash"), bad)
        .to.throw(ProvenantError, /^--hash must be a SHA-256: 64 hex digits, with or without 0x, got /)
        .with.property("code", "INPUT_INVALID");
    }
  });

  it("compares bytes as unsigned numbers, a shorter prefix first", () => {
    expect(compareBytes(bytes(1, 2), bytes(1, 3))).to.be.below(0);
    expect(compareBytes(bytes(1, 0xff), bytes(1, 3))).to.be.above(0);
    expect(compareBytes(bytes(1, 2), bytes(1, 2))).to.equal(0);
    expect(compareBytes(bytes(1), bytes(1, 0))).to.be.below(0);
    expect(compareBytes(bytes(1, 0), bytes(1))).to.be.above(0);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 6 }), fc.uint8Array({ maxLength: 6 }), (a, b) => Math.sign(compareBytes(a, b)) === Math.sign(Buffer.compare(a, b))),
      { numRuns: 500, seed: 5 },
    );
  });

  it("tells equal bytes apart from a different length or any one differing byte", () => {
    expect(bytesEqual(bytes(), bytes())).to.equal(true);
    expect(bytesEqual(bytes(1, 2, 3), bytes(1, 2, 3))).to.equal(true);
    expect(bytesEqual(bytes(1, 2, 3), bytes(1, 2))).to.equal(false);
    expect(bytesEqual(bytes(1, 2), bytes(1, 2, 3)), "a prefix is not equal").to.equal(false);
    for (let i = 0; i < 3; i++) {
      const b = bytes(1, 2, 3);
      b[i] ^= 0x80;
      expect(bytesEqual(bytes(1, 2, 3), b), `byte ${i}`).to.equal(false);
    }
  });

  it("concatenates a list or separate arguments alike", () => {
    expect([...concatBytes([bytes(1), bytes(), bytes(2, 3)])]).to.deep.equal([1, 2, 3]);
    expect([...concatBytes(bytes(1), bytes(), bytes(2, 3))]).to.deep.equal([1, 2, 3]);
    expect([...concatBytes(bytes(4, 5))]).to.deep.equal([4, 5]);
    expect(concatBytes()).to.have.length(0);
    expect(concatBytes([])).to.have.length(0);
    const part = bytes(9);
    const out = concatBytes([part]);
    out[0] = 0;
    expect(part[0], "a copy, not the part itself").to.equal(9);
  });

  it("encodes big-endian integers, keeping the low bits", () => {
    expect([...u16be(0x0102)]).to.deep.equal([1, 2]);
    expect([...u16be(0x1ffff)]).to.deep.equal([0xff, 0xff]);
    expect([...u32be(0x01020304)]).to.deep.equal([1, 2, 3, 4]);
    expect([...u32be(0xffffffff)]).to.deep.equal([0xff, 0xff, 0xff, 0xff]);
    expect(bytesToBigInt(bytes())).to.equal(0n);
    expect(bytesToBigInt(bytes(1, 0, 0xff))).to.equal(0x0100ffn);
    expect([...bigIntToBytes(0x0100ffn, 4)]).to.deep.equal([0, 1, 0, 0xff]);
    expect([...bigIntToBytes(0n, 2)]).to.deep.equal([0, 0]);
    expect([...bigIntToBytes(0xffffn, 2)]).to.deep.equal([0xff, 0xff]);
    expect(() => bigIntToBytes(0x10000n, 2)).to.throw(RangeError, "value does not fit in 2 bytes");
    expect(() => bigIntToBytes(-1n, 2)).to.throw(RangeError, "negative");
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: (1n << 256n) - 1n }), (v) => bytesToBigInt(bigIntToBytes(v, 32)) === v),
      { numRuns: 300, seed: 6 },
    );
  });

  it("previews a value for an error line: strings as JSON, others as text, at most 80 characters", () => {
    expect(preview('a"b')).to.equal('"a\\"b"');
    expect(preview(12)).to.equal("12");
    expect(preview(null)).to.equal("null");
    expect(preview("x".repeat(78))).to.equal(`"${"x".repeat(78)}"`);
    expect(preview("x".repeat(79))).to.equal(`"${"x".repeat(76)}...`);
  });
});
