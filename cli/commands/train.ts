/**
 * `provenant train --dataset 1:training --data ./mnist-png --parent 3:finetune --parent-weights ./gen1 --out ./weights
 *    --name digits --version 2.0.0 -- <training command>`
 *
 * A client of the attestor service: it sends the run, streams the command's output as it comes, and prints
 * the certificate and the registered model. Paths are made absolute here (the service runs on this machine).
 */
import { resolve } from "node:path";
import { Command } from "commander";
import { dataDir } from "../../core/config.ts";
import { AttestorClient, attestorEndpoint } from "../../core/attestor/client.ts";
import type { RunCertified, RunQueued, RunRegistered } from "../../core/attestor/run-events.ts";
import { DATASET_ROLES, PARENT_RELATIONS } from "../../core/chain/roles.ts";
import { checkEnvironment } from "../../core/attestor/measure.ts";
import { InputError } from "../../core/errors.ts";
import { parseDatasetEdge, parseParentEdge } from "../../core/lineage/edge-syntax.ts";
import { loadRecordFile, withIdentity } from "../../core/model/record.ts";
import { SKIP_REASONS, parseAcceptedSkip, type AcceptedSkip } from "../../core/dataset/skipped.ts";
import { action, withCommonOptions, type CommonOptions } from "../output.ts";

interface TrainOptions extends CommonOptions {
  dataset: string[];
  data: string[];
  parent: string[];
  parentWeights: string[];
  code: string;
  out: string;
  name?: string;
  version?: string;
  record?: string;
  license: string;
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

export function trainCommand(): Command {
  return withCommonOptions(
    new Command("train")
      .description("train under the attestor: measured inputs, TPM quote, training certificate, attested model registration")
      .argument("<command...>", "the training command, after --")
      .option("--dataset <id:role>", `a dataset token and its role (${DATASET_ROLES.join(", ")}); repeatable`, collect, [])
      .option("--data <dir>", "the local files of each --dataset, in the same order; repeatable", collect, [])
      .option("--parent <id:relation>", `a parent model token and its relation (${PARENT_RELATIONS.join(", ")}); repeatable`, collect, [])
      .option("--parent-weights <dir>", "the local weights of each --parent, in the same order; repeatable", collect, [])
      .option("--code <dir>", "the training code: a git work tree or a directory", ".")
      .requiredOption("--out <dir>", "where the command writes the weights")
      .option("--name <name>", "the model's name (or in --record)")
      .option("--version <semver>", "the model's version (or in --record)")
      .option("--record <file>", "the model record (YAML or JSON, provenant-model-record-v1)")
      .option("--license <spdx>", "the model's license", "")
      .option("--config <file>", "a configuration file the run uses (measured); repeatable", collect, [])
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
      .option("--no-register", "certify only: do not register the model"),
  ).action(
    action<TrainOptions>(async (args, opts) => {
      // commander hands a variadic argument over as one array
      const command = args[0] as unknown as string[];
      if (opts.dataset.length !== opts.data.length) {
        throw new InputError("INPUT_INVALID", `${opts.dataset.length} --dataset but ${opts.data.length} --data: give each dataset its files`);
      }
      if (opts.parent.length !== opts.parentWeights.length) {
        throw new InputError("INPUT_INVALID", `${opts.parent.length} --parent but ${opts.parentWeights.length} --parent-weights: give each parent its weights`);
      }
      const identity = { ...(opts.name ? { name: opts.name } : {}), ...(opts.version ? { version: opts.version } : {}) };
      const record = opts.record ? loadRecordFile(opts.record, identity) : withIdentity({}, identity, "--name/--version");
      const { env, secretEnv } = commandEnvironment(opts.env, process.env, opts.secretEnv);
      // The service refuses the same; refusing here keeps a credential from even leaving this process.
      checkEnvironment(env, { secret: secretEnv, publish: opts.publishEnv });
      const edges = opts.dataset.map((d) => parseDatasetEdge(d, "--dataset"));
      const accepted = acceptedSkipsByDataset(
        opts.acceptSkipped,
        edges.map((e) => e.datasetId),
      );
      const request = {
        datasets: edges.map((e, i) => {
          const acceptSkipped = accepted.get(e.datasetId);
          return { ...e, path: resolve(opts.data[i]!), ...(acceptSkipped ? { acceptSkipped } : {}) };
        }),
        parents: opts.parent.map((p, i) => ({ ...parseParentEdge(p, "--parent"), path: resolve(opts.parentWeights[i]!) })),
        code: resolve(opts.code),
        command,
        cwd: process.cwd(),
        env,
        ...(secretEnv.length ? { secretEnv } : {}),
        ...(opts.publishEnv.length ? { publishEnv: opts.publishEnv } : {}),
        configFiles: opts.config.map((c) => resolve(c)),
        outputDir: resolve(opts.out),
        record,
        license: opts.license,
        register: opts.register,
        ...(opts.timeout ? { timeoutMs: Number(opts.timeout) } : {}),
      };
      const client = new AttestorClient(attestorEndpoint(dataDir(opts.dataDir), { url: opts.attestor, token: opts.token }));
      // The command's output goes to stdout as it comes; with --json stdout holds only the result, so it goes to stderr.
      const out = opts.json ? process.stderr : process.stdout;
      const say = (line: string) => process.stderr.write(`attestor: ${line}\n`);
      let queued: RunQueued | undefined;
      let certificate: RunCertified | undefined;
      let registered: RunRegistered | undefined;
      const last = await client.train(request, (e) => {
        if (e.type === "output") out.write(e.data);
        else if (e.type === "queued") {
          queued = e;
          say(`run ${e.id} queued${e.position > 0 ? ` behind ${e.position} run(s)` : ""}`);
        } else if (e.type === "stage") say(`${e.stage}${e.dataset ? ` dataset #${e.dataset}` : e.parent ? ` parent #${e.parent}` : ""}`);
        else if (e.type === "certificate") {
          certificate = e;
          say(`certificate ${e.certificateDigest} stored as ${e.certificateCid}`);
        } else if (e.type === "registered") registered = e;
      });
      const ok = last.state === "registered" || last.state === "certified";
      const error = last.error;
      const json = {
        ok,
        runId: queued?.id,
        state: last.state,
        ...(error ? { error } : {}),
        ...(certificate ? { certificateDigest: certificate.certificateDigest, certificateCid: certificate.certificateCid, timings: certificate.timings } : {}),
        ...(registered ? { modelId: registered.modelId, txHash: registered.txHash, gasUsed: registered.gasUsed } : {}),
        ms: last.ms,
      };
      const t = certificate?.timings;
      return {
        ok,
        json,
        text: ok
          ? [
              registered ? `registered attested model #${registered.modelId} (tx ${registered.txHash}, ${registered.gasUsed} gas)` : "certified (not registered)",
              `certificate ${certificate?.certificateDigest}  ipfs://${certificate?.certificateCid}`,
              ...(t ? [`command ${Math.round(t.commandMs)} ms, attestor overhead ${Math.round(t.overheadMs)} ms`] : []),
            ].join("\n")
          : `run ${String(queued?.id)} ${String(last.state)}: ${error?.message ?? "unknown error"}`,
      };
    }),
  );
}
