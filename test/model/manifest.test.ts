import { expect } from "chai";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync, appendFileSync, renameSync } from "node:fs";
import { createHash, randomBytes } from "node:crypto";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { comparePaths } from "../../core/model/paths.ts";
import { filesOf, openssfDigestOf, weightsDigestOf, type WeightResource } from "../../core/model/digest.ts";
import { hashWeights, MODEL_SHARD_SIZE } from "../../core/model/hash-weights.ts";
import { decodeModelManifest, encodeModelManifest, type ModelManifest } from "../../core/model/manifest.ts";
import { compareWeights } from "../../core/model/compare-weights.ts";
import { buildModelManifest } from "../../core/model/store-model.ts";
import { fromInTotoStatement, toInTotoStatement } from "../../core/model/in-toto.ts";
import { validateRecord } from "../../core/model/record.ts";
import { isProvenantError } from "../../core/errors.ts";

const sha = (b: Uint8Array | string): `0x${string}` => `0x${createHash("sha256").update(b).digest("hex")}`;

/** The directory of docs/formats/model-manifest-v1.md's test vector. */
function vectorDir(root: string): string {
  const d = join(root, "vector");
  mkdirSync(join(d, "b"), { recursive: true });
  writeFileSync(join(d, "a.txt"), "hello\n");
  writeFileSync(join(d, "b.txt"), "provenant");
  writeFileSync(join(d, "b", "c.bin"), Buffer.from([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]));
  writeFileSync(join(d, ".gitattributes"), "*.bin lfs\n");
  writeFileSync(join(d, "empty.txt"), "");
  return d;
}

const RECORD = validateRecord({ name: "vector", version: "1.0.0" });

async function expectCode(p: Promise<unknown> | (() => unknown), code: string, message?: RegExp) {
  try {
    await (typeof p === "function" ? p() : p);
  } catch (e) {
    expect(isProvenantError(e), String(e)).to.equal(true);
    expect((e as { code: string }).code).to.equal(code);
    if (message) expect((e as Error).message).to.match(message);
    return;
  }
  expect.fail(`expected ${code}`);
}

