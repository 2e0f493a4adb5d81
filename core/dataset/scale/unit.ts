import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { HashSink, bytePath, emptySkippedCounts, hashFile, hashRecordRange, nativeFailureError, newScratch } from "../encodings.ts";
import { errnoCode, type NativeFailure, type NativeHasher } from "../native.ts";
import { StorageError } from "../../errors.ts";
import { pathText } from "../path-text.ts";
import { writeBucketFile } from "./bucket-file.ts";
import type { Plan } from "./plan.ts";

/** What a finished unit reports; its presence on disk marks the unit done (resume skips it). */
export interface UnitStats {
  unit: number;
  samples: number;
  bytes: number;
  emptyRecords: number;
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
  } else {
    hashRecordRange(plan.input, plan.encoding as "jsonl" | "csv", spec, out.push, skipped, () => onSamples?.(out.count));
    bytes = spec.end - spec.start;
  }
  mkdirSync(join(workDir, "buckets"), { recursive: true });
  writeBucketFile(bucketFilePath(workDir, u), out.result());
  return markDone(workDir, { unit: u, samples: out.count, bytes, emptyRecords: skipped.emptyRecords });
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
