import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { HashSink, bytePath, emptySkippedCounts, hashFile, hashRecordRange, nativeFailureError, newScratch } from "../encodings.ts";
import { errnoCode, type NativeFailure, type NativeHasher } from "../native.ts";
import { InputError, StorageError } from "../../errors.ts";
import { hashRowGroupOf, hashShardOf } from "../formats/containers.ts";
import { pathText } from "../path-text.ts";
import { writeBucketFile } from "./bucket-file.ts";
import type { Plan } from "./plan.ts";

/** What a finished unit reports; its presence on disk marks the unit done (resume skips it). */
export interface UnitStats {
  unit: number;
  samples: number;
  bytes: number;
  emptyRecords: number;
  /** A WebDataset shard's name and its first and last keys (byte strings): no key may continue into the next shard. */
  name?: string;
  firstKey?: string | null;
  lastKey?: string | null;
}

export const bucketFilePath = (workDir: string, u: number) => join(workDir, "buckets", `unit-${u}.bucket`);
const statsPath = (workDir: string, u: number) => join(workDir, "buckets", `unit-${u}.json`);

export function finishedUnit(workDir: string, u: number): UnitStats | null {
  const p = statsPath(workDir, u);
  if (!existsSync(p) || !existsSync(bucketFilePath(workDir, u))) return null;
  try {
    return JSON.parse(readFileSync(p, "utf8"));
  } catch {
    return null;
  }
}

/** Hashes one unit into its bucket file, then writes its stats: the file is complete before the unit is marked done. */
export function runUnit(plan: Plan, u: number, workDir: string, onSamples?: (n: number) => void): UnitStats {
  const spec = plan.units[u];
  const out = new HashSink();
  const skipped = emptySkippedCounts();
  let bytes = 0;
  if (spec.kind === "files") {
    // Byte strings, as the plan wrote them (plan.ts): names that are not UTF-8 open as their own bytes.
    const files = readFileSync(spec.list, "latin1").split("\0");
    const scratch = newScratch();
    const root = Buffer.from(plan.input.endsWith("/") ? plan.input : `${plan.input}/`).toString("latin1");
    for (let i = 0; i < files.length; i++) {
      const colon = files[i].indexOf(":");
      out.push(hashFile(bytePath(root + files[i].slice(colon + 1)), scratch, Number(files[i].slice(0, colon))));
      bytes += scratch.size;
      if (onSamples && (i & 4095) === 4095) onSamples(i + 1);
    }
  } else if (spec.kind === "range") {
    hashRecordRange(plan.input, plan.encoding as "jsonl" | "csv", spec, out.push, skipped, () => onSamples?.(out.count));
    bytes = spec.end - spec.start;
  } else {
    throw new RangeError(`unit ${u} is a ${spec.kind}: hash it with runAnyUnit`);
  }
  mkdirSync(join(workDir, "buckets"), { recursive: true });
  writeBucketFile(bucketFilePath(workDir, u), out.result());
  return markDone(workDir, { unit: u, samples: out.count, bytes, emptyRecords: skipped.emptyRecords });
}

/** Hashes any unit: a container unit (a shard, a row group) reads asynchronously, the others as runUnit does. */
export async function runAnyUnit(plan: Plan, u: number, workDir: string, onSamples?: (n: number) => void): Promise<UnitStats> {
  const spec = plan.units[u];
  if (spec.kind !== "shard" && spec.kind !== "rowgroup") return runUnit(plan, u, workDir, onSamples);
  const out = new HashSink();
  const file = { path: spec.path, name: spec.name, rel: spec.name, size: 0 };
  let stats: UnitStats;
  if (spec.kind === "shard") {
    const r = await hashShardOf(file, out.push, onSamples);
    stats = { unit: u, samples: out.count, bytes: r.bytes, emptyRecords: 0, name: spec.name, firstKey: r.firstKey, lastKey: r.lastKey };
  } else {
    const rows = await hashRowGroupOf(file, spec.rowGroup, out.push, onSamples);
    if (rows !== spec.rows) throw new InputError("INPUT_INVALID", `${spec.name}: row group ${spec.rowGroup} holds ${rows} rows, the plan ${spec.rows}: it changed since`);
    stats = { unit: u, samples: out.count, bytes: spec.bytes, emptyRecords: 0 };
  }
  mkdirSync(join(workDir, "buckets"), { recursive: true });
  writeBucketFile(bucketFilePath(workDir, u), out.result());
  return markDone(workDir, stats);
}

function markDone(workDir: string, stats: UnitStats): UnitStats {
  const path = statsPath(workDir, stats.unit);
  writeFileSync(`${path}.tmp`, JSON.stringify(stats));
  renameSync(`${path}.tmp`, path);
  return stats;
}

/**
 * runUnit through the native hasher, on libuv's thread pool: the same bucket file and stats, so units hashed
 * either way resume and merge alike. Several of these run at once in one process.
 */
export async function runUnitNative(native: NativeHasher, plan: Plan, unit: number, workDir: string): Promise<UnitStats> {
  const spec = plan.units[unit];
  if (spec.kind === "shard" || spec.kind === "rowgroup") throw new RangeError(`unit ${unit} is a ${spec.kind}: the native hasher does not read it`);
  mkdirSync(join(workDir, "buckets"), { recursive: true });
  const file = bucketFilePath(workDir, unit);
  if (spec.kind === "files") {
    // The list's raw bytes: names reach open() exactly as the walk found them.
    const list = readFileSync(spec.list);
    const root = Buffer.from(plan.input.endsWith("/") ? plan.input : `${plan.input}/`);
    const r = await native.hashFiles(root, list, file, true);
    if (r.failure) throw unitFailure(r.failure, file, () => pathText(Buffer.concat([root, listEntry(list, r.failure!.index)])));
    return markDone(workDir, { unit, samples: r.count, bytes: r.bytes, emptyRecords: 0 });
  }
  const r = await native.hashRecords(plan.input, plan.encoding === "csv", spec.start, spec.end, spec.inQuotes, file, true);
  if (r.failure) throw unitFailure(r.failure, file, () => plan.input);
  return markDone(workDir, { unit, samples: r.count, bytes: spec.end - spec.start, emptyRecords: r.emptyRecords });
}

/** Entry `index` of a unit list ("<size>:<path>" joined by NUL), without its size, as the bytes it names. */
function listEntry(list: Buffer, index: number): Buffer {
  const entry = list.toString("latin1").split("\0")[index] ?? "";
  return Buffer.from(entry.slice(entry.indexOf(":") + 1), "latin1");
}

function unitFailure(f: NativeFailure, file: string, input: () => string): Error {
  if (f.op === "write") return new StorageError("STORAGE_UNREACHABLE", `cannot write ${file} (${errnoCode(f.errno)})`);
  if (f.op === "format") return new StorageError("STORAGE_CORRUPT", `the unit list for ${file} is damaged: re-run to plan again`);
  return nativeFailureError(input(), f);
}
