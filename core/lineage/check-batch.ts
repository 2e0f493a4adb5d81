import { isProvenantError } from "../errors.ts";
import { hexToBytes, toHex, type Hex32 } from "../hex.ts";
import { compareBytes as compare } from "../hex.ts";
import type { HashPair } from "../merkle/verify.ts";
// "#hash-nodes" (package.json "imports"): native SHA-256 in Node, JavaScript in the browser.
import { hashNodesInto } from "#hash-nodes";
import { verifyProof, type Proof } from "../dataset/prover.ts";
import { BROWSER_ENCODINGS, isEncoding } from "../dataset/encoding-table.ts";
import { canonicalSample, sha256, sha256Sync, type SampleEncoding } from "../dataset/sample-hash.ts";

const SYNC_HASH_BYTES = 64 * 1024;
import { misorderedWords, openAncestryDataset, type Ancestry, type CheckSampleIo, type Verdict } from "./check-sample.ts";

/**
 * Batch proving: many samples against one dataset or a model's whole ancestry, browser-safe (the CLI's
 * `prove --batch` / `check-sample --batch` and a browser page call checkBatch alike).
 *
 * What is checked where: each dataset's manifest and shard index are read once and checked against the root
 * read once from the chain; every shard a sample falls in is read once (checked against its CID by the store
 * and against its index entry: length, first leaf, root). Samples are proven in hash order, so shards are
 * visited in order and released behind. Every proof is verified by the library against the chain's root; a
 * sample of them (`onChain`, default 16 per dataset, always one of each kind found) is also sent to the
 * contract's view function. A proof the contract refuses makes that whole dataset "unknown": the stored
 * commitment and the chain disagree, so no local verdict of it is trusted.
 */

import type { BatchSample } from "../dataset/batch-input.ts";
export type { BatchSample };

export interface BatchCell {
  verdict: Verdict;
  /** The leaf index, when in. */
  leaf?: number;
  /** Why unknown. */
  reason?: string;
}

export interface BatchRow {
  label: string;
  /**
   * SHA-256 of the sample as given (what sha256sum prints for a file; a record's own bytes for a JSONL or CSV line;
   * a WebDataset key's or Parquet row's sample hash).
   */
  sha256: Hex32;
  verdict: Verdict;
  /** One cell per dataset, in the order of BatchReport.datasets. */
  datasets: BatchCell[];
}

export interface BatchDatasetSummary {
  datasetId: string;
  /** Why the whole dataset is unknown, when it is. */
  problem: string | null;
  /**
   * Set when the samples are not samples of the dataset's encoding (WebDataset keys against a Parquet dataset): the
   * encoding they were hashed as, their own. A sample is in such a dataset only if it holds the same canonical bytes.
   */
  hashedAs?: string;
  in: number;
  out: number;
  unknown: number;
  /** Shards read (each once) and bytes read for this dataset. */
  reads: number;
  bytesRead: number;
  /** Proofs sent to the contract's view function, and how many it accepted. */
  onChain: { checked: number; valid: number };
}

export const BATCH_FORMAT = "provenant-batch-v1";

export interface BatchReport {
  format: typeof BATCH_FORMAT;
  chainId: number;
  registries: { dataset: string; model: string };
  model: string | null;
  gaps: string[];
  datasets: BatchDatasetSummary[];
  summary: { samples: number; in: number; out: number; unknown: number };
  /** Seconds spent: hashing samples, reading and proving, verifying locally, asking the contract. */
  timings: { hash: number; prove: number; verify: number; chain: number };
  rows: BatchRow[];
}

export type BatchProgress = { phase: "hashing" | "proving" | "checking"; done: number; total: number | null; dataset?: string };

export interface BatchOptions {
  /** Proofs per dataset sent to the contract (default 16). */
  onChain?: number;
  onProgress?: (p: BatchProgress) => void;
  /** For the on-chain sample's choice; Math.random by default. */
  random?: () => number;
}

const now = () => performance.now();

/** SHA-256(left ‖ right) through the tree builder's node hasher: about 3x the JavaScript one in Node (native SHA-256). */
const pairInput = new Uint8Array(64);
const nodeHashPair: HashPair = (left, right) => {
  pairInput.set(left, 0);
  pairInput.set(right, 32);
  const out = new Uint8Array(32);
  hashNodesInto(pairInput, out);
  return out;
};
const asReason = (e: unknown) => (isProvenantError(e) ? e.message : ((e as Error)?.message ?? String(e)));

/**
 * Sample hashes of every sample under each encoding the datasets use, sample i at bytes [32i, 32i + 32), by
 * check-sample's rule: a record or file is hashed in each encodings-v1 dataset's canonical form; a dataset whose
 * encoding the samples do not fit (a folder's files against a Parquet dataset, WebDataset keys against a JSONL one)
 * is looked up by each sample's hash in its own encoding, and `ownEncoding` says which that is.
 */
