import "server-only";
import { provenanceWords } from "../../../core/attestor/attestation.ts";
import { lineageCertificateCheck } from "../../../core/lineage/lineage-certificates.ts";
import { attestationOfVerification, loadEkRoots, modelAttestation, type ModelCertificateVerification } from "../../../core/attestor/model-certificate-check.ts";
import { connectLineageSources } from "../../../core/lineage/lineage-sources.ts";
import { modelEvaluations } from "../../../core/attestor/evaluation-results.ts";
import { isProvenantError } from "../../../core/errors.ts";
import type { ModelAttestation } from "../../../core/attestor/attestation.ts";
import type { LineageGraph } from "../../../core/lineage/graph.ts";
import { verifyLineage, type CheckResult, type VerifyReport } from "../../../core/lineage/lineage-check.ts";
import { ancestryOfWalk } from "../../../core/lineage/check-sample.ts";
import { toLineageGraph, walkLineage, type LineageSources, type LineageWalk } from "../../../core/lineage/walk.ts";
import type { TrustedRoot } from "../../../core/tpm/enroll.ts";
import { extendPcr, ZERO_PCR } from "../../../core/tpm/quote.ts";
import { bootStateId } from "../../../core/attestor/boot-state.ts";
import { GatewayStore } from "../../../core/storage/gateway-client.ts";
import type { CertificateView, LineageView, ViewNode } from "../lineage-view.ts";
import { appChain } from "./chain.ts";
import { appConfig } from "./config.ts";

/**
 * The model page's lineage, on the server: the same walk and checks as `provenant verify model`
 * (core/lineage/walk.ts, core/lineage/lineage-check.ts, and core/attestor/model-certificate-check.ts for attested models, with EK
 * roots from PROVENANT_EK_ROOTS as the CLI reads them), flattened into a plain LineageView for the client leaf.
 *
 * The sources are the CLI's (core/lineage/lineage-sources.ts): here the chain is the app's (PROVENANT_RPC_URL) and
 * the store is a fresh verifying gateway reader per request (every object is checked against its CID; nothing is
 * cached between requests, so a changed object is seen).
 */
export async function openAppLineageSources(): Promise<LineageSources & { conn: Awaited<ReturnType<typeof appChain>>["conn"] }> {
  const chain = await appChain();
  return connectLineageSources(chain.conn, new GatewayStore(appConfig().gatewayUrl, { timeoutMs: 20_000 }));
}

function ekRoots(): { roots: TrustedRoot[]; problem: string | null } {
  try {
    return { roots: loadEkRoots(), problem: null };
  } catch (e) {
    return { roots: [], problem: isProvenantError(e) ? e.message : String(e) };
  }
}

/**
 * The attestation of each attested model among `ids`, checked as the model page checks it (every check of
 * model-certificate-check, a fresh verifying store, the EK roots of PROVENANT_EK_ROOTS): lists show no green "attested"
 * that the model page would not.
 */
export async function modelAttestations(ids: readonly string[]): Promise<Map<string, ModelAttestation>> {
  const out = new Map<string, ModelAttestation>();
  if (ids.length === 0) return out;
  const src = await openAppLineageSources();
  const { roots } = ekRoots();
  await Promise.all(ids.map(async (modelId) => out.set(modelId, await modelAttestation({ conn: src.conn, store: src.store, modelId, roots }))));
  return out;
}

/** Walks, verifies and flattens the lineage of model `id`. Throws only when the chain cannot be reached at all. */
export async function modelLineage(id: bigint): Promise<LineageView> {
  const src = await openAppLineageSources();
  const walk = await walkLineage(src, id);
  const { roots, problem: rootsProblem } = ekRoots();
  const full = new Map<string, ModelCertificateVerification>();
  const attestations = new Map<string, ModelAttestation>();
  const report = await verifyLineage(walk, {
    // Each model's attested evaluations, checked as `verify model` checks them: the page shows the root's, the exports carry all.
    verifyEvaluations: (tokenId) => modelEvaluations({ conn: src.conn, store: src.store, modelId: tokenId.toString(), roots, modelRegistry: walk.registries.model }),
    verifyCertificate: lineageCertificateCheck(src, walk, roots, (tokenId, v) => {
      full.set(tokenId.toString(), v);
      attestations.set(tokenId.toString(), attestationOfVerification(v, roots.length));
    }),
  });
  let graph: LineageGraph | null = null;
  let incomplete: string | null = null;
  try {
    graph = toLineageGraph(walk);
    // The exports say "attested" only for what verified here (core/lineage/exports).
    for (const n of graph.nodes) {
      const a = n.kind === "model" ? attestations.get(n.tokenId) : undefined;
      if (n.kind === "model" && a) n.attestation = a;
      if (n.kind === "model") n.evaluations = report.evaluations?.[n.id] ?? [];
    }
  } catch (e) {
    incomplete = isProvenantError(e) ? e.message : String(e);
  }
  const rootCert = full.get(id.toString());
  const rootResolved = walk.models.get(id)?.record;
  return {
    root: `model:${id}`,
    chainId: walk.chainId,
    registries: walk.registries,
    ok: report.ok,
    summary: report.summary,
    nodes: viewNodes(walk, report, attestations),
    edges: walk.edges.map((e) => ({ from: e.from, to: e.to, type: e.type, label: e.type === "parent" ? e.relation : e.role })),
    graph,
    incomplete,
    certificate: rootCert ? certificateView(rootCert, attestations.get(id.toString())!, rootsProblem, roots.length) : null,
    ancestry: ancestryOfWalk(walk),
    evaluations: report.evaluations?.[`model:${id}`] ?? [],
    rootRecord: rootResolved?.ok ? rootResolved.value : null,
  };
}

