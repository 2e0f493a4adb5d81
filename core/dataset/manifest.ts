import { FormatError } from "../errors.ts";
import { parseVersionedJson } from "../versioned-json.ts";
import { isHex32, type Hex32 } from "../hex.ts";
import { isTokenId } from "../identifiers.ts";
import { parseCid } from "../storage/cid.ts";
import type { ContentStore } from "../storage/store.ts";
import type { SkippedCounts } from "./encodings.ts";
import { ENCODINGS, isEncoding, type Encoding } from "./encoding-table.ts";
import { SHARD_SIZE } from "./shard-index.ts";

/**
 * provenant-dataset-v1 (docs/formats/dataset-manifest-v1.md). Stored as JSON; its CID is the token URI,
 * and it doubles as ERC-721 metadata (name, description). No timestamps: the same dataset and metadata
 * always give the same manifest CID.
 */
export const DATASET_FORMAT = "provenant-dataset-v1";

/** No valid manifest comes near this (a few hundred bytes plus name and description): readers take no more. */
export const MAX_DATASET_MANIFEST_BYTES = 1024 * 1024;

export interface DatasetManifest {
  format: typeof DATASET_FORMAT;
  name: string;
  description: string;
  license: string | null;
  encoding: Encoding;
  commitment: "merkle-v1";
  root: Hex32;
  n: number;
  totalSamples: number;
  duplicateSamples: number;
  skipped: SkippedCounts;
  bytes: number;
  shardSize: number;
  shardCount: number;
  index: string;
  previousVersion: string | null;
}

export function encodeManifest(m: DatasetManifest): Uint8Array {
  return new TextEncoder().encode(`${JSON.stringify(m, null, 2)}\n`);
}

/** Parses and validates untrusted manifest bytes; every failure names the field. */
export function decodeManifest(bytes: Uint8Array, where = "the manifest"): DatasetManifest {
  if (bytes.length > MAX_DATASET_MANIFEST_BYTES) {
    throw new FormatError("MANIFEST_INVALID", `${where} is ${bytes.length} bytes, more than a manifest can be (${MAX_DATASET_MANIFEST_BYTES})`);
  }
  const { value: m, bad } = parseVersionedJson(bytes, where, DATASET_FORMAT);
  const count = (k: string, min: number) => {
    const v = m[k];
    if (typeof v !== "number" || !Number.isSafeInteger(v) || v < min) throw bad(`${k} must be an integer >= ${min}`);
    return v;
  };
  if (typeof m.name !== "string") throw bad("name must be a string");
  if (typeof m.description !== "string") throw bad("description must be a string");
  if (m.license !== null && typeof m.license !== "string") throw bad("license must be a string or null");
  if (!isEncoding(m.encoding)) throw bad(`encoding must be one of ${ENCODINGS.join(", ")}`);
  if (m.commitment !== "merkle-v1") throw bad("commitment must be merkle-v1");
  if (!isHex32(m.root)) throw bad("root must be a 0x-prefixed 32-byte hex string");
  const n = count("n", 1);
  const total = count("totalSamples", n);
  if (count("duplicateSamples", 0) !== total - n) throw bad("duplicateSamples must equal totalSamples - n");
  count("bytes", 0);
  if (count("shardSize", 1) !== SHARD_SIZE) throw bad(`shardSize must be ${SHARD_SIZE}`);
  if (count("shardCount", 1) !== Math.ceil(n / SHARD_SIZE)) throw bad("shardCount does not match n");
  const skipped = m.skipped as Record<string, unknown> | undefined;
  for (const k of ["hidden", "symlinks", "other", "emptyRecords"]) {
    if (!skipped || typeof skipped[k] !== "number") throw bad(`skipped.${k} must be a number`);
  }
  m.index = parseCid(m.index, "index");
  if (m.previousVersion !== null && !isTokenId(m.previousVersion)) {
    throw bad("previousVersion must be a token id string or null");
  }
  return m as unknown as DatasetManifest;
}

/** Reads and validates a stored dataset manifest, taking no more bytes than a manifest can be. */
export async function readDatasetManifest(store: ContentStore, cid: string, where = `manifest ${cid}`): Promise<DatasetManifest> {
  return decodeManifest(await store.get(cid, { maxBytes: MAX_DATASET_MANIFEST_BYTES, what: "dataset manifest" }), where);
}
