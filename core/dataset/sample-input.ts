/**
 * What a user hands `provenant prove` as the sample, hashed in its dataset's encoding: the canonical bytes of one
 * sample given on its own (encodings-v1 and -v2). Node-side: reads the files named.
 */
import { readFileSync, statSync } from "node:fs";
import { hash } from "node:crypto";
import { basename } from "node:path";
import { InputError } from "../errors.ts";
import { parseHex32 } from "../hex.ts";
import { ENCODING_TABLE, encodingOfName, type BrowserEncoding, type Encoding } from "./encoding-table.ts";
import { canonicalSample, hashFile, inputError, newScratch } from "./encodings.ts";
import { fileSource, nodeCompressors } from "./formats/containers.ts";
import { parquetRowBytes } from "./formats/single-sample.ts";
import { canonicalRowFromJson } from "./formats/canonical-json.ts";
import { hashShard } from "./formats/tar-shard.ts";
import { sampleFromMembers } from "./formats/webdataset.ts";

/**
 * The sample as given: one file; several files (a WebDataset sample's members); a literal record (a JSONL line);
 * a Parquet row as JSON, or by index in a Parquet file; or the sample's SHA-256.
 */
export type SampleInput =
  | { file: string }
  | { files: string[] }
  | { text: string }
  | { rowJson: string }
  | { row: number; file: string }
  | { hash: string };

const sha256 = (b: Uint8Array) => hash("sha256", b, "buffer") as unknown as Buffer;

/** Refuses a path that is missing or not a regular file, in one line. */
function checkFile(path: string): void {
  let st;
  try {
    st = statSync(path);
  } catch (e) {
    throw inputError(path, e);
  }
  if (!st.isFile()) throw new InputError("INPUT_INVALID", `${path} is not a file`);
}

function readWhole(path: string): Buffer {
  checkFile(path);
  try {
    return readFileSync(path);
  } catch (e) {
    throw inputError(path, e);
  }
}

const wrong = (given: string, encoding: Encoding, use: string) =>
  new InputError("INPUT_INVALID", `${given} does not fit a ${encoding} dataset: ${use}`);

const USE: Record<Encoding, string> = {
  files: "give the sample as one file",
  jsonl: "give one record as a file or --text",
  csv: "give one record as a file or --text",
  webdataset: "give the sample's member files (000123.jpg 000123.txt), or a .tar holding just that key",
  parquet: "give --row-json '<the row as JSON>', or --row <index> with the .parquet file",
};

/** The SHA-256 the dataset's Merkle tree would hold for this sample. */
export async function sampleHashOf(input: SampleInput, encoding: Encoding): Promise<Uint8Array> {
  if ("hash" in input) return parseHex32(input.hash, "--hash");
  const v1 = ENCODING_TABLE[encoding].since === 1;
  if ("text" in input) {
    if (!v1) throw wrong("--text", encoding, USE[encoding]);
    return sha256(canonicalSample(new TextEncoder().encode(input.text), encoding as BrowserEncoding));
  }
  if ("rowJson" in input) {
    if (encoding !== "parquet") throw wrong("--row-json", encoding, USE[encoding]);
    return sha256(canonicalRowFromJson(input.rowJson));
  }
  if ("row" in input) {
    if (encoding !== "parquet") throw wrong("--row", encoding, USE[encoding]);
    const src = fileSource(input.file, input.file);
    try {
      return sha256(await parquetRowBytes(src, input.row, nodeCompressors));
    } finally {
      src.close();
    }
  }
  const files = "files" in input ? input.files : [input.file];
  if (encoding === "webdataset") return webdatasetSampleHash(files);
  if (files.length !== 1) throw wrong(`${files.length} files`, encoding, USE[encoding]);
  if (encoding === "parquet") throw wrong(files[0], encoding, USE[encoding]);
  return sha256(canonicalSample(readWhole(files[0]), encoding as BrowserEncoding));
}

/** A WebDataset sample from its member files, or from a shard holding exactly one key. */
async function webdatasetSampleHash(files: string[]): Promise<Uint8Array> {
  if (files.length === 1 && encodingOfName(files[0]) === "webdataset") {
    checkFile(files[0]);
    const digests: Uint8Array[] = [];
    await hashShard(files[0], files[0], (d) => digests.push(d));
    if (digests.length !== 1) throw new InputError("INPUT_INVALID", `${files[0]} holds ${digests.length} samples: give a .tar holding just the one key to prove`);
    return digests[0];
  }
  const scratch = newScratch();
  const members = files.map((f) => {
    checkFile(f);
    return { name: Buffer.from(basename(f)).toString("latin1"), digest: hashFile(f, scratch) };
  });
  return sha256(sampleFromMembers(members));
}
