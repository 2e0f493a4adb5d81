import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { DatasetEmptyError, InputError } from "../../errors.ts";
import { parseVersionedJson } from "../../versioned-json.ts";
import type { ContentStore } from "../../storage/store.ts";
import { storeIndexAndManifest, type DatasetMetadata, type SampleStats, type StoredDataset } from "../commit.ts";
import { ENCODINGS, type Encoding, type ProgressFn } from "../encodings.ts";
import { ShardWriter, type ShardedTree } from "../shard-writer.ts";
import { SKIP_REASONS, type SkippedEntry } from "../skipped.ts";
import { loadCidImporter } from "../../storage/cid.ts";
import { nativeHasher } from "../native.ts";
import { bucketRanges } from "./merge.ts";
import { isContainerEncoding } from "../formats/containers.ts";
import { checkShardBoundaries } from "../formats/webdataset.ts";
import { loadPlan, makePlan, savePlan, unitsOfPart, type Plan } from "./plan.ts";
import { defaultWorkers, openExecutor, PROCESS_MIN_BYTES, PROCESS_MIN_FILES, PROCESS_MIN_HASHES, runAll, runInOrder, type Executor } from "./pool.ts";
import { BUCKETS, BucketFileReader } from "./bucket-file.ts";
import { bucketFilePath, finishedUnit, type UnitStats } from "./unit.ts";

/**
 * Commit at any scale: plan deterministic units, hash them on every core into bucket files on disk
 * (resumable: finished units are kept), then merge bucket by bucket into shards. Peak memory is one bucket
 * (about n/256 hashes) plus one shard, whatever n is.
 */
export interface HashOptions {
  encoding?: Encoding;
  /** A webdataset or parquet directory: only this split's files (formats/containers.ts). */
  split?: string;
  workers?: number;
  workDir: string;
  onProgress?: ProgressFn;
}

export interface HashedUnits {
  plan: Plan;
  stats: UnitStats[];
  resumedUnits: number;
}

/** Work directory for an input under a data directory: stable across runs, so a re-run resumes. */
export function workDirFor(dataDir: string, input: string, encoding?: string, split?: string): string {
  const key = createHash("sha256")
    .update(`${resolve(input)}\0${encoding ?? ""}${split === undefined ? "" : `\0${split}`}`)
    .digest("hex")
    .slice(0, 16);
  return join(dataDir, "work", key);
}

interface PreparedUnits {
  plan: Plan;
  done: UnitStats[];
  todo: number[];
}

/** Plans (or re-plans and checks) the work and finds the wanted units that are not finished yet. */
function prepareUnits(input: string, opts: HashOptions & { units?: (plan: Plan) => number[] }): PreparedUnits {
  mkdirSync(opts.workDir, { recursive: true });
  const plan = makePlan(input, opts.encoding, opts.workDir, { split: opts.split });
  let previousHash: string | null;
  try {
    previousHash = loadPlan(opts.workDir)?.planHash ?? plan.planHash;
  } catch {
    previousHash = null; // a damaged plan, or another version's: nothing it planned is reused
  }
  if (previousHash !== plan.planHash) {
    // The input changed since the interrupted run: its bucket files describe other data.
    rmSync(join(opts.workDir, "buckets"), { recursive: true, force: true });
  }
  savePlan(plan, opts.workDir);
  const wanted = opts.units ? opts.units(plan) : plan.units.map((_, u) => u);
  const done: UnitStats[] = [];
  const todo: number[] = [];
  for (const u of wanted) {
    const f = finishedUnit(opts.workDir, u);
    if (f) done.push(f);
    else todo.push(u);
  }
  return { plan, done, todo };
}

/**
 * Container units are read in JavaScript; a child process costs about a second of CPU to start (its modules), so
 * children pay for themselves from about this many shard bytes (tens of thousands of members) or Parquet rows.
 */
const PROCESS_MIN_CONTAINER_BYTES = 32 << 20;
const PROCESS_MIN_ROWS = 100_000;

