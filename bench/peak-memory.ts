import { readFileSync } from "node:fs";

/**
 * This process's peak resident memory (VmHWM), in MiB. Not process.resourceUsage().maxRSS: Linux carries that
 * over from the parent across fork and exec, so a child started by a big parent reports the parent's peak.
 */
export function peakMemoryMiB(): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync("/proc/self/status", "utf8"));
  return m ? Number(m[1]) / 1024 : process.resourceUsage().maxRSS / 1024;
}
