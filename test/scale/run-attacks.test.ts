import { expect } from "chai";
import { openSync, closeSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCli } from "../../scripts/lib/cli.ts";

/**
 * `dataset combine` reads run files from part directories that other machines produced: their bytes are input.
 * A crafted run must be refused with one line naming it, on the native path (C reads the header) and on the
 * JavaScript path alike: never a crash, never an unsorted (so unsound) tree.
 */
describe("scale: crafted run files given to combine", function () {
  this.timeout(120_000);
  let work: string;
  let env: Record<string, string>;
  const HEADER = 8 + 256 * 8;

  before(() => {
    work = mkdtempSync(join(tmpdir(), "provenant-run-attack-"));
    env = { PROVENANT_HOME: join(work, "home") };
    const lines = Array.from({ length: 3000 }, (_, i) => `{"i":${i}}`);
    writeFileSync(join(work, "d.jsonl"), lines.join("\n"));
  });
  after(() => rmSync(work, { recursive: true, force: true }));

  /** A fresh one-part split of the dataset, and the path of its only run file. */
  async function freshPart(name: string): Promise<{ dir: string; run: string }> {
    const dir = join(work, name);
    const r = await runCli(["dataset", "hash", join(work, "d.jsonl"), "--part", "0/1", "--out", dir], env);
    expect(r.code, r.stderr).to.equal(0);
    const run = readdirSync(join(dir, "runs")).find((f) => f.endsWith(".run"))!;
    return { dir, run: join(dir, "runs", run) };
  }

  const patch = (path: string, at: number, bytes: Buffer) => {
    const fd = openSync(path, "r+");
    writeSync(fd, bytes, 0, bytes.length, at);
    closeSync(fd);
  };
  const count = (path: string, bucket: number) => Number(readFileSync(path).readBigUInt64BE(8 + bucket * 8));

  for (const native of ["1", "0"]) {
    const path = native === "1" ? "native" : "JavaScript";

    it(`refuses a header whose counts overflow when multiplied out (${path} path)`, async () => {
      const { dir, run } = await freshPart(`overflow-${native}`);
      // 2^62 + c hashes: times 32 (or 4) bytes wraps to a small size in 64-bit arithmetic.
      const b = readFileSync(run)[HEADER]; // a bucket that has hashes
      const huge = Buffer.alloc(8);
      huge.writeBigUInt64BE((1n << 62n) + BigInt(count(run, b)));
      patch(run, 8 + b * 8, huge);
      const r = await runCli(["dataset", "combine", dir], { ...env, PROVENANT_NATIVE: native });
      expect(r.code, r.stderr).to.equal(1);
      expect(r.stderr.trim().split("\n"), r.stderr).to.have.length(1);
      expect(r.stderr).to.contain(run).and.match(/not a complete provenant run file/);
    });

    it(`refuses a run shorter or longer than its header says (${path} path)`, async () => {
      const { dir, run } = await freshPart(`short-${native}`);
      writeFileSync(run, readFileSync(run).subarray(0, HEADER + 32 * 10));
      let r = await runCli(["dataset", "combine", dir], { ...env, PROVENANT_NATIVE: native });
      expect(r.code, r.stderr).to.equal(1);
      expect(r.stderr).to.contain(run).and.match(/not a complete provenant run file/);
      const again = await freshPart(`long-${native}`);
      writeFileSync(again.run, Buffer.concat([readFileSync(again.run), Buffer.alloc(32)]));
      r = await runCli(["dataset", "combine", again.dir], { ...env, PROVENANT_NATIVE: native });
      expect(r.code, r.stderr).to.equal(1);
      expect(r.stderr).to.contain(again.run).and.match(/not a complete provenant run file/);
    });

    it(`refuses a hash filed under another first byte, which would commit an unsorted tree (${path} path)`, async () => {
      const { dir, run } = await freshPart(`misfiled-${native}`);
      const bytes = readFileSync(run);
      // The first hash of the body sits in the lowest non-empty bucket; give it the first byte 0xff.
      expect(bytes[HEADER]).to.be.lessThan(0xff);
      patch(run, HEADER, Buffer.from([0xff]));
      const r = await runCli(["dataset", "combine", dir], { ...env, PROVENANT_NATIVE: native });
      expect(r.code, r.stderr).to.equal(1);
      expect(r.stderr).to.contain(run).and.match(/outside its bucket/);
    });
  }
});
