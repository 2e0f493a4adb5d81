import { expect } from "chai";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { gzipSync } from "node:zlib";
import { hashContainerSamples } from "../../core/dataset/formats/containers.ts";
import { blobFile, givenSampleHash, parquetRowBytes, parquetRowJsonHash, webdatasetSampleHash } from "../../core/dataset/formats/single-sample.ts";
import { sampleHashOf } from "../../cli/sample-input.ts";
import { ProvenantError } from "../../core/errors.ts";
import { toHex } from "../../core/hex.ts";
import { nestedTable, writeParquet } from "../../scripts/lib/parquet-tables.ts";
import { writeShard } from "../../scripts/lib/shards.ts";

const vectors = JSON.parse(readFileSync(join(import.meta.dirname, "..", "vectors", "encodings-v2.json"), "utf8")).vectors;
const vector = (name: string) => vectors.find((v: { name: string }) => v.name === name);

describe("encodings-v2 single samples for the browser (core/dataset/formats/single-sample.ts)", () => {
  it("keeps the modules the dApp will import browser-safe: no node: imports, Buffer or process in them or their imports", () => {
    const strip = (path: string) =>
      readFileSync(path, "utf8")
        .replace(/\/\*[\s\S]*?\*\//g, "")
        .replace(/^\s*\/\/.*$/gm, "");
    const seen = new Set<string>();
    const visit = (path: string) => {
      if (seen.has(path)) return;
      seen.add(path);
      const src = strip(path);
      expect(src, path).to.not.match(/from\s+["']node:|require\(|\bBuffer\b|\bprocess\./);
      for (const [, spec] of src.matchAll(/^import\s+(?!type\b)[^;]*?from\s+["'](\.[^"']+)["']/gm)) visit(join(dirname(path), spec));
    };
    visit(join(import.meta.dirname, "..", "..", "core", "dataset", "formats", "single-sample.ts"));
    // The mint page's dataset hasher and the model page's check-sample, which now reach the encodings-v2 readers.
    visit(join(import.meta.dirname, "..", "..", "core", "dataset", "formats", "blob-dataset.ts"));
    visit(join(import.meta.dirname, "..", "..", "core", "lineage", "check-sample.ts"));
    expect([...seen].map((p) => p.split("/").pop())).to.include.members(["canonical-json.ts", "parquet-rows.ts", "parquet-schema.ts", "webdataset.ts", "tar-members.ts"]);
  });

  it("hashes a WebDataset sample from its members' bytes to the vector's leaf", async () => {
    const v = vector("webdataset two shards, one gzip, three members a sample");
    const members = v.input.files[0].members.slice(0, 3).map((m: { name: string; bytes: string }) => ({ name: m.name, bytes: new TextEncoder().encode(m.bytes) }));
    expect(toHex(await webdatasetSampleHash(members))).to.equal(v.expect.samples[0]);
  });

  it("hashes a Parquet row from a File-like source, and the same row pasted as JSON, to one leaf", async () => {
    const bytes = writeParquet(nestedTable(), { rowGroupSize: 3 });
    // An async source, as a browser File's slices are.
    const src = { name: "n.parquet", size: bytes.length, read: async (o: number, l: number) => bytes.slice(o, o + l) };
    const row = new TextDecoder().decode(await parquetRowBytes(src, 3));
    expect(row).to.equal('{"l":[null],"ll":[null,[3]],"ls":[{"x":null}],"m":[["k",null]],"st":{"a":"y","b":{"c":null}}}');
    const v = vector("parquet lists, structs, maps");
    expect(toHex(await parquetRowJsonHash(row))).to.equal(v.expect.samples[3]);
  });

  describe("a sample as a browser gives it (File objects: blobFile), against the CLI's reading of the same files", () => {
    let dir: string;
    before(() => (dir = mkdtempSync(join(tmpdir(), "provenant-given-"))));
    after(() => rmSync(dir, { recursive: true, force: true }));

    const file = (path: string) => new File([readFileSync(path)], path.split("/").pop()!);
    const refusal = async (p: () => Promise<unknown>) => {
      try {
        await p();
      } catch (e) {
        expect(e).to.be.instanceOf(ProvenantError);
        return e as ProvenantError;
      }
      throw new Error("expected a refusal");
    };

    it("hashes a .tar (plain or gzip) holding one key to the sample's leaf in the dataset, and refuses one holding two", async () => {
      const shard = join(dir, "s.tar");
      await writeShard(shard, [
        { name: "0007.jpg", bytes: "seven" },
        { name: "0007.txt", bytes: "a seven" },
        { name: "0008.jpg", bytes: "eight" },
      ]);
      const leaf = toHex((await hashContainerSamples(shard, "webdataset")).hashes.subarray(0, 32));
      const only = join(dir, "only.tar");
      await writeShard(only, [
        { name: "x/0007.txt", bytes: "a seven" },
        { name: "x/0007.jpg", bytes: "seven" },
      ]);
      writeFileSync(join(dir, "only.tar.gz"), gzipSync(readFileSync(only)));
      for (const f of [only, join(dir, "only.tar.gz")]) {
        expect(toHex(await givenSampleHash({ file: blobFile(file(f)) }, "webdataset")), f).to.equal(leaf);
        expect(toHex(await sampleHashOf({ file: f }, "webdataset")), f).to.equal(leaf);
      }
      // A shard of two keys is two samples: neither is "the" sample.
      expect((await refusal(() => givenSampleHash({ file: blobFile(file(shard)) }, "webdataset"))).message).to.contain("holds 2 samples");
      // Member files: the same leaf, and keys that differ are refused.
      const members = [new File(["a seven"], "0007.txt"), new File(["seven"], "0007.jpg")].map((f) => blobFile(f));
      expect(toHex(await givenSampleHash({ files: members }, "webdataset"))).to.equal(leaf);
      const mixed = [new File(["a seven"], "0007.txt"), new File(["eight"], "0008.jpg")].map((f) => blobFile(f));
      expect((await refusal(() => givenSampleHash({ files: mixed }, "webdataset"))).message).to.contain("one sample's files share one key");
    });

    it("refuses a truncated or damaged shard in one line, in the browser's reading as in the CLI's", async () => {
      const shard = join(dir, "cut.tar");
      await writeShard(shard, [{ name: "0001.jpg", bytes: "x".repeat(3000) }]);
      const cut = readFileSync(shard).subarray(0, 1500);
      const e = await refusal(() => givenSampleHash({ file: blobFile(new File([cut], "cut.tar")) }, "webdataset"));
      expect(e.message).to.match(/^cut\.tar: the tar ends in the middle of a member/);
      const gz = gzipSync(readFileSync(shard)).subarray(0, 40);
      const z = await refusal(() => givenSampleHash({ file: blobFile(new File([gz], "cut.tar.gz")) }, "webdataset"));
      expect(z.message).to.match(/^cut\.tar\.gz: the gzip stream is damaged or truncated/);
    });

    it("refuses a one-key .tar holding a link or a repeated extension, in the browser as in the CLI (one tar reader)", async () => {
      // Attack: a link member names bytes the tar does not hold; a reader that followed or skipped it would give the key another leaf.
      const link = join(dir, "link.tar");
      await writeShard(link, [
        { name: "0007.jpg", bytes: "seven" },
        { name: "0007.txt", type: "symlink", linkname: "/etc/passwd" },
      ]);
      const twice = join(dir, "twice.tar");
      await writeShard(twice, [
        { name: "0007.jpg", bytes: "seven" },
        { name: "0007.JPG", bytes: "other" },
      ]);
      for (const [f, words] of [
        [link, "is a symlink: a WebDataset shard holds regular files only"],
        [twice, "has the extension"],
      ]) {
        const browser = await refusal(() => givenSampleHash({ file: blobFile(file(f)) }, "webdataset"));
        const cli = await refusal(() => sampleHashOf({ file: f }, "webdataset"));
        expect(browser.message, f).to.contain(words);
        // The same line but for how each names the shard: the CLI its path, the browser the File's name.
        expect(browser.message, f).to.equal(cli.message.replace(f, f.split("/").pop()!));
      }
    });

    it("hashes a Parquet row picked by index from a File as the CLI does from the path, and refuses inputs that do not fit", async () => {
      const path = join(dir, "n.parquet");
      writeFileSync(path, writeParquet(nestedTable(), { rowGroupSize: 3 }));
      const v = vector("parquet lists, structs, maps");
      for (const row of [0, 2, 3]) {
        expect(toHex(await givenSampleHash({ row, file: blobFile(file(path)) }, "parquet")), `row ${row}`).to.equal(v.expect.samples[row]);
        expect(toHex(await sampleHashOf({ row, file: path }, "parquet")), `row ${row}`).to.equal(v.expect.samples[row]);
      }
      expect((await refusal(() => givenSampleHash({ row: 99, file: blobFile(file(path)) }, "parquet"))).message).to.contain("there is no row 99");
      const e = await refusal(() => givenSampleHash({ file: blobFile(file(path)) }, "parquet"));
      expect(e.message).to.equal(
        "a sample given as one file (n.parquet) does not fit a parquet dataset: give the row as JSON, or a .parquet file and the row's index in it",
      );
      expect(e.hints.map((h) => h.remedy)).to.deep.equal(["sampleRowJson", "sampleRow"]);
      expect((await refusal(() => givenSampleHash({ text: "{}" }, "webdataset"))).message).to.contain(
        "a sample given as a literal record does not fit a webdataset dataset",
      );
    });
  });
});