async function hashSamples(samples: AsyncIterable<BatchSample> | Iterable<BatchSample>, encodings: Set<string>, options: BatchOptions) {
  const labels: string[] = [];
  const given: Uint8Array[] = [];
  const byEncoding = new Map<string, Uint8Array[]>([...encodings].map((e) => [e, []]));
  let ownEncoding: string | null = null;
  for await (const s of samples) {
    labels.push(s.label);
    if ("hash" in s) {
      given.push(s.hash);
      ownEncoding ??= s.hashedAs ?? null;
      for (const list of byEncoding.values()) list.push(s.hash);
    } else {
      ownEncoding ??= s.encoding;
      // No promise per sample for the small ones (most records): sha256 would await WebCrypto only for big ones.
      const raw = s.bytes.length <= SYNC_HASH_BYTES ? sha256Sync(s.bytes) : await sha256(s.bytes);
      given.push(raw);
      for (const [encoding, list] of byEncoding) {
        if (!isEncoding(encoding)) continue;
        const as = (BROWSER_ENCODINGS as readonly string[]).includes(encoding) ? (encoding as SampleEncoding) : s.encoding;
        const canonical = canonicalSample(s.bytes, as);
        list.push(canonical.length === s.bytes.length ? raw : canonical.length <= SYNC_HASH_BYTES ? sha256Sync(canonical) : await sha256(canonical));
      }
    }
    if (labels.length % 1000 === 0) options.onProgress?.({ phase: "hashing", done: labels.length, total: null });
  }
  options.onProgress?.({ phase: "hashing", done: labels.length, total: labels.length });
  return { labels, given, byEncoding, ownEncoding };
}

/** Whether samples of `own` are looked up in a dataset of `encoding` by their own hash (check-sample's misfit rule). */
function hashedAsOwn(own: string | null, encoding: string, anyBytes: boolean): boolean {
  if (own === null || own === encoding) return false;
  // Records and files are hashed in each encodings-v1 form; a container sample only in its own.
  return anyBytes ? !(BROWSER_ENCODINGS as readonly string[]).includes(encoding) : true;
}

