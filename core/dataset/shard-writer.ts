import { buildLevels, rootOf } from "../merkle/tree.ts";
import type { ContentStore } from "../storage/store.ts";
import { DatasetEmptyError } from "../errors.ts";
import { SHARD_SIZE, type ShardEntry } from "./shard-index.ts";

export interface ShardedTree {
  n: number;
  root: Uint8Array;
  shards: ShardEntry[];
}

/**
 * Shard trees offloaded and not yet known, at most: enough that this thread seldom waits on the pool's queue
 * (2 MiB of leaves each).
 */
const OFFLOADED = 12;

/**
 * Takes sorted distinct leaves in order, in pieces of any size, and stores them as 65,536-leaf shards as soon
 * as each fills: a few shards are held at most (those whose tree or store is under way), so memory does not
 * grow with n. The root is the tree over the
 * shard roots, which merkle-v1's aligned shards make equal to the tree over all leaves.
 */
export class ShardWriter {
  private readonly store: ContentStore;
  private readonly offload?: (leaves: Uint8Array) => Promise<Uint8Array>;
  private current: Uint8Array = new Uint8Array(SHARD_SIZE * 32);
  /** Shard buffers whose offloaded trees are done, for the next shards. */
  private readonly spare: Uint8Array[] = [];
  private fill = 0;
  private readonly shards: Array<{ first: Uint8Array; root: Promise<Uint8Array> | Uint8Array; cid: Promise<string> }> = [];
  private last: Uint8Array | null = null;
  private readonly puts: number;
  n = 0;

  /**
   * `offload` computes a shard's root on another thread (the native hasher's treeRoot), reading the leaves in
   * place until its promise settles: each shard then fills a buffer of its own, reused once its tree is known
   * and it is stored. Every tree goes there (the native tree hashes nodes as fast as this thread's hashtree, and
   * the thread pool has the other cores): this thread only copies and names shards, the merge's one serial part.
   * At most OFFLOADED trees wait at a time; beyond that this thread waits for the oldest.
   * `puts`: shards being stored at once (the local store writes on the thread pool meanwhile); 1 for stores that
   * upload, one shard after the other.
   */
  constructor(store: ContentStore, offload?: (leaves: Uint8Array) => Promise<Uint8Array>, puts = 1) {
    this.store = store;
    this.offload = offload;
    this.puts = Math.max(1, puts);
  }

  async push(leaves: Uint8Array): Promise<void> {
    if (leaves.length === 0) return;
    // Order is the caller's promise; a cheap check at piece boundaries catches a broken merge.
    if (this.last && Buffer.compare(this.last, leaves.subarray(0, 32)) >= 0) {
      throw new RangeError("ShardWriter: leaves must arrive sorted and distinct");
    }
    // A copy (a Buffer's slice() would be a view, and callers may reuse their buffer).
    this.last = new Uint8Array(leaves.subarray(leaves.length - 32));
    for (let at = 0; at < leaves.length;) {
      const take = Math.min(leaves.length - at, this.current.length - this.fill * 32);
      this.current.set(leaves.subarray(at, at + take), this.fill * 32);
      this.fill += take / 32;
      this.n += take / 32;
      at += take;
      if (this.fill === SHARD_SIZE) await this.flush();
    }
  }

  private async flush(): Promise<void> {
    if (this.fill === 0) return;
    const bytes = this.current.subarray(0, this.fill * 32);
    const buffer = this.current;
    const index = this.shards.length;
    let root: Promise<Uint8Array> | Uint8Array;
    if (this.offload) {
      if (index >= OFFLOADED) await this.shards[index - OFFLOADED].root;
      root = this.offload(bytes);
      root.catch(() => {}); // awaited in finish(); not "unhandled" meanwhile
    } else {
      root = rootOf(bytes);
    }
    const cid = this.store.put(bytes, { name: `shard-${index}` });
    cid.catch(() => {}); // awaited below or in finish()
    this.shards.push({ first: bytes.slice(0, 32), root, cid });
    this.fill = 0;
    // The oldest store still running finishes before another starts: at most `puts` at a time.
    await this.shards[index - this.puts + 1]?.cid;
    if (!this.offload && this.puts === 1) return; // stored and hashed: the buffer is free again
    Promise.all([root, cid]).then(
      () => this.spare.push(buffer),
      () => {},
    );
    this.current = this.spare.pop() ?? new Uint8Array(SHARD_SIZE * 32);
  }

  async finish(): Promise<ShardedTree> {
    await this.flush();
    if (this.shards.length === 0) throw new DatasetEmptyError();
    const shards: ShardEntry[] = [];
    for (const s of this.shards) shards.push({ first: s.first, root: (await s.root).slice(0, 32), cid: await s.cid });
    const roots = new Uint8Array(shards.length * 32);
    shards.forEach((s, i) => roots.set(s.root, i * 32));
    const top = buildLevels(roots);
    return { n: this.n, root: top[top.length - 1].slice(0, 32), shards };
  }
}
