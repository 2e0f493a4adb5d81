/**
 * What `provenant train` and `provenant evaluate` share as clients of the attestor service: the options that
 * shape the measured command (code, configs, environment, secrets, timeout, accepted skips), the request fields
 * they become, and following the run's events to its end.
 */
import { resolve } from "node:path";
import type { Command } from "commander";
import { AttestorClient, attestorEndpoint } from "../core/attestor/client.ts";
import { checkEnvironment } from "../core/attestor/measure.ts";
import type { RunCertified, RunDone, RunEvent, RunQueued, RunRegistered, RunStageDetail } from "../core/attestor/run-events.ts";
import { dataDir } from "../core/config.ts";
import { SKIP_REASONS, parseAcceptedSkip, type AcceptedSkip } from "../core/dataset/skipped.ts";
import { InputError } from "../core/errors.ts";
import type { CommonOptions } from "./output.ts";

export interface AttestedRunOptions extends CommonOptions {
  code: string;
  config: string[];
  env: string[];
  secretEnv: string[];
  publishEnv: string[];
  attestor?: string;
  token?: string;
  register: boolean;
  timeout?: string;
  acceptSkipped: string[];
}

const collect = (v: string, prev: string[]) => [...prev, v];

/** Variables passed to the command unless --env says otherwise: enough to find programs. */
const DEFAULT_ENV = ["PATH", "HOME", "LANG"];

/** The options of a measured command; `what` is "training" or "evaluation", `registers` what --no-register skips. */
export function withAttestedRunOptions(command: Command, what: string, registers: string): Command {
  return command
    .option("--code <dir>", `the ${what} code: a git work tree or a directory`, ".")
    .option("--config <file>", `a configuration file the ${what} uses (measured); repeatable`, collect, [])
    .option("--env <NAME[=value]>", "a variable for the command, its value published in the certificate (PATH, HOME, LANG pass by default); repeatable", collect, [])
    .option(
      "--secret-env <NAME>",
      "a variable from this environment for the command, recorded in the certificate only as a salted hash (tokens, keys); repeatable",
      collect,
      [],
    )
    .option("--publish-env <NAME>", "publish this --env variable's value although its name looks secret (TOKEN, KEY, SECRET, PASSWORD...); repeatable", collect, [])
    .option("--attestor <url>", "the attestor service (default: the local one)")
    .option("--token <token>", "the service's token (default $PROVENANT_ATTESTOR_TOKEN or the local service's)")
    .option("--timeout <ms>", "kill the command after this many milliseconds")
    .option(
      "--accept-skipped <id:reason[:path]>",
      `let a dataset's folder hold entries that are not samples (reason: ${SKIP_REASONS.join(", ")}; a path as dataset hash lists it, or every entry of that reason); recorded in the certificate; repeatable`,
      collect,
      [],
    )
    .option("--no-register", `certify only: do not register the ${registers}`);
}

/**
 * `--accept-skipped <id>:<reason>[:<path>]`, per dataset id: the entries of that dataset's folder that are not
 * samples and may be there anyway. The path (last, so it may hold colons) is in text form, as `dataset hash` prints it.
 */
export function acceptedSkipsByDataset(specs: readonly string[], datasetIds: readonly string[]): Map<string, AcceptedSkip[]> {
  const out = new Map<string, AcceptedSkip[]>();
  for (const spec of specs) {
    const m = /^([^:]*):([^:]*)(?::(.*))?$/s.exec(spec);
    if (!m || !datasetIds.includes(m[1]!)) {
      throw new InputError("INPUT_INVALID", `--accept-skipped must be <dataset id>:<reason>[:<path>] naming a --dataset, got "${spec}"`);
    }
    const accepted = parseAcceptedSkip(m[3] === undefined ? { reason: m[2] } : { reason: m[2], path: m[3] }, `--accept-skipped ${spec}`);
    out.set(m[1]!, [...(out.get(m[1]!) ?? []), accepted]);
  }
  return out;
}

/**
 * The command's environment from --env (NAME or NAME=value) and --secret-env (NAME only: a value on the command
 * line would end up in shell history and the process list), with the names to record as secrets.
 */
