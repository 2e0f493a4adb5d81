// The files encoding walks names as bytes: a name that is not UTF-8 is its own sample, never a look-alike's
// duplicate, and every entry that is not a sample is listed with its reason, by the single-process and the
// parallel (units, parts) paths alike.
import { expect } from "chai";
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { commitDataset, commitSamples, storeCommitment } from "../../core/dataset/commit.ts";
import { hashSamples } from "../../core/dataset/encodings.ts";
import { DatasetProver, verifyProof } from "../../core/dataset/prover.ts";
import { combineParts, commitAndStore, hashPart } from "../../core/dataset/scale/pipeline.ts";
import { LocalStore } from "../../core/storage/local-store.ts";
import { toHex } from "../../core/hex.ts";

const sha = (b: string | Uint8Array) => createHash("sha256").update(b).digest();
const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
const hashesOf = (r: { hashes: Uint8Array; total: number }) => Array.from({ length: r.total }, (_, i) => hex(r.hashes.subarray(i * 32, i * 32 + 32))).sort();
/** A path under `dir` whose last name is the given bytes (Node takes a Buffer path as raw bytes). */
const bytePath = (dir: string, ...name: number[]) => Buffer.concat([Buffer.from(`${dir}/`), Buffer.from(name)]);

/** `a\uFFFD` decodes exactly like the invalid `a\xFF`: a string walk cannot tell them apart. */
const LOOK_ALIKE = [0x61, 0xef, 0xbf, 0xbd];
const ODD = [0x61, 0xff];

