import { expect } from "chai";
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { detectEncoding, hashFile, hashSamples, newScratch } from "../../core/dataset/encodings.ts";
import { errorMessage } from "../../cli/output.ts";
import { ProvenantError } from "../../core/errors.ts";

const sha = (s: string | Buffer) => createHash("sha256").update(s).digest("hex");
const hashesOf = (r: { hashes: Uint8Array; total: number }) =>
  Array.from({ length: r.total }, (_, i) => Buffer.from(r.hashes.subarray(i * 32, i * 32 + 32)).toString("hex"));

describe("encodings-v1", () => {
  let dir: string;
  before(() => (dir = mkdtempSync(join(tmpdir(), "provenant-enc-"))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("detects the encoding from the path and refuses to guess otherwise", () => {
    writeFileSync(join(dir, "a.jsonl"), "{}\n");
    writeFileSync(join(dir, "b.csv"), "h\n1\n");
    writeFileSync(join(dir, "c.txt"), "x");
    expect(detectEncoding(dir)).to.equal("files");
    expect(detectEncoding(join(dir, "a.jsonl"))).to.equal("jsonl");
    expect(detectEncoding(join(dir, "b.csv"))).to.equal("csv");
    expect(() => detectEncoding(join(dir, "c.txt"))).to.throw(ProvenantError, /cannot tell the encoding/);
    try {
      detectEncoding(join(dir, "c.txt"));
    } catch (e) {
      expect((e as ProvenantError).message, "the library names no CLI flag").to.not.contain("--");
      expect(errorMessage(e as ProvenantError)).to.contain("--format <encoding>");
    }
  });

  it("hashes each non-empty JSONL line without its ending, LF or CRLF, the last line unterminated", () => {
    const f = join(dir, "lines.jsonl");
    writeFileSync(f, '{"a":1}\n\n{"b":2}\r\n  \n{"c":3}');
    const r = hashSamples(f, "jsonl");
    expect(hashesOf(r)).to.deep.equal([sha('{"a":1}'), sha('{"b":2}'), sha("  "), sha('{"c":3}')]);
    expect(r.skipped.emptyRecords).to.equal(1);
  });

  it("hashes JSONL records that span the 16 MiB read buffer", () => {
    const f = join(dir, "big.jsonl");
    const long = "x".repeat(20 << 20);
    writeFileSync(f, `a\n${long}\nb\n`);
    expect(hashesOf(hashSamples(f, "jsonl"))).to.deep.equal([sha("a"), sha(long), sha("b")]);
  });

  it("hashes CSV records after the header, keeping quoted newlines and doubled quotes inside a record", () => {
    const f = join(dir, "data.csv");
    writeFileSync(f, 'id,text\r\n1,"two\nlines"\r\n2,"say ""hi"""\n\n3,plain');
    const r = hashSamples(f, "csv");
    expect(hashesOf(r)).to.deep.equal([sha('1,"two\nlines"'), sha('2,"say ""hi"""'), sha("3,plain")]);
    expect(r.skipped.emptyRecords).to.equal(1);
  });

  it("refuses a CSV whose quoted field never closes", () => {
    const f = join(dir, "open.csv");
    writeFileSync(f, 'h\n1,"never closed\n');
    expect(() => hashSamples(f, "csv")).to.throw(ProvenantError, /not closed/);
  });

  it("hashes files by their bytes only, skipping hidden entries, and counting them", () => {
    const d = join(dir, "files");
    mkdirSync(join(d, ".git"), { recursive: true });
    mkdirSync(join(d, "nested", "deeper"), { recursive: true });
    writeFileSync(join(d, "a.bin"), "alpha");
    writeFileSync(join(d, "nested", "deeper", "b.bin"), "beta");
    writeFileSync(join(d, ".git", "config"), "hidden");
    const r = hashSamples(d, "files");
    expect(hashesOf(r).sort()).to.deep.equal([sha("alpha"), sha("beta")].sort());
    expect(r.skipped.hidden).to.equal(1);
    expect(r.bytes).to.equal(9);
  });

  it("streams a file over 64 MiB through the reused buffer to the same digest, and reports its size", () => {
    const f = join(dir, "big.bin");
    const bytes = Buffer.alloc((64 << 20) + 12345, 7);
    bytes[bytes.length - 1] = 1;
    writeFileSync(f, bytes);
    const scratch = newScratch();
    expect(hashFile(f, scratch).toString("hex")).to.equal(sha(bytes));
    expect(scratch.size).to.equal(bytes.length);
    // Reused: a second big file does not need a new buffer.
    const buf = scratch.buf;
    hashFile(f, scratch);
    expect(scratch.buf).to.equal(buf);
  });
});
