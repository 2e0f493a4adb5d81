import { FormatError } from "../errors.ts";
import { parseVersionedJson } from "../versioned-json.ts";
import { isHex32, type Hex32 } from "../hex.ts";
import { compareResources, weightsDigestOf, type WeightResource } from "./digest.ts";
import { checkRelativePath } from "./paths.ts";
import type { ContentStore } from "../storage/store.ts";
import { RECORD_FORMAT, validateRecord, type DeclaredRecord } from "./record.ts";

/**
 * provenant-model-v1 (docs/formats/model-manifest-v1.md): the weights, resource by resource, and the model's
 * declared record. Stored as JSON; its CID is the token URI, and it doubles as ERC-721 metadata (name,
 * description). `weights.digest` is the value registered on-chain. No timestamps: the same weights and
 * record always give the same manifest CID.
 */
export const MODEL_FORMAT = "provenant-model-v1";

export interface WeightsSerialization {
  method: "shards";
  hashType: "sha256";
  /** Bytes per shard; Provenant writes 1,000,000,000 (model-signing's default). */
  shardSize: number;
}

export interface ModelManifest {
  format: typeof MODEL_FORMAT;
  /** ERC-721 metadata: the record's name and version. */
  name: string;
  /** ERC-721 metadata: the effective description at registration ("" when none). */
  description: string;
  weights: {
    serialization: WeightsSerialization;
    digest: Hex32;
    bytes: number;
    resources: WeightResource[];
    /** Hidden entries (".git", ".gitattributes", ...) left out of the weights. */
    hidden: string[];
    /** Empty files: no bytes, no resource (as in model-signing's shard serialization). */
    empty: string[];
  };
  record: DeclaredRecord;
}

export function encodeModelManifest(m: ModelManifest): Uint8Array {
  return new TextEncoder().encode(`${JSON.stringify(m, null, 2)}\n`);
}

const MAX_RESOURCES = 1_000_000;

/** MAX_RESOURCES resources at a couple of hundred bytes each, and room to spare: readers take no more. */
export const MAX_MODEL_MANIFEST_BYTES = 256 * 1024 * 1024;

/**
 * Checks that resources are in manifest order, that each file is cut into consecutive shards of exactly
 * `shardSize` bytes from offset 0 (the last one 1..shardSize bytes), and that no resource repeats.
 * Returns the total size. Throws MANIFEST_INVALID naming the resource.
 */
export function checkResources(resources: readonly WeightResource[], shardSize: number, where: string): number {
  const bad = (i: number, why: string) => new FormatError("MANIFEST_INVALID", `${where} is invalid: resource ${i} ${why}`);
  let bytes = 0;
  for (let i = 0; i < resources.length; i++) {
    const r = resources[i];
    if (typeof r !== "object" || r === null) throw bad(i, "is not an object");
    checkRelativePath(r.path, `${where}: resource ${i} path`);
    if (!Number.isSafeInteger(r.start) || !Number.isSafeInteger(r.end) || r.start < 0 || r.end <= r.start) {
      throw bad(i, `has the byte range ${r.start}..${r.end}`);
    }
    if (!isHex32(r.digest) || r.digest !== r.digest.toLowerCase()) throw bad(i, "digest must be lowercase 0x-prefixed 32-byte hex");
    const prev = i > 0 ? resources[i - 1] : null;
    const continues = prev !== null && prev.path === r.path;
    if (r.start !== (continues ? prev.end : 0)) throw bad(i, `of ${r.path} starts at ${r.start}, not where the previous shard ends`);
    if (continues && prev.end - prev.start !== shardSize) throw bad(i - 1, `of ${r.path} is not the last shard but is not ${shardSize} bytes`);
    if (r.end - r.start > shardSize) throw bad(i, `of ${r.path} is longer than the shard size ${shardSize}`);
    if (prev !== null && compareResources(prev, r) >= 0) throw bad(i, `(${r.path}) is out of order or repeated`);
    bytes += r.end - r.start;
  }
  return bytes;
}

/** Parses and validates untrusted manifest bytes; every failure names the field. */
export function decodeModelManifest(bytes: Uint8Array, where = "the model manifest"): ModelManifest {
  if (bytes.length > MAX_MODEL_MANIFEST_BYTES) throw new FormatError("MANIFEST_INVALID", `${where} is ${bytes.length} bytes, more than a model manifest can be`);
  const { value: m, bad } = parseVersionedJson(bytes, where, MODEL_FORMAT);
  if (typeof m.name !== "string") throw bad("name must be a string");
  if (typeof m.description !== "string") throw bad("description must be a string");
  const w = m.weights as Record<string, unknown> | undefined;
  if (typeof w !== "object" || w === null || Array.isArray(w)) throw bad("weights must be an object");
  const s = w.serialization as Record<string, unknown> | undefined;
  if (typeof s !== "object" || s === null) throw bad("weights.serialization must be an object");
  if (s.method !== "shards") throw bad(`weights.serialization.method ${JSON.stringify(s.method)} is not "shards"`);
  if (s.hashType !== "sha256") throw bad(`weights.serialization.hashType ${JSON.stringify(s.hashType)} is not "sha256"`);
  if (!Number.isSafeInteger(s.shardSize) || (s.shardSize as number) < 1) throw bad("weights.serialization.shardSize must be a positive integer");
  if (!Array.isArray(w.resources) || w.resources.length === 0) throw bad("weights.resources must be a non-empty array");
  if (w.resources.length > MAX_RESOURCES) throw bad(`more than ${MAX_RESOURCES} resources`);
  const resources = w.resources as WeightResource[];
  const total = checkResources(resources, s.shardSize as number, where);
  if (w.bytes !== total) throw bad(`weights.bytes is ${w.bytes} but the resources cover ${total} bytes`);
  for (const k of ["hidden", "empty"] as const) {
    if (!Array.isArray(w[k])) throw bad(`weights.${k} must be an array of paths`);
    (w[k] as unknown[]).forEach((p, i) => checkRelativePath(p, `${where}: weights.${k}[${i}]`));
  }
  if (!isHex32(w.digest)) throw bad("weights.digest must be a 0x-prefixed 32-byte hex string");
  const digest = weightsDigestOf(resources);
  if (digest !== (w.digest as string).toLowerCase()) {
    throw new FormatError("ROOT_MISMATCH", `${where}: its resources hash to ${digest}, not to the weights.digest ${w.digest} it states`);
  }
  if ((m.record as Record<string, unknown> | null)?.format !== RECORD_FORMAT) throw bad(`record.format must be ${RECORD_FORMAT}`);
  try {
    m.record = validateRecord(m.record, `${where}: record`);
  } catch (e) {
    throw new FormatError("MANIFEST_INVALID", (e as Error).message, { cause: e });
  }
  return m as unknown as ModelManifest;
}

/** Reads and validates a stored model manifest, taking no more bytes than one can be. */
export async function readModelManifest(store: ContentStore, cid: string, where = `model manifest ${cid}`): Promise<ModelManifest> {
  return decodeModelManifest(await store.get(cid, { maxBytes: MAX_MODEL_MANIFEST_BYTES, what: "model manifest" }), where);
}
