/**
 * What a user hands `provenant prove` as the sample, hashed in its dataset's encoding (encodings-v1 and -v2):
 * the rules are core/dataset/formats/single-sample.ts's, shared with the dApp; this file reads the paths named,
 * with node:fs.
 */
import { readFileSync, statSync } from "node:fs";
import type { Encoding } from "../core/dataset/encoding-table.ts";
import { hashFile, inputError, newScratch } from "../core/dataset/encodings.ts";
import { givenSampleHash, type GivenFile, type GivenSample } from "../core/dataset/formats/single-sample.ts";
import { InputError } from "../core/errors.ts";
import { parseLooseHex32, toHex } from "../core/hex.ts";

/** The sample as given, files by path (formats/single-sample.ts GivenSample). */
export type SampleInput = GivenSample<string>;

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

/** A path as a GivenFile: checked to be a regular file when the rules first read it. */
function pathFile(path: string): GivenFile {
  return {
    name: path,
    async bytes() {
      checkFile(path);
      try {
        return readFileSync(path);
      } catch (e) {
        throw inputError(path, e);
      }
    },
    async digest() {
      checkFile(path);
      return hashFile(path, newScratch());
    },
    async open() {
      checkFile(path);
      return (await import("../core/dataset/formats/containers.ts")).fileSource(path, path);
    },
    async shardSamples() {
      checkFile(path);
      const digests: Uint8Array[] = [];
      await (await import("../core/dataset/formats/tar-shard.ts")).hashShard(path, path, (d) => digests.push(d));
      return digests;
    },
  };
}

/** The sample's flags, as `prove` and `check-sample` take them. */
export interface SampleFlags {
  text?: string;
  rowJson?: string;
  row?: string;
  hash?: string;
}

/** The one sample the arguments and flags give: files, --text, --row-json, --row with a file, or --hash. */
export function sampleInput(files: string[], opts: SampleFlags): SampleInput {
  if (opts.row !== undefined) {
    if (!/^(0|[1-9][0-9]*)$/.test(opts.row)) throw new InputError("INPUT_INVALID", `--row must be a row index (0, 1, ...), got "${opts.row}"`);
    if (files.length !== 1 || opts.text !== undefined || opts.rowJson !== undefined || opts.hash !== undefined) {
      throw new InputError("INPUT_INVALID", "--row takes exactly one .parquet file and no other sample");
    }
    return { row: Number(opts.row), file: files[0] };
  }
  const given = [files.length > 0 ? files : undefined, opts.text, opts.rowJson, opts.hash].filter((v) => v !== undefined).length;
  if (given !== 1) throw new InputError("INPUT_INVALID", "give exactly one sample: file(s), --text, --row-json, --row with a file, or --hash");
  if (files.length > 0) return files.length === 1 ? { file: files[0] } : { files };
  if (opts.text !== undefined) return { text: opts.text };
  if (opts.rowJson !== undefined) return { rowJson: opts.rowJson };
  // A hash as sha256sum prints it (bare hex, spaces around, a file name after) is taken as well as 0x-hex.
  return { hash: toHex(parseLooseHex32(opts.hash!, "--hash")) };
}

/** The sample with its paths as files the library reads (formats/single-sample.ts GivenFile). */
export function givenOfInput(input: SampleInput): GivenSample {
  return "files" in input ? { files: input.files.map(pathFile) } : "file" in input ? { ...input, file: pathFile(input.file) } : input;
}

/**
 * The SHA-256 the dataset's Merkle tree would hold for this sample. The Parquet and tar readers load only for the
 * samples that need them: most proofs are of a file or a record, and start-up is most of their time.
 */
export async function sampleHashOf(input: SampleInput, encoding: Encoding): Promise<Uint8Array> {
  const decompressors = "row" in input ? (await import("../core/dataset/formats/containers.ts")).nodeCompressors : undefined;
  return givenSampleHash(givenOfInput(input), encoding, decompressors);
}