/** Checks every sample against every dataset of `ancestry`. Rows come back in the order the samples were given. */
export async function checkBatch(
  ancestry: Ancestry,
  samples: AsyncIterable<BatchSample> | Iterable<BatchSample>,
  io: CheckSampleIo,
  options: BatchOptions = {},
): Promise<BatchReport> {
  const timings = { hash: 0, prove: 0, verify: 0, chain: 0 };
  const random = options.random ?? Math.random;
  const onChainCount = options.onChain ?? 16;
  let t = now();
  const encodings = new Set(ancestry.datasets.flatMap((d) => (d.record ? [d.record.encoding] : [])));
  const { labels, given, byEncoding, ownEncoding } = await hashSamples(samples, encodings, options);
  const bytesSamples = ownEncoding !== null && (BROWSER_ENCODINGS as readonly string[]).includes(ownEncoding);
  timings.hash = (now() - t) / 1000;
  const count = labels.length;
  const cells: BatchCell[][] = ancestry.datasets.map(() => new Array<BatchCell>(count));
  const summaries: BatchDatasetSummary[] = [];

  for (const [k, d] of ancestry.datasets.entries()) {
    const column = cells[k];
    const hashedAs = d.record && hashedAsOwn(ownEncoding, d.record.encoding, bytesSamples) ? ownEncoding : null;
    const summary: BatchDatasetSummary = {
      datasetId: d.datasetId,
      problem: null,
      ...(hashedAs ? { hashedAs } : {}),
      in: 0,
      out: 0,
      unknown: 0,
      reads: 0,
      bytesRead: 0,
      onChain: { checked: 0, valid: 0 },
    };
    summaries.push(summary);
    const allUnknown = (reason: string) => {
      summary.problem = reason;
      column.fill({ verdict: "unknown", reason });
    };
    const hashes = d.record ? byEncoding.get(d.record.encoding) : undefined;
    if (!d.record || !hashes || hashes.length !== count) {
      allUnknown(
        d.record
          ? `dataset #${d.datasetId} is encoded as ${d.record.encoding}, which this version cannot hash a sample for`
          : (d.problem?.message ?? `dataset #${d.datasetId} could not be read`),
      );
      continue;
    }
    t = now();
    const opened = await openAncestryDataset(d, io.store);
    if ("error" in opened) {
      allUnknown(opened.error.message);
      timings.prove += (now() - t) / 1000;
      continue;
    }
    const { prover } = opened;
    const root = hexToBytes(d.record.root)!;
    const readsBefore = prover.reads;
    const bytesBefore = prover.bytesRead;
    // Hash order: each shard is read once, and the ones behind can be let go.
    const order = Array.from({ length: count }, (_, i) => i).sort((a, b) => compare(hashes[a], hashes[b]));
    const failedShards = new Map<number, string>();
    const chosen: { i: number; proof: Proof }[] = [];
    const firstOfKind = new Map<Proof["kind"], { i: number; proof: Proof }>();
    let seen = 0;
    let verifyMs = 0;
    for (const [done, i] of order.entries()) {
      const x = hashes[i];
      const shard = prover.shardFor(x);
      prover.forgetShardsBelow(shard);
      const failed = failedShards.get(shard);
      if (failed !== undefined) {
        column[i] = { verdict: "unknown", reason: failed };
        continue;
      }
      let proof: Proof;
      try {
        proof = await prover.prove(x);
      } catch (e) {
        const reason = isProvenantError(e) && e.code === "DATASET_MISORDERED" && d.record.misordered ? misorderedWords(d.datasetId) : asReason(e);
        // A shard that failed once fails again: do not read it once per sample.
        if (isProvenantError(e) && e.code !== "DATASET_MISORDERED") failedShards.set(shard, reason);
        column[i] = { verdict: "unknown", reason };
        continue;
      }
      if (proof.kind === "exclusion" && d.record.misordered) {
        column[i] = { verdict: "unknown", reason: misorderedWords(d.datasetId) };
        continue;
      }
      const tv = now();
      const valid = proof.n === d.record.n && compare(proof.root, root) === 0 && verifyProof(proof, nodeHashPair);
      verifyMs += now() - tv;
      if (!valid) {
        column[i] = { verdict: "unknown", reason: `the library rejected the ${proof.kind} proof it built` };
        continue;
      }
      column[i] = proof.kind === "inclusion" ? { verdict: "in", leaf: proof.index } : { verdict: "out" };
      // The on-chain sample: the first proof of each kind, and a uniform reservoir of the rest.
      if (!firstOfKind.has(proof.kind)) firstOfKind.set(proof.kind, { i, proof });
      else if (chosen.length < onChainCount) chosen.push({ i, proof });
      else {
        const r = Math.floor(random() * (seen + 1));
        if (r < onChainCount) chosen[r] = { i, proof };
      }
      seen++;
      if (done % 1000 === 999) options.onProgress?.({ phase: "proving", done: done + 1, total: count, dataset: d.datasetId });
    }
    prover.forgetShardsBelow(Infinity);
    options.onProgress?.({ phase: "proving", done: count, total: count, dataset: d.datasetId });
    summary.reads = prover.reads - readsBefore;
    summary.bytesRead = prover.bytesRead - bytesBefore;
    timings.verify += verifyMs / 1000;
    timings.prove += (now() - t - verifyMs) / 1000;

    t = now();
    const toCheck = [...firstOfKind.values(), ...chosen].slice(0, Math.max(onChainCount, firstOfKind.size));
    options.onProgress?.({ phase: "checking", done: 0, total: toCheck.length, dataset: d.datasetId });
    let refused: string | null = null;
    for (const { i, proof } of toCheck) {
      let accepted: boolean;
      try {
        accepted = await io.verifyOnChain(BigInt(d.datasetId), proof);
      } catch (e) {
        refused = `the contract could not be asked: ${asReason(e)}`;
        break;
      }
      summary.onChain.checked++;
      if (accepted) summary.onChain.valid++;
      else {
        refused = `the contract rejected the ${proof.kind} proof of ${labels[i]}, which the library accepted: the stored commitment and the chain disagree`;
        break;
      }
    }
    timings.chain += (now() - t) / 1000;
    if (refused) allUnknown(refused);
  }

  for (const s of summaries) {
    const k = summaries.indexOf(s);
    for (const c of cells[k]) s[c.verdict]++;
  }
  const rows: BatchRow[] = labels.map((label, i) => {
    const datasets = cells.map((column) => column[i]);
    const verdict: Verdict = datasets.some((c) => c.verdict === "in")
      ? "in"
      : datasets.some((c) => c.verdict === "unknown") || ancestry.gaps.length > 0
        ? "unknown"
        : "out";
    return { label, sha256: toHex(given[i]), verdict, datasets };
  });
  const tally = (v: Verdict) => rows.filter((r) => r.verdict === v).length;
  return {
    format: BATCH_FORMAT,
    chainId: ancestry.chainId,
    registries: ancestry.registries,
    model: ancestry.model,
    gaps: ancestry.gaps,
    datasets: summaries,
    summary: { samples: count, in: tally("in"), out: tally("out"), unknown: tally("unknown") },
    timings,
    rows,
  };
}

const csvField = (s: string) => (/[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);

/** The report as CSV: one row per sample, a verdict and a leaf column per dataset. */
export function batchCsv(report: BatchReport): string {
  const header = ["sample", "sha256", "verdict", ...report.datasets.flatMap((d) => [`dataset_${d.datasetId}`, `dataset_${d.datasetId}_leaf`])];
  const lines = [header.join(",")];
  for (const r of report.rows) {
    lines.push([csvField(r.label), r.sha256, r.verdict, ...r.datasets.flatMap((c) => [c.verdict, c.leaf === undefined ? "" : String(c.leaf)])].join(","));
  }
  return `${lines.join("\n")}\n`;
}