/** The executor for hashing these units (and merging after them, reusing the same workers). */
function executorFor(prepared: PreparedUnits, opts: HashOptions): Executor {
  const { plan, todo } = prepared;
  if (isContainerEncoding(plan.encoding)) {
    const rows = todo.reduce((a, u) => a + (plan.units[u].kind === "rowgroup" ? (plan.units[u] as { rows: number }).rows : 0), 0);
    const worth = plan.bytes >= PROCESS_MIN_CONTAINER_BYTES || rows >= PROCESS_MIN_ROWS;
    return openExecutor(opts.workDir, opts.workers ?? defaultWorkers(), todo.length > 1 && worth, { javascriptUnits: true });
  }
  const files = plan.encoding === "files" ? todo.reduce((a, u) => a + (plan.units[u].kind === "files" ? (plan.units[u] as { count: number }).count : 0), 0) : 0;
  const worth = plan.bytes >= PROCESS_MIN_BYTES || files >= PROCESS_MIN_FILES;
  return openExecutor(opts.workDir, opts.workers ?? defaultWorkers(), todo.length > 1 && worth);
}

async function hashPrepared(prepared: PreparedUnits, executor: Executor, onProgress?: ProgressFn): Promise<HashedUnits> {
  const { plan, done, todo } = prepared;
  const already = done.reduce((a, s) => a + s.samples, 0);
  const total = plan.encoding === "files" ? plan.units.reduce((a, u) => a + (u.kind === "files" ? u.count : 0), 0) : null;
  let finished = already;
  const partial = new Map<number, number>();
  const report = () => onProgress?.(finished + [...partial.values()].reduce((a, b) => a + b, 0), total, 0);
  const fresh: UnitStats[] = [];
  await runAll(
    todo.length,
    executor.slots,
    async (i) => {
      if (i >= executor.slots) await heldByTest();
      return executor.hashUnit(todo[i], (n) => {
        partial.set(todo[i], n);
        report();
      });
    },
    (stats) => {
      partial.delete(stats.unit);
      finished += stats.samples;
      fresh.push(stats);
      report();
    },
  );
  const stats = [...done, ...fresh].sort((a, b) => a.unit - b.unit);
  return { plan, stats, resumedUnits: done.length };
}

/**
 * Test hook: while the file PROVENANT_TEST_HOLD_FILE names exists, a run starts no unit beyond its first `slots`
 * and waits, so a test can kill it at a known point (some units finished, others not) without racing its speed.
 */
async function heldByTest(): Promise<void> {
  const file = process.env.PROVENANT_TEST_HOLD_FILE;
  while (file && existsSync(file)) await new Promise((r) => setTimeout(r, 50));
}

/** Checks across units what no unit can check alone: a WebDataset key must not continue into the next shard. */
function checkAcrossUnits(encoding: Encoding, stats: readonly UnitStats[]): void {
  if (encoding !== "webdataset") return;
  checkShardBoundaries(
    [...stats].sort((a, b) => a.unit - b.unit).map((s) => ({ name: s.name ?? `unit ${s.unit}`, firstKey: s.firstKey ?? null, lastKey: s.lastKey ?? null })),
  );
}

/** Plans (or re-plans and checks) the work, then hashes the wanted units that are not finished yet. */
export async function hashUnits(input: string, opts: HashOptions & { units?: (plan: Plan) => number[] }): Promise<HashedUnits> {
  const prepared = prepareUnits(input, opts);
  const executor = executorFor(prepared, opts);
  try {
    return await hashPrepared(prepared, executor, opts.onProgress);
  } finally {
    executor.close();
  }
}

export interface MergeOptions {
  /** Reuse the workers that hashed the bucket files; otherwise an executor is opened for the merge. */
  executor?: Executor;
  workers?: number;
}

/**
 * Merges the bucket files into stored shards. Buckets partition hashes by first byte, so duplicates meet inside a bucket:
 * contiguous bucket ranges are sorted on every worker at once and handed to the shard writer in order.
 */
