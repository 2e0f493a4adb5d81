import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { HashSink, bytePath, emptySkippedCounts, hashFile, hashRecordRange, newScratch } from "../encodings.ts";
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
  mkdirSync(join(workDir, "runs"), { recursive: true });
  writeRun(runPath(workDir, u), out.result());
  const stats: UnitStats = { unit: u, samples: out.count, bytes, emptyRecords: skipped.emptyRecords };
  writeFileSync(`${statsPath(workDir, u)}.tmp`, JSON.stringify(stats));
  renameSync(`${statsPath(workDir, u)}.tmp`, statsPath(workDir, u));
  return stats;
}
