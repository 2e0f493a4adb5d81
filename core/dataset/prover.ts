import { FormatError, InputError } from "../errors.ts";
import { verifyExclusion, verifyInclusion, type ExclusionProof, type HashPair, type InclusionProof, type LeafProof, type Proof } from "../merkle/verify.ts";
import { buildLevels, firstOrderViolation, proofFromLevels, searchLeaves, type Levels } from "../merkle/tree.ts";
import { bytesEqual, compareBytes, concatBytes, toHex, type Hex32 } from "../hex.ts";
import type { ContentStore } from "../storage/store.ts";
import { MAX_DATASET_MANIFEST_BYTES, decodeManifest, type DatasetManifest } from "./manifest.ts";
import { checkManifestMatchesRecord, type MintedDataset } from "./minted.ts";
import { MAX_SHARD_INDEX_BYTES, decodeShardIndex, shardIndexBytes, shardLength, type ShardIndex } from "./shard-index.ts";

// The proof types are merkle-v1's (core/merkle/verify.ts); the dataset API hands them out.
export type { ExclusionProof, InclusionProof, Proof };

export type { MintedDataset };

/** One shard as read from storage and checked against the index: its leaves and its tree. */
export interface VerifiedShard {
  leaves: Uint8Array;
  levels: Levels;
}

/**
 * Builds proofs for a stored dataset from the manifest, the index and one shard (two shards only when the
 * sample sorts between two shards). Every read is verified: CIDs by the store, shard roots against the index,
 * the index against the manifest's root. Every read is also capped before it starts: the manifest at what a
 * manifest can be, the index and each shard at their exact sizes, so a store cannot make a reader hold more.
 * An exclusion proof is refused when the leaves it relies on are not strictly increasing (the shards it reads, the index's first leaves): over misordered leaves neighbours
 * around a sample prove nothing. A violation in a shard it does not read is `dataset audit`'s to find.
 */
export class DatasetProver {
  readonly manifest: DatasetManifest;
  readonly index: ShardIndex;
  readonly store: ContentStore;
  private readonly topLevels: Levels;
  private readonly shardCache = new Map<number, VerifiedShard>();
  /** Each checked shard's first order violation (-1 for none): shards are immutable, so it is kept. */
  private readonly shardOrder = new Map<number, number>();
  /** First shard whose first leaf is not above the previous shard's, -1 for none; computed on first need. */
  private indexDisorder: number | undefined;
  reads = 0;
  bytesRead = 0;

  private constructor(store: ContentStore, manifest: DatasetManifest, index: ShardIndex, topLevels: Levels) {
    this.store = store;
    this.manifest = manifest;
    this.index = index;
    this.topLevels = topLevels;
  }

  static async open(store: ContentStore, manifestCid: string): Promise<DatasetProver> {
    const manifestBytes = await store.get(manifestCid, { maxBytes: MAX_DATASET_MANIFEST_BYTES, what: "dataset manifest" });
    const manifest = decodeManifest(manifestBytes, `manifest ${manifestCid}`);
    const indexSize = shardIndexBytes(manifest.shardCount);
    if (indexSize > MAX_SHARD_INDEX_BYTES) {
      throw new FormatError(
        "MANIFEST_INVALID",
        `manifest ${manifestCid} claims ${manifest.n} samples: a ${indexSize}-byte shard index, more than a reader takes (${MAX_SHARD_INDEX_BYTES})`,
      );
    }
    const indexBytes = await store.get(manifest.index, { maxBytes: indexSize, what: `shard index of ${manifest.shardCount} shard(s)` });
    const index = decodeShardIndex(indexBytes);
    if (index.n !== manifest.n || toHex(index.root) !== manifest.root) {
      throw new FormatError("ROOT_MISMATCH", `the shard index ${manifest.index} does not belong to manifest ${manifestCid}`);
    }
    const topLevels = buildLevels(concatBytes(index.shards.map((s) => s.root)));
    if (!bytesEqual(topLevels[topLevels.length - 1], index.root)) {
      throw new FormatError("ROOT_MISMATCH", `the shard roots in ${manifest.index} do not hash to the manifest's root ${manifest.root}`);
    }
    const prover = new DatasetProver(store, manifest, index, topLevels);
    prover.reads = 2;
    prover.bytesRead = manifestBytes.length + indexBytes.length;
    return prover;
  }

  /**
   * Opens a minted dataset's stored commitment and checks it is the one on-chain: the manifest's root and leaf
   * count are the record's (and, through open, the index's).
   */
  static async openMinted(record: MintedDataset, store: ContentStore): Promise<DatasetProver> {
    const prover = await DatasetProver.open(store, record.manifestCid);
    checkManifestMatchesRecord(prover.manifest, record);
    return prover;
  }

  get root(): Uint8Array {
    return this.index.root;
  }

  private async shard(j: number): Promise<VerifiedShard> {
    const cached = this.shardCache.get(j);
    if (cached) return cached;
    const loaded = await this.readShard(j);
    this.shardCache.set(j, loaded);
    return loaded;
  }

