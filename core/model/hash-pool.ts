import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import { InputError } from "../errors.ts";
import type { Hex32 } from "../hex.ts";

/** A byte range of a file to hash. */
export interface ShardTask {
  abs: string;
  /** For messages: the path inside the weights directory. */
  path: string;
  start: number;
  end: number;
}

// Plain JavaScript evaluated as the worker's script (CommonJS), so the pool needs no second file to resolve.
// One 8 MiB buffer per worker, reused for every read; positional reads, so shards of one file run in parallel.
const WORKER_SOURCE = `
const { parentPort } = require("node:worker_threads");
const { openSync, readSync, closeSync } = require("node:fs");
const { createHash } = require("node:crypto");
const buf = Buffer.allocUnsafe(8 << 20);
parentPort.on("message", ({ id, abs, start, end }) => {
  let fd;
  try {
    fd = openSync(abs, "r");
    const h = createHash("sha256");
    let pos = start;
    while (pos < end) {
      const got = readSync(fd, buf, 0, Math.min(buf.length, end - pos), pos);
      if (got === 0) throw Object.assign(new Error("the file is shorter than when it was listed"), { code: "ESHRANK" });
      h.update(buf.subarray(0, got));
      pos += got;
      parentPort.postMessage({ id, progress: got });
    }
    parentPort.postMessage({ id, digest: "0x" + h.digest("hex") });
  } catch (e) {
    parentPort.postMessage({ id, error: { message: String(e && e.message), code: (e && e.code) || null } });
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
});
`;

type Reply = { id: number; progress?: number; digest?: Hex32; error?: { message: string; code: string | null } };

export function defaultWorkerCount(): number {
  return Math.max(1, Math.min(availableParallelism(), 16));
}

/**
 * Hashes byte ranges on worker threads, at most `workers` at once; resolves to one SHA-256 per task, in task
 * order. `onBytes` is called with each chunk read (8 MiB at most). The workers exit when all tasks are done.
 */
export async function hashShardsInParallel(tasks: readonly ShardTask[], options: { workers?: number; onBytes?: (bytes: number) => void } = {}): Promise<Hex32[]> {
  if (tasks.length === 0) return [];
  const count = Math.max(1, Math.min(options.workers ?? defaultWorkerCount(), tasks.length));
  const results: Hex32[] = new Array(tasks.length);
  const pool = Array.from({ length: count }, () => new Worker(WORKER_SOURCE, { eval: true }));
  let next = 0;
  try {
    await Promise.all(
      pool.map(
        (worker) =>
          new Promise<void>((resolve, reject) => {
            const give = () => {
              if (next >= tasks.length) return resolve();
              const id = next++;
              const t = tasks[id];
              worker.postMessage({ id, abs: t.abs, start: t.start, end: t.end });
            };
            worker.on("message", (m: Reply) => {
              if (m.progress !== undefined) return options.onBytes?.(m.progress);
              if (m.error) {
                const t = tasks[m.id];
                const what = `${t.path} bytes ${t.start}..${t.end}`;
                return reject(
                  m.error.code === "ENOENT"
                    ? new InputError("INPUT_NOT_FOUND", `${t.path} disappeared while hashing`)
                    : new InputError("INPUT_UNREADABLE", `cannot hash ${what}: ${m.error.message}`),
                );
              }
              results[m.id] = m.digest!;
              give();
            });
            worker.on("error", (e) => reject(new InputError("INPUT_UNREADABLE", `a hashing worker failed: ${e.message}`, { cause: e })));
            give();
          }),
      ),
    );
  } finally {
    await Promise.all(pool.map((w) => w.terminate()));
  }
  return results;
}
