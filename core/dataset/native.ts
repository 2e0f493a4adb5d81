import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { availableParallelism, constants } from "node:os";
import { join } from "node:path";
import { packageRoot } from "../package-root.ts";
import { useLeafDigest } from "../storage/cid.ts";

/**
 * The batched hasher in native/hash.c (built at install time by scripts/build-native.sh): one call hashes a whole
 * work unit, against about 700 ns of fixed cost per node:crypto call. The JavaScript in encodings.ts and scale/
 * is the reference and the fallback; both give the same bytes (test/dataset/native.test.ts).
 * PROVENANT_NATIVE=0 forces the JavaScript path; if the addon is missing or fails to load, Provenant says so once
 * on stderr and uses the JavaScript path. PROVENANT_NATIVE_PATH names another build.
 */

/** Where scripts/build-native.sh puts the build. A function: bundlers (the dApp's) rewrite module-level URLs. */
export function nativeBuildPath(): string {
  return join(packageRoot(), "native", "build", "provenant_hash.node");
}

/** Where a native job stopped: which call failed (`op`), its errno, and which file of a list or which bucket file. */
export interface NativeFailure {
  op: "open" | "read" | "write" | "format" | "quote" | "memory" | "bucket" | "list" | "stat";
  errno: number;
  index: number;
  /** walkFiles' "list": the directory that could not be listed. */
  path?: Buffer;
}

/** A files dataset's walk (sized-walk.ts): NUL-ended relative paths, float64 sizes, reasons as SKIP_REASONS indexes. */
export interface NativeWalkResult {
  files: number;
  names: Buffer;
  sizes: Buffer;
  skipped: Buffer;
  reasons: Buffer;
  failure?: NativeFailure;
}

export interface NativeRecordsResult {
  count: number;
  emptyRecords: number;
  bytes: number;
  /** The digests in input order, when no bucket file was asked for. */
  digests?: Buffer;
  failure?: NativeFailure;
}

export interface NativeFilesResult {
  count: number;
  bytes: number;
  digests?: Buffer;
  failure?: NativeFailure;
}

export interface NativeMergeResult {
  count: number;
  /** The leaves, unless they were written into the buffer given. */
  leaves?: Buffer;
  failure?: NativeFailure;
}

interface Addon {
  hashRecords(path: string, csv: boolean, start: number, end: number, inQuotes: boolean, bucketFile: string | null, async: false): NativeRecordsResult;
  hashRecords(path: string, csv: boolean, start: number, end: number, inQuotes: boolean, bucketFile: string | null, async: true): Promise<NativeRecordsResult>;
  hashFiles(root: Uint8Array, list: Uint8Array, bucketFile: string | null, async: false): NativeFilesResult;
  hashFiles(root: Uint8Array, list: Uint8Array, bucketFile: string | null, async: true): Promise<NativeFilesResult>;
  // Merges bucket ranges of bucket files (scale/bucket-file.ts).
  mergeBuckets(paths: string[], from: number, to: number, async: false, into?: Buffer): NativeMergeResult;
  mergeBuckets(paths: string[], from: number, to: number, async: true, into?: Buffer): Promise<NativeMergeResult>;
  /**
   * The merkle-v1 root of sorted leaves (copied at the call, so the caller may reuse its buffer at once; with
   * `borrow`, read in place: the caller leaves them alone until the promise settles).
   */
  treeRoot(leaves: Uint8Array, async: false): { root: Buffer; failure?: NativeFailure };
  treeRoot(leaves: Uint8Array, async: true, borrow?: boolean): Promise<{ root: Buffer; failure?: NativeFailure }>;
  /** One message's SHA-256: now, or on the thread pool reading `data` in place until the promise settles. */
  sha256(data: Uint8Array): Buffer;
  sha256(data: Uint8Array, async: true): Promise<Buffer>;
  /** The SHA-256 of each message data[ends[i-1], ends[i]) (from 0 for the first), back to back, in one call. */
  sha256Many(data: Uint8Array, ends: Uint32Array): Buffer;
  /** Walks a directory (its absolute path as bytes, ending in "/"), as walkFiles does, with file sizes. */
  walkFiles(root: Uint8Array): NativeWalkResult;
}

export type NativeHasher = Addon;

// Async native jobs run on libuv's thread pool: 4 threads unless UV_THREADPOOL_SIZE says otherwise, read once
// when the pool first starts (after this module loads, in the CLI). Room for one job per core and a few spare.
if (!process.env.UV_THREADPOOL_SIZE) process.env.UV_THREADPOOL_SIZE = String(Math.max(4, availableParallelism() + 2));

const ADDON_FUNCTIONS = ["hashRecords", "hashFiles", "mergeBuckets", "treeRoot", "sha256", "sha256Many", "walkFiles"] as const satisfies readonly (keyof Addon)[];

let loaded: Addon | null | undefined;
let warned = false;

/** Whether the caller turned the native path off (PROVENANT_NATIVE=0); read on every call, so tests can flip it. */
export const nativeDisabled = () => process.env.PROVENANT_NATIVE === "0";

/** The native hasher, or null for the JavaScript path. Loads on first use, so commands that hash nothing never warn. */
export function nativeHasher(): NativeHasher | null {
  if (nativeDisabled()) return null;
  if (loaded === undefined) loaded = load();
  return loaded;
}

function load(): Addon | null {
  let reason: string;
  try {
    // Another build can be named (tests point this at a missing or broken file to see the fallback).
    const path = process.env.PROVENANT_NATIVE_PATH || nativeBuildPath();
    if (existsSync(path)) {
      const addon = createRequire(import.meta.url)(path) as Addon;
      // A build older than this code (sources updated, no rebuild) lacks or misnames functions: refuse it whole.
      const missing = ADDON_FUNCTIONS.filter((name) => typeof addon[name] !== "function");
      if (missing.length) throw new Error(`it is out of date (${path} has no ${missing.join(", ")})`);
      // Shards' CIDs then hash their 256 KiB leaves on the thread pool too (core/storage/cid.ts).
      useLeafDigest((chunk) => addon.sha256(chunk, true));
      return addon;
    }
    reason = `${path} is missing`;
  } catch (e) {
    const message = (e as Error).message.split("\n")[0];
    reason = message.startsWith("it is out of date") ? message : `it failed to load (${message})`;
  }
  if (!warned) {
    warned = true;
    process.stderr.write(`provenant: native hashing unavailable: ${reason}; using the JavaScript path (same results, slower). Rebuild with: npm run build:native\n`);
  }
  return null;
}

/** "ENOENT" for 2 and so on, for errors that read like node's own. */
export function errnoCode(errno: number): string {
  for (const [name, value] of Object.entries(constants.errno)) if (value === errno) return name;
  return `errno ${errno}`;
}
