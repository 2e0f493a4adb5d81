import { Command } from "commander";
import { describeTrustLevel } from "../../core/attestor/certificate.ts";
import { lineageCertificateCheck } from "../../core/lineage/lineage-certificates.ts";
import { loadEkRoots } from "../../core/attestor/model-certificate-check.ts";
import { modelEvaluations } from "../../core/attestor/evaluation-results.ts";
import { renderVerifyTree } from "../../core/lineage/render.ts";
import { verifyLineage } from "../../core/lineage/lineage-check.ts";
import { walkLineage } from "../../core/lineage/walk.ts";
import { action, withCommonOptions, type CommonOptions } from "../output.ts";
import { progressBar } from "../progress-bar.ts";
import { openLineageSources } from "./lineage.ts";
import { parseTokenId } from "../../core/identifiers.ts";
import { verifyCertificateCommand } from "./verify-certificate.ts";

interface VerifyModelOptions extends CommonOptions {
  weights?: string;
  ascii?: boolean;
  ekRoot: string[];
}

const collect = (v: string, prev: string[]) => [...prev, v];

/**
 * `verify model <id>`: every check of core/lineage/lineage-check.ts over the model's whole ancestry, and for each
 * attested model every check of its training certificate (core/attestor/model-certificate-check.ts).
 */
export function verifyModelCommand(): Command {
  return withCommonOptions(
    new Command("model")
      .description(
        "verify a model's whole ancestry: every model and dataset on-chain, every manifest against its digest, every attested model's training certificate, every attested evaluation",
      )
      .argument("<model>", "model token id")
      .option("--weights <dir>", "also check that the weight files in this directory are the registered ones")
      .option("--ek-root <pem>", "trusted EK root CA certificate for training certificates (repeatable; default $PROVENANT_EK_ROOTS)", collect, [])
      .option("--ascii", "draw the tree with ASCII characters only"),
  ).action(
    action<VerifyModelOptions>(async ([model], opts) => {
      const id = parseTokenId(model, "the model");
      const src = await openLineageSources(opts);
      const walk = await walkLineage(src, id);
      const roots = loadEkRoots(opts.ekRoot);
      const bar = progressBar("hashing weights", opts.json);
      let report;
      try {
        report = await verifyLineage(walk, {
          weightsDir: opts.weights,
          hashOptions: { onProgress: (done, total) => bar.onProgress(done, total, done) },
          verifyCertificate: lineageCertificateCheck(src, walk, roots),
          verifyEvaluations: (tokenId) =>
            modelEvaluations({ conn: src.conn, store: src.store, modelId: tokenId.toString(), roots, modelRegistry: walk.registries.model }),
        });
      } finally {
        bar.stop();
      }
      const { passed, failed, skipped } = report.summary;
      // What the verified certificates are worth, once per trust level met, in plain words.
      const levels = [...new Set(Object.values(report.certificates ?? {}).flatMap((c) => (c.ok && c.trustLevel ? [c.trustLevel] : [])))];
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
          ...levels.map((l) => `training certificates at ${l}: ${describeTrustLevel(l).meaning}`),
        ].join("\n"),
      };
    }),
  );
}

/** The `verify` group: `verify model` (a whole ancestry) and `verify certificate` (one training certificate). */
export function verifyCommand(): Command {
  return new Command("verify")
    .description("verify models end to end, and attested models' training certificates")
    .addCommand(verifyModelCommand())
    .addCommand(verifyCertificateCommand());
}
