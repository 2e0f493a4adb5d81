import { fork, type ChildProcess } from "node:child_process";
import { availableParallelism } from "node:os";
import { siblingModule } from "../../package-root.ts";
import { ProvenantError, FormatError, type ProvenantErrorCode } from "../../errors.ts";
import { nativeHasher, type NativeHasher } from "../native.ts";
import { mergeRangeJs } from "./merge.ts";
import { bucketFileDamaged, bucketFileMisfiled } from "./bucket-file.ts";
import { nativeFailureError } from "../encodings.ts";
import { loadPlan, type Plan } from "./plan.ts";
import { runAnyUnit, runUnitNative, type UnitStats } from "./unit.ts";

const WORKER = siblingModule(import.meta.url, "./unit-worker");

export function defaultWorkers(): number {
  return availableParallelism();
}

/**
 * Where work units are hashed and bucket ranges merged, `slots` jobs at a time:
 * - `native`: the addon on libuv's thread pool, in this process (no start-up cost, no contention: plain OpenSSL
 *   digest calls take no locks);
 * - `processes`: the JavaScript path on child processes (node:crypto contends inside one process: 1.1-1.4x on two
 *   threads, 1.6-2.1x on two processes; shared/notes/performance.md);
 * - `inline`: the JavaScript path in this process, when one worker is asked for or the work is too small to pay
 *   for starting processes (about 0.2 s each).
 */
export interface Executor {
  readonly kind: "native" | "processes" | "inline";
  readonly slots: number;
  hashUnit(unit: number, onSamples?: (samples: number) => void): Promise<UnitStats>;
  /**
   * Buckets [from, to) of the bucket files, sorted and without duplicates; written into `into` where the executor can
   * (it must hold every hash of the range), which the caller then leaves alone until the promise settles.
   */
  mergeRange(files: string[], from: number, to: number, into?: Buffer): Promise<Uint8Array>;
  close(): void;
}

/**
 * An executor with `workers` slots. `worthProcesses` says whether the JavaScript path's work is big enough to pay
 * for starting child processes (started only as jobs arrive, never more than the jobs in flight).
 */
export function openExecutor(workDir: string, workers: number, worthProcesses: boolean, opts: { javascriptUnits?: boolean } = {}): Executor {
  // The native hasher reads files and record files; shards and row groups are read in JavaScript.
  const native = opts.javascriptUnits ? null : nativeHasher();
  const slots = Math.max(1, workers);
  if (native) return nativeExecutor(native, workDir, slots);
  // Children hashing shards or row groups may still batch their row hashes natively (sha256Many) when this
  // process can load the addon; without it they are told not to try, so a missing build warns once.
  if (slots > 1 && worthProcesses) return new ProcessExecutor(workDir, slots, opts.javascriptUnits === true && nativeHasher() !== null);
  return inlineExecutor(workDir);
}

/**
 * Below both of these, the JavaScript path hashes in this process: a child costs about 0.25 s to start, and the
 * JavaScript path hashes about 100 MB of records or 100,000 small files a second per core, so two children pay
 * for themselves only from about these sizes on.
 */
export const PROCESS_MIN_BYTES = 64 << 20;
export const PROCESS_MIN_FILES = 50_000;
/** A merge alone (combining parts, or a resumed run) starts processes from this many hashes on. */
export const PROCESS_MIN_HASHES = 4 << 20;

function planOf(workDir: string, cache: { plan?: Plan }): Plan {
  cache.plan ??= loadPlan(workDir) ?? undefined;
  if (!cache.plan) throw new FormatError("MANIFEST_INVALID", `no plan in ${workDir}`);
  return cache.plan;
}

function nativeExecutor(native: NativeHasher, workDir: string, slots: number): Executor {
  const cache: { plan?: Plan } = {};
  return {
    kind: "native",
    slots,
    hashUnit: (unit) => runUnitNative(native, planOf(workDir, cache), unit, workDir),
    async mergeRange(files, from, to, into) {
      const r = await native.mergeBuckets(files, from, to, true, into);
      if (r.failure) {
        const file = files[r.failure.index] ?? "a bucket file";
        if (r.failure.op === "bucket") throw bucketFileMisfiled(file);
        if (r.failure.op === "format") throw bucketFileDamaged(file);
        throw nativeFailureError(file, r.failure);
      }
      return r.leaves ?? new Uint8Array(into!.buffer, into!.byteOffset, r.count * 32);
    },
    close() {},
  };
}

function inlineExecutor(workDir: string): Executor {
  const cache: { plan?: Plan } = {};
  return {
    kind: "inline",
    slots: 1,
    hashUnit: (unit, onSamples) => runAnyUnit(planOf(workDir, cache), unit, workDir, onSamples),
    mergeRange: async (files, from, to) => mergeRangeJs(files, from, to),
    close() {},
  };
}

/** Messages from unit-worker.ts. */
type WorkerMessage =
  | { type: "progress"; unit: number; samples: number }
  | { type: "done"; stats: UnitStats }
  | { type: "merged"; leaves: Uint8Array }
  | { type: "error"; code?: string; message?: string };
