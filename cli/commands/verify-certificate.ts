/**
 * `provenant verify certificate <model-id>`: the training certificate of an attested model, every check by
 * name, failing closed (core/attestor/verify-model.ts). Part of the verify group (cli/commands/verify.ts);
 * `verify model` runs the same checks for every attested model of an ancestry.
 */
import { Command } from "commander";
import { InputError } from "../../core/errors.ts";
import { dataDir, openStore } from "../../core/config.ts";
import { connect } from "../../core/chain/connect.ts";
import { describeTrustLevel } from "../../core/attestor/certificate.ts";
import { loadEkRoots, verifyModelCertificate } from "../../core/attestor/verify-model.ts";
import { action, parseTokenId, withCommonOptions, type CommonOptions } from "../output.ts";
import { verifyEvaluationCertificate } from "./verify-evaluation.ts";

interface VerifyCertificateOptions extends CommonOptions {
  ekRoot: string[];
  evaluation?: string;
}

const collect = (v: string, prev: string[]) => [...prev, v];

export function verifyCertificateCommand(): Command {
  return withCommonOptions(
    new Command("certificate")
      .description("verify an attested model's training certificate: attestor, EK chain, AK, quote, nonce, event log, lineage, output, clock")
      .argument("[model]", "model token id")
      .option("--evaluation <id>", "verify an attested evaluation's certificate instead of a model's training certificate")
      .option("--ek-root <pem>", "trusted EK root CA certificate (repeatable; default $PROVENANT_EK_ROOTS)", collect, []),
  ).action(
    action<VerifyCertificateOptions>(async ([model], opts) => {
      if (opts.evaluation !== undefined) {
        if (model) throw new InputError("INPUT_INVALID", "give a model id or --evaluation <id>, not both");
        return verifyEvaluationCertificate(opts.evaluation, opts);
      }
      if (!model) throw new InputError("INPUT_INVALID", "give a model id (or --evaluation <id>)");
      const modelId = parseTokenId(model!, "model").toString();
      const conn = await connect(opts.network);
      const v = await verifyModelCertificate({
        conn,
        store: openStore(opts.storage, dataDir(opts.dataDir)),
        modelId,
        roots: loadEkRoots(opts.ekRoot),
      });
      const width = Math.max(...v.checks.map((c) => c.name.length));
      const pl = v.certificate?.payload;
      const trust = pl ? describeTrustLevel(pl.attestor.trustLevel) : undefined;
      return {
        ok: v.ok,
        json: {
          ok: v.ok,
          modelId,
          certificateCid: v.certificateCid,
          certificateDigest: v.certificate?.certificateDigest ?? null,
          attestor: pl?.attestor.address ?? null,
          trustLevel: pl?.attestor.trustLevel ?? null,
          trust: trust ?? null,
          checks: v.checks,
        },
        text: [
          `training certificate of model #${modelId}${v.certificateCid ? ` (ipfs://${v.certificateCid})` : ""}`,
          ...(pl ? [`attestor ${pl.attestor.address}, trust level ${pl.attestor.trustLevel} (${trust!.summary})`] : []),
          ...v.checks.map((c) => `  ${c.ok ? "ok  " : "FAIL"} ${c.name.padEnd(width)}  ${c.detail}`),
          v.ok ? `VERIFIED, at trust level ${pl!.attestor.trustLevel}: ${trust!.summary}` : `FAILED: ${v.checks.filter((c) => !c.ok).map((c) => c.name).join(", ")}`,
          ...(v.ok ? [`What that is worth: ${trust!.meaning}`] : []),
        ].join("\n"),
      };
    }),
  );
}