describe("files encoding: names are bytes, skipped entries are listed", function () {
  this.timeout(120_000);
  let work: string;
  let n = 0;
  const fresh = () => {
    const d = join(work, `d${n++}`);
    mkdirSync(d);
    return d;
  };
  before(() => (work = mkdtempSync(join(tmpdir(), "provenant-names-"))));
  after(() => rmSync(work, { recursive: true, force: true }));

  it("hashes a file whose name is not UTF-8 as its own sample, not as its look-alike neighbour", () => {
    const d = fresh();
    writeFileSync(bytePath(d, ...LOOK_ALIKE), "look-alike");
    writeFileSync(bytePath(d, ...ODD), "odd");
    const r = hashSamples(d, "files");
    expect(hashesOf(r)).to.deep.equal([hex(sha("look-alike")), hex(sha("odd"))].sort());
    expect(commitSamples(r).n).to.equal(2);
  });

  it("hashes a file whose name is not UTF-8 beside a plain one, and a lone one", () => {
    const d = fresh();
    writeFileSync(join(d, "a"), "alpha");
    writeFileSync(bytePath(d, ...ODD), "odd");
    expect(hashesOf(hashSamples(d, "files"))).to.deep.equal([hex(sha("alpha")), hex(sha("odd"))].sort());
    const lone = fresh();
    writeFileSync(bytePath(lone, 0xff), "lone");
    expect(hashesOf(hashSamples(lone, "files"))).to.deep.equal([hex(sha("lone"))]);
  });

  it("commits the odd file, and its content gets an inclusion proof that verifies", async () => {
    const d = fresh();
    writeFileSync(bytePath(d, ...LOOK_ALIKE), "look-alike");
    writeFileSync(bytePath(d, ...ODD), "odd");
    const c = commitDataset(d);
    expect(c.n).to.equal(2);
    const store = new LocalStore(join(work, "store"));
    const stored = await storeCommitment(c, store, { name: "names" });
    expect(stored.manifest).to.include({ n: 2, duplicateSamples: 0 });
    const prover = await DatasetProver.open(store, stored.manifestCid);
    const proof = await prover.prove(sha("odd"));
    expect(proof.kind).to.equal("inclusion");
    expect(verifyProof(proof)).to.equal(true);
  });

  it("lists every entry it does not hash, in walk order, with its reason and its name escaped", () => {
    const d = fresh();
    writeFileSync(join(d, "sample"), "a sample");
    mkdirSync(join(d, ".cache"));
    writeFileSync(join(d, ".cache", "inside"), "not listed: the hidden directory is skipped whole");
    symlinkSync("sample", join(d, "link"));
    execFileSync("mkfifo", [join(d, "pipe")]);
    mkdirSync(join(d, "sub"));
    symlinkSync("../sample", bytePath(`${d}/sub`, 0x6c, 0xff));
    writeFileSync(join(d, "sub", "100%"), "a sample whose name holds a percent sign");
    const r = hashSamples(d, "files");
    expect(r.total).to.equal(2);
    expect(r.skipped).to.include({ hidden: 1, symlinks: 2, other: 1 });
    expect(r.skippedEntries).to.deep.equal([
      { path: ".cache", reason: "hidden" },
      { path: "link", reason: "symlink" },
      { path: "pipe", reason: "fifo" },
      { path: "sub/l%FF", reason: "symlink" },
    ]);
  });

  describe("the parallel path agrees with the single-process path", function () {
    const saved = process.env.PROVENANT_UNIT_FILES;
    let d: string;
    before(() => {
      // Two files a unit: the odd names land in several units, written to and read back from unit lists.
      process.env.PROVENANT_UNIT_FILES = "2";
      d = fresh();
      mkdirSync(bytePath(d, 0x64, 0xfe));
      for (let i = 0; i < 5; i++) writeFileSync(bytePath(d, 0x66, 0x30 + i, 0xff), `odd ${i}`);
      for (let i = 0; i < 3; i++) writeFileSync(Buffer.concat([bytePath(d, 0x64, 0xfe), Buffer.from([0x2f, 0x30 + i, 0xc0, 0xaf])]), `deep ${i}`);
      writeFileSync(bytePath(d, ...LOOK_ALIKE), "look-alike");
      writeFileSync(bytePath(d, ...ODD), "odd");
      symlinkSync("x", bytePath(d, 0x6c, 0x80));
    });
    after(() => {
      if (saved === undefined) delete process.env.PROVENANT_UNIT_FILES;
      else process.env.PROVENANT_UNIT_FILES = saved;
    });

    it("on several processes, and as parts combined, to the same root, counts and skipped list", async () => {
      const single = commitDataset(d);
      expect(single.n).to.equal(10);
      const store = new LocalStore(join(work, "scale-store"));
      const parallel = await commitAndStore(d, store, { name: "" }, { workers: 2, workDir: join(work, "scale-work") });
      expect(parallel.units).to.equal(5);
      expect(toHex(parallel.root)).to.equal(toHex(single.root));
      expect(parallel.manifest).to.include({ n: 10, totalSamples: 10 });
      const parts = [join(work, "part-0"), join(work, "part-1")];
      for (let i = 0; i < 2; i++) await hashPart(d, i, 2, parts[i], { workers: 1 });
      const combined = await combineParts(parts, store, { name: "" });
      expect(combined.manifestCid).to.equal(parallel.manifestCid);
      const listed = [{ path: "l%80", reason: "symlink" }];
      expect(single.samples.skippedEntries).to.deep.equal(listed);
      expect(parallel.skippedEntries).to.deep.equal(listed);
      expect(combined.skippedEntries).to.deep.equal(listed);
    });

    it("will not combine parts that disagree on what was skipped", async () => {
      const parts = [join(work, "skew-0"), join(work, "skew-1")];
      await hashPart(d, 0, 2, parts[0], { workers: 1 });
      // Same files, one more entry left out: the parts describe different folders.
      symlinkSync("x", join(d, "late-link"));
      try {
        await hashPart(d, 1, 2, parts[1], { workers: 1 });
        const store = new LocalStore(join(work, "skew-store"));
        let error: unknown;
        await combineParts(parts, store, { name: "" }).catch((e) => (error = e));
        expect(error).to.match(/other data or another split/);
      } finally {
        rmSync(join(d, "late-link"));
      }
    });
  });
});
