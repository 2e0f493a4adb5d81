/**
 * `provenant train --dataset 1:training --data ./mnist-png --parent 3:finetune --parent-weights ./gen1 --out ./weights
 *    --name digits --version 2.0.0 -- <training command>`
 *
 * A client of the attestor service: it sends the run, streams the command's output as it comes, and prints
 * the certificate and the registered model. Paths are made absolute here (the service runs on this machine).
 */
import { resolve } from "node:path";
import { Command } from "commander";
import { DATASET_ROLES, PARENT_RELATIONS } from "../../core/chain/roles.ts";
import { InputError } from "../../core/errors.ts";
import { parseDatasetEdge, parseParentEdge } from "../../core/lineage/edge-syntax.ts";
import { loadRecordFile, withIdentity } from "../../core/model/record.ts";
import { acceptedSkipsByDataset, commandRequest, followAttestedRun, withAttestedRunOptions, type AttestedRunOptions } from "../attested-run.ts";
import { action, withCommonOptions } from "../output.ts";

interface TrainOptions extends AttestedRunOptions {
  dataset: string[];
  data: string[];
  parent: string[];
  parentWeights: string[];
  out: string;
  name?: string;
  version?: string;
  record?: string;
  license: string;
}

const collect = (v: string, prev: string[]) => [...prev, v];

export function trainCommand(): Command {
  return withCommonOptions(
    withAttestedRunOptions(
      new Command("train")
        .description("train under the attestor: measured inputs, TPM quote, training certificate, attested model registration")
        .argument("<command...>", "the training command, after --")
        .option("--dataset <id:role>", `a dataset token and its role (${DATASET_ROLES.join(", ")}); repeatable`, collect, [])
        .option("--data <dir>", "the local files of each --dataset, in the same order; repeatable", collect, [])
        .option("--parent <id:relation>", `a parent model token and its relation (${PARENT_RELATIONS.join(", ")}); repeatable`, collect, [])
        .option("--parent-weights <dir>", "the local weights of each --parent, in the same order; repeatable", collect, [])
        .requiredOption("--out <dir>", "where the command writes the weights")
        .option("--name <name>", "the model's name (or in --record)")
        .option("--version <semver>", "the model's version (or in --record)")
        .option("--record <file>", "the model record (YAML or JSON, provenant-model-record-v1)")
        .option("--license <spdx>", "the model's license", ""),
      "training",
      "model",
    ),
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
      const edges = opts.dataset.map((d) => parseDatasetEdge(d, "--dataset"));
      const accepted = acceptedSkipsByDataset(
        opts.acceptSkipped,
        edges.map((e) => e.datasetId),
      );
      const request = {
        ...commandRequest(opts, command),
        datasets: edges.map((e, i) => {
          const acceptSkipped = accepted.get(e.datasetId);
          return { ...e, path: resolve(opts.data[i]!), ...(acceptSkipped ? { acceptSkipped } : {}) };
        }),
        parents: opts.parent.map((p, i) => ({ ...parseParentEdge(p, "--parent"), path: resolve(opts.parentWeights[i]!) })),
        outputDir: resolve(opts.out),
        record,
        license: opts.license,
      };
      const { ok, last, queued, certificate, registered } = await followAttestedRun(opts, "run", request, (d) =>
        d.dataset ? `dataset #${d.dataset}` : d.parent ? `parent #${d.parent}` : undefined,
      );
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