export async function mergeBucketFiles(files: string[], store: ContentStore, opts: MergeOptions = {}): Promise<ShardedTree> {
  const counts = new Array<number>(BUCKETS).fill(0);
  for (const p of files) {
    const r = new BucketFileReader(p);
    r.counts.forEach((c, b) => (counts[b] += c));
    r.close();
  }
  const total = counts.reduce((a, c) => a + c, 0);
  const executor = opts.executor ?? openExecutor("", opts.workers ?? defaultWorkers(), total >= PROCESS_MIN_HASHES);
  try {
    const ranges = bucketRanges(counts, executor.slots);
    const native = executor.kind === "native" ? nativeHasher() : null;
    const writer = new ShardWriter(
      store,
      native
        ? async (leaves) => {
            const r = await native.treeRoot(leaves, true, true);
            if (r.failure) throw new RangeError("the native hasher could not build a shard tree (out of memory)");
            return r.root;
          }
        : undefined,
      // The local store writes on the thread pool: shards stored several at once keep this thread cutting the
      // next rather than waiting for a write queued behind other shards' trees.
      store.kind === "local" ? 8 : 1,
    );
    // Natively, a range's merge is about a third of the thread pool's work per hash (its shards' trees, CID
    // digests and writes run on the pool too): half the slots merging keep every core busy, and more merges at
    // once only crowd the others (2 workers merged slower than 1).
    const merging = native ? Math.ceil(executor.slots / 2) : executor.slots;
    // Jobs i+1..i+merging run while range i is consumed: merging + 1 buffers, reused, so the merge allocates no
    // memory per range (fresh buffers were not collected soon enough: a 100M-leaf merge held gigabytes).
    const buffers: Buffer[] = [];
    const bufferFor = (i: number) => {
      const need = counts.slice(ranges[i].from, ranges[i].to).reduce((a, c) => a + c, 0) * 32;
      const k = i % (merging + 1);
      // An eighth to spare: ranges differ a little in size, and a buffer that grows is fresh memory again.
      if (!buffers[k] || buffers[k].length < need) buffers[k] = Buffer.allocUnsafeSlow(Math.max(Math.ceil(need * 1.125), 1));
      return buffers[k];
    };
    await runInOrder(
      ranges.length,
      merging,
      (i) => executor.mergeRange(files, ranges[i].from, ranges[i].to, bufferFor(i)),
      (leaves) => writer.push(leaves),
    );
    if (writer.n === 0) throw new DatasetEmptyError();
    return await writer.finish();
  } finally {
    if (!opts.executor) executor.close();
  }
}

function sampleStats(plan: Plan, stats: UnitStats[]): SampleStats {
  return {
    encoding: plan.encoding,
    totalSamples: stats.reduce((a, s) => a + s.samples, 0),
    skipped: { ...plan.skipped, emptyRecords: stats.reduce((a, s) => a + s.emptyRecords, 0) },
    bytes: stats.reduce((a, s) => a + s.bytes, 0),
  };
}

export interface CommitResult extends StoredDataset {
  /** Every entry the walk did not hash (files encoding), with its reason; the manifest keeps only the counts. */
  skippedEntries: SkippedEntry[];
  resumedUnits: number;
  units: number;
  /** hashSeconds includes planSeconds (the walk or the file's size, and the unit lists). */
  timings: { planSeconds?: number; hashSeconds: number; mergeSeconds: number };
  /** How units were hashed and merged: native threads, JavaScript child processes, or JavaScript in this process. */
  hashing?: Executor["kind"];
}