export type WorkerJob = { type: "hash"; workDir: string; unit: number } | { type: "merge"; files: string[]; from: number; to: number };

interface Pending {
  job: WorkerJob;
  resolve: (m: WorkerMessage) => void;
  reject: (e: Error) => void;
  onSamples?: (samples: number) => void;
}

/** Child processes that take jobs from one queue; started on first use, stopped by close(). */
class ProcessExecutor implements Executor {
  readonly kind = "processes";
  readonly slots: number;
  private readonly workDir: string;
  private readonly queue: Pending[] = [];
  private readonly idle: ChildProcess[] = [];
  private readonly busy = new Map<ChildProcess, Pending>();
  private started = 0;
  private closed = false;

  private readonly childrenNative: boolean;

  constructor(workDir: string, slots: number, childrenNative: boolean) {
    this.workDir = workDir;
    this.slots = slots;
    this.childrenNative = childrenNative;
  }

  async hashUnit(unit: number, onSamples?: (samples: number) => void): Promise<UnitStats> {
    const m = await this.submit({ type: "hash", workDir: this.workDir, unit }, onSamples);
    return (m as { stats: UnitStats }).stats;
  }

  async mergeRange(files: string[], from: number, to: number): Promise<Uint8Array> {
    const m = await this.submit({ type: "merge", files, from, to });
    return (m as { leaves: Uint8Array }).leaves;
  }

  close(): void {
    this.closed = true;
    for (const c of [...this.idle, ...this.busy.keys()]) if (c.connected) c.disconnect();
    this.idle.length = 0;
  }

  private submit(job: WorkerJob, onSamples?: (samples: number) => void): Promise<WorkerMessage> {
    return new Promise((resolve, reject) => {
      this.queue.push({ job, resolve, reject, onSamples });
      this.dispatch();
    });
  }

  private dispatch(): void {
    while (this.queue.length > 0 && !this.closed) {
      const child = this.idle.pop() ?? (this.started < this.slots ? this.spawn() : undefined);
      if (!child) return;
      const p = this.queue.shift()!;
      this.busy.set(child, p);
      child.send(p.job);
    }
  }

  private spawn(): ChildProcess {
    this.started++;
    // Children hash in JavaScript; they try the native hasher only where this process has it (childrenNative).
    const child = fork(WORKER, [], {
      execArgv: [],
      stdio: ["ignore", "inherit", "inherit", "ipc"],
      serialization: "advanced",
      env: this.childrenNative ? process.env : { ...process.env, PROVENANT_NATIVE: "0" },
    });
    child.on("message", (m: WorkerMessage) => {
      const p = this.busy.get(child);
      if (!p) return;
      if (m.type === "progress") {
        p.onSamples?.(m.samples);
        return;
      }
      this.busy.delete(child);
      if (m.type === "error") p.reject(new ProvenantError((m.code as ProvenantErrorCode) ?? "INPUT_UNREADABLE", m.message ?? "a hashing worker failed"));
      else p.resolve(m);
      this.idle.push(child);
      this.dispatch();
    });
    child.on("exit", (code) => {
      const p = this.busy.get(child);
      if (!p) return;
      this.busy.delete(child);
      const what = p.job.type === "hash" ? `unit ${p.job.unit}` : `buckets ${p.job.from}-${p.job.to}`;
      p.reject(new ProvenantError("INPUT_UNREADABLE", `a hashing worker exited with code ${code} on ${what}`));
    });
    return child;
  }
}

/**
 * Runs jobs 0..count-1 with at most `limit` in flight, handing each result to `done` as it arrives.
 * The first failure is thrown once the jobs in flight have settled, so none outlives the caller.
 */
export async function runAll<T>(count: number, limit: number, start: (i: number) => Promise<T>, done: (result: T, i: number) => void): Promise<void> {
  let next = 0;
  let failure: unknown = null;
  const lane = async () => {
    while (next < count && failure === null) {
      const i = next++;
      try {
        done(await start(i), i);
      } catch (e) {
        failure ??= e;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, count) }, lane));
  if (failure !== null) throw failure;
}

/**
 * Runs jobs 0..count-1 with at most `limit` in flight and hands their results to `consume` in job order
 * (the merge feeds shards in key order while later ranges are still sorting).
 */
export async function runInOrder<T>(count: number, limit: number, start: (i: number) => Promise<T>, consume: (result: T, i: number) => Promise<void>): Promise<void> {
  const started: Promise<T>[] = [];
  const launch = (i: number) => {
    if (i >= count) return;
    const p = start(i);
    p.catch(() => {}); // observed below, in order; this only keeps an early failure from being "unhandled"
    started[i] = p;
  };
  for (let i = 0; i < Math.min(limit, count); i++) launch(i);
  try {
    for (let i = 0; i < count; i++) {
      const result = await started[i];
      launch(i + limit);
      await consume(result, i);
    }
  } finally {
    // Let jobs still in flight finish before the caller closes what they use.
    await Promise.allSettled(started);
  }
}
