import { expect } from "chai";
import fc from "fast-check";
import { createHash, randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { commitAndStore } from "../../core/dataset/scale/pipeline.ts";
import { hashRecordRange, hashSamples, type SkippedCounts } from "../../core/dataset/encodings.ts";
import { commitSamples } from "../../core/dataset/commit.ts";
import { nativeHasher, type NativeHasher } from "../../core/dataset/native.ts";
import { mergeRangeJs } from "../../core/dataset/scale/merge.ts";
import { makePlan, savePlan } from "../../core/dataset/scale/plan.ts";
import { writeBucketFile } from "../../core/dataset/scale/bucket-file.ts";
import { bucketFilePath, runUnit, runUnitNative } from "../../core/dataset/scale/unit.ts";
import { LocalStore } from "../../core/storage/local-store.ts";
import { rowHasher, type HashMany } from "../../core/dataset/formats/blob-dataset.ts";
import { toHex } from "../../core/hex.ts";
import { rootOf } from "../../core/merkle/tree.ts";
import { sortUniqueHashes } from "../../core/dataset/sort-unique.ts";
import { materialize, type EncodingVector } from "../../scripts/make-encoding-vectors.ts";

const vectors: EncodingVector[] = JSON.parse(readFileSync(new URL("../vectors/encodings-v1.json", import.meta.url), "utf8")).vectors;
const sha = (b: Uint8Array) => createHash("sha256").update(b).digest();

/** Runs `fn` with the JavaScript path forced (PROVENANT_NATIVE=0) or allowed, restoring the environment after. */
async function withNative<T>(on: boolean, fn: () => T | Promise<T>): Promise<T> {
  const before = process.env.PROVENANT_NATIVE;
  process.env.PROVENANT_NATIVE = on ? "1" : "0";
  try {
    return await fn();
  } finally {
    if (before === undefined) delete process.env.PROVENANT_NATIVE;
    else process.env.PROVENANT_NATIVE = before;
  }
}

/** The JavaScript reference on one record range: digests in order, empty records, or the error it throws. */
function jsRange(path: string, csv: boolean, start: number, end: number, inQuotes: boolean) {
  const digests: Buffer[] = [];
  const skipped: SkippedCounts = { hidden: 0, symlinks: 0, other: 0, emptyRecords: 0 };
  try {
    hashRecordRange(path, csv ? "csv" : "jsonl", { start, end: end < 0 ? Infinity : end, inQuotes }, (d) => digests.push(Buffer.from(d)), skipped);
    return { digests: Buffer.concat(digests).toString("hex"), empty: skipped.emptyRecords, error: null as string | null };
  } catch (e) {
    return { digests: "", empty: 0, error: (e as Error).message };
  }
}

describe("native hasher (native/hash.c) against the JavaScript reference", function () {
  this.timeout(300_000);
  let native: NativeHasher;
  let dir: string;

  before(() => {
    // Built by `npm install`/`npm ci` (scripts/build-native.sh): a missing build here is a broken install step.
    const n = nativeHasher();
    expect(n, "native/build/provenant_hash.node did not build: run npm run build:native").to.not.equal(null);
    native = n!;
    dir = mkdtempSync(join(tmpdir(), "provenant-native-"));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("hashes many messages in one call (sha256Many) like node:crypto, and a row hasher batching with it like one without", () => {
    // Lengths 0-300 (one and two blocks each side of the padding edge), in an order that pairs long with short.
    const messages = Array.from({ length: 301 }, (_, i) => randomBytes(i % 2 ? i : 300 - i));
    const data = Buffer.concat(messages);
    const ends = new Uint32Array(messages.length);
    messages.reduce((at, m, i) => (ends[i] = at + m.length), 0);
    const digests = native.sha256Many(data, ends);
    expect(digests.length).to.equal(32 * messages.length);
    messages.forEach((m, i) => expect(toHex(digests.subarray(32 * i, 32 * i + 32)), `message ${i}`).to.equal(toHex(sha(m))));
    expect(native.sha256Many(new Uint8Array(0), new Uint32Array(0)).length).to.equal(0);
    expect(() => native.sha256Many(data, Uint32Array.of(5, 4))).to.throw(/ends must rise/);
    expect(() => native.sha256Many(data, Uint32Array.of(data.length + 1))).to.throw(/within the data/);

    // Rows through a flushing writer: small ones batched, one of almost the batch's 1 MiB, a 2.5 MiB one streamed in
    // the middle, more rows than a batch holds.
    const rows = [
      ...Array.from({ length: 4999 }, (_, i) => randomBytes(i % 97)),
      randomBytes((1 << 20) - 100),
      randomBytes(2600 << 10),
      ...Array.from({ length: 10 }, () => randomBytes(40)),
    ];
    const run = (many?: HashMany) => {
      const out: string[] = [];
      const h = rowHasher((d) => out.push(toHex(d)), many);
      for (const r of rows) {
        h.writer.reset();
        // In pieces, as rows are written: past 1 MiB the writer flushes into the incremental hash.
        for (let at = 0; at < r.length || at === 0; at += 4096) h.writer.bytes(r.subarray(at, at + 4096));
        h.onRow(h.writer);
      }
      h.flush();
      return out;
    };
    const batched = run((d, e) => native.sha256Many(d, e));
    const w = rowHasher(() => {}).writer;
    for (let at = 0; at < rows[5000].length; at += 4096) w.bytes(rows[5000].subarray(at, at + 4096));
    expect(w.flushed, "the 2.5 MiB row streams").to.be.greaterThan(0);
    expect(batched).to.deep.equal(run());
    expect(batched).to.deep.equal(rows.map((r) => toHex(sha(r))));
  });

  it("hashes single messages like node:crypto at every length around the 64-byte block edges", () => {
    const lengths = [...Array.from({ length: 300 }, (_, i) => i), 1000, 1023, 1024, 1025, 65535, 65536, 65537, (1 << 20) + 3];
    for (const len of lengths) {
      const b = randomBytes(len);
      expect(native.sha256(b).toString("hex"), `length ${len}`).to.equal(sha(b).toString("hex"));
    }
  });

  it("computes merkle-v1 roots like buildLevels for every tree shape, odd levels included", async () => {
    for (const n of [...Array.from({ length: 70 }, (_, i) => i + 1), 127, 128, 129, 1000, 4097, 65535, 65536]) {
      const leaves = sortUniqueHashes(randomBytes(n * 32));
      const want = toHex(rootOf(leaves));
      expect(toHex(native.treeRoot(leaves, false).root), `n=${leaves.length / 32}`).to.equal(want);
      expect(toHex((await native.treeRoot(leaves, true)).root), `n=${leaves.length / 32}, async`).to.equal(want);
    }
    expect(() => native.treeRoot(new Uint8Array(31), false)).to.throw(RangeError);
  });

  it("finds and hashes the same records in any byte range of any JSONL or CSV bytes", () => {
    // Few distinct bytes, weighted to the ones that matter: line endings, CR, quotes, NUL.
    const byte = fc.constantFrom(0x0a, 0x0a, 0x0d, 0x22, 0x22, 0x2c, 0x00, 0x61, 0x62, 0x61);
    let file = 0;
    fc.assert(
      fc.property(fc.array(byte, { maxLength: 200 }), fc.boolean(), fc.array(fc.nat(200), { maxLength: 4 }), (bytes, csv, cuts) => {
        const path = join(dir, `p${file++}.${csv ? "csv" : "jsonl"}`);
        const data = Buffer.from(bytes);
        writeFileSync(path, data);
        // The whole file, and consecutive ranges that cover it (as a plan's units do).
        const bounds = [...new Set([0, ...cuts.map((c) => c % (data.length + 1)), data.length])].sort((a, b) => a - b);
        const ranges: Array<[number, number]> = [[0, -1]];
        for (let k = 0; k + 1 < bounds.length; k++) ranges.push([bounds[k], bounds[k + 1]]);
        for (const [start, end] of ranges) {
          // The quote state just before byte start - 1, as the plan computes it.
          let odd = false;
          for (let i = 0; i < start - 1; i++) if (data[i] === 0x22) odd = !odd;
          const want = jsRange(path, csv, start, end, odd);
          const got = native.hashRecords(path, csv, start, end, odd, null, false);
          const gotError = got.failure ? `${got.failure.op}` : null;
          expect(gotError !== null, `error at ${start}-${end} of ${JSON.stringify(data.toString("latin1"))}`).to.equal(want.error !== null);
          if (want.error) continue;
          expect(got.digests!.toString("hex"), `range ${start}-${end} of ${JSON.stringify(data.toString("latin1"))}`).to.equal(want.digests);
          expect(got.emptyRecords).to.equal(want.empty);
        }
      }),
      { numRuns: 400, seed: 12 },
    );
  });

  it("hashes records of every length around the block edges, two at a time, paired with longer and shorter ones", () => {
    // Records are hashed in pairs (SHA extensions, two messages interleaved): every length from 1 to 300 meets
    // every other block count, and the padding's one- and two-block cases (55 and 56 bytes left over).
    const path = join(dir, "lengths.jsonl");
    const lengths = Array.from({ length: 300 }, (_, i) => i + 1);
    const order = [...lengths, ...lengths.slice().reverse(), ...lengths.map((n, i) => lengths[(i * 37) % 300])];
    writeFileSync(path, order.map((n, i) => String.fromCharCode(97 + (i % 26)).repeat(n)).join("\n") + "\n");
    const got = native.hashRecords(path, false, 0, -1, false, null, false);
    expect(got.count).to.equal(order.length);
    expect(got.digests!.toString("hex")).to.equal(jsRange(path, false, 0, -1, false).digests);
  });

  it("finds records longer than its read buffer and records across buffer edges", () => {
    const path = join(dir, "long.jsonl");
    // Lines of varied length around 1 MiB (the native buffer) and 16 MiB (the JavaScript one), CRLF mixed in.
    const lines = [1, (1 << 20) - 1, 1 << 20, (1 << 20) + 1, 3 << 20, 5, (16 << 20) + 7, 2].map((n, i) => `${i}`.repeat(n) + (i % 2 ? "\r" : ""));
    writeFileSync(path, lines.join("\n"));
    for (const [start, end] of [
      [0, -1],
      [0, 1 << 20],
      [1 << 20, 4 << 20],
      [(1 << 20) + 2, -1],
    ]) {
      const got = native.hashRecords(path, false, start, end, false, null, false);
      const want = jsRange(path, false, start, end, false);
      expect(got.digests!.toString("hex"), `range ${start}-${end}`).to.equal(want.digests);
    }
  });

  it("reports a quoted field left open, a missing file and an unreadable one in the JavaScript path's words", async () => {
    const open = join(dir, "open.csv");
    writeFileSync(open, 'h\n1,"never closed\n');
    const missing = join(dir, "nope.jsonl");
    const folder = join(dir, "a-folder.jsonl");
    mkdirSync(folder);
    for (const [path, encoding] of [
      [open, "csv"],
      [missing, "jsonl"],
      [folder, "jsonl"],
    ] as const) {
      const js = await withNative(false, () => captureError(() => hashRecordsOf(path, encoding)));
      const nat = await withNative(true, () => captureError(() => hashRecordsOf(path, encoding)));
      expect(nat, path).to.deep.equal(js).and.to.not.equal(null);
    }
  });

  it("writes byte-identical bucket files and stats for file units, the streaming branch included", async () => {
    const root = join(dir, "tree");
    mkdirSync(join(root, "sub"), { recursive: true });
    const sizes = [0, 1, 55, 56, 63, 64, 65, 119, 120, 4096, (1 << 20) + 1];
    sizes.forEach((n, i) => writeFileSync(join(root, i % 2 ? "sub" : "", `f ${i}:x`), randomBytes(n)));
    writeFileSync(join(root, "dup"), readFileSync(join(root, "f 2:x")));
    const work = join(dir, "work-files");
    mkdirSync(work, { recursive: true });
    const plan = makePlan(root, "files", work);
    savePlan(plan, work);
    expect(plan.units).to.have.length(1);
    // A size over 64 MiB in the list sends a file down the streaming branch on both paths (natively, any file
    // over 1 MiB streams: the last file, in chunks of 256 KiB).
    const spec = plan.units[0] as { list: string };
    const list = readFileSync(spec.list, "utf8").split("\0");
    list[3] = `${(64 << 20) + 1}:${list[3].slice(list[3].indexOf(":") + 1)}`;
    writeFileSync(spec.list, list.join("\0"));
    const js = runUnit(plan, 0, work);
    const jsFile = readFileSync(bucketFilePath(work, 0));
    const nat = await runUnitNative(native, plan, 0, work);
    expect(nat).to.deep.equal(js);
    expect(readFileSync(bucketFilePath(work, 0)).equals(jsFile)).to.equal(true);
  });

  it("names the failing file of a unit list as the JavaScript path does", async () => {
    const root = join(dir, "vanishing");
    mkdirSync(root);
    for (const name of ["a", "b", "c"]) writeFileSync(join(root, name), name);
    const work = join(dir, "work-vanishing");
    mkdirSync(work);
    const plan = makePlan(root, "files", work);
    savePlan(plan, work);
    rmSync(join(root, "b"));
    const js = captureError(() => runUnit(plan, 0, work));
    const nat = await captureErrorAsync(() => runUnitNative(native, plan, 0, work));
    expect(js).to.match(/vanishing\/b does not exist/);
    expect(nat).to.equal(js);
    mkdirSync(join(root, "b"));
    expect(await captureErrorAsync(() => runUnitNative(native, plan, 0, work)))
      .to.equal(captureError(() => runUnit(plan, 0, work)))
      .and.match(/EISDIR/);
  });

  it("merges any bucket range of bucket files to the JavaScript merge's bytes", () => {
    const files: string[] = [];
    const shared = randomBytes(32 * 500);
    for (let r = 0; r < 4; r++) {
      // Duplicates inside a file and across files, and a crowded bucket (first byte 0x42).
      const own = randomBytes(32 * (300 + r * 100));
      for (let i = 0; i < 60; i++) own[i * 32] = 0x42;
      // A crowded sort slot too (same second and third bytes: sorted with qsort past 16), with duplicates in it.
      for (let i = 60; i < 100; i++) own.set([0x42, 0x07, 0x09], i * 32);
      for (let i = 100; i < 110; i++) own.copyWithin(i * 32, (i - 40) * 32, (i - 39) * 32);
      const path = join(dir, `m${r}.bucket`);
      writeBucketFile(path, Buffer.concat([own, shared, own.subarray(0, 32 * 7)]));
      files.push(path);
    }
    for (const [from, to] of [
      [0, 256],
      [0, 1],
      [0x42, 0x43],
      [17, 200],
      [255, 256],
      [10, 10],
    ]) {
      const got = native.mergeBuckets(files, from, to, false);
      expect(got.failure).to.equal(undefined);
      expect(got.leaves!.equals(Buffer.from(mergeRangeJs(files, from, to))), `buckets ${from}-${to}`).to.equal(true);
      const into = Buffer.alloc(32 * 4000, 0xee);
      const given = native.mergeBuckets(files, from, to, false, into);
      expect(given.leaves).to.equal(undefined);
      expect(into.subarray(0, given.count * 32).equals(got.leaves!), `buckets ${from}-${to} into a given buffer`).to.equal(true);
    }
  });

  it("refuses crafted bucket file headers in C itself, without reading past the file", () => {
    const good = join(dir, "good.bucket");
    writeBucketFile(good, randomBytes(32 * 50));
    const bytes = readFileSync(good);
    const HEADER = 8 + 256 * 8;
    const craft = (name: string, edit: (b: Buffer) => Buffer) => {
      const path = join(dir, name);
      writeFileSync(path, edit(Buffer.from(bytes)));
      return path;
    };
    const b = bytes[HEADER];
    const overflow = craft("overflow.bucket", (x) => {
      x.writeBigUInt64BE((1n << 62n) + x.readBigUInt64BE(8 + b * 8), 8 + b * 8);
      return x;
    });
    const short = craft("short.bucket", (x) => x.subarray(0, x.length - 32));
    const magic = craft("magic.bucket", (x) => {
      x[0] = 0x58;
      return x;
    });
    const misfiled = craft("misfiled.bucket", (x) => {
      x[HEADER] = b === 0xff ? 0 : 0xff;
      return x;
    });
    for (const path of [overflow, short, magic]) expect(native.mergeBuckets([good, path], 0, 256, false).failure).to.deep.include({ op: "format", index: 1 });
    expect(native.mergeBuckets([misfiled], 0, 256, false).failure).to.deep.include({ op: "bucket", index: 0 });
  });

  describe("encodings-v1 vectors on both paths, in memory and through the scale pipeline", () => {
    for (const v of vectors) {
      it(`${v.name}`, async () => {
        const base = mkdtempSync(join(dir, "v-"));
        const input = materialize(v, base);
        for (const on of [false, true]) {
          const path = on ? "native" : "JavaScript";
          const mem = await withNative(on, () => captureOr(() => commitSamples(hashSamples(input, v.encoding))));
          if ("error" in v.expect) {
            expect(mem, path).to.have.property("error", v.expect.error);
          } else {
            if ("error" in mem) throw new Error(`${path}: ${mem.error}`);
            expect(toHex(mem.root), path).to.equal(v.expect.root);
            const samples = Array.from({ length: mem.samples.total }, (_, i) => toHex(mem.samples.hashes.subarray(i * 32, i * 32 + 32)));
            expect(samples, path).to.deep.equal(v.expect.samples);
          }
          // Tiny units put a range boundary at every few bytes: records must be found exactly once.
          for (const unitBytes of ["1", "3", "7", "64"]) {
            process.env.PROVENANT_UNIT_BYTES = unitBytes;
            process.env.PROVENANT_UNIT_FILES = "2";
            try {
              const home = mkdtempSync(join(base, "home-"));
              const r = await withNative(on, () =>
                captureOrAsync(() => commitAndStore(input, new LocalStore(home), { name: "v" }, { workDir: join(home, "work"), workers: 2 })),
              );
              if ("error" in v.expect) expect(r, `${path}, ${unitBytes}-byte units`).to.have.property("error", v.expect.error);
              else {
                if ("error" in r) throw new Error(`${path}, ${unitBytes}-byte units: ${r.error}`);
                expect(r.manifest.root, `${path}, ${unitBytes}-byte units`).to.equal(v.expect.root);
                expect(r.manifest.skipped.emptyRecords).to.equal(v.expect.emptyRecords);
                expect(r.manifest.totalSamples).to.equal(v.expect.samples.length);
              }
            } finally {
              delete process.env.PROVENANT_UNIT_BYTES;
              delete process.env.PROVENANT_UNIT_FILES;
            }
          }
        }
      });
    }
  });
});

function hashRecordsOf(path: string, encoding: "jsonl" | "csv") {
  return hashSamples(path, encoding);
}

function captureError(fn: () => unknown): string | null {
  try {
    fn();
    return null;
  } catch (e) {
    return `${(e as { code?: string }).code}: ${(e as Error).message}`;
  }
}

async function captureErrorAsync(fn: () => Promise<unknown>): Promise<string | null> {
  try {
    await fn();
    return null;
  } catch (e) {
    return `${(e as { code?: string }).code}: ${(e as Error).message}`;
  }
}

function captureOr<T>(fn: () => T): T | { error: string } {
  try {
    return fn();
  } catch (e) {
    return { error: (e as { code?: string }).code ?? "INTERNAL" };
  }
}

async function captureOrAsync<T>(fn: () => Promise<T>): Promise<T | { error: string }> {
  try {
    return await fn();
  } catch (e) {
    return { error: (e as { code?: string }).code ?? "INTERNAL" };
  }
}
