import { expect } from "chai";
import { openSync, closeSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCli } from "../../../scripts/lib/cli.ts";

/**
 * `dataset combine` reads bucket files from part directories that other machines produced: their bytes are input.
 * A crafted bucket file must be refused with one line naming it, on the native path (C reads the header) and on the
 * JavaScript path alike: never a crash, never an unsorted (so unsound) tree.
 */
describe("scale: crafted bucket files given to combine", function () {
  this.timeout(120_000);
  let work: string;
  let env: Record<string, string>;
  const HEADER = 8 + 256 * 8;

  before(() => {
    work = mkdtempSync(join(tmpdir(), "provenant-bucket-attack-"));
    env = { PROVENANT_HOME: join(work, "home") };
    const lines = Array.from({ length: 3000 }, (_, i) => `{"i":${i}}`);
    writeFileSync(join(work, "d.jsonl"), lines.join("\n"));
  });
  after(() => rmSync(work, { recursive: true, force: true }));

  /** A fresh one-part split of the dataset, and the path of its only bucket file. */
  async function freshPart(name: string): Promise<{ dir: string; file: string }> {
    const dir = join(work, name);
    const r = await runCli(["dataset", "hash", join(work, "d.jsonl"), "--part", "0/1", "--out", dir], env);
    expect(r.code, r.stderr).to.equal(0);
    const file = readdirSync(join(dir, "buckets")).find((f) => f.endsWith(".bucket"))!;
    return { dir, file: join(dir, "buckets", file) };
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
      const { dir, file } = await freshPart(`overflow-${native}`);
      // 2^62 + c hashes: times 32 (or 4) bytes wraps to a small size in 64-bit arithmetic.
      const b = readFileSync(file)[HEADER]; // a bucket that has hashes
      const huge = Buffer.alloc(8);
      huge.writeBigUInt64BE((1n << 62n) + BigInt(count(file, b)));
      patch(file, 8 + b * 8, huge);
      const r = await runCli(["dataset", "combine", dir], { ...env, PROVENANT_NATIVE: native });
      expect(r.code, r.stderr).to.equal(1);
      expect(r.stderr.trim().split("\n"), r.stderr).to.have.length(1);
      expect(r.stderr)
        .to.contain(file)
        .and.match(/not a complete provenant bucket file/);
    });

    it(`refuses a bucket file shorter or longer than its header says (${path} path)`, async () => {
      const { dir, file } = await freshPart(`short-${native}`);
      writeFileSync(file, readFileSync(file).subarray(0, HEADER + 32 * 10));
      let r = await runCli(["dataset", "combine", dir], { ...env, PROVENANT_NATIVE: native });
      expect(r.code, r.stderr).to.equal(1);
      expect(r.stderr)
        .to.contain(file)
        .and.match(/not a complete provenant bucket file/);
      const again = await freshPart(`long-${native}`);
      writeFileSync(again.file, Buffer.concat([readFileSync(again.file), Buffer.alloc(32)]));
      r = await runCli(["dataset", "combine", again.dir], { ...env, PROVENANT_NATIVE: native });
      expect(r.code, r.stderr).to.equal(1);
      expect(r.stderr)
        .to.contain(again.file)
        .and.match(/not a complete provenant bucket file/);
    });

    it(`refuses a hash filed under another first byte, which would commit an unsorted tree (${path} path)`, async () => {
      const { dir, file } = await freshPart(`misfiled-${native}`);
      const bytes = readFileSync(file);
      // The first hash of the body sits in the lowest non-empty bucket; give it the first byte 0xff.
      expect(bytes[HEADER]).to.be.lessThan(0xff);
      patch(file, HEADER, Buffer.from([0xff]));
      const r = await runCli(["dataset", "combine", dir], { ...env, PROVENANT_NATIVE: native });
      expect(r.code, r.stderr).to.equal(1);
      expect(r.stderr)
        .to.contain(file)
        .and.match(/outside its bucket/);
    });
  }

  it("refuses a crafted part.json in one line naming it: not JSON, another version, fields of the wrong kind, counts its bucket files do not hold", async () => {
    const { dir } = await freshPart("crafted-part");
    const file = join(dir, "part.json");
    const good = JSON.parse(readFileSync(file, "utf8"));
    const cases: Array<[string, string | object, RegExp]> = [
      ["not JSON", "{", /part\.json is not JSON/],
      ["another version", { ...good, format: "provenant-part-v2" }, /has format "provenant-part-v2"; this version of provenant reads provenant-part-v1/],
      ["units not a list", { ...good, units: "all" }, /part\.json is invalid: units must be a list/],
      ["a count as text", { ...good, units: [{ ...good.units[0], samples: "3000" }] }, /units\[0\]\.samples must be a whole number/],
      ["part outside the split", { ...good, part: 1, of: 1 }, /part must be below of/],
      [
        "more samples than hashed",
        { ...good, units: [{ ...good.units[0], samples: good.units[0].samples + 1_000_000 }] },
        /units\[0\] counts 1003000 samples but its bucket file holds 3000/,
      ],
    ];
    for (const [what, content, message] of cases) {
      writeFileSync(file, typeof content === "string" ? content : JSON.stringify(content));
      const r = await runCli(["dataset", "combine", dir], env);
      expect(r.code, `${what}: ${r.stderr}`).to.equal(1);
      expect(r.stderr.trim().split("\n"), what).to.have.length(1);
      expect(r.stderr, what).to.contain(file).and.match(message);
      expect(r.json?.error?.code, what).to.equal("MANIFEST_INVALID");
    }
    writeFileSync(file, JSON.stringify(good));
    expect((await runCli(["dataset", "combine", dir], env)).code, "the untouched part still combines").to.equal(0);
  });
});
