import { expect } from "chai";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parquetWriteBuffer } from "hyparquet-writer";
import { hashBlobDataset, type DatasetBlob } from "../../core/dataset/formats/blob-dataset.ts";
import { hashContainerSamples } from "../../core/dataset/formats/containers.ts";
import { toHex } from "../../core/hex.ts";
import { writeShard } from "../../scripts/lib/shards.ts";

/**
 * The mint page's hashing of a WebDataset or Parquet dataset from Blobs gives the same sample hashes, in the same
 * order, as the CLI's from disk: files of the encoding only, in byte order of their paths; a key split between
 * shards refused.
 */
describe("hashing a WebDataset or Parquet dataset from Blobs (the mint page's path)", () => {
  let dir: string;
  const blobsOf = (paths: string[]): DatasetBlob[] => paths.map((p) => ({ path: p, blob: new Blob([readFileSync(join(dir, p))]) }));
  const hashAll = async (blobs: DatasetBlob[], encoding: "webdataset" | "parquet") => {
    const out: string[] = [];
    const r = await hashBlobDataset(blobs, encoding, (d) => out.push(toHex(d)));
    return { ...r, hashes: out };
  };
  const cliHashes = async (path: string, encoding: "webdataset" | "parquet") => {
    const r = await hashContainerSamples(path, encoding);
    return Array.from({ length: r.total }, (_, i) => toHex(r.hashes.subarray(i * 32, i * 32 + 32)));
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "provenant-blob-dataset-"));
    for (const [s, keys] of [
      ["b-shard.tar", [3, 4, 5]],
      ["a-shard.tar", [0, 1, 2]],
    ] as const) {
      await writeShard(
        join(dir, "wds", s),
        keys.flatMap((k) => [
          { name: `${k}.jpg`, bytes: `pixels ${k}` },
          { name: `${k}.txt`, bytes: `caption ${k}` },
        ]),
      );
    }
    writeFileSync(join(dir, "wds", "README.md"), "not a shard");
    mkdirSync(join(dir, "hf", "data"), { recursive: true });
    const texts = Array.from({ length: 7 }, (_, i) => `row ${i}`);
    writeFileSync(
      join(dir, "hf", "data", "train-00000-of-00001.parquet"),
      new Uint8Array(parquetWriteBuffer({ rowGroupSize: 3, columnData: [{ name: "text", data: texts, type: "STRING" }] }) as unknown as ArrayBuffer),
    );
    writeFileSync(join(dir, "hf", "README.md"), "card");
  });

  after(() => rmSync(dir, { recursive: true, force: true }));

  it("gives the CLI's sample hashes in the CLI's order for shards picked in another order, the README skipped", async () => {
    const r = await hashAll(blobsOf(["wds/b-shard.tar", "wds/README.md", "wds/a-shard.tar"]), "webdataset");
    expect(r.hashes).to.deep.equal(await cliHashes(join(dir, "wds"), "webdataset"));
    expect(r).to.include({ total: 6, otherFiles: 1 });
  });

  it("gives the CLI's row hashes for a Hugging Face folder, across row groups", async () => {
    const r = await hashAll(blobsOf(["hf/README.md", "hf/data/train-00000-of-00001.parquet"]), "parquet");
    expect(r.hashes).to.deep.equal(await cliHashes(join(dir, "hf"), "parquet"));
    expect(r).to.include({ total: 7, otherFiles: 1 });
  });

  it("refuses a key split between two shards, as the CLI does, and a set with no sample", async () => {
    await writeShard(join(dir, "split", "a.tar"), [{ name: "7.jpg", bytes: "x" }]);
    await writeShard(join(dir, "split", "b.tar"), [{ name: "7.txt", bytes: "y" }]);
    const refusal = (paths: string[]) =>
      hashAll(blobsOf(paths), "webdataset").then(
        () => null,
        (e: Error) => e.message,
      );
    expect(await refusal(["split/a.tar", "split/b.tar"])).to.match(/key "7" is split between split\/a\.tar and split\/b\.tar/);
    expect(await refusal(["wds/README.md"])).to.contain("has no samples");
  });
});
