import { FormatError } from "../errors.ts";
import { cidFromBytes, cidToBytes } from "../storage/cid.ts";

/**
 * provenant-shard-index-v1: the binary index that lets a prover read one shard instead of every leaf.
 *   header (64 bytes): magic "PVNTIDX1" | shardSize u32 | shardCount u32 | n u64 | root 32 | 8 zero bytes
 *   entries (shardCount x 100 bytes): first leaf 32 | shard root 32 | shard CID 36 (CIDv1, SHA-256)
 * All integers big-endian. 1B leaves make 15,259 shards: a 1.5 MiB index.
 */
export const SHARD_SIZE = 65_536;
const MAGIC = new TextEncoder().encode("PVNTIDX1");
const HEADER = 64;
const ENTRY = 100;

/** The size of the index of `shardCount` shards: what a reader expects, to the byte. */
export const shardIndexBytes = (shardCount: number) => HEADER + shardCount * ENTRY;

/** 64 MiB: the index of about 43 billion samples. A manifest claiming more is not read. */
export const MAX_SHARD_INDEX_BYTES = 64 * 1024 * 1024;
const CID_BYTES = 36;

export interface ShardEntry {
  first: Uint8Array;
  root: Uint8Array;
  cid: string;
}

export interface ShardIndex {
  shardSize: number;
  n: number;
  root: Uint8Array;
  shards: ShardEntry[];
}

export function encodeShardIndex(index: ShardIndex): Uint8Array {
  const out = new Uint8Array(HEADER + index.shards.length * ENTRY);
  const view = new DataView(out.buffer);
  out.set(MAGIC, 0);
  view.setUint32(8, index.shardSize);
  view.setUint32(12, index.shards.length);
  view.setBigUint64(16, BigInt(index.n));
  out.set(index.root, 24);
  index.shards.forEach((s, i) => {
    const at = HEADER + i * ENTRY;
    const cid = cidToBytes(s.cid);
    if (cid.length !== CID_BYTES) throw new RangeError(`shard CID ${s.cid} is not a 36-byte CIDv1`);
    out.set(s.first, at);
    out.set(s.root, at + 32);
    out.set(cid, at + 64);
  });
  return out;
}

/** Parses untrusted index bytes: every length is checked before it is read; trailing bytes are rejected. */
export function decodeShardIndex(bytes: Uint8Array): ShardIndex {
  const bad = (why: string) => new FormatError("MANIFEST_INVALID", `the shard index is not provenant-shard-index-v1: ${why}`);
  const b = bytes;
  if (b.length < HEADER) throw bad(`${b.length} bytes is shorter than its header`);
  if (MAGIC.some((m, i) => b[i] !== m)) throw bad("wrong magic");
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const shardSize = view.getUint32(8);
  const count = view.getUint32(12);
  const n = Number(view.getBigUint64(16));
  if (shardSize !== SHARD_SIZE) throw bad(`shard size ${shardSize}, expected ${SHARD_SIZE}`);
  if (!Number.isSafeInteger(n) || n < 1) throw bad(`leaf count ${n}`);
  if (count !== Math.ceil(n / shardSize)) throw bad(`${count} shards cannot hold ${n} leaves`);
  if (b.length !== HEADER + count * ENTRY) throw bad(`${b.length} bytes, expected ${HEADER + count * ENTRY}`);
  if (b.subarray(56, 64).some((x) => x !== 0)) throw bad("reserved header bytes are not zero");
  const shards: ShardEntry[] = [];
  for (let i = 0; i < count; i++) {
    const at = HEADER + i * ENTRY;
    let cid: string;
    try {
      cid = cidFromBytes(b.subarray(at + 64, at + ENTRY));
    } catch (e) {
      throw bad(`shard ${i} has no valid CID`);
    }
    shards.push({ first: b.slice(at, at + 32), root: b.slice(at + 32, at + 64), cid });
  }
  return { shardSize, n, root: b.slice(24, 56), shards };
}

/** Number of leaves in shard `j` of a dataset of `n` leaves. */
export function shardLength(j: number, n: number, shardSize = SHARD_SIZE): number {
  return Math.min(shardSize, n - j * shardSize);
}
