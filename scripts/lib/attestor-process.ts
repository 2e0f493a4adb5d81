/**
 * The attestor service as a child process, `node attestor/main.ts`, started as the demo and the tests start
 * it: on a free port, with its state in `stateDir`, on the TPM at `tcti` or (without one) a software TPM it
 * runs itself. Ready once it has written `<stateDir>/attestor.json` naming its own pid; its structured log
 * (stderr) is kept.
 */
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { REPO } from "./local-chain.ts";

export type AttestorProcess = {
  url: string;
  pid: number;
  child: ChildProcess;
  logs(): string;
  /** Lines of the structured log, parsed. */
  entries(): Record<string, unknown>[];
  stop(signal?: NodeJS.Signals): Promise<void>;
};

const START_TIMEOUT_MS = 60_000;

export async function startAttestor(o: { env: Record<string, string>; stateDir: string; tcti?: string }): Promise<AttestorProcess> {
  mkdirSync(o.stateDir, { recursive: true });
  const info = join(o.stateDir, "attestor.json");
  rmSync(info, { force: true });
  const tpm = o.tcti ? ["--tcti", o.tcti] : ["--swtpm"];
  const child = spawn(process.execPath, [join(REPO, "attestor", "main.ts"), "--port", "0", "--state-dir", o.stateDir, ...tpm], {
    cwd: REPO,
    env: { ...process.env, ...o.env },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let logs = "";
  child.stderr!.on("data", (c: Buffer) => (logs += c.toString()));
  let exited = false;
  child.once("exit", () => (exited = true));
  const started = Date.now();
  while (!ready(info, child.pid)) {
    if (exited) throw new Error(`the attestor service exited at start:\n${logs}`);
    if (Date.now() - started > START_TIMEOUT_MS) throw new Error(`the attestor service did not start within ${START_TIMEOUT_MS / 1000} s:\n${logs}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url: JSON.parse(readFileSync(info, "utf8")).url,
    pid: child.pid!,
    child,
    logs: () => logs,
    entries: () =>
      logs
        .split("\n")
        .filter((l) => l.startsWith("{"))
        .map((l) => JSON.parse(l)),
    async stop(signal: NodeJS.Signals = "SIGTERM") {
      if (exited) return;
      const done = new Promise((r) => child.once("exit", r));
      child.kill(signal);
      await done;
    },
  };
}

/** The service wrote its address, and it is this process's. */
function ready(info: string, pid: number | undefined): boolean {
  if (!existsSync(info)) return false;
  try {
    return JSON.parse(readFileSync(info, "utf8")).pid === pid;
  } catch {
    // written but not yet complete
    return false;
  }
}
