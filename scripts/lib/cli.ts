/**
 * The CLI as a user runs it, the built `provenant` bin (dist/provenant.js) in a child process: the one way scripts
 * (the demo, benchmarks) and tests run it. With `json` (the default) `--json` goes before a `--` that starts a
 * training command (else at the end) and stdout is parsed. Never throws for the CLI's own failure: the
 * exit code, both streams and the parsed JSON (null when stdout is not JSON) are returned.
 */
import { execFile, execFileSync } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { REPO } from "./local-chain.ts";

/** The built CLI; `ensureBuiltCli()` first makes sure it is there and not older than its sources. */
export const CLI = join(REPO, "dist", "provenant.js");

let built = false;

/** Rebuilds dist/ (scripts/build-cli.ts, about a second) when it is missing or a source under core/ or cli/ is newer. */
export function ensureBuiltCli(): void {
  if (built) return;
  const mtime = (p: string) => statSync(p, { throwIfNoEntry: false })?.mtimeMs ?? -1;
  const builtAt = mtime(CLI);
  const newer = (dir: string) =>
    readdirSync(join(REPO, dir), { recursive: true, withFileTypes: true }).some(
      (e) => e.isFile() && /\.tsx?$/.test(e.name) && mtime(join(e.parentPath, e.name)) > builtAt,
    );
  if (builtAt < 0 || newer("core") || newer("cli")) execFileSync(process.execPath, [join(REPO, "scripts", "build-cli.ts")], { stdio: "inherit" });
  built = true;
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  json: any;
}

export type CliOptions = {
  /** Add `--json` and parse stdout; default true. */
  json?: boolean;
  /** Run without root's file-access capabilities, so a mode-000 file is unreadable to root as well. */
  withoutRootFileAccess?: boolean;
  cwd?: string;
};

/** `args` with `--json` before a `--` that starts a training command, else at the end. */
function withJsonFlag(args: readonly string[]): string[] {
  const dash = args.indexOf("--");
  return dash < 0 ? [...args, "--json"] : [...args.slice(0, dash), "--json", ...args.slice(dash)];
}

export function runCli(args: readonly string[], env: Record<string, string> = {}, options: CliOptions = {}): Promise<CliResult> {
  const json = options.json ?? true;
  ensureBuiltCli();
  const argv = [CLI, ...(json ? withJsonFlag(args) : args)];
  const [cmd, cmdArgs] = options.withoutRootFileAccess
    ? ["setpriv", ["--inh-caps=-dac_override,-dac_read_search", "--bounding-set=-dac_override,-dac_read_search", process.execPath, ...argv]]
    : [process.execPath, argv];
  return new Promise((resolve) => {
    execFile(cmd, cmdArgs, { cwd: options.cwd ?? REPO, env: { ...process.env, ...env }, maxBuffer: 64 << 20 }, (error, stdout, stderr) => {
      let parsed: unknown = null;
      if (json) {
        try {
          parsed = JSON.parse(stdout);
        } catch {}
      }
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr, json: parsed });
    });
  });
}
