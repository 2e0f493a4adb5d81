import { expect } from "chai";
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import * as encodings from "../../core/dataset/encodings.ts";
import { canonicalSample, encodingOfFileName, hiddenEntryOf, RecordSplitter, sampleHash, sha256, sha256Stream, textSampleHash } from "../../core/dataset/sample-hash.ts";
import { ProvenantError } from "../../core/errors.ts";

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
const sha = (b: Uint8Array | string) => createHash("sha256").update(b).digest("hex");

/** The browser's record hashes for `bytes`, fed in the given chunk sizes. */
function splitHashes(bytes: Uint8Array, encoding: "jsonl" | "csv", chunks: number[]) {
  const out: string[] = [];
  const s = new RecordSplitter(encoding, (r) => out.push(sha(r)));
  let at = 0;
  for (const size of chunks) {
    if (at >= bytes.length) break;
    s.push(bytes.subarray(at, at + size));
    at += size;
  }
  if (at < bytes.length) s.push(bytes.subarray(at));
  const counts = s.end();
  return { hashes: out, emptyRecords: counts.emptyRecords, bytes: counts.bytes };
}

/** The CLI's record hashes for the same bytes, from a file. */
function cliHashes(dir: string, bytes: Uint8Array, encoding: "jsonl" | "csv") {
  const f = join(dir, `in.${encoding}`);
  writeFileSync(f, bytes);
  try {
    const r = encodings.hashSamples(f, encoding);
    return { hashes: Array.from({ length: r.total }, (_, i) => hex(r.hashes.subarray(i * 32, i * 32 + 32))), emptyRecords: r.skipped.emptyRecords, bytes: r.bytes };
  } catch (e) {
    if ((e as ProvenantError).code === "DATASET_EMPTY") return { hashes: [], emptyRecords: -1, bytes: bytes.length };
    throw e;
  }
}

// Records built from the bytes that matter to the rules: line endings, quotes, separators.
const recordBytes = fc
  .array(fc.constantFrom("a", "b", "\n", "\r", "\r\n", '"', ",", " ", "é", "{}"), { maxLength: 60 })
  .map((parts) => new TextEncoder().encode(parts.join("")));
const chunking = fc.array(fc.integer({ min: 1, max: 7 }), { maxLength: 40 });

