import type { CertificateCheckName } from "../attestor/certificate-check.ts";
import { describeEvaluation } from "../attestor/evaluation-metrics.ts";
import type { AttestedEvaluation } from "../attestor/attestation.ts";
import type { ProvenantError } from "../errors.ts";
import { compareWeights, type WeightsComparison } from "../model/compare-weights.ts";
import type { HashWeightsOptions } from "../model/hash-weights.ts";
import { datasetKey, modelKey, type LineageWalk, type StepResult } from "./walk.ts";

/**
 * The named checks of `provenant verify model`, run over a LineageWalk. Each is about one node; a check whose
 * input could not be read is skipped, never passed.
 *   model.on-chain          the model's record and edges read from the ModelRegistry
 *   model.manifest          its manifest read from storage (bytes checked against the CID) and valid
 *   model.weights-digest    the manifest's resources hash to the weights digest on-chain
 *   model.record            the declared record is valid and its inheritance resolves
 *   model.license           the record's license, if it states one, is the license on-chain
 *   model.parents-earlier   every parent has a lower id than the model: the lineage is acyclic
 *   model.certificate.<c>   (attested models) each named check <c> of the training certificate
 *                           (core/attestor/certificate-check.ts: attestor, EK chain, AK, quote, nonce, event log, PCR
 *                           replay, roots, parents, output, clock, model record, the contract's verdict);
 *                           `model.certificate` alone when it could not be verified at all
 *   model.evaluation.<id>   (with verifyEvaluations) each attested evaluation of the model: its evaluation
 *                           certificate passed every check (core/attestor/evaluation-verify.ts); one check each
 *   model.evaluations       the model's evaluations could not be listed
 *   model.weights-on-disk   (root, with --weights) the files on disk hash to the manifest
 *   dataset.on-chain        the dataset's record read from the DatasetRegistry
 *   dataset.order           no one has proven two adjacent leaves out of order on-chain (reportMisordered);
 *                           a misordered dataset's exclusion proofs are void (`dataset audit` reads every leaf)
 *   dataset.manifest        its manifest read from storage and valid
 *   dataset.root            the manifest's root and leaf count are the ones on-chain
 *   dataset.shard-index     the shard index's shard roots fold (merkle-v1) to that root
 */
export const CHECK_NAMES = [
  "model.on-chain",
  "model.manifest",
  "model.weights-digest",
  "model.record",
  "model.license",
  "model.parents-earlier",
  "model.certificate",
  "model.evaluations",
  "model.weights-on-disk",
  "dataset.on-chain",
  "dataset.order",
  "dataset.manifest",
  "dataset.root",
  "dataset.shard-index",
] as const;
export type CheckName = (typeof CHECK_NAMES)[number] | `model.certificate.${CertificateCheckName}` | `model.evaluation.${string}`;
export type CheckStatus = "pass" | "fail" | "skip";

export interface CheckResult {
  node: `model:${string}` | `dataset:${string}`;
  check: CheckName;
  status: CheckStatus;
  reason: string;
  /** The error code behind a failure, when there is one. */
  code?: string;
}

export interface VerifyReport {
  format: "provenant-verify-v1";
  ok: boolean;
  root: `model:${string}`;
  chainId: number;
  registries: { dataset: string; model: string };
  summary: { passed: number; failed: number; skipped: number };
  checks: CheckResult[];
  /** The comparison of --weights with the root's manifest, when it ran. */
  weights?: Omit<WeightsComparison, "ok"> & { dir: string };
  /** The training certificate of each attested model, by node (its checks are in `checks`). */
  certificates?: Record<`model:${string}`, CertificateSummary>;
  /** The attested evaluations of each model that has any, by node (one check each in `checks`). */
  evaluations?: Record<`model:${string}`, AttestedEvaluation[]>;
}

/** What `verifyCertificate` answers for one attested model (core/attestor/model-certificate-check.ts, check by check). */
export interface CertificateVerdict {
  ok: boolean;
  certificateCid: string | null;
  attestor?: string;
  trustLevel?: string;
  checks: { name: CertificateCheckName; ok: boolean; detail: string }[];
}

export interface CertificateSummary {
  ok: boolean;
  certificateCid: string | null;
  attestor: string | null;
  trustLevel: string | null;
  passed: number;
  failed: number;
}

const pass = (node: CheckResult["node"], check: CheckName, reason: string): CheckResult => ({ node, check, status: "pass", reason });
const fail = (node: CheckResult["node"], check: CheckName, reason: string, code?: string): CheckResult => ({
  node,
  check,
  status: "fail",
  reason,
  ...(code ? { code } : {}),
});
const skip = (node: CheckResult["node"], check: CheckName, reason: string): CheckResult => ({ node, check, status: "skip", reason });
const failed = (node: CheckResult["node"], check: CheckName, r: { ok: false; error: ProvenantError }) => fail(node, check, r.error.message, r.error.code);