  /**
   * Shard `j` read from the store (which checks its CID) and checked against its index entry: its length,
   * its first leaf, and its root. Not cached: `dataset audit` streams every shard through this.
   */
  async readShard(j: number): Promise<VerifiedShard> {
    const entry = this.index.shards[j];
    const expected = shardLength(j, this.index.n, this.index.shardSize);
    const leaves = await this.store.get(entry.cid, { maxBytes: expected * 32, what: `shard of ${expected} leaves` });
    this.reads++;
    this.bytesRead += leaves.length;
    if (leaves.length !== expected * 32) {
      throw new FormatError("ROOT_MISMATCH", `shard ${j} (${entry.cid}) holds ${leaves.length / 32} leaves, expected ${expected}`);
    }
    const levels = buildLevels(leaves);
    if (!bytesEqual(levels[levels.length - 1], entry.root) || !bytesEqual(leaves.subarray(0, 32), entry.first)) {
      throw new FormatError("ROOT_MISMATCH", `shard ${j} (${entry.cid}) does not match its entry in the index`);
    }
    return { leaves, levels };
  }

  /** The inclusion proof of the leaf at global `index`. */
  async leafProof(index: number): Promise<LeafProof> {
    if (!Number.isSafeInteger(index) || index < 0 || index >= this.index.n) {
      throw new InputError("INPUT_INVALID", `leaf index ${index} is outside 0..${this.index.n - 1}`);
    }
    const j = Math.floor(index / this.index.shardSize);
    const local = index - j * this.index.shardSize;
    const { leaves, levels } = await this.shard(j);
    const siblings = [...proofFromLevels(levels, local), ...proofFromLevels(this.topLevels, j)];
    return { sampleHash: leaves.slice(local * 32, local * 32 + 32), index, siblings };
  }

  /** Lets go of the cached shards below `j`: a batch proving in hash order never reads them again. */
  forgetShardsBelow(j: number): void {
    for (const k of this.shardCache.keys()) if (k < j) this.shardCache.delete(k);
  }

  /** Which shard would hold `x`: the last whose first leaf is <= x (shard 0 when x sorts before all). */
  shardFor(x: Uint8Array): number {
    let lo = 0;
    let hi = this.index.shards.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (compareBytes(this.index.shards[mid].first, x) <= 0) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  /** An inclusion proof when `x` is a leaf, otherwise an exclusion proof. */
  async prove(x: Uint8Array): Promise<Proof> {
    const { n, root } = this.index;
    const j = this.shardFor(x);
    const { leaves } = await this.shard(j);
    const found = searchLeaves(leaves, x);
    const base = j * this.index.shardSize;
    if (found >= 0) return { kind: "inclusion", root, n, ...(await this.leafProof(base + found)) };
    const insertion = base + (-found - 1); // global index of the first leaf greater than x
    const left = insertion > 0 ? await this.leafProof(insertion - 1) : null;
    const right = insertion < n ? await this.leafProof(insertion) : null;
    // Every shard the proof read is in the cache now: j, and j + 1 when x sorts after all of shard j. (Then
    // shard j's last leaf < x < shard j + 1's first, so that boundary is in order by construction.)
    this.refuseMisordered(
      x,
      [j, j + 1].filter((k) => this.shardCache.has(k)),
    );
    return { kind: "exclusion", root, n, x: x.slice(), left, right };
  }

  /** Throws DATASET_MISORDERED unless the index's first leaves and the leaves of the given shards are strictly increasing. */
  private refuseMisordered(x: Uint8Array, shards: number[]): void {
    const refuse = (why: string) =>
      new FormatError("DATASET_MISORDERED", `cannot prove ${toHex(x)} absent: ${why}, so neighbours prove nothing; an audit that reports it flags the dataset on-chain`, {
        hints: [{ remedy: "auditReport" }],
      });
    const { shardSize } = this.index;
    this.indexDisorder ??= firstOrderViolation(concatBytes(this.index.shards.map((s) => s.first)));
    if (this.indexDisorder >= 0) {
      throw refuse(`the shard index ${this.manifest.index} lists shard ${this.indexDisorder + 1}'s first leaf not above shard ${this.indexDisorder}'s`);
    }
    for (const j of shards) {
      // Once per shard: a batch proves thousands of absences in the same shard.
      let i = this.shardOrder.get(j);
      if (i === undefined) this.shardOrder.set(j, (i = firstOrderViolation(this.shardCache.get(j)!.leaves)));
      if (i >= 0) throw refuse(`shard ${j} (${this.index.shards[j].cid}) holds leaves ${j * shardSize + i} and ${j * shardSize + i + 1} out of order`);
    }
  }
}

/** `hashPair`: SHA-256 of two nodes; the library's JavaScript one by default (batches pass a native one). */
export function verifyProof(p: Proof, hashPair?: HashPair): boolean {
  return p.kind === "inclusion"
    ? verifyInclusion(p.root, p.n, p.sampleHash, p.index, p.siblings, hashPair)
    : verifyExclusion(p.root, p.n, p.x, p.left, p.right, hashPair);
}

export type { Hex32 };
