import { FormatError, isProvenantError } from "../errors.ts";
import { compareBytes, toHex, type Hex32 } from "../hex.ts";
import { firstOrderViolation } from "../merkle/tree.ts";
import { verifyInclusion, type LeafProof } from "../merkle/verify.ts";
import type { ContentStore } from "../storage/store.ts";
import { DatasetProver, type MintedDataset } from "./prover.ts";

/**
 * `dataset audit`: reads every shard of a minted dataset through the store and checks what no single proof can,
 * that the whole commitment is merkle-v1: the manifest and index are the on-chain root and n, every shard folds
 * to the root the index gives it, and the leaves are strictly increasing inside every shard and across every
 * shard boundary. Browser-safe: the CLI and the dApp run this same function with their own store.
 */
export const AUDIT_FORMAT = "provenant-audit-v1";

/** Leaves `index` and `index + 1` out of order (`left >= right`): what `reportMisordered` proves on-chain. */
export interface OrderViolation {
  index: number;
  left: Hex32;
  right: Hex32;
  /** The shard of leaf `index`; the pair crosses into the next shard when `index` is a shard's last leaf. */
  shard: number;
}

/** A part of the stored commitment that could not be read or does not match what it is checked against. */
export interface AuditProblem {
  code: string;
  message: string;
  shard?: number;
}

export interface AuditReport {
  format: typeof AUDIT_FORMAT;
  /** True only when every shard was read, matched, and every leaf is below the next. */
  sound: boolean;
  datasetId: string;
  root: string;
  n: number;
  /** The on-chain flag: someone already proved a violation with reportMisordered. */
  flaggedOnChain: boolean;
  shardCount: number | null;
  /** Leaves read from shards that matched their index entries. */
  leavesChecked: number;
  /** All order violations found, of which the first `violations.length` are listed. */
  violationCount: number;
  violations: OrderViolation[];
  problems: AuditProblem[];
}

export interface AuditOptions {
  /** Called after each shard with leaves done and n. */
  onProgress?: (done: number, total: number) => void;
  /** How many violations to list (all are counted). Default 10. */
  listViolations?: number;
}

/** Failures that are findings about the stored commitment; anything else (an unreachable store) is thrown. */
const FINDINGS = new Set(["ROOT_MISMATCH", "MANIFEST_INVALID", "STORAGE_CORRUPT", "STORAGE_NOT_FOUND"]);

function finding(e: unknown, shard?: number): AuditProblem {
  if (isProvenantError(e) && FINDINGS.has(e.code)) return { code: e.code, message: e.message, ...(shard === undefined ? {} : { shard }) };
  throw e;
}

/** Audits dataset `record` as stored in `store`. Returns the prover too (null when it could not be opened). */
export async function auditStoredDataset(
  record: MintedDataset & { misordered: boolean },
  store: ContentStore,
  options: AuditOptions = {},
): Promise<{ report: AuditReport; prover: DatasetProver | null }> {
  const list = options.listViolations ?? 10;
  const report: AuditReport = {
    format: AUDIT_FORMAT,
    sound: false,
    datasetId: record.id.toString(),
    root: record.root.toLowerCase(),
    n: record.n,
    flaggedOnChain: record.misordered,
    shardCount: null,
    leavesChecked: 0,
    violationCount: 0,
    violations: [],
    problems: [],
  };
  let prover: DatasetProver;
  try {
    // Manifest = on-chain root and n; index = manifest; the index's shard roots fold to that root.
    prover = await DatasetProver.openMinted(record, store);
  } catch (e) {
    report.problems.push(finding(e));
    return { report, prover: null };
  }
  const { shards, shardSize, n } = prover.index;
  report.shardCount = shards.length;
  const violation = (index: number, left: Uint8Array, right: Uint8Array, shard: number) => {
    if (report.violationCount++ < list) report.violations.push({ index, left: toHex(left), right: toHex(right), shard });
  };

  let previousLast: Uint8Array | null = null;
  for (let j = 0; j < shards.length; j++) {
    let leaves: Uint8Array;
    try {
      ({ leaves } = await prover.readShard(j));
    } catch (e) {
      report.problems.push(finding(e, j));
      previousLast = null;
      options.onProgress?.(Math.min(n, (j + 1) * shardSize), n);
      continue;
    }
    const base = j * shardSize;
    if (previousLast && compareBytes(previousLast, leaves.subarray(0, 32)) >= 0) violation(base - 1, previousLast, leaves.subarray(0, 32), j - 1);
    for (let i = firstOrderViolation(leaves); i >= 0; i = firstOrderViolation(leaves, i + 1)) {
      violation(base + i, leaves.subarray(i * 32, i * 32 + 32), leaves.subarray(i * 32 + 32, i * 32 + 64), j);
    }
    previousLast = leaves.slice(leaves.length - 32);
    report.leavesChecked += leaves.length / 32;
    options.onProgress?.(Math.min(n, (j + 1) * shardSize), n);
  }
  report.sound = report.problems.length === 0 && report.violationCount === 0;
  return { report, prover };
}

/**
 * The fraud proof of violation `index`: inclusion proofs of leaves `index` and `index + 1`, checked here first
 * (against the root and n, and `left >= right`) so that a transaction is only sent for a proof that holds.
 */
export async function misorderProof(prover: DatasetProver, index: number): Promise<{ left: LeafProof; right: LeafProof }> {
  const left = await prover.leafProof(index);
  const right = await prover.leafProof(index + 1);
  const { root, n } = prover.index;
  const holds =
    compareBytes(left.sampleHash, right.sampleHash) >= 0 &&
    verifyInclusion(root, n, left.sampleHash, left.index, left.siblings) &&
    verifyInclusion(root, n, right.sampleHash, right.index, right.siblings);
  if (!holds) throw new FormatError("PROOF_INVALID", `leaves ${index} and ${index + 1} do not make a fraud proof: they are in order or do not prove against the root`);
  return { left, right };
}

export interface AuditResult extends AuditReport {
  /** The fraud proof sent for the first violation (with `reportWith`), or null when none was sent. */
  reported: { index: number; txHash: string; blockNumber: number; gasUsed: bigint } | null;
}

/**
 * `provenant dataset audit`: audits minted dataset `datasetId` shard by shard, its record read from `registry`.
 * With `reportWith` (DatasetRegistryClient with a signer), the first order violation found is proven on-chain
 * with reportMisordered, unless the dataset is already flagged; problems of storage alone (a shard that does not
 * match the index) have no on-chain proof.
 */
export async function auditDataset(
  registry: { record(id: bigint): Promise<MintedDataset & { misordered: boolean }> },
  store: ContentStore,
  datasetId: bigint,
  options: AuditOptions & {
    reportWith?: { reportMisordered(id: bigint, left: LeafProof, right: LeafProof): Promise<{ txHash: string; blockNumber: number; gasUsed: bigint }> };
  } = {},
): Promise<AuditResult> {
  const record = await registry.record(datasetId);
  const { report, prover } = await auditStoredDataset(record, store, options);
  const first = report.violations[0];
  if (!options.reportWith || !first || !prover || record.misordered) return { ...report, reported: null };
  const { left, right } = await misorderProof(prover, first.index);
  const sent = await options.reportWith.reportMisordered(datasetId, left, right);
  return { ...report, flaggedOnChain: true, reported: { index: first.index, ...sent } };
}
