import { isProvenantError } from "../errors.ts";
import { filecoinStatus, type FilecoinStatus } from "../storage/filecoin-status.ts";
import type { LighthouseStore } from "../storage/lighthouse-store.ts";
import type { ContentStore } from "../storage/store.ts";
import { DatasetProver } from "./prover.ts";

/**
 * Where a dataset's stored objects stand on Filecoin: the manifest, the shard index and the first shards, each
 * with the deals and PoDSI Lighthouse reports (core/storage/filecoin-status.ts, what `provenant storage status`
 * prints for one CID). `reader` reads the manifest and index (any store, checked against their CIDs).
 */
export interface DatasetObjectStatus {
  role: "manifest" | "index" | "shard";
  /** The shard's position, for a shard. */
  shard: number | null;
  cid: string;
  status: FilecoinStatus | null;
  /** Why Lighthouse could not be asked, when it could not. */
  problem: string | null;
}

export interface DatasetFilecoinStatus {
  objects: DatasetObjectStatus[];
  shardCount: number;
  /** Shards left out (beyond `maxShards`). */
  shardsNotShown: number;
}

const why = (e: unknown) => (isProvenantError(e) ? e.message : String((e as Error)?.message ?? e));

export async function datasetFilecoinStatus(
  reader: ContentStore,
  lighthouse: LighthouseStore,
  manifestCid: string,
  options: { podsiNetwork: "mainnet" | "testnet"; maxShards?: number },
): Promise<DatasetFilecoinStatus> {
  const wanted: Omit<DatasetObjectStatus, "status" | "problem">[] = [{ role: "manifest", shard: null, cid: manifestCid }];
  let shardCount = 0;
  let shardsNotShown = 0;
  try {
    const prover = await DatasetProver.open(reader, manifestCid);
    const shards = prover.index.shards;
    const shown = shards.slice(0, options.maxShards ?? 8);
    shardCount = shards.length;
    shardsNotShown = shards.length - shown.length;
    wanted.push({ role: "index", shard: null, cid: prover.manifest.index }, ...shown.map((s, i) => ({ role: "shard" as const, shard: i, cid: s.cid })));
  } catch {
    // The manifest's own row still says what Lighthouse knows of it; the page reports the unreadable manifest.
  }
  const objects = await Promise.all(
    wanted.map(async (o) => {
      try {
        return { ...o, status: await filecoinStatus(o.cid, lighthouse, options.podsiNetwork), problem: null };
      } catch (e) {
        return { ...o, status: null, problem: why(e) };
      }
    }),
  );
  return { objects, shardCount, shardsNotShown };
}