function viewNodes(walk: LineageWalk, report: VerifyReport, attestations: Map<string, ModelAttestation>): ViewNode[] {
  const checksOf = (node: string) =>
    report.checks.filter((c) => c.node === node).map((c: CheckResult) => ({ check: c.check, status: c.status, reason: c.reason, ...(c.code ? { code: c.code } : {}) }));
  const nodes: ViewNode[] = [];
  for (const v of walk.models.values()) {
    const id = `model:${v.tokenId}` as const;
    const chain = v.chain.ok ? v.chain.value.record : null;
    const record = v.record?.ok ? v.record.value.record : v.manifest?.ok ? v.manifest.value.record : null;
    const checks = checksOf(id);
    const attestation = chain?.provenance === "attested" ? (attestations.get(v.tokenId.toString()) ?? null) : null;
    nodes.push({
      id,
      kind: "model",
      tokenId: v.tokenId.toString(),
      title: record ? `${record.name} ${record.version}` : `model #${v.tokenId}`,
      detail: chain ? `${provenanceWords(chain.provenance, attestation).badge}${chain.license ? ` · ${chain.license}` : ""}` : "not readable from the chain",
      provenance: chain?.provenance ?? null,
      attestation,
      ok: checks.every((c) => c.status !== "fail"),
      checks,
    });
  }
  for (const v of walk.datasets.values()) {
    const id = `dataset:${v.tokenId}` as const;
    const r = v.chain.ok ? v.chain.value : null;
    const checks = checksOf(id);
    nodes.push({
      id,
      kind: "dataset",
      tokenId: v.tokenId.toString(),
      title: v.manifest?.ok && v.manifest.value.name ? v.manifest.value.name : `dataset #${v.tokenId}`,
      detail: r
        ? `${r.misordered ? "MISORDERED · " : ""}${r.n.toLocaleString("en-US")} samples · ${r.encoding}${r.license ? ` · ${r.license}` : ""}`
        : "not readable from the chain",
      provenance: null,
      attestation: null,
      ok: checks.every((c) => c.status !== "fail"),
      checks,
    });
  }
  return nodes;
}

function certificateView(v: ModelCertificateVerification, attestation: ModelAttestation, rootsProblem: string | null, rootCount: number): CertificateView {
  const c = v.certificate;
  const checks = v.checks.map((k) => ({ name: k.name, ok: k.ok, detail: k.detail }));
  if (!c)
    return {
      ok: v.ok,
      attestation,
      certificateCid: v.certificateCid,
      checks,
      rootsProblem,
      rootCount,
      attestor: null,
      boot: null,
      run: null,
      inputs: null,
      outputs: null,
      replay: [],
      replayedPcr: null,
    };
  const p = c.payload;
  let pcr = ZERO_PCR;
  const replay = p.eventLog.map((e, i) => {
    pcr = extendPcr(pcr, e.digest);
    return { step: i + 1, type: e.type, description: e.description, digest: e.digest, pcrAfter: pcr };
  });
  return {
    ok: v.ok,
    attestation,
    certificateCid: v.certificateCid,
    checks,
    rootsProblem,
    rootCount,
    attestor: { address: p.attestor.address, tpmKind: p.attestor.tpmKind, trustLevel: p.attestor.trustLevel, ekCertificateSha256: p.attestor.ekCertificateSha256 },
    boot: p.boot ? { policy: p.boot.policy.name, pcrs: p.boot.pcrs, bootState: bootStateId(p.boot.pcrValues) } : null,
    run: {
      id: p.run.id,
      registrant: p.run.registrant,
      startedAt: p.run.startedAt,
      finishedAt: p.run.finishedAt,
      durationMs: p.run.durationMs,
      exitCode: p.run.exitCode,
      outputLogSha256: p.run.outputLogSha256,
    },
    inputs: {
      datasets: p.inputs.datasets.map((d) => ({ datasetId: d.datasetId, role: d.role, root: d.root, n: d.n })),
      parents: p.inputs.parents.map((q) => ({ modelId: q.modelId, relation: q.relation, weightsDigest: q.weightsDigest })),
      code: { kind: p.inputs.code.kind, digest: p.inputs.code.digest, files: p.inputs.code.files, gitCommit: p.inputs.code.gitCommit },
      command: p.inputs.command.argv,
      commandDigest: p.inputs.command.digest,
      config: p.inputs.config.files.map((f) => f.name),
      environment: `${p.inputs.environment.platform}/${p.inputs.environment.arch}, ${Object.keys(p.inputs.environment.variables).length} variable(s)`,
    },
    outputs: { weightsDigest: p.outputs.weightsDigest, manifestCid: p.outputs.manifestCid, files: p.outputs.files, license: p.outputs.license },
    replay,
    replayedPcr: pcr,
  };
}
