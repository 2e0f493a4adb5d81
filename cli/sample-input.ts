import { readFileSync, statSync } from "node:fs";
import { inputError, type Encoding } from "../core/dataset/encodings.ts";
import { sampleHash, textSampleHash } from "../core/dataset/sample-hash.ts";
import { InputError } from "../core/errors.ts";
import { parseHex32 } from "../core/hex.ts";

/** What the user handed `prove`: a file, a literal record (a JSONL line), or a sample hash. */
export type SampleInput = { file: string } | { text: string } | { hash: string };

/** The sample hash of what the user gave: SHA-256 of the sample's canonical bytes, or the hash itself. */
export function sampleHashOf(input: SampleInput, encoding: Encoding): Uint8Array {
  if ("hash" in input) return parseHex32(input.hash, "--hash");
  if ("text" in input) return textSampleHash(input.text, encoding);
  let bytes: Buffer;
  try {
    if (!statSync(input.file).isFile()) throw new InputError("INPUT_INVALID", `${input.file} is not a file`);
    bytes = readFileSync(input.file);
  } catch (e) {
    if (e instanceof InputError) throw e;
    throw inputError(input.file, e);
  }
  return sampleHash(bytes, encoding);
}
