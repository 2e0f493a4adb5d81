import { Command } from "commander";
import { renderVerifyTree } from "../../core/lineage/render.ts";
import { verifyLineage } from "../../core/lineage/verify.ts";
import { walkLineage } from "../../core/lineage/walk.ts";
import { action, progressBar, withCommonOptions, type CommonOptions } from "../output.ts";
import { openLineageSources, parseModelId } from "./lineage.ts";

interface VerifyModelOptions extends CommonOptions {
  weights?: string;
  ascii?: boolean;
}

/** `verify model <id>`: every check of core/lineage/verify.ts over the model's whole ancestry. */
export function verifyModelCommand(): Command {
  return withCommonOptions(
    new Command("model")
      .description("verify a model's whole ancestry: every model and dataset on-chain, every manifest against its digest")
      .argument("<model>", "model token id")
      .option("--weights <dir>", "also check that the weight files in this directory are the registered ones")
      .option("--ascii", "draw the tree with ASCII characters only"),
  ).action(
    action<VerifyModelOptions>(async ([model], opts) => {
      const id = parseModelId(model);
      const src = await openLineageSources(opts);
      const walk = await walkLineage(src, id);
      const bar = progressBar("hashing weights", opts.json);
      let report;
      try {
        report = await verifyLineage(walk, {
          weightsDir: opts.weights,
          hashOptions: { onProgress: (done, total) => bar.onProgress(done, total, done) },
        });
      } finally {
        bar.stop();
      }
      const { passed, failed, skipped } = report.summary;
      return {
        ok: report.ok,
        json: report,
        text: [
          renderVerifyTree(walk, report, opts.ascii),
          "",
          ...(report.weights
            ? [`weights on disk: ${report.weights.dir} hashes to ${report.weights.digest} (${report.weights.bytes} bytes, ${report.weights.seconds.toFixed(2)} s)`]
            : []),
          `${report.ok ? "VERIFIED" : "FAILED"}: ${passed} check(s) passed, ${failed} failed, ${skipped} skipped (chain ${report.chainId}, models ${report.registries.model})`,
        ].join("\n"),
      };
    }),
  );
}

/** The `verify` group; more subcommands (e.g. `verify certificate`) are added here. */
export function verifyCommand(): Command {
  return new Command("verify").description("verify models (and, later, certificates) end to end").addCommand(verifyModelCommand());
}
