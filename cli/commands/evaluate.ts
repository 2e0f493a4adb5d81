/**
 * `provenant evaluate --model 1 --dataset 3 --data ./mnist-test --weights ./gen1 -- <evaluation command>`
 *
 * A client of the attestor service, like `provenant train`: it sends the evaluation, streams the command's
 * output as it comes, and prints the attested metrics and the registered evaluation. The command writes its
 * results, `provenant-metrics-v1` (docs/formats/metrics-v1.md), to $PROVENANT_METRICS_FILE, a file the attestor
 * chooses; with --out, the certified file is copied to `<out>/metrics.json`.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { Command } from "commander";
import { dataDir } from "../../core/config.ts";
import { AttestorClient, attestorEndpoint } from "../../core/attestor/client.ts";
import type { RunCertified, RunQueued, RunRegistered } from "../../core/attestor/run-events.ts";
import { METRICS_FILE, describeMetric, parseMetrics, type MetricEntry } from "../../core/attestor/evaluation-metrics.ts";
import { checkEvaluationEnvironment } from "../../core/attestor/evaluation-run.ts";
import { InputError } from "../../core/errors.ts";
import { checkEnvironment } from "../../core/attestor/measure.ts";
import { SKIP_REASONS } from "../../core/dataset/skipped.ts";
import { parseTokenId } from "../../core/identifiers.ts";
import { action, withCommonOptions, type CommonOptions } from "../output.ts";
import { acceptedSkipsByDataset, commandEnvironment } from "./train.ts";

interface EvaluateOptions extends CommonOptions {
  model: string;
  dataset: string;
  data: string;
  weights: string;
  code: string;
  out?: string;
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

export function evaluateCommand(): Command {
  return withCommonOptions(
    new Command("evaluate")
      .description("evaluate a model under the attestor: weights and data checked against the chain, metrics measured and quoted, the evaluation registered")
      .argument("<command...>", "the evaluation command, after --; it writes its metrics (provenant-metrics-v1) to $PROVENANT_METRICS_FILE")
      .requiredOption("--model <id>", "the model token to evaluate")
      .requiredOption("--weights <dir>", "the model's weights (must hash to its on-chain digest)")
      .requiredOption("--dataset <id>", "the evaluation dataset token")
      .requiredOption("--data <dir>", "the dataset's files (must hash to its on-chain root)")
      .option("--code <dir>", "the evaluation code: a git work tree or a directory", ".")
      .option("--out <dir>", "also write the certified metrics.json here")
      .option("--config <file>", "a configuration file the evaluation uses (measured); repeatable", collect, [])
      .option("--env <NAME[=value]>", "a variable for the command, its value published in the certificate (PATH, HOME, LANG pass by default); repeatable", collect, [])
      .option("--secret-env <NAME>", "a variable from this environment, recorded only as a salted hash; repeatable", collect, [])
      .option("--publish-env <NAME>", "publish this --env variable's value although its name looks secret; repeatable", collect, [])
      .option("--attestor <url>", "the attestor service (default: the local one)")
      .option("--token <token>", "the service's token (default $PROVENANT_ATTESTOR_TOKEN or the local service's)")
      .option("--timeout <ms>", "kill the command after this many milliseconds")
      .option(
        "--accept-skipped <id:reason[:path]>",
        `let the dataset's folder hold entries that are not samples (reason: ${SKIP_REASONS.join(", ")}); recorded in the certificate; repeatable`,
        collect,
        [],
      )
      .option("--no-register", "certify only: do not register the evaluation"),
  ).action(
    action<EvaluateOptions>(async (args, opts) => {
      const command = args[0] as unknown as string[];
      const modelId = parseTokenId(opts.model, "--model").toString();
      const datasetId = parseTokenId(opts.dataset, "--dataset").toString();
      const { env, secretEnv } = commandEnvironment(opts.env, process.env, opts.secretEnv);
      // The service refuses the same; refusing here keeps the request from leaving this process.
      checkEnvironment(env, { secret: secretEnv, publish: opts.publishEnv });
      checkEvaluationEnvironment(env);
      const acceptSkipped = acceptedSkipsByDataset(opts.acceptSkipped, [datasetId]).get(datasetId);
      const request = {
        model: { modelId, path: resolve(opts.weights) },
        dataset: { datasetId, path: resolve(opts.data), ...(acceptSkipped ? { acceptSkipped } : {}) },
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
      const client = new AttestorClient(attestorEndpoint(dataDir(opts.dataDir), { url: opts.attestor, token: opts.token }));
      const out = opts.json ? process.stderr : process.stdout;
      const say = (line: string) => process.stderr.write(`attestor: ${line}\n`);
      let queued: RunQueued | undefined;
      let certificate: RunCertified | undefined;
      let registered: RunRegistered | undefined;
      const last = await client.evaluate(request, (e) => {
        if (e.type === "output") out.write(e.data);
        else if (e.type === "queued") {
          queued = e;
          say(`evaluation ${e.id} queued${e.position > 0 ? ` behind ${e.position} run(s)` : ""}`);
        } else if (e.type === "stage") say(`${e.stage}${e.model ? ` model #${e.model}` : e.dataset ? ` dataset #${e.dataset}` : ""}`);
        else if (e.type === "certificate") {
          certificate = e;
          say(`certificate ${e.certificateDigest} stored as ${e.certificateCid}`);
        } else if (e.type === "registered") registered = e;
      });
      const ok = last.state === "registered" || last.state === "certified";
      const error = last.error;
      // The metrics as certified: the file's text, read by the metrics format's own parser.
      const metrics: MetricEntry[] =
        certificate?.metricsText !== undefined ? parseMetrics(new TextEncoder().encode(certificate.metricsText), "the certified metrics").metrics : [];
      const t = certificate?.timings;
      let metricsFile: string | undefined;
      if (opts.out && certificate?.metricsText !== undefined) {
        metricsFile = join(resolve(opts.out), METRICS_FILE);
        try {
          mkdirSync(resolve(opts.out), { recursive: true });
          writeFileSync(metricsFile, certificate.metricsText);
        } catch (e) {
          throw new InputError("INPUT_INVALID", `cannot write ${metricsFile}: ${(e as Error).message}`, { cause: e });
        }
      }
      return {
        ok,
        json: {
          ok,
          runId: queued?.id,
          state: last.state,
          ...(error ? { error } : {}),
          modelId,
          datasetId,
          ...(metricsFile ? { metricsFile } : {}),
          ...(certificate ? { metrics, certificateDigest: certificate.certificateDigest, certificateCid: certificate.certificateCid, timings: certificate.timings } : {}),
          ...(registered ? { evaluationId: registered.evaluationId, txHash: registered.txHash, gasUsed: registered.gasUsed } : {}),
          ms: last.ms,
        },
        text: ok
          ? [
              `evaluated model #${modelId} on dataset #${datasetId} under the attestor: ${metrics.map(describeMetric).join(", ")}`,
              registered
                ? `registered attested evaluation #${registered.evaluationId} (tx ${registered.txHash}, ${registered.gasUsed} gas)`
                : "certified (not registered)",
              `certificate ${certificate?.certificateDigest}  ipfs://${certificate?.certificateCid}`,
              ...(t ? [`command ${Math.round(t.commandMs)} ms, attestor overhead ${Math.round(t.overheadMs)} ms`] : []),
            ].join("\n")
          : `evaluation ${String(queued?.id)} ${String(last.state)}: ${error?.message ?? "unknown error"}`,
      };
    }),
  );
}