describe("sample-hash: the browser's encodings agree with the CLI's", () => {
  let dir: string;
  before(() => (dir = mkdtempSync(join(tmpdir(), "provenant-samplehash-"))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("takes a single jsonl or csv sample without one final line ending, and a file sample as it is", () => {
    const b = new TextEncoder().encode('{"a":1}\r\n');
    expect(new TextDecoder().decode(canonicalSample(b, "jsonl"))).to.equal('{"a":1}');
    expect(new TextDecoder().decode(canonicalSample(b, "csv"))).to.equal('{"a":1}');
    expect(new TextDecoder().decode(canonicalSample(new TextEncoder().encode("x\n\n"), "jsonl"))).to.equal("x\n");
    expect(canonicalSample(b, "files")).to.equal(b);
  });

  /** sample-hash.ts as a browser evaluates it: no process.getBuiltinModule, so no node:crypto. */
  async function asInBrowser(): Promise<typeof import("../../core/dataset/sample-hash.ts")> {
    const p = process as { getBuiltinModule?: unknown };
    const saved = p.getBuiltinModule;
    p.getBuiltinModule = undefined;
    try {
      return await import(new URL("../../core/dataset/sample-hash.ts?browser", import.meta.url).href);
    } finally {
      p.getBuiltinModule = saved;
    }
  }

  it("hashes a sample and a typed record as SHA-256 of the canonical bytes: node:crypto under Node, JavaScript and WebCrypto in a browser", async () => {
    const big = new Uint8Array(200_000).map((_, i) => i * 7);
    const browser = await asInBrowser();
    for (const [where, m] of [
      ["Node", { sha256, sampleHash, textSampleHash }],
      ["browser", browser],
    ] as const) {
      expect(hex(await m.sha256(big)), where).to.equal(sha(big)); // WebCrypto in a browser
      expect(hex(await m.sha256(big.subarray(5, 70_000))), where).to.equal(sha(big.subarray(5, 70_000))); // a view, not a whole buffer
      expect(hex(await m.sha256(big.subarray(0, 100))), where).to.equal(sha(big.subarray(0, 100))); // JavaScript in a browser
      expect(hex(m.sampleHash(new TextEncoder().encode('{"a":1}\r\n'), "jsonl")), where).to.equal(sha('{"a":1}'));
      expect(hex(m.sampleHash(new TextEncoder().encode("x\n"), "files")), where).to.equal(sha("x\n"));
      expect(hex(m.textSampleHash('{"a": 1}', "jsonl")), where).to.equal(sha('{"a": 1}'));
    }
    // Under Node the digest is node:crypto's own Buffer; in a browser a plain Uint8Array.
    expect(Buffer.isBuffer(sampleHash(big, "files"))).to.equal(true);
    expect(Buffer.isBuffer(browser.sampleHash(big, "files"))).to.equal(false);
    const s = sha256Stream();
    s.update(big.subarray(0, 123_457));
    s.update(big.subarray(123_457));
    expect(hex(s.digest())).to.equal(sha(big));
  });

  it("splits JSONL into the same records as the CLI, however the bytes are chunked", () => {
    fc.assert(
      fc.property(recordBytes, chunking, (bytes, chunks) => {
        const cli = cliHashes(dir, bytes, "jsonl");
        const web = splitHashes(bytes, "jsonl", chunks);
        expect(web.hashes).to.deep.equal(cli.hashes);
        if (cli.emptyRecords >= 0) expect(web.emptyRecords).to.equal(cli.emptyRecords);
        expect(web.bytes).to.equal(cli.bytes);
      }),
      { numRuns: 300, seed: 11 },
    );
  });

  it("splits CSV into the same records as the CLI (header skipped, quoted newlines kept), or refuses the same files", () => {
    fc.assert(
      fc.property(recordBytes, chunking, (bytes, chunks) => {
        let cli: ReturnType<typeof cliHashes> | "refused";
        try {
          cli = cliHashes(dir, bytes, "csv");
        } catch (e) {
          expect((e as ProvenantError).code).to.equal("INPUT_INVALID");
          cli = "refused";
        }
        if (cli === "refused") {
          expect(() => splitHashes(bytes, "csv", chunks)).to.throw(ProvenantError, /quoted field/);
          return;
        }
        const web = splitHashes(bytes, "csv", chunks);
        expect(web.hashes).to.deep.equal(cli.hashes);
        if (cli.emptyRecords >= 0) expect(web.emptyRecords).to.equal(cli.emptyRecords);
      }),
      { numRuns: 300, seed: 13 },
    );
  });

  it("takes the same files of a folder as samples and counts hidden entries as the CLI does", async () => {
    const root = join(dir, "folder");
    const files: Record<string, string> = {
      "a.txt": "one",
      "sub/b.txt": "two",
      "sub/deeper/c.bin": "three",
      "dup.txt": "one",
      ".hidden": "skip",
      ".cache/x": "skip",
      ".cache/y/z": "skip",
      "sub/.secret": "skip",
      "sub/.dir/w": "skip",
    };
    for (const [p, content] of Object.entries(files)) {
      mkdirSync(join(root, p, ".."), { recursive: true });
      writeFileSync(join(root, p), content);
    }
    const cli = encodings.hashSamples(root, "files");
    // The browser sees every file path (webkitdirectory lists files inside hidden folders too).
    const hidden = new Set<string>();
    const samples: string[] = [];
    for (const p of Object.keys(files)) {
      const h = hiddenEntryOf(p);
      if (h) hidden.add(h);
      else samples.push(sha(files[p]));
    }
    expect(hidden.size).to.equal(cli.skipped.hidden);
    const cliSamples = Array.from({ length: cli.total }, (_, i) => hex(cli.hashes.subarray(i * 32, i * 32 + 32)));
    expect(samples.sort()).to.deep.equal(cliSamples.sort());
  });

  it("tells the encoding from a file name as the CLI does", () => {
    for (const name of ["a.jsonl", "B.NDJSON", "c.csv", "d.txt", "e"]) {
      const path = join(dir, name);
      writeFileSync(path, "h\n1\n");
      let cli: string | null;
      try {
        cli = encodings.detectEncoding(path);
      } catch {
        cli = null;
      }
      expect(encodingOfFileName(name), name).to.equal(cli);
    }
  });
});
