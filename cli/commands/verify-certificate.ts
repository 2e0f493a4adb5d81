/**
 * `provenant verify certificate <model-id>`: the training certificate of an attested model, every check by
 * name, failing closed (core/attestor/model-certificate-check.ts). Part of the verify group (cli/commands/verify.ts);
 * `verify model` runs the same checks for every attested model of an ancestry.
 */
import { readFileSync } from "node:fs";
import { Command } from "commander";
import { InputError } from "../../core/errors.ts";
import { dataDir } from "../../core/config.ts";
import { openStore } from "../store.ts";
import { connect } from "../../core/chain/connect.ts";
import { describeTrustLevel } from "../../core/attestor/certificate.ts";
import { loadEkRoots, verifyCertificateFile, verifyModelCertificate } from "../../core/attestor/model-certificate-check.ts";
import { parseTokenId } from "../../core/identifiers.ts";
import { attestorLine, checkVerdictLines } from "../certificate-verdict.ts";
import { action, withCommonOptions, type CommonOptions } from "../output.ts";
import { verifyEvaluationCertificate } from "./verify-evaluation.ts";

interface VerifyCertificateOptions extends CommonOptions {
  ekRoot: string[];
  file?: string;
  evaluation?: string;
}

const collect = (v: string, prev: string[]) => [...prev, v];

export function verifyCertificateCommand(): Command {
  return withCommonOptions(
    new Command("certificate")
      .description("verify an attested model's training certificate: attestor, EK chain, AK, quote, nonce, event log, lineage, output, clock")
      .argument("[model]", "model token id")
      .option("--file <certificate.json>", "verify this certificate file against the chain instead, before or without its registration")
      .option("--evaluation <id>", "verify an attested evaluation's certificate instead of a model's training certificate")
      .option("--ek-root <pem>", "trusted EK root CA certificate (repeatable; default $PROVENANT_EK_ROOTS)", collect, []),
  ).action(
    action<VerifyCertificateOptions>(async ([model], opts) => {
      if (opts.evaluation !== undefined) {
        if (model || opts.file) throw new InputError("INPUT_INVALID", "give a model id, --file <certificate.json> or --evaluation <id>, one of them");
        return verifyEvaluationCertificate(opts.evaluation, opts);
      }
      if (!model === !opts.file) throw new InputError("INPUT_INVALID", "give a model id or --file <certificate.json>, not both");
      const modelId = model ? parseTokenId(model, "the model").toString() : null;
      const conn = await connect(opts.network);
      let bytes: Uint8Array | undefined;
      if (opts.file) {
        try {
          bytes = new Uint8Array(readFileSync(opts.file));
        } catch (e) {
          throw new InputError("INPUT_UNREADABLE", `cannot read ${opts.file}`, { cause: e });
        }
      }
      const v = bytes
        ? { ...(await verifyCertificateFile({ conn, bytes, roots: loadEkRoots(opts.ekRoot) })), certificateCid: null }
        : await verifyModelCertificate({
            conn,
            store: openStore(opts.storage, dataDir(opts.dataDir)),
            modelId: modelId!,
            roots: loadEkRoots(opts.ekRoot),
          });
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
          modelId
            ? `training certificate of model #${modelId}${v.certificateCid ? ` (ipfs://${v.certificateCid})` : ""}`
            : `training certificate ${opts.file} (not registered: checked against the chain as it is now)`,
          ...attestorLine(pl?.attestor),
          ...(pl?.boot ? [`boot policy "${pl.boot.policy.name}", boot PCRs ${pl.boot.pcrs.join(", ")}`] : []),
          ...checkVerdictLines(v, pl?.attestor.trustLevel),
        ].join("\n"),
      };
    }),
  );
}
