import { buildLevels } from "../merkle/tree.ts";
import type { ContentStore } from "../storage/store.ts";
import { DatasetEmptyError } from "./errors.ts";
import { SHARD_SIZE, type ShardEntry } from "./shard-index.ts";

export interface ShardedTree {
  n: number;
  root: Uint8Array;
  shards: ShardEntry[];
}

/**
 * Takes sorted distinct leaves in order, in pieces of any size, and stores them as 65,536-leaf shards as soon
 * as each fills: only one shard is ever held, so memory does not grow with n. The root is the tree over the
 * shard roots, which merkle-v1's aligned shards make equal to the tree over all leaves.
 */
export class ShardWriter {
  private readonly store: ContentStore;
  private readonly current = new Uint8Array(SHARD_SIZE * 32);
  private fill = 0;
  private readonly shards: ShardEntry[] = [];
  private last: Uint8Array | null = null;
  n = 0;

  constructor(store: ContentStore) {
    this.store = store;
  }

  async push(leaves: Uint8Array): Promise<void> {
    if (leaves.length === 0) return;
    // Order is the caller's promise; a cheap check at piece boundaries catches a broken merge.
    if (this.last && Buffer.compare(this.last, leaves.subarray(0, 32)) >= 0) {
      throw new RangeError("ShardWriter: leaves must arrive sorted and distinct");
    }
    // A copy (a Buffer's slice() would be a view, and callers may reuse their buffer).
    this.last = new Uint8Array(leaves.subarray(leaves.length - 32));
    for (let at = 0; at < leaves.length; ) {
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
    const levels = buildLevels(bytes);
    const cid = await this.store.put(bytes, { name: `shard-${this.shards.length}` });
    this.shards.push({ first: bytes.slice(0, 32), root: levels[levels.length - 1].slice(0, 32), cid });
    this.fill = 0;
  }

  async finish(): Promise<ShardedTree> {
    await this.flush();
    if (this.shards.length === 0) throw new DatasetEmptyError();
    const roots = new Uint8Array(this.shards.length * 32);
    this.shards.forEach((s, i) => roots.set(s.root, i * 32));
    const top = buildLevels(roots);
    return { n: this.n, root: top[top.length - 1].slice(0, 32), shards: this.shards };
  }
}
