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
import { METRICS_FILE, describeMetric, parseMetrics, type MetricEntry } from "../../core/attestor/evaluation-metrics.ts";
import { checkEvaluationEnvironment } from "../../core/attestor/evaluation-run.ts";
import { InputError } from "../../core/errors.ts";
import { parseTokenId } from "../../core/identifiers.ts";
import { acceptedSkipsByDataset, commandRequest, followAttestedRun, withAttestedRunOptions, type AttestedRunOptions } from "../attested-run.ts";
import { action, withCommonOptions } from "../output.ts";

interface EvaluateOptions extends AttestedRunOptions {
  model: string;
  dataset: string;
  data: string;
  weights: string;
  out?: string;
}

export function evaluateCommand(): Command {
  return withCommonOptions(
    withAttestedRunOptions(
      new Command("evaluate")
        .description("evaluate a model under the attestor: weights and data checked against the chain, metrics measured and quoted, the evaluation registered")
        .argument("<command...>", "the evaluation command, after --; it writes its metrics (provenant-metrics-v1) to $PROVENANT_METRICS_FILE")
        .requiredOption("--model <id>", "the model token to evaluate")
        .requiredOption("--weights <dir>", "the model's weights (must hash to its on-chain digest)")
        .requiredOption("--dataset <id>", "the evaluation dataset token")
        .requiredOption("--data <dir>", "the dataset's files (must hash to its on-chain root)")
        .option("--out <dir>", "also write the certified metrics.json here"),
      "evaluation",
      "evaluation",
    ),
  ).action(
    action<EvaluateOptions>(async (args, opts) => {
      const command = args[0] as unknown as string[];
      const modelId = parseTokenId(opts.model, "--model").toString();
      const datasetId = parseTokenId(opts.dataset, "--dataset").toString();
      const measured = commandRequest(opts, command);
      checkEvaluationEnvironment(measured.env);
      const acceptSkipped = acceptedSkipsByDataset(opts.acceptSkipped, [datasetId]).get(datasetId);
      const request = {
        ...measured,
        model: { modelId, path: resolve(opts.weights) },
        dataset: { datasetId, path: resolve(opts.data), ...(acceptSkipped ? { acceptSkipped } : {}) },
      };
      const { ok, last, queued, certificate, registered } = await followAttestedRun(opts, "evaluation", request, (d) =>
        d.model ? `model #${d.model}` : d.dataset ? `dataset #${d.dataset}` : undefined,
      );
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