describe("model manifest (provenant-model-v1)", function () {
  let work: string;
  let vector: string;
  before(() => {
    work = mkdtempSync(join(tmpdir(), "provenant-model-"));
    vector = vectorDir(work);
  });
  after(() => rmSync(work, { recursive: true, force: true }));

  describe("the documented test vector", function () {
    it("hashes the vector directory to the documented resources and digests at the format's shard size", async function () {
      const h = await hashWeights(vector);
      expect(h.shardSize).to.equal(1_000_000_000).and.to.equal(MODEL_SHARD_SIZE);
      expect(h.resources).to.deep.equal([
        { path: "a.txt", start: 0, end: 6, digest: "0x5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03" },
        { path: "b/c.bin", start: 0, end: 10, digest: "0x1f825aa2f0020ef7cf91dfa30da4668d791c5d4824fc8e41354b89ec05795ab3" },
        { path: "b.txt", start: 0, end: 9, digest: "0x0854d90c01f167fb0bc23501471866facca5569c761c92de43875e096ee65a93" },
      ]);
      expect(weightsDigestOf(h.resources)).to.equal("0xcd2d29d13fb97bb6895e01af09f97953653fb8127f96fcc6b075ef5120acebae");
      expect(openssfDigestOf(h.resources)).to.equal("0x41f53095e71e6ffa6e7c88c62f898e7c132e38fb6b3f719626fd31074fb78c08");
      expect(h.hidden).to.deep.equal([".gitattributes"]);
      expect(h.empty).to.deep.equal(["empty.txt"]);
      expect(h.bytes).to.equal(25);
    });

    it("splits files into 4-byte shards for the documented shard-size-4 digests", async function () {
      const h = await hashWeights(vector, { shardSize: 4 });
      expect(h.resources.map((r) => `${r.path}:${r.start}:${r.end}`)).to.deep.equal([
        "a.txt:0:4",
        "a.txt:4:6",
        "b/c.bin:0:4",
        "b/c.bin:4:8",
        "b/c.bin:8:10",
        "b.txt:0:4",
        "b.txt:4:8",
        "b.txt:8:9",
      ]);
      expect(h.resources[1].digest).to.equal(sha("o\n"));
      expect(weightsDigestOf(h.resources)).to.equal("0x2e2a2c5d5cf04114b6c5cd3e79d0699e01574837bc502f6010b59694001c041e");
      expect(openssfDigestOf(h.resources)).to.equal("0xc9c7bb9ca4bb9b2e2b197aae679a34663b8630865d1c6fbf7777ee4fdbd76f89");
    });
  });

  describe("hashing", function () {
    it("gives the same resources on worker threads as on the calling thread, for any shard size", async function () {
      const d = join(work, "big");
      mkdirSync(join(d, "shards"), { recursive: true });
      writeFileSync(join(d, "model-00001.safetensors"), randomBytes(3_000_001));
      writeFileSync(join(d, "shards", "model-00002.safetensors"), randomBytes(1_000_000));
      writeFileSync(join(d, "config.json"), '{"hidden":64}');
      for (const shardSize of [999_999, 1_000_000, 4_000_000]) {
        const parallel = await hashWeights(d, { shardSize, parallelMinBytes: 0, workers: 3 });
        const inline = await hashWeights(d, { shardSize, parallelMinBytes: Number.MAX_SAFE_INTEGER });
        expect(parallel.parallelShards).to.be.greaterThan(1);
        expect(inline.parallelShards).to.equal(0);
        expect(parallel.resources).to.deep.equal(inline.resources);
      }
      const whole = await hashWeights(d, { parallelMinBytes: 0 });
      const file = filesOf(whole.resources).find((f) => f.path === "model-00001.safetensors")!;
      expect(file.size).to.equal(3_000_001);
    });

    it("reports progress up to the total byte count", async function () {
      let last = [0, 0];
      const h = await hashWeights(join(work, "big"), { shardSize: 500_000, parallelMinBytes: 400_000, onProgress: (d, t) => (last = [d, t]) });
      expect(last).to.deep.equal([h.bytes, h.bytes]);
    });

    it("orders paths component by component, like model-signing's PurePosixPath order", function () {
      const paths = ["b.txt", "b/c.bin", "a", "a/b/c", "a.b", "a/b", "B", "é", "z/a", "z"];
      expect([...paths].sort(comparePaths)).to.deep.equal(["B", "a", "a/b", "a/b/c", "a.b", "b/c.bin", "b.txt", "z", "z/a", "é"]);
      fc.assert(
        fc.property(fc.array(fc.stringMatching(/^[a-c.]{1,3}(\/[a-c.]{1,3}){0,2}$/), { maxLength: 12 }), (ps) => {
          const sorted = [...ps].sort(comparePaths);
          for (let i = 1; i < sorted.length; i++) expect(comparePaths(sorted[i - 1], sorted[i])).to.be.at.most(0);
          // Antisymmetric and consistent with component lists.
          for (const a of ps) for (const b of ps) expect(Math.sign(comparePaths(a, b))).to.equal(-Math.sign(comparePaths(b, a)));
        }),
      );
    });

    it("follows symbolic links to files, and refuses dangling links and links to directories", async function () {
      const d = join(work, "links");
      mkdirSync(join(d, "real"), { recursive: true });
      writeFileSync(join(work, "blob"), "weights");
      symlinkSync(join(work, "blob"), join(d, "model.bin"));
      const h = await hashWeights(d);
      expect(h.resources).to.deep.equal([{ path: "model.bin", start: 0, end: 7, digest: sha("weights") }]);
      symlinkSync(join(work, "nowhere"), join(d, "dangling"));
      await expectCode(hashWeights(d), "INPUT_INVALID", /dangling|to nothing/);
      rmSync(join(d, "dangling"));
      symlinkSync(join(d, "real"), join(d, "dirlink"));
      await expectCode(hashWeights(d), "INPUT_INVALID", /other than a file/);
    });

    it("refuses a missing path, a file instead of a directory, and a directory with no bytes", async function () {
      await expectCode(hashWeights(join(work, "missing")), "INPUT_NOT_FOUND");
      await expectCode(hashWeights(join(work, "blob")), "INPUT_INVALID", /not a directory/);
      const d = join(work, "hollow");
      mkdirSync(join(d, ".git"), { recursive: true });
      writeFileSync(join(d, ".git", "HEAD"), "ref");
      writeFileSync(join(d, "empty"), "");
      await expectCode(hashWeights(d), "MODEL_EMPTY");
    });

    it("binds names: renaming a file changes the weights digest but not model-signing's subject digest", async function () {
      const d = join(work, "rename");
      mkdirSync(d);
      writeFileSync(join(d, "a.bin"), "one");
      writeFileSync(join(d, "m.bin"), "two");
      const before = await hashWeights(d);
      renameSync(join(d, "m.bin"), join(d, "n.bin"));
      const after = await hashWeights(d);
      expect(weightsDigestOf(after.resources)).to.not.equal(weightsDigestOf(before.resources));
      expect(openssfDigestOf(after.resources)).to.equal(openssfDigestOf(before.resources));
    });
  });

  describe("decoding", function () {
    let manifest: ModelManifest;
    before(async () => {
      manifest = buildModelManifest(await hashWeights(vector, { shardSize: 4 }), RECORD, "a vector");
    });
    const tampered = (edit: (m: any) => void) => {
      const m = JSON.parse(JSON.stringify(manifest));
      edit(m);
      return encodeModelManifest(m);
    };

    it("round-trips a manifest", function () {
      expect(decodeModelManifest(encodeModelManifest(manifest))).to.deep.equal(manifest);
      expect(manifest.weights.digest).to.equal("0x2e2a2c5d5cf04114b6c5cd3e79d0699e01574837bc502f6010b59694001c041e");
    });

    it("refuses a resource digest changed without the weights digest, naming ROOT_MISMATCH", function () {
      const bytes = tampered((m) => (m.weights.resources[3].digest = sha("other")));
      expect(() => decodeModelManifest(bytes))
        .to.throw(/hash to 0x/)
        .with.property("code", "ROOT_MISMATCH");
    });

    it("refuses malformed manifests, each with MANIFEST_INVALID naming the problem", function () {
      const cases: [string, (m: any) => void, RegExp][] = [
        ["another format", (m) => (m.format = "provenant-model-v0"), /provenant-model-v0/],
        ["a gap between shards", (m) => (m.weights.resources[1].start = 5), /starts at 5/],
        ["a short middle shard", (m) => (m.weights.resources[2].end = 3), /not the last shard|byte range|starts at/],
        ["an oversize shard", (m) => (m.weights.resources[1].end = 9), /longer than the shard size|starts at/],
        ["out-of-order resources", (m) => m.weights.resources.reverse(), /order|starts at/],
        ["an absolute path", (m) => (m.weights.resources[0].path = "/etc/passwd"), /absolute/],
        ["a .. path", (m) => (m.weights.resources[0].path = "../x"), /\.\./],
        ["uppercase hex", (m) => (m.weights.resources[0].digest = m.weights.resources[0].digest.toUpperCase().replace("0X", "0x")), /lowercase/],
        ["a wrong byte total", (m) => (m.weights.bytes = 1), /bytes/],
        ["no resources", (m) => (m.weights.resources = []), /non-empty/],
        ["another serialization", (m) => (m.weights.serialization.method = "files"), /method/],
        ["a record without format", (m) => delete m.record.format, /record.format/],
        ["a bad record version", (m) => (m.record.version = "one"), /semantic version/],
        ["not JSON", () => {}, /./],
      ];
      for (const [what, edit, message] of cases) {
        const bytes = what === "not JSON" ? new TextEncoder().encode("{") : tampered(edit);
        expect(() => decodeModelManifest(bytes), what)
          .to.throw(message)
          .with.property("code", "MANIFEST_INVALID");
      }
    });
  });

  describe("in-toto Statement", function () {
    it("writes model-signing's predicate with its subject digest, and reads it back", async function () {
      const m = buildModelManifest(await hashWeights(vector), RECORD);
      const s = toInTotoStatement(m);
      expect(s._type).to.equal("https://in-toto.io/Statement/v1");
      expect(s.predicateType).to.equal("https://model_signing/signature/v1.0");
      expect(s.subject).to.deep.equal([{ name: "vector", digest: { sha256: "41f53095e71e6ffa6e7c88c62f898e7c132e38fb6b3f719626fd31074fb78c08" } }]);
      expect(s.predicate.resources[1]).to.deep.equal({
        name: "b/c.bin:0:10",
        algorithm: "sha256-sharded-1000000000",
        digest: "1f825aa2f0020ef7cf91dfa30da4668d791c5d4824fc8e41354b89ec05795ab3",
      });
      expect(s.predicate.serialization).to.include({ method: "shards", shard_size: 1_000_000_000 });
      const back = fromInTotoStatement(JSON.parse(JSON.stringify(s)));
      expect(back.resources).to.deep.equal(m.weights.resources);
      expect(back.weightsDigest).to.equal(m.weights.digest);
    });

    it("reads a statement without the Provenant field, and refuses one whose resources do not hash to the subject", async function () {
      const s: any = toInTotoStatement(buildModelManifest(await hashWeights(vector), RECORD));
      delete s.predicate.provenant;
      expect(fromInTotoStatement(s).weightsDigest).to.equal("0xcd2d29d13fb97bb6895e01af09f97953653fb8127f96fcc6b075ef5120acebae");
      s.predicate.resources[0].digest = "00".repeat(32);
      expect(() => fromInTotoStatement(s)).to.throw(/subject digest/);
    });
  });

  describe("comparing weights on disk", function () {
    it("matches an unchanged copy and names changed, missing and extra files", async function () {
      const d = join(work, "cmp");
      mkdirSync(d);
      writeFileSync(join(d, "w1.bin"), randomBytes(5000));
      writeFileSync(join(d, "w2.bin"), randomBytes(5000));
      const m = buildModelManifest(await hashWeights(d, { shardSize: 1024 }), RECORD);
      expect((await compareWeights(m, d)).ok).to.equal(true);
      appendFileSync(join(d, "w1.bin"), "x");
      rmSync(join(d, "w2.bin"));
      writeFileSync(join(d, "w3.bin"), "new");
      const c = await compareWeights(m, d);
      expect(c).to.include({ ok: false });
      expect(c.changed).to.deep.equal(["w1.bin"]);
      expect(c.missing).to.deep.equal(["w2.bin"]);
      expect(c.extra).to.deep.equal(["w3.bin"]);
    });
  });

  it("views resources per file: one shard keeps the file's SHA-256, several hash their digests", function () {
    const r: WeightResource[] = [
      { path: "a", start: 0, end: 4, digest: sha("aaaa") },
      { path: "a", start: 4, end: 5, digest: sha("b") },
      { path: "c", start: 0, end: 1, digest: sha("c") },
    ];
    expect(filesOf(r)).to.deep.equal([
      { path: "a", size: 5, digest: openssfDigestOf(r.slice(0, 2)) },
      { path: "c", size: 1, digest: sha("c") },
    ]);
  });
});
