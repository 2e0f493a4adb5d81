import { execFile } from "node:child_process";
import { join } from "node:path";
import { REPO } from "../../scripts/lib/local-chain.ts";

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  json: any;
}

/** Runs the real CLI in a child process, the way a user does, with `--json` appended. */
export function runCli(args: string[], env: Record<string, string>, options: { uid?: number; gid?: number } = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [join(REPO, "cli", "provenant.ts"), ...args, "--json"],
      { cwd: REPO, env: { ...process.env, ...env }, maxBuffer: 64 << 20, ...options },
      (error, stdout, stderr) => {
        let json: unknown = null;
        try {
          json = JSON.parse(stdout);
        } catch {}
        resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr, json });
      },
    );
  });
}