export function commandEnvironment(
  specs: readonly string[],
  from: NodeJS.ProcessEnv = process.env,
  secretNames: readonly string[] = [],
): { env: Record<string, string>; secretEnv: string[] } {
  const env: Record<string, string> = {};
  for (const k of DEFAULT_ENV) if (from[k] !== undefined) env[k] = from[k]!;
  for (const s of specs) {
    const eq = s.indexOf("=");
    if (eq < 0) {
      if (from[s] === undefined) throw new InputError("INPUT_INVALID", `--env ${s}: no such variable in this environment`);
      env[s] = from[s]!;
    } else env[s.slice(0, eq)] = s.slice(eq + 1);
  }
  for (const name of secretNames) {
    if (name.includes("=")) {
      throw new InputError(
        "INPUT_INVALID",
        `--secret-env takes a variable's name, not its value: export ${name.slice(0, name.indexOf("="))} and pass --secret-env ${name.slice(0, name.indexOf("="))}`,
      );
    }
    if (specs.some((s) => s === name || s.startsWith(`${name}=`))) throw new InputError("INPUT_INVALID", `${name} is given with both --env and --secret-env`);
    if (from[name] === undefined) throw new InputError("INPUT_INVALID", `--secret-env ${name}: no such variable in this environment`);
    env[name] = from[name]!;
  }
  return { env, secretEnv: [...secretNames] };
}

/**
 * The request fields of the measured command itself. The environment is checked here as the service checks it,
 * so a credential passed by mistake never leaves this process.
 */
export function commandRequest(opts: AttestedRunOptions, command: string[]) {
  const { env, secretEnv } = commandEnvironment(opts.env, process.env, opts.secretEnv);
  checkEnvironment(env, { secret: secretEnv, publish: opts.publishEnv });
  return {
    code: resolve(opts.code),
    command,
    cwd: process.cwd(),
    env,
    ...(secretEnv.length ? { secretEnv } : {}),
    ...(opts.publishEnv.length ? { publishEnv: opts.publishEnv } : {}),
    configFiles: opts.config.map((c) => resolve(c)),
    register: opts.register,
    ...(opts.timeout ? { timeoutMs: Number(opts.timeout) } : {}),
  };
}

export interface FollowedRun {
  ok: boolean;
  last: RunDone;
  queued?: RunQueued;
  certificate?: RunCertified;
  registered?: RunRegistered;
}

/**
 * Submits a training run or an evaluation and follows it: the command's output goes to stdout as it comes (to
 * stderr with --json, where stdout holds only the result), the service's progress to stderr.
 */
export async function followAttestedRun(
  opts: AttestedRunOptions,
  kind: "run" | "evaluation",
  request: Record<string, unknown>,
  subject: (detail: RunStageDetail) => string | undefined,
): Promise<FollowedRun> {
  const client = new AttestorClient(attestorEndpoint(dataDir(opts.dataDir), { url: opts.attestor, token: opts.token }));
  const out = opts.json ? process.stderr : process.stdout;
  const say = (line: string) => process.stderr.write(`attestor: ${line}\n`);
  const seen: Omit<FollowedRun, "ok" | "last"> = {};
  const onEvent = (e: RunEvent) => {
    if (e.type === "output") out.write(e.data);
    else if (e.type === "queued") {
      seen.queued = e;
      say(`${kind} ${e.id} queued${e.position > 0 ? ` behind ${e.position} run(s)` : ""}`);
    } else if (e.type === "stage") {
      const named = subject(e);
      say(`${e.stage}${named ? ` ${named}` : ""}`);
    } else if (e.type === "certificate") {
      seen.certificate = e;
      say(`certificate ${e.certificateDigest} stored as ${e.certificateCid}`);
    } else if (e.type === "registered") seen.registered = e;
  };
  const last = kind === "run" ? await client.train(request, onEvent) : await client.evaluate(request, onEvent);
  return { ok: last.state === "registered" || last.state === "certified", last, ...seen };
}
