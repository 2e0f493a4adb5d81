import { execFile } from "node:child_process";
import { join } from "node:path";
import { REPO } from "./local-chain.ts";

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  json: any;
}

/** Runs the real CLI in a child process, the way a user does, with `--json` appended. */
export function runCli(args: string[], env: Record<string, string>, options: { withoutRootFileAccess?: boolean } = {}): Promise<CliResult> {
  const argv = [join(REPO, "cli", "provenant.ts"), ...args, "--json"];
  // Root reads any file; without these two capabilities a mode-000 file is unreadable to root as well.
  const [cmd, cmdArgs] = options.withoutRootFileAccess
    ? ["setpriv", ["--inh-caps=-dac_override,-dac_read_search", "--bounding-set=-dac_override,-dac_read_search", process.execPath, ...argv]]
    : [process.execPath, argv];
  return new Promise((resolve) => {
    execFile(
      cmd,
      cmdArgs,
      { cwd: REPO, env: { ...process.env, ...env }, maxBuffer: 64 << 20 },
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
