import { ChainError, InputError } from "../errors.ts";
import { toHex } from "../hex.ts";
import type { ContentStore } from "../storage/store.ts";
import type { DatasetRecord, DatasetRegistryClient } from "../chain/dataset-registry.ts";
import { commitAndStore, workDirFor, type CommitResult } from "./scale/pipeline.ts";
import type { Encoding, ProgressFn } from "./encodings.ts";
import { sampleHashOf, type SampleInput } from "./sample-input.ts";
import { DatasetProver, verifyProof, type Proof } from "./prover.ts";
import { auditStoredDataset, misorderProof, type AuditOptions, type AuditReport } from "./audit.ts";
import { encodeManifest } from "./manifest.ts";
import { proofFromJson, proofToJson, type ProofJson } from "./proof-file.ts";

export { sampleHashOf, type SampleInput } from "./sample-input.ts";

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
    { encoding: opts.encoding, split: opts.split, workers: opts.workers, workDir: workDirFor(opts.dataDir, path, opts.encoding, opts.split), onProgress: opts.onProgress },
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

/** Opens a minted dataset's stored commitment and checks it is the one on-chain. */
export function openMintedDataset(record: DatasetRecord, store: ContentStore): Promise<DatasetProver> {
  return DatasetProver.openMinted(record, store);
}

/** The one line for an exclusion asked of a dataset flagged misordered on-chain. */
function misorderedOnChain(id: bigint): ChainError {
  return new ChainError(
    "DATASET_MISORDERED",
    `dataset #${id} was reported misordered on-chain (two adjacent leaves out of order): it proves no sample absent, and the contract refuses every exclusion proof of it; inclusion proofs still hold`,
  );
}

export interface ProveResult {
  proof: Proof;
  json: ProofJson;
  localVerdict: boolean;
  onChain: boolean;
  reads: number;
  bytesRead: number;
}

export async function proveSample(
  registry: DatasetRegistryClient,
  store: ContentStore,
  datasetId: bigint,
  input: SampleInput,
): Promise<ProveResult> {
  const record = await registry.record(datasetId);
  const prover = await openMintedDataset(record, store);
  const x = await sampleHashOf(input, prover.manifest.encoding as Encoding);
  const proof = await prover.prove(x);
  if (proof.kind === "exclusion" && record.misordered) throw misorderedOnChain(datasetId);
  return {
    proof,
    json: proofToJson(proof, datasetId),
    localVerdict: verifyProof(proof),
    onChain: await registry.verify(datasetId, proof),
    reads: prover.reads,
    bytesRead: prover.bytesRead,
  };
}

/** Checks a saved proof file against the dataset's on-chain record, locally and by the contract. */
export async function verifyProofFile(registry: DatasetRegistryClient, datasetId: bigint, value: unknown) {
  const { proof, datasetId: claimed } = proofFromJson(value);
  if (BigInt(claimed) !== datasetId) {
    throw new InputError("PROOF_WRONG_DATASET", `the proof is for dataset #${claimed}, not dataset #${datasetId}`);
  }
  const record = await registry.record(datasetId);
  if (toHex(proof.root) !== record.root.toLowerCase() || proof.n !== record.n) {
    throw new ChainError(
      "PROOF_WRONG_DATASET",
      `the proof was made for root ${toHex(proof.root)} (n=${proof.n}) but dataset #${datasetId} has root ${record.root} (n=${record.n})`,
    );
  }
  if (proof.kind === "exclusion" && record.misordered) throw misorderedOnChain(datasetId);
  return { proof, localVerdict: verifyProof(proof), onChain: await registry.verify(datasetId, proof) };
}

export interface AuditResult extends AuditReport {
  /** The fraud proof sent for the first violation (with `report`), or null when none was sent. */
  reported: { index: number; txHash: string; blockNumber: number; gasUsed: bigint } | null;
}

/**
 * Audits minted dataset `datasetId` shard by shard (core/dataset/audit.ts). With `reportWith` (a client with a
 * signer), the first order violation found is proven on-chain with reportMisordered, unless the dataset is
 * already flagged; problems of storage alone (a shard that does not match the index) have no on-chain proof.
 */
export async function auditDataset(
  registry: DatasetRegistryClient,
  store: ContentStore,
  datasetId: bigint,
  options: AuditOptions & { reportWith?: DatasetRegistryClient } = {},
): Promise<AuditResult> {
  const record = await registry.record(datasetId);
  const { report, prover } = await auditStoredDataset(record, store, options);
  const first = report.violations[0];
  if (!options.reportWith || !first || !prover || record.misordered) return { ...report, reported: null };
  const { left, right } = await misorderProof(prover, first.index);
  const sent = await options.reportWith.reportMisordered(datasetId, left, right);
  return { ...report, flaggedOnChain: true, reported: { index: first.index, ...sent } };
}
