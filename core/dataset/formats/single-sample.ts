/**
 * One encodings-v2 sample given on its own, hashed exactly as a dataset's sample is (what `provenant prove` and,
 * later, the dApp take): a WebDataset sample as its member files, a Parquet row pasted as JSON or picked by index
 * from a file. Browser-safe: no node:* imports; bytes come in as arrays or through a ByteSource (a File).
 */
import type { Compressors } from "hyparquet";
import { InputError } from "../../errors.ts";
import { sha256 } from "../sample-hash.ts";
import { canonicalRowFromJson, ByteWriter } from "./canonical-json.ts";
import { openParquet, readRowGroup, rowGroupStart, type ByteSource } from "./parquet-rows.ts";
import { sampleFromMembers, utf8ByteString } from "./webdataset.ts";

/** A WebDataset sample from its member files (names as typed: "000123.jpg"), each hashed whole. */
export async function webdatasetSampleHash(members: ReadonlyArray<{ name: string; bytes: Uint8Array }>): Promise<Uint8Array> {
  const digests = await Promise.all(members.map(async (m) => ({ name: utf8ByteString(m.name), digest: await sha256(m.bytes) })));
  return sha256(sampleFromMembers(digests));
}

/** A Parquet row pasted as JSON, in the canonical form of docs/formats/encodings-v2.md (members in any order). */
export function parquetRowJsonHash(text: string): Promise<Uint8Array> {
  return sha256(canonicalRowFromJson(text));
}

/** The canonical bytes of row `index` (from 0, across row groups) of a Parquet file. */
export async function parquetRowBytes(src: ByteSource, index: number, decompressors?: Compressors): Promise<Uint8Array> {
  const { metadata, schema } = await openParquet(src);
  const rows = Number(metadata.num_rows);
  if (!Number.isSafeInteger(index) || index < 0 || index >= rows) {
    throw new InputError("INPUT_INVALID", `${src.name} has ${rows} rows (0 to ${rows - 1}): there is no row ${index}`);
  }
  let g = 0;
  while (rowGroupStart(metadata, g + 1) <= index) g++;
  let out: Uint8Array | null = null;
  await readRowGroup(src, metadata, schema, g, {
    compressors: decompressors,
    writer: new ByteWriter(),
    skip: index - rowGroupStart(metadata, g),
    limit: 1,
    onRow: (w) => (out = w.result().slice()),
  });
  if (!out) throw new InputError("INPUT_INVALID", `${src.name}: row ${index} could not be read`);
  return out;
}