/** One machine, all cores: hash, merge, store; the work directory is removed once the manifest is stored. */
export async function commitAndStore(input: string, store: ContentStore, meta: DatasetMetadata, opts: HashOptions): Promise<CommitResult> {
  const t0 = performance.now();
  const prepared = prepareUnits(input, opts);
  const planned = performance.now();
  const executor = executorFor(prepared, opts);
  // This thread waits while native units hash: load what storing the shards needs meanwhile.
  loadCidImporter().catch(() => {});
  let hashed: HashedUnits;
  let tree: ShardedTree;
  let t1: number;
  // Container units hash on JavaScript workers; their merge may still use the native hasher.
  const container = isContainerEncoding(prepared.plan.encoding);
  try {
    hashed = await hashPrepared(prepared, executor, opts.onProgress);
    checkAcrossUnits(hashed.plan.encoding, hashed.stats);
    if (sampleStats(hashed.plan, hashed.stats).totalSamples === 0) throw new DatasetEmptyError(input);
    t1 = performance.now();
    if (container) executor.close();
    tree = await mergeBucketFiles(
      hashed.stats.map((s) => bucketFilePath(opts.workDir, s.unit)),
      store,
      container ? { workers: opts.workers } : { executor },
    );
  } finally {
    executor.close();
  }
  const stored = await storeIndexAndManifest(tree, store, meta, sampleStats(hashed.plan, hashed.stats));
  const t2 = performance.now();
  rmSync(opts.workDir, { recursive: true, force: true });
  return {
    ...stored,
    skippedEntries: hashed.plan.skippedEntries,
    resumedUnits: hashed.resumedUnits,
    units: hashed.plan.units.length,
    timings: { planSeconds: (planned - t0) / 1000, hashSeconds: (t1 - t0) / 1000, mergeSeconds: (t2 - t1) / 1000 },
    hashing: executor.kind,
  };
}

/** provenant-part-v1: what one machine hashed of a dataset, to be combined with the other parts. */
export const PART_FORMAT = "provenant-part-v1";
export interface PartManifest {
  format: typeof PART_FORMAT;
  planHash: string;
  encoding: Encoding;
  part: number;
  of: number;
  unitCount: number;
  skipped: Plan["skipped"];
  skippedEntries: SkippedEntry[];
  units: UnitStats[];
}

export function parsePartSpec(spec: string): { part: number; of: number } {
  const m = /^(\d+)\/(\d+)$/.exec(spec);
  const part = m ? Number(m[1]) : NaN;
  const of = m ? Number(m[2]) : NaN;
  if (!m || of < 1 || part >= of) throw new InputError("INPUT_INVALID", `a part must be i/N with 0 <= i < N, got "${spec}"`, { hints: [{ remedy: "part" }] });
  return { part, of };
}

/** Hashes part `part` of `of` into `outDir` (a deterministic slice of the units; resumable like a full run). */
export async function hashPart(input: string, part: number, of: number, outDir: string, opts: Omit<HashOptions, "workDir">): Promise<PartManifest> {
  const hashed = await hashUnits(input, { ...opts, workDir: outDir, units: (plan) => unitsOfPart(plan.units.length, part, of) });
  const manifest: PartManifest = {
    format: PART_FORMAT,
    planHash: hashed.plan.planHash,
    encoding: hashed.plan.encoding,
    part,
    of,
    unitCount: hashed.plan.units.length,
    skipped: hashed.plan.skipped,
    skippedEntries: hashed.plan.skippedEntries,
    units: hashed.stats,
  };
  rmSync(join(outDir, "lists"), { recursive: true, force: true });
  writeFileSync(join(outDir, "part.json.tmp"), JSON.stringify(manifest, null, 2));
  renameSync(join(outDir, "part.json.tmp"), join(outDir, "part.json"));
  return manifest;
}

/**
 * A part directory's part.json, every field checked: parts come from other machines, so their bytes are input.
 * Each unit's sample count must be the number of hashes its bucket file holds, so the manifest's counts are the
 * commitment's.
 */
