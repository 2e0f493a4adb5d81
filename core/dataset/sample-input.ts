/**
 * What a user hands `provenant prove` as the sample, hashed in its dataset's encoding: the canonical bytes of one
 * sample given on its own (encodings-v1 and -v2). Node-side: reads the files named.
 */
import { readFileSync, statSync } from "node:fs";
import { basename } from "node:path";
import { InputError, type ErrorHint } from "../errors.ts";
import { parseHex32 } from "../hex.ts";
import { ENCODING_TABLE, encodingOfName, type BrowserEncoding, type Encoding } from "./encoding-table.ts";
import { hashFile, inputError, newScratch } from "./encodings.ts";
import { sampleHash, sha256Sync, textSampleHash } from "./sample-hash.ts";
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

/** How each encoding takes one sample, in the library's words; the hints name the inputs that fit (cli/output.ts words them). */
const USE: Record<Encoding, { words: string; hints: ErrorHint[] }> = {
  files: { words: "give the sample as one file", hints: [{ remedy: "sampleFile" }] },
  jsonl: { words: "give one record, as a one-record file or as text", hints: [{ remedy: "sampleFile" }, { remedy: "sampleText" }] },
  csv: { words: "give one record, as a one-record file or as text", hints: [{ remedy: "sampleFile" }, { remedy: "sampleText" }] },
  webdataset: { words: "give the sample's member files (000123.jpg 000123.txt), or a .tar holding just that key", hints: [{ remedy: "sampleMembers" }] },
  parquet: { words: "give the row as JSON, or a .parquet file and the row's index in it", hints: [{ remedy: "sampleRowJson" }, { remedy: "sampleRow" }] },
};

/** `given` names what the user handed in ("a literal record", "2 files"). */
const wrong = (given: string, encoding: Encoding) =>
  new InputError("INPUT_INVALID", `a sample given as ${given} does not fit a ${encoding} dataset: ${USE[encoding].words}`, { hints: USE[encoding].hints });

/** The SHA-256 the dataset's Merkle tree would hold for this sample. */
export async function sampleHashOf(input: SampleInput, encoding: Encoding): Promise<Uint8Array> {
  if ("hash" in input) return parseHex32(input.hash, "the sample hash");
  const v1 = ENCODING_TABLE[encoding].since === 1;
  if ("text" in input) {
    if (!v1) throw wrong("a literal record", encoding);
    return textSampleHash(input.text, encoding as BrowserEncoding);
  }
  if ("rowJson" in input) {
    if (encoding !== "parquet") throw wrong("a JSON row", encoding);
    return sha256Sync(canonicalRowFromJson(input.rowJson));
  }
  if ("row" in input) {
    if (encoding !== "parquet") throw wrong("a row index", encoding);
    const src = fileSource(input.file, input.file);
    try {
      return sha256Sync(await parquetRowBytes(src, input.row, nodeCompressors));
    } finally {
      src.close();
    }
  }
  const files = "files" in input ? input.files : [input.file];
  if (encoding === "webdataset") return webdatasetSampleHash(files);
  if (files.length !== 1) throw wrong(`${files.length} files`, encoding);
  if (encoding === "parquet") throw wrong(`one file (${files[0]})`, encoding);
  return sampleHash(readWhole(files[0]), encoding as BrowserEncoding);
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
  return sha256Sync(sampleFromMembers(members));
}
