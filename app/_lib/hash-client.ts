import type { ContainerEncoding } from "../../core/dataset/encoding-table.ts";
import type { SampleEncoding } from "../../core/dataset/sample-hash.ts";
import { ProvenantError, type ProvenantErrorCode } from "../../core/errors.ts";
import type { DatasetResult, HashProgress, HashRequest, HashResponse, SampleResult } from "./hash-protocol.ts";

type Pending = {
  resolve: (r: SampleResult | DatasetResult) => void;
  reject: (e: unknown) => void;
  onProgress?: (p: HashProgress) => void;
};

let worker: Worker | null = null;
const pending = new Map<number, Pending>();
let nextId = 1;

function hashWorker(): Worker {
  if (worker) return worker;
  worker = new Worker(new URL("./hash.worker.ts", import.meta.url), { type: "module", name: "provenant-hash" });
  worker.onmessage = (event: MessageEvent<HashResponse>) => {
    const m = event.data;
    const p = pending.get(m.id);
    if (!p) return;
    if (m.type === "progress") return p.onProgress?.(m);
    pending.delete(m.id);
    if (m.type === "error") p.reject(new ProvenantError(m.code as ProvenantErrorCode, m.message));
    else p.resolve(m.result);
  };
  worker.onerror = (event) => {
    for (const p of pending.values()) p.reject(new Error(`the hashing worker failed: ${event.message}`));
    pending.clear();
    worker?.terminate();
    worker = null;
  };
  return worker;
}

/** Starts the worker ahead of the first drop, so a drop does not wait for it to load. */
export function warmHashWorker(): void {
  hashWorker();
}

type Req = HashRequest extends infer R ? (R extends { id: number } ? Omit<R, "id"> : never) : never;

function run<T extends SampleResult | DatasetResult>(req: Req, onProgress?: (p: HashProgress) => void): Promise<T> {
  const id = nextId++;
  return new Promise<T>((resolve, reject) => {
    pending.set(id, { resolve: resolve as Pending["resolve"], reject, onProgress });
    hashWorker().postMessage({ ...req, id } as HashRequest);
  });
}

/** Hashes one sample in the worker, with the dataset's canonical encoding. */
export function hashSampleFile(file: File, encoding: SampleEncoding, onProgress?: (p: HashProgress) => void) {
  return run<SampleResult>({ kind: "sample", file, encoding }, onProgress);
}

export function hashFolder(entries: { file: File; path: string }[], skippedHidden: number, onProgress?: (p: HashProgress) => void) {
  return run<DatasetResult>({ kind: "files", entries, skippedHidden }, onProgress);
}

/** WebDataset shards or Parquet files, hashed by core's rules for them (formats/blob-dataset.ts). */
export function hashContainerFiles(entries: { file: File; path: string }[], encoding: ContainerEncoding, skippedHidden: number, onProgress?: (p: HashProgress) => void) {
  return run<DatasetResult>({ kind: "container", entries, encoding, skippedHidden }, onProgress);
}

export function hashRecordFile(file: File, encoding: "jsonl" | "csv", onProgress?: (p: HashProgress) => void) {
  return run<DatasetResult>({ kind: "records", file, encoding }, onProgress);
}