function readPart(dir: string): PartManifest {
  const file = join(dir, "part.json");
  if (!existsSync(file)) throw new InputError("INPUT_NOT_FOUND", `${dir} is not a finished part (no part.json)`);
  const { value: p, bad } = parseVersionedJson(readFileSync(file), file, PART_FORMAT);
  const whole = (v: unknown, what: string) => {
    if (!Number.isSafeInteger(v) || (v as number) < 0) throw bad(`${what} must be a whole number`);
    return v as number;
  };
  if (typeof p.planHash !== "string") throw bad("planHash must be a string");
  if (!(ENCODINGS as readonly unknown[]).includes(p.encoding)) throw bad(`encoding must be one of ${ENCODINGS.join(", ")}`);
  if (whole(p.part, "part") >= whole(p.of, "of")) throw bad("part must be below of");
  whole(p.unitCount, "unitCount");
  const skipped = p.skipped as Record<string, unknown> | null;
  if (typeof skipped !== "object" || skipped === null) throw bad("skipped must be an object of counts");
  for (const k of ["hidden", "symlinks", "other", "emptyRecords"]) whole(skipped[k], `skipped.${k}`);
  if (!Array.isArray(p.skippedEntries)) throw bad("skippedEntries must be a list");
  p.skippedEntries.forEach((e: { path?: unknown; reason?: unknown } | null, i: number) => {
    if (typeof e?.path !== "string" || !(SKIP_REASONS as readonly unknown[]).includes(e.reason)) throw bad(`skippedEntries[${i}] must be {path, reason}`);
  });
  if (!Array.isArray(p.units)) throw bad("units must be a list");
  p.units.forEach((u: unknown, i: number) => {
    if (typeof u !== "object" || u === null) throw bad(`units[${i}] must be an object`);
    const s = u as Record<string, unknown>;
    for (const k of ["unit", "samples", "bytes", "emptyRecords"]) whole(s[k], `units[${i}].${k}`);
    const path = bucketFilePath(dir, s.unit as number);
    if (!existsSync(path)) return; // a missing unit is named below, with the part
    const reader = new BucketFileReader(path);
    const held = reader.total;
    reader.close();
    if (held !== s.samples) throw bad(`units[${i}] counts ${s.samples} samples but its bucket file holds ${held}`);
  });
  return p as unknown as PartManifest;
}

/** Checks that the parts are one complete, consistent set, then merges them as a single machine would. */
export async function combineParts(dirs: string[], store: ContentStore, meta: DatasetMetadata, opts: { workers?: number } = {}): Promise<CommitResult> {
  const t0 = performance.now();
  if (dirs.length === 0) throw new InputError("INPUT_INVALID", "combine needs the part directories");
  const parts = dirs.map((d) => ({ dir: d, p: readPart(d) }));
  const first = parts[0].p;
  const seen = new Set<number>();
  for (const { dir, p } of parts) {
    if (p.planHash !== first.planHash || p.encoding !== first.encoding || p.of !== first.of) {
      throw new InputError("INPUT_INVALID", `${dir} was hashed from other data or another split than ${parts[0].dir}`);
    }
    if (seen.has(p.part)) throw new InputError("INPUT_INVALID", `part ${p.part}/${p.of} is given twice`);
    seen.add(p.part);
  }
  const missing = Array.from({ length: first.of }, (_, i) => i).filter((i) => !seen.has(i));
  if (missing.length) throw new InputError("INPUT_INVALID", `missing part(s) ${missing.map((i) => `${i}/${first.of}`).join(", ")}`);
  const files: string[] = [];
  const stats: UnitStats[] = [];
  for (const { dir, p } of parts) {
    const expected = unitsOfPart(p.unitCount, p.part, p.of);
    if (p.units.length !== expected.length || p.units.some((s, k) => s.unit !== expected[k] || !finishedUnit(dir, s.unit))) {
      throw new InputError("INPUT_INVALID", `${dir} does not hold every unit of part ${p.part}/${p.of}: re-run it`);
    }
    for (const s of p.units) files.push(bucketFilePath(dir, s.unit));
    stats.push(...p.units);
  }
  checkAcrossUnits(first.encoding, stats);
  const t1 = performance.now();
  const sample = sampleStats({ encoding: first.encoding, skipped: first.skipped } as Plan, stats);
  const total = stats.reduce((a, s) => a + s.samples, 0);
  const executor = openExecutor("", opts.workers ?? defaultWorkers(), total >= PROCESS_MIN_HASHES);
  let tree: ShardedTree;
  try {
    tree = await mergeBucketFiles(files, store, { executor });
  } finally {
    executor.close();
  }
  const stored = await storeIndexAndManifest(tree, store, meta, sample);
  return {
    ...stored,
    // Every part has the first's plan hash, which covers the skipped entries: the first's list is everyone's.
    skippedEntries: first.skippedEntries ?? [],
    resumedUnits: 0,
    units: first.unitCount,
    timings: { hashSeconds: 0, mergeSeconds: (performance.now() - t1) / 1000 + (t1 - t0) / 1000 },
    hashing: executor.kind,
  };
}
