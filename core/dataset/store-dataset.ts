import type { ContentStore } from "../storage/store.ts";
import type { Encoding, ProgressFn } from "./encodings.ts";
import { encodeManifest } from "./manifest.ts";
import { DatasetProver } from "./prover.ts";
import { commitAndStore, workDirFor, type CommitResult } from "./scale/pipeline.ts";

/**
 * Storing a dataset's commitment for minting: hashing a dataset into shards, index and manifest
 * (`dataset hash`, `dataset mint <path>`), or re-labelling one already stored (`dataset mint --manifest`).
 */

export interface HashResult extends Omit<CommitResult, "skippedEntries"> {
  /** null when not known: a stored manifest (relabelStoredDataset) records the counts only. */
  skippedEntries: CommitResult["skippedEntries"] | null;
  seconds: number;
}

/**
 * Hashes a dataset on every core and stores its shards, index and manifest. An interrupted run resumes from
 * its finished units (kept under <dataDir>/work/) and ends with the same result as an uninterrupted one.
 */
export async function hashAndStoreDataset(
  path: string,
  store: ContentStore,
  opts: {
    dataDir: string;
    encoding?: Encoding;
    split?: string;
    workers?: number;
    name?: string;
    description?: string;
    license?: string | null;
    previousVersion?: string | null;
    onProgress?: ProgressFn;
  },
): Promise<HashResult> {
  const t0 = performance.now();
  const result = await commitAndStore(
    path,
    store,
    { name: opts.name ?? "", description: opts.description, license: opts.license ?? null, previousVersion: opts.previousVersion ?? null },
    {
      encoding: opts.encoding,
      split: opts.split,
      workers: opts.workers,
      workDir: workDirFor(opts.dataDir, path, opts.encoding, opts.split),
      onProgress: opts.onProgress,
    },
  );
  return { ...result, seconds: (performance.now() - t0) / 1000 };
}

/**
 * Re-labels a stored commitment (from `dataset combine`, or an earlier hash) with mint metadata: the index and
 * shards are checked against the manifest's root and reused; only a new manifest is written.
 */
export async function relabelStoredDataset(
  store: ContentStore,
  manifestCid: string,
  meta: { name: string; description?: string; license?: string | null; previousVersion?: string | null },
): Promise<HashResult> {
  const prover = await DatasetProver.open(store, manifestCid);
  const manifest = {
    ...prover.manifest,
    name: meta.name,
    description: meta.description ?? prover.manifest.description,
    license: meta.license ?? prover.manifest.license,
    previousVersion: meta.previousVersion ?? prover.manifest.previousVersion,
  };
  const cid = await store.put(encodeManifest(manifest), { name: "manifest.json" });
  return {
    root: prover.root,
    manifest,
    manifestCid: cid,
    indexCid: manifest.index,
    shardCids: prover.index.shards.map((s) => s.cid),
    skippedEntries: null,
    resumedUnits: 0,
    units: 0,
    timings: { hashSeconds: 0, mergeSeconds: 0 },
    seconds: 0,
  };
}
