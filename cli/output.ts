import { Command, Option } from "commander";
import { isProvenantError, type ProvenantError } from "../core/errors.ts";

export interface CommonOptions {
  json?: boolean;
  network: string;
  dataDir?: string;
  storage?: string;
}

/** Options every command takes. */
export function withCommonOptions(cmd: Command): Command {
  return cmd
    .option("--json", "print exactly one JSON object on stdout")
    .option("--network <name>", "chain to use: localhost, filecoinCalibration or filecoin", "localhost")
    .option("--data-dir <dir>", "data directory (default: $PROVENANT_HOME or ~/.provenant)")
    .addOption(
      // No fixed default: without --storage, provenant.config.json's "storage" applies, else local.
      new Option("--storage <kind>", "where content is stored (default: provenant.config.json's, else local)").choices(["local", "lighthouse"]),
    );
}

/**
 * Runs a command action: its result goes to stdout as text or as one JSON object; a failure becomes one line
 * on stderr (and a JSON error object with --json) and exit code 1, never a stack trace.
 */
export function action<O extends CommonOptions>(run: (args: string[], opts: O) => Promise<{ text: string; json: unknown; ok?: boolean }>) {
  return async (...params: unknown[]) => {
    const cmd = params[params.length - 1] as Command;
    const opts = cmd.opts() as O;
    const args = params.slice(0, -2) as string[];
    try {
      const { text, json, ok = true } = await run(args, opts);
      process.stdout.write(opts.json ? `${JSON.stringify(json, jsonBigInt, 2)}\n` : `${text}\n`);
      if (!ok) process.exitCode = 1;
    } catch (e) {
      fail(e, opts.json);
    }
  };
}

/**
 * The CLI's words for the library's error hints (core/errors.ts ErrorHint): the flag or command that applies the
 * remedy. Core messages name no flag; a hint this table lacks is left out, never guessed.
 */
const HINT_SYNTAX: Record<string, (value?: string) => string> = {
  secretEnv: (name) => `--secret-env ${name ?? "<NAME>"}`,
  publishEnv: (name) => `--publish-env ${name ?? "<NAME>"}`,
  attestorToken: () => "--token <token>",
  enrollNewAk: () => "provenant attestor enroll --new-ak",
  auditReport: () => "provenant dataset audit <id> --report",
  storage: () => "--storage local|lighthouse",
  encoding: () => "--format <encoding>",
  part: () => "--part i/N",
  // sampleFile and sampleMembers (the sample as files) are left out: the message already says so, and a file is no flag.
  sampleText: () => "--text <record>",
  sampleRowJson: () => "--row-json '<row as JSON>'",
  sampleRow: () => "--row <index> <file.parquet>",
};

/** An error as the CLI prints it: the library's message, then its hints in CLI syntax. */
export function errorMessage(e: ProvenantError): string {
  const hints = e.hints.flatMap((h) => (HINT_SYNTAX[h.remedy] ? [HINT_SYNTAX[h.remedy]!(h.value)] : []));
  return hints.length ? `${e.message} (${hints.join(" or ")})` : e.message;
}

export function fail(e: unknown, json?: boolean): void {
  const code = isProvenantError(e) ? e.code : "INTERNAL";
  const message = isProvenantError(e) ? errorMessage(e) : `unexpected error: ${(e as Error)?.message ?? String(e)}`;
  if (json) process.stdout.write(`${JSON.stringify({ ok: false, error: { code, message } })}\n`);
  process.stderr.write(`provenant: ${message}\n`);
  if (!isProvenantError(e) && process.env.PROVENANT_DEBUG) console.error(e);
  process.exitCode = 1;
}

export function jsonBigInt(_key: string, value: unknown): unknown {
  return typeof value === "bigint" ? value.toString() : value;
}
