/**
 * One TPM conversation at a time over tpm2-tools: a promise queue (a raw swtpm socket takes one connection
 * at a time), scratch directories, and the flushing of what tools leave loaded (a raw socket has no
 * resource manager: after about three loaded objects commands fail with TPM_RC 0x902).
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TpmError } from "../errors.ts";
import { runTool } from "./tools.ts";
import type { ToolOptions, ToolOutput } from "./tools.ts";

/** What a job leaves loaded and must flush when it is done (see ToolSession.withScratch). */
export type JobLoads = "nothing" | "objects" | "sessions";

export function hexHandle(h: number): string {
  return `0x${h.toString(16).padStart(8, "0")}`;
}

export class ToolSession {
  private readonly options: ToolOptions;
  private tail: Promise<unknown> = Promise.resolve();

  constructor(options: ToolOptions) {
    this.options = options;
  }

  /** Run `job` after every job queued before it; one TPM conversation at a time. */
  serialized<T>(job: () => Promise<T>): Promise<T> {
    const run = this.tail.then(job, job);
    this.tail = run.catch(() => undefined);
    return run;
  }

  tool(name: string, args: readonly string[], cwd?: string): Promise<ToolOutput> {
    return runTool(name, args, cwd ? { ...this.options, cwd } : this.options);
  }

  /** Flush the transient objects the previous tools left loaded. */
  async flush(): Promise<void> {
    await this.tool("tpm2_flushcontext", ["-t"]);
  }

  /**
   * Flush transient objects, saved and loaded sessions. One call each: tpm2_flushcontext 5.4
   * given `-t -l -s` together flushes the sessions and leaves the objects.
   */
  async flushAll(): Promise<void> {
    await this.tool("tpm2_flushcontext", ["-t"]);
    await this.tool("tpm2_flushcontext", ["-s"]);
    await this.tool("tpm2_flushcontext", ["-l"]);
  }

  /**
   * A job with a scratch directory. `loads`: what the job leaves loaded (the EK and AK
   * contexts; the policy session, which tpm2_activatecredential leaves saved) and must be
   * flushed when it is done. Every job flushes everything after a failure, which can stop
   * a tool between loading and flushing. Jobs that only use persistent handles,
   * PCRs or NV (quote, pcrRead, nvread, readpublic) leave nothing loaded: checked with
   * `tpm2_getcap handles-transient` in test/tpm/quote.test.ts.
   */
  withScratch<T>(job: (dir: string) => Promise<T>, loads: JobLoads = "nothing"): Promise<T> {
    return this.serialized(async () => {
      const dir = await mkdtemp(join(tmpdir(), "provenant-tpm-"));
      let failed = true;
      let unreachable = false;
      try {
        const out = await job(dir);
        failed = false;
        return out;
      } catch (e) {
        unreachable = e instanceof TpmError && e.code === "TPM_UNAVAILABLE";
        throw e;
      } finally {
        if ((loads !== "nothing" || failed) && !unreachable) {
          try {
            await (loads === "objects" && !failed ? this.flush() : this.flushAll());
          } catch {
            // The job's own error (or success) is what the caller needs; a failed flush after an
            // unreachable TPM adds nothing.
          }
        }
        await rm(dir, { recursive: true, force: true });
      }
    });
  }

  async persistentHandles(): Promise<number[]> {
    const { stdout } = await this.tool("tpm2_getcap", ["handles-persistent"]);
    return [...stdout.matchAll(/0x[0-9a-fA-F]{8}/g)].map((m) => Number.parseInt(m[0], 16));
  }

  /** Read the name of the object at `handle` (fails when there is none). */
  async nameAt(handle: number, dir: string): Promise<Uint8Array> {
    await this.tool("tpm2_readpublic", ["-c", hexHandle(handle), "-n", "name.bin"], dir);
    return new Uint8Array(await readFile(join(dir, "name.bin")));
  }
}
