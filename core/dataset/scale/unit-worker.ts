/**
 * A child process that hashes work units for the parent's pool. Child processes, not worker threads:
 * node:crypto's small-message hashing contends inside one process (1.1-1.4x on two threads, 1.6-2.1x on two
 * processes; shared/notes/performance.md).
 */
import { loadPlan } from "./plan.ts";
import { runUnit } from "./unit.ts";
import { isProvenantError } from "../../errors.ts";

type Job = { workDir: string; unit: number };

process.on("message", (job: Job) => {
  try {
    const plan = loadPlan(job.workDir);
    if (!plan) throw new Error(`no plan in ${job.workDir}`);
    const stats = runUnit(plan, job.unit, job.workDir, (n) => process.send!({ type: "progress", unit: job.unit, samples: n }));
    process.send!({ type: "done", stats });
  } catch (e) {
    process.send!({
      type: "error",
      unit: job.unit,
      code: isProvenantError(e) ? e.code : "INTERNAL",
      message: (e as Error).message,
    });
  }
});
process.on("disconnect", () => process.exit(0));
