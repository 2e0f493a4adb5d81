import { hash } from "node:crypto";
import { toHex, type Hex32 } from "../hex.ts";
import { comparePaths } from "./paths.ts";

/**
 * One resource of a model manifest: the bytes `[start, end)` of one weight file and their SHA-256.
 * A file of `size` bytes is the resources `[0, s), [s, 2s), ...` for the shard size `s`, the last one shorter.
 */
export interface WeightResource {
  path: string;
  start: number;
  end: number;
  digest: Hex32;
}

/** Domain separation prefix of the weights digest: the format name and a zero byte. */
export const WEIGHTS_DIGEST_DOMAIN = "provenant-model-v1\u0000";

const sha256 = (data: Uint8Array) => hash("sha256", data, "buffer") as unknown as Buffer;

/** Manifest order: by path (see comparePaths), then by start offset. */
export function compareResources(a: WeightResource, b: WeightResource): number {
  return comparePaths(a.path, b.path) || a.start - b.start;
}

/**
 * The weights digest (docs/formats/model-manifest-v1.md), the value registered on-chain:
 *   SHA-256( "provenant-model-v1" 0x00 ‖ u64be(k) ‖ E_1 ‖ … ‖ E_k ),
 *   E_i = u32be(len(path_i)) ‖ UTF-8(path_i) ‖ u64be(start_i) ‖ u64be(end_i) ‖ digest_i
 * over the k resources in manifest order. It binds every byte range to its file name.
 */
export function weightsDigestOf(resources: readonly WeightResource[]): Hex32 {
  const parts: Buffer[] = [Buffer.from(WEIGHTS_DIGEST_DOMAIN, "utf8")];
  const count = Buffer.alloc(8);
  count.writeBigUInt64BE(BigInt(resources.length));
  parts.push(count);
  for (const r of resources) {
    const path = Buffer.from(r.path, "utf8");
    const head = Buffer.alloc(4);
    head.writeUInt32BE(path.length);
    const range = Buffer.alloc(16);
    range.writeBigUInt64BE(BigInt(r.start), 0);
    range.writeBigUInt64BE(BigInt(r.end), 8);
    parts.push(head, path, range, Buffer.from(r.digest.slice(2), "hex"));
  }
  return toHex(sha256(Buffer.concat(parts)));
}

/**
 * The subject digest OpenSSF model-signing puts in its in-toto Statement: SHA-256 over the resource digests
 * concatenated in manifest order. It does not bind names; Provenant registers weightsDigestOf instead.
 */
export function openssfDigestOf(resources: readonly WeightResource[]): Hex32 {
  return toHex(sha256(Buffer.concat(resources.map((r) => Buffer.from(r.digest.slice(2), "hex")))));
}

export interface WeightFileDigest {
  path: string;
  size: number;
  /**
   * The file's SHA-256 when it is one resource (smaller than the shard size); for a file of several shards,
   * SHA-256 over its shard digests in order.
   */
  digest: Hex32;
}

/** Per-file view of resources in manifest order (consecutive resources of one path make one file). */
export function filesOf(resources: readonly WeightResource[]): WeightFileDigest[] {
  const files: WeightFileDigest[] = [];
  for (let i = 0; i < resources.length;) {
    let j = i;
    while (j < resources.length && resources[j].path === resources[i].path) j++;
    const shards = resources.slice(i, j);
    files.push({
      path: resources[i].path,
      size: shards[shards.length - 1].end,
      digest: shards.length === 1 ? shards[0].digest : openssfDigestOf(shards),
    });
    i = j;
  }
  return files;
}
