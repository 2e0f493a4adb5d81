/**
 * What a user hands `provenant prove` as the sample, hashed in its dataset's encoding (encodings-v1 and -v2):
 * the rules are core/dataset/formats/single-sample.ts's, shared with the dApp; this file reads the paths named,
 * with node:fs.
 */
import { readFileSync, statSync } from "node:fs";
import type { Encoding } from "../core/dataset/encoding-table.ts";
import { hashFile, inputError, newScratch } from "../core/dataset/encodings.ts";
import { fileSource, nodeCompressors } from "../core/dataset/formats/containers.ts";
import { givenSampleHash, type GivenFile, type GivenSample } from "../core/dataset/formats/single-sample.ts";
import { hashShard } from "../core/dataset/formats/tar-shard.ts";
import { InputError } from "../core/errors.ts";

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
      return fileSource(path, path);
    },
    async shardSamples() {
      checkFile(path);
      const digests: Uint8Array[] = [];
      await hashShard(path, path, (d) => digests.push(d));
      return digests;
    },
  };
}

/** The SHA-256 the dataset's Merkle tree would hold for this sample. */
export function sampleHashOf(input: SampleInput, encoding: Encoding): Promise<Uint8Array> {
  const given: GivenSample = "files" in input ? { files: input.files.map(pathFile) } : "file" in input ? { ...input, file: pathFile(input.file) } : input;
  return givenSampleHash(given, encoding, nodeCompressors);
}