function stepCheck<T>(node: CheckResult["node"], check: CheckName, r: StepResult<T> | null, ok: (v: T) => string, prior: string): CheckResult {
  if (r === null) return skip(node, check, prior);
  return r.ok ? pass(node, check, ok(r.value)) : failed(node, check, r);
}

export interface VerifyOptions {
  /** A local copy of the root model's weights to compare with its manifest. */
  weightsDir?: string;
  hashOptions?: Omit<HashWeightsOptions, "shardSize">;
  /**
   * Verifies the training certificate of an attested model. Without it, attested models get a skipped
   * `model.certificate` check: their certificates are not vouched for.
   */
  verifyCertificate?: (tokenId: bigint) => Promise<CertificateVerdict>;
  /**
   * Lists and verifies the attested evaluations of a model (core/attestor/evaluation-results.ts). Without it,
   * evaluations are not looked at.
   */
  verifyEvaluations?: (tokenId: bigint) => Promise<AttestedEvaluation[]>;
}

/** Runs every check over the walk (and hashes `weightsDir` if given). `ok` is true when no check failed. */
export async function verifyLineage(walk: LineageWalk, options: VerifyOptions = {}): Promise<VerifyReport> {
  const checks: CheckResult[] = [];
  let weights: VerifyReport["weights"];
  const certificates: NonNullable<VerifyReport["certificates"]> = {};
  const evaluations: NonNullable<VerifyReport["evaluations"]> = {};

  for (const v of walk.models.values()) {
    const node = modelKey(v.tokenId);
    checks.push(
      stepCheck(
        node,
        "model.on-chain",
        v.chain,
        (c) => `registered by ${c.record.registrant} (${c.record.provenance}), ${c.parents.length} parent(s), ${c.datasets.length} dataset(s)`,
        "",
      ),
    );
    if (!v.chain.ok) {
      for (const check of ["model.manifest", "model.weights-digest", "model.record", "model.license", "model.parents-earlier"] as const) {
        checks.push(skip(node, check, "the model could not be read from the chain"));
      }
      continue;
    }
    const { record, parents } = v.chain.value;
    checks.push(stepCheck(node, "model.manifest", v.manifest, () => `manifest ${record.manifestCid} read and valid`, "not read"));
    if (v.manifest?.ok) {
      const m = v.manifest.value;
      checks.push(
        m.weights.digest === record.weightsDigest
          ? pass(node, "model.weights-digest", `${m.weights.resources.length} resource(s), ${m.weights.bytes} bytes, hash to ${record.weightsDigest}`)
          : fail(node, "model.weights-digest", `the manifest's resources hash to ${m.weights.digest}, but the chain records ${record.weightsDigest}`, "ROOT_MISMATCH"),
      );
    } else {
      checks.push(skip(node, "model.weights-digest", "the manifest could not be read"));
    }
    checks.push(
      stepCheck(
        node,
        "model.record",
        v.record,
        (r) => (r.inherited.length ? `valid; inherits ${r.inherited.join(", ")} from model #${parents[0].modelId}` : "valid"),
        "the manifest could not be read",
      ),
    );
    if (v.record?.ok) {
      const stated = v.record.value.record.license;
      checks.push(
        stated === undefined || stated === record.license
          ? pass(node, "model.license", record.license ? `${record.license}` : "none stated")
          : fail(node, "model.license", `the record states license ${stated} but the chain records ${record.license || "none"}`, "LINEAGE_INVALID"),
      );
    } else {
      checks.push(skip(node, "model.license", "the record could not be resolved"));
    }
    const late = parents.filter((p) => p.modelId >= v.tokenId);
    checks.push(
      late.length === 0
        ? pass(node, "model.parents-earlier", parents.length ? `parents ${parents.map((p) => `#${p.modelId}`).join(", ")} precede #${v.tokenId}` : "no parents")
        : fail(node, "model.parents-earlier", `parent(s) ${late.map((p) => `#${p.modelId}`).join(", ")} do not precede #${v.tokenId}`, "LINEAGE_INVALID"),
    );
    if (record.provenance === "attested") {
      if (!options.verifyCertificate) {
        checks.push(skip(node, "model.certificate", "attested, but its training certificate was not verified"));
      } else {
        try {
          const c = await options.verifyCertificate(v.tokenId);
          for (const check of c.checks) {
            const name = `model.certificate.${check.name}` as const;
            checks.push(check.ok ? pass(node, name, check.detail) : fail(node, name, check.detail, "CERTIFICATE_INVALID"));
          }
          const failedChecks = c.checks.filter((check) => !check.ok).length;
          // Fail closed: a verdict that is not ok, or has nothing to show, never passes.
          if (c.checks.length === 0 || (!c.ok && failedChecks === 0)) {
            checks.push(fail(node, "model.certificate", "the certificate verification did not pass", "CERTIFICATE_INVALID"));
          }
          certificates[node] = {
            ok: c.ok && failedChecks === 0,
            certificateCid: c.certificateCid,
            attestor: c.attestor ?? null,
            trustLevel: c.trustLevel ?? null,
            passed: c.checks.length - failedChecks,
            failed: failedChecks,
          };
        } catch (e) {
          const err = e as ProvenantError;
          checks.push(fail(node, "model.certificate", `the training certificate could not be verified: ${err.message}`, err.code));
        }
      }
    }
  }

  if (options.verifyEvaluations) {
    for (const v of walk.models.values()) {
      if (!v.chain.ok) continue;
      const node = modelKey(v.tokenId);
      try {
        const found = await options.verifyEvaluations(v.tokenId);
        for (const e of found) checks.push(evaluationCheck(node, e));
        if (found.length > 0) evaluations[node] = found;
      } catch (e) {
        const err = e as ProvenantError;
        checks.push(fail(node, "model.evaluations", `the model's attested evaluations could not be read: ${err.message}`, err.code));
      }
    }
  }

  if (options.weightsDir !== undefined) {
    const node = modelKey(walk.root);
    const root = walk.models.get(walk.root);
    if (!root?.manifest?.ok || !root.chain.ok) {
      checks.push(skip(node, "model.weights-on-disk", "the model's manifest could not be read"));
    } else {
      try {
        const c = await compareWeights(root.manifest.value, options.weightsDir, options.hashOptions);
        const { ok, ...rest } = c;
        weights = { dir: options.weightsDir, ...rest };
        const differences = [...c.changed.map((p) => `${p} changed`), ...c.missing.map((p) => `${p} missing`), ...c.extra.map((p) => `${p} not in the manifest`)];
        checks.push(
          ok
            ? pass(node, "model.weights-on-disk", `${options.weightsDir} hashes to ${c.digest} (${c.bytes} bytes)`)
            : fail(
                node,
                "model.weights-on-disk",
                `${options.weightsDir} hashes to ${c.digest}, not ${root.chain.value.record.weightsDigest}: ${differences.join(", ") || "files renamed or reordered"}`,
                "WEIGHTS_MISMATCH",
              ),
        );
      } catch (e) {
        const err = e as ProvenantError;
        checks.push(fail(node, "model.weights-on-disk", err.message, err.code));
      }
    }
  }

  for (const v of walk.datasets.values()) {
    const node = datasetKey(v.tokenId);
    checks.push(stepCheck(node, "dataset.on-chain", v.chain, (r) => `minted by ${r.publisher}, ${r.n} distinct samples`, ""));
    if (!v.chain.ok) {
      for (const check of ["dataset.order", "dataset.manifest", "dataset.root", "dataset.shard-index"] as const) {
        checks.push(skip(node, check, "the dataset could not be read from the chain"));
      }
      continue;
    }
    const r = v.chain.value;
    checks.push(
      r.misordered
        ? fail(
            node,
            "dataset.order",
            `reported misordered on-chain: two adjacent leaves are out of order, so its exclusion proofs are void (inclusion still holds)`,
            "DATASET_MISORDERED",
          )
        : pass(node, "dataset.order", "no misorder reported on-chain"),
    );
    checks.push(stepCheck(node, "dataset.manifest", v.manifest, (m) => `manifest ${r.manifestCid} read and valid (${m.name || "unnamed"})`, "not read"));
    if (v.manifest?.ok) {
      const m = v.manifest.value;
      checks.push(
        m.root === r.root.toLowerCase() && m.n === r.n
          ? pass(node, "dataset.root", `root ${r.root}, n = ${r.n}`)
          : fail(node, "dataset.root", `the manifest commits to root ${m.root} (n=${m.n}) but the chain records ${r.root} (n=${r.n})`, "ROOT_MISMATCH"),
      );
    } else {
      checks.push(skip(node, "dataset.root", "the manifest could not be read"));
    }
    checks.push(stepCheck(node, "dataset.shard-index", v.index, (i) => `${i.shardCount} shard root(s) fold to the root`, "the manifest could not be read"));
  }

  const count = (s: CheckStatus) => checks.filter((c) => c.status === s).length;
  const summary = { passed: count("pass"), failed: count("fail"), skipped: count("skip") };
  return {
    format: "provenant-verify-v1",
    ok: summary.failed === 0,
    root: modelKey(walk.root),
    chainId: walk.chainId,
    registries: walk.registries,
    summary,
    checks,
    ...(weights ? { weights } : {}),
    ...(Object.keys(certificates).length > 0 ? { certificates } : {}),
    ...(Object.keys(evaluations).length > 0 ? { evaluations } : {}),
  };
}

/** One check per attested evaluation: it passes only when its certificate verified (fail closed otherwise). */
function evaluationCheck(node: CheckResult["node"], e: AttestedEvaluation): CheckResult {
  const name = `model.evaluation.${e.evaluationId}` as const;
  const what = `${describeEvaluation(e)} (ipfs://${e.certificateCid})`;
  return e.attestation.state === "verified"
    ? pass(node, name, `attested: ${what}`)
    : fail(node, name, `${what}: not attested, ${e.attestation.state}: ${e.attestation.reason ?? "the certificate did not verify"}`, "CERTIFICATE_INVALID");
}
