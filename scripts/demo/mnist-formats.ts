/**
 * The MNIST digits as the formats datasets ship in, from the PNG folder (mnist-png.ts), byte for byte the same
 * images: WebDataset shards (a sample is `<digit>-<nnnn>.png` and its label `<digit>-<nnnn>.cls`) and a Parquet table
 * in a Hugging Face layout (`data/test-00000-of-00001.parquet`, columns `image` {bytes, path} and `label`, as the
 * Hub's MNIST has them).
 */
import { readdirSync, readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import * as arrow from "apache-arrow";
import { writeShard, type MemberSpec } from "../lib/shards.ts";
import { writeParquet } from "../lib/parquet-tables.ts";

export interface Digit {
  key: string;
  label: number;
  png: Buffer;
}

/** Every digit of the PNG folder, in label then file name order. */
export function readDigits(pngDir: string): Digit[] {
  const out: Digit[] = [];
  for (let d = 0; d <= 9; d++) {
    for (const f of readdirSync(join(pngDir, String(d)))
      .filter((n) => n.endsWith(".png"))
      .sort()) {
      out.push({ key: f.slice(0, -".png".length), label: d, png: readFileSync(join(pngDir, String(d), f)) });
    }
  }
  return out;
}

/** Writes the digits as `shards` WebDataset shards; returns the shard paths. */
export async function writeMnistShards(digits: Digit[], dir: string, shards = 4): Promise<string[]> {
  const per = Math.ceil(digits.length / shards);
  const paths: string[] = [];
  for (let s = 0; s < shards; s++) {
    const members: MemberSpec[] = digits.slice(s * per, (s + 1) * per).flatMap((d) => [
      { name: `${d.key}.png`, bytes: d.png },
      { name: `${d.key}.cls`, bytes: String(d.label) },
    ]);
    const path = join(dir, `mnist-${String(s).padStart(5, "0")}.tar`);
    await writeShard(path, members);
    paths.push(path);
  }
  return paths;
}

/** Writes the digits as a Hugging Face dataset folder of one split, `test`; returns the Parquet file's path. */
export function writeMnistParquet(digits: Digit[], dir: string): string {
  const image = new arrow.Struct([new arrow.Field("bytes", new arrow.Binary(), true), new arrow.Field("path", new arrow.Utf8(), true)]);
  const table = new arrow.Table({
    image: arrow.vectorFromArray(
      digits.map((d) => ({ bytes: new Uint8Array(d.png), path: null })),
      image,
    ),
    label: arrow.vectorFromArray(
      digits.map((d) => BigInt(d.label)),
      new arrow.Int64(),
    ),
  });
  mkdirSync(join(dir, "data"), { recursive: true });
  writeFileSync(join(dir, "README.md"), "---\nlicense: cc-by-sa-3.0\n---\n# MNIST test digits (demo)\n");
  const path = join(dir, "data", "test-00000-of-00001.parquet");
  writeFileSync(path, writeParquet(table, { rowGroupSize: 1000 }));
  return path;
}
