/**
 * `provenant verify certificate --evaluation <id>`: an attested evaluation's certificate, every check by name,
 * failing closed (core/attestor/evaluation-results.ts), printed like a training certificate's.
 */
import { dataDir } from "../../core/config.ts";
import { openStore } from "../store.ts";
import { connect } from "../../core/chain/connect.ts";
import { describeTrustLevel } from "../../core/attestor/certificate.ts";
import { describeMetric } from "../../core/attestor/evaluation-metrics.ts";
import { verifyEvaluation } from "../../core/attestor/evaluation-results.ts";
import { loadEkRoots } from "../../core/attestor/model-certificate-check.ts";
import { parseTokenId } from "../../core/identifiers.ts";
import { attestorLine, checkVerdictLines } from "../certificate-verdict.ts";
import type { CommonOptions } from "../output.ts";

export async function verifyEvaluationCertificate(evaluation: string, opts: CommonOptions & { ekRoot: string[] }) {
  const evaluationId = parseTokenId(evaluation, "--evaluation").toString();
  const conn = await connect(opts.network);
  const v = await verifyEvaluation({ conn, store: openStore(opts.storage, dataDir(opts.dataDir)), evaluationId, roots: loadEkRoots(opts.ekRoot) });
  const pl = v.certificate?.payload;
  const trust = pl ? describeTrustLevel(pl.attestor.trustLevel) : undefined;
  const r = v.record;
  return {
    ok: v.ok,
    json: {
      ok: v.ok,
      evaluationId,
      modelId: r.modelId,
      datasetId: r.datasetId,
      metricsDigest: r.metricsDigest,
      metrics: v.metrics?.metrics ?? null,
      certificateCid: r.certificateCid,
      certificateDigest: v.certificate?.certificateDigest ?? null,
      attestor: pl?.attestor.address ?? null,
      trustLevel: pl?.attestor.trustLevel ?? null,
      trust: trust ?? null,
      checks: v.checks,
    },
    text: [
      `evaluation certificate of evaluation #${evaluationId}: model #${r.modelId} on dataset #${r.datasetId} (ipfs://${r.certificateCid})`,
      ...(v.metrics ? [`metrics: ${v.metrics.metrics.map(describeMetric).join(", ")}`] : []),
      ...attestorLine(pl?.attestor),
      ...checkVerdictLines(v, pl?.attestor.trustLevel),
    ].join("\n"),
  };
}
