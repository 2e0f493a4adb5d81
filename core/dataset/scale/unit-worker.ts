/**
 * A child process that hashes work units and merges bucket ranges for the parent's ProcessExecutor (pool.ts),
 * on the JavaScript path. Child processes, not worker threads: node:crypto's small-message hashing contends inside
 * one process (1.1-1.4x on two threads, 1.6-2.1x on two processes; shared/notes/performance.md).
 */
import { loadPlan } from "./plan.ts";
import { runAnyUnit } from "./unit.ts";
import { mergeRangeJs } from "./merge.ts";
import { isProvenantError } from "../../errors.ts";
import type { WorkerJob } from "./pool.ts";

process.on("message", async (job: WorkerJob) => {
  try {
    if (job.type === "merge") {
      process.send!({ type: "merged", leaves: mergeRangeJs(job.files, job.from, job.to) });
      return;
    }
    const plan = loadPlan(job.workDir);
    if (!plan) throw new Error(`no plan in ${job.workDir}`);
    const stats = await runAnyUnit(plan, job.unit, job.workDir, (n) => process.send!({ type: "progress", unit: job.unit, samples: n }));
    process.send!({ type: "done", stats });
  } catch (e) {
    process.send!({ type: "error", code: isProvenantError(e) ? e.code : "INTERNAL", message: (e as Error).message });
  }
});
process.on("disconnect", () => process.exit(0));
