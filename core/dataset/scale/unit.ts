import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join, sep } from "node:path";
import { HashSink, hashFile, hashRecordRange, newScratch, type SkippedCounts } from "../encodings.ts";
import { writeRun } from "./run-file.ts";
import type { Plan } from "./plan.ts";

/** What a finished unit reports; its presence on disk marks the unit done (resume skips it). */
export interface UnitStats {
  unit: number;
  samples: number;
  bytes: number;
  emptyRecords: number;
}

export const runPath = (workDir: string, u: number) => join(workDir, "runs", `unit-${u}.run`);
const statsPath = (workDir: string, u: number) => join(workDir, "runs", `unit-${u}.json`);

export function finishedUnit(workDir: string, u: number): UnitStats | null {
  const p = statsPath(workDir, u);
  if (!existsSync(p) || !existsSync(runPath(workDir, u))) return null;
  try {
    return JSON.parse(readFileSync(p, "utf8"));
  } catch {
    return null;
  }
}

/** Hashes one unit into its run file, then writes its stats: the run is complete before it is marked done. */
export function runUnit(plan: Plan, u: number, workDir: string, onSamples?: (n: number) => void): UnitStats {
  const spec = plan.units[u];
  const out = new HashSink();
  const skipped: SkippedCounts = { hidden: 0, symlinks: 0, other: 0, emptyRecords: 0 };
  let bytes = 0;
  if (spec.kind === "files") {
    const files = readFileSync(spec.list, "utf8").split("\0");
    const scratch = newScratch();
    const root = plan.input.endsWith(sep) ? plan.input : plan.input + sep;
    for (let i = 0; i < files.length; i++) {
      const colon = files[i].indexOf(":");
      out.push(hashFile(root + files[i].slice(colon + 1), scratch, Number(files[i].slice(0, colon))));
      bytes += scratch.size;
      if (onSamples && (i & 4095) === 4095) onSamples(i + 1);
    }
  } else {
    hashRecordRange(plan.input, plan.encoding as "jsonl" | "csv", spec, out.push, skipped, () => onSamples?.(out.count));
    bytes = spec.end - spec.start;
  }
  mkdirSync(join(workDir, "runs"), { recursive: true });
  writeRun(runPath(workDir, u), out.result());
  const stats: UnitStats = { unit: u, samples: out.count, bytes, emptyRecords: skipped.emptyRecords };
  writeFileSync(`${statsPath(workDir, u)}.tmp`, JSON.stringify(stats));
  renameSync(`${statsPath(workDir, u)}.tmp`, statsPath(workDir, u));
  return stats;
}
