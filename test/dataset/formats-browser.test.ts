import { expect } from "chai";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { parquetRowBytes, parquetRowJsonHash, webdatasetSampleHash } from "../../core/dataset/formats/single-sample.ts";
import { toHex } from "../../core/hex.ts";
import { nestedTable, writeParquet } from "../../scripts/lib/parquet-tables.ts";

const vectors = JSON.parse(readFileSync(join(import.meta.dirname, "..", "vectors", "encodings-v2.json"), "utf8")).vectors;
const vector = (name: string) => vectors.find((v: { name: string }) => v.name === name);

describe("encodings-v2 single samples for the browser (core/dataset/formats/single-sample.ts)", () => {
  it("keeps the modules the dApp will import browser-safe: no node: imports, Buffer or process in them or their imports", () => {
    const strip = (path: string) => readFileSync(path, "utf8").replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "");
    const seen = new Set<string>();
    const visit = (path: string) => {
      if (seen.has(path)) return;
      seen.add(path);
      const src = strip(path);
      expect(src, path).to.not.match(/from\s+["']node:|require\(|\bBuffer\b|\bprocess\./);
      for (const [, spec] of src.matchAll(/^import\s+(?!type\b)[^;]*?from\s+["'](\.[^"']+)["']/gm)) visit(join(dirname(path), spec));
    };
    visit(join(import.meta.dirname, "..", "..", "core", "dataset", "formats", "single-sample.ts"));
    expect([...seen].map((p) => p.split("/").pop())).to.include.members(["canonical-json.ts", "parquet-rows.ts", "parquet-schema.ts", "webdataset.ts"]);
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
});
