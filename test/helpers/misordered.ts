// Commitments a dishonest publisher can make by calling DatasetRegistry.mint directly: leaves stored and
// committed in any order, with a well-formed shard index and manifest. The honest tools never write these.
import { createHash } from "node:crypto";
import type { Contract } from "ethers";
import { storeIndexAndManifest, type StoredDataset } from "../../core/dataset/commit.ts";
import { ShardWriter } from "../../core/dataset/shard-writer.ts";
import { sortUniqueHashes } from "../../core/dataset/sort-unique.ts";
import { toHex } from "../../core/hex.ts";
import type { ContentStore } from "../../core/storage/store.ts";
import { manifestCidBytes } from "../../core/chain/manifest-cid.ts";

/** `count` distinct sample hashes, sorted: honest merkle-v1 leaves. */
export function sortedHashes(count: number, salt = "leaf"): Uint8Array {
  const raw = new Uint8Array(count * 32);
  for (let i = 0; i < count; i++) raw.set(createHash("sha256").update(`${salt}/${i}`).digest(), i * 32);
  const leaves = sortUniqueHashes(raw);
  if (leaves.length !== raw.length) throw new Error("sortedHashes: a SHA-256 collision");
  return leaves;
}

export function leafAt(leaves: Uint8Array, i: number): Uint8Array {
  return leaves.slice(i * 32, i * 32 + 32);
}

/** A copy of `leaves` with leaves `i` and `j` swapped. */
export function swapped(leaves: Uint8Array, i: number, j: number): Uint8Array {
  const out = leaves.slice();
  out.set(leaves.subarray(j * 32, j * 32 + 32), i * 32);
  out.set(leaves.subarray(i * 32, i * 32 + 32), j * 32);
  return out;
}

/**
 * Stores `leaves` as they are, in any order, as shards, index and manifest. One push: ShardWriter only checks
 * order between pushes, to catch a broken merge in the honest pipeline.
 */
export async function storeLeavesAsGiven(store: ContentStore, leaves: Uint8Array, name = "misordered"): Promise<StoredDataset> {
  const writer = new ShardWriter(store);
  await writer.push(leaves);
  const tree = await writer.finish();
  return storeIndexAndManifest(
    tree,
    store,
    { name, license: "CC0-1.0" },
    {
      encoding: "jsonl",
      totalSamples: tree.n,
      skipped: { hidden: 0, symlinks: 0, other: 0, emptyRecords: 0 },
      bytes: 0,
    },
  );
}

/** Mints a stored commitment with the registry contract directly, as any account can. Returns the token id. */
export async function mintDirectly(
  registry: Contract,
  stored: { root: Uint8Array; manifest: { n: number; totalSamples: number; encoding: string; license: string | null }; manifestCid: string },
): Promise<bigint> {
  const tx = await registry.mint({
    root: toHex(stored.root),
    n: stored.manifest.n,
    totalSamples: stored.manifest.totalSamples,
    previousVersion: 0,
    encoding: stored.manifest.encoding,
    manifestCid: manifestCidBytes(stored.manifestCid),
    license: stored.manifest.license ?? "",
  });
  const receipt = await tx.wait();
  for (const log of receipt.logs) {
    const parsed = registry.interface.parseLog(log);
    if (parsed?.name === "DatasetMinted") return parsed.args.id as bigint;
  }
  throw new Error("mintDirectly: no DatasetMinted event");
}
