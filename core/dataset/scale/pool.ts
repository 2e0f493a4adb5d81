import { fork, type ChildProcess } from "node:child_process";
import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";
import { ProvenantError, type ProvenantErrorCode } from "../../errors.ts";
import { loadPlan } from "./plan.ts";
import { runUnit, type UnitStats } from "./unit.ts";

const WORKER = fileURLToPath(new URL("./unit-worker.ts", import.meta.url));

export function defaultWorkers(): number {
  return availableParallelism();
}

/**
 * Hashes `units` of the plan in `workDir` on `workers` child processes (in this process when one is enough).
 * `onSamples` gets the running total of samples hashed. Any unit's failure stops the pool and is rethrown.
 */
export async function hashUnitsInPool(
  workDir: string,
  units: number[],
  workers: number,
  onSamples?: (samples: number) => void,
): Promise<UnitStats[]> {
  const results: UnitStats[] = [];
  if (units.length === 0) return results;
  let doneSamples = 0;
  if (workers <= 1 || units.length === 1) {
    const plan = loadPlan(workDir)!;
    for (const u of units) {
      const stats = runUnit(plan, u, workDir, (n) => onSamples?.(doneSamples + n));
      doneSamples += stats.samples;
      results.push(stats);
      onSamples?.(doneSamples);
    }
    return results;
  }
  const queue = [...units];
  const inFlight = new Map<ChildProcess, number>();
  const partial = new Map<number, number>();
  const children: ChildProcess[] = [];
  return new Promise<UnitStats[]>((resolve, reject) => {
    let failed = false;
    const stopAll = () => children.forEach((c) => c.connected && c.disconnect());
    const report = () => onSamples?.(doneSamples + [...partial.values()].reduce((a, b) => a + b, 0));
    const next = (child: ChildProcess) => {
      const u = queue.shift();
      if (u === undefined) {
        inFlight.delete(child);
        child.disconnect();
        if (inFlight.size === 0 && !failed) resolve(results.sort((a, b) => a.unit - b.unit));
        return;
      }
      inFlight.set(child, u);
      child.send({ workDir, unit: u });
    };
    for (let w = 0; w < Math.min(workers, units.length); w++) {
      const child = fork(WORKER, [], { execArgv: [], stdio: ["ignore", "inherit", "inherit", "ipc"] });
      children.push(child);
      child.on("message", (m: { type: string; stats?: UnitStats; unit?: number; samples?: number; code?: string; message?: string }) => {
        if (m.type === "progress") {
          partial.set(m.unit!, m.samples!);
          report();
        } else if (m.type === "done") {
          partial.delete(m.stats!.unit);
          doneSamples += m.stats!.samples;
          results.push(m.stats!);
          report();
          next(child);
        } else if (m.type === "error" && !failed) {
          failed = true;
          stopAll();
          reject(new ProvenantError((m.code as ProvenantErrorCode) ?? "INPUT_UNREADABLE", m.message ?? "a hashing worker failed"));
        }
      });
      child.on("exit", (code) => {
        if (!failed && inFlight.has(child)) {
          failed = true;
          stopAll();
          reject(new ProvenantError("INPUT_UNREADABLE", `a hashing worker exited with code ${code} on unit ${inFlight.get(child)}`));
        }
      });
      next(child);
    }
  });
}
