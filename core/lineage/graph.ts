// LineageGraph: the ancestry of one model as read from chain + storage.
// Pure types, browser-safe, no runtime code. Produced by core/lineage/walk.ts,
// consumed by verify, render and the exporters (core/lineage/exports/**).
// Keep this file stable: other modules code against it.

export type ParentRelation = "finetune" | "adapter" | "merge" | "quantized" | "distillation";

export type DatasetRole = "training" | "fine-tuning" | "evaluation";

export interface ModelRecordFields {
  name: string;
  version: string;
  description?: string;
  architecture?: string;
  task?: string;
  metrics?: Record<string, number | string>;
  hyperparameters?: Record<string, unknown>;
  intendedUse?: string;
  limitations?: string;
  license?: string;
}

/**
 * What the model's training certificate was found worth when the graph was built (core/attestor/attestation.ts).
 * Absent: nobody checked it, and an attested model is then not called attested.
 */
export interface ModelAttestation {
  state: "verified" | "revoked" | "failed" | "unchecked";
  /** The certificate's trust level ("software-tpm-pcr23"), when it could be read. */
  trustLevel: string | null;
  /** When the attestor was revoked (unix seconds); null while it is active. */
  revokedAt: number | null;
  /** Why it is not verified (the first failed check); null when verified. */
  reason: string | null;
}

/**
 * An attested evaluation of a model (core/attestor/evaluation-results.ts): a benchmark result bound by an
 * evaluation certificate to the model's weights and a dataset token, with what its certificate was found worth.
 * Only a `verified` one may be shown or exported as an attested result.
 */
export interface AttestedEvaluation {
  evaluationId: string;
  /** The evaluation dataset (not necessarily in the lineage): its token, and its manifest's name when it could be read. */
  dataset: { tokenId: string; name: string | null; root: `0x${string}` | null };
  /** The metrics of the certificate (empty when it could not be read). */
  metrics: { name: string; value: number; split: string; config?: string }[];
  metricsDigest: `0x${string}`;
  certificateCid: string;
  attestation: ModelAttestation;
}

export interface ModelNode {
  id: `model:${string}`;
  kind: "model";
  tokenId: string;
  weightsDigest: `0x${string}`;
  manifestCid: string;
  license: string;
  owner: string;
  registeredAt: number;
  /** The registry's flag: a certificate was accepted at registration. Exports say "attested" only with a verified `attestation`. */
  provenance: "self-declared" | "attested";
  certificateCid: string | null;
  attestation?: ModelAttestation;
  /** Its attested evaluations, when someone listed and checked them; `record.metrics` are the owner's claims. */
  evaluations?: AttestedEvaluation[];
  /** Effective record, after inheritance from the first parent. */
  record: ModelRecordFields;
  /**
   * The weight files in manifest order. `digest` is the file's SHA-256 when it is smaller than the manifest's
   * shard size (1 GB); for a larger file, SHA-256 over its shard digests (docs/formats/model-manifest-v1.md).
   */
  files: { path: string; size: number; digest: `0x${string}` }[];
}

export interface DatasetNode {
  id: `dataset:${string}`;
  kind: "dataset";
  tokenId: string;
  name: string;
  root: `0x${string}`;
  n: number;
  totalSamples: number;
  encoding: string;
  manifestCid: string;
  license: string;
  publisher: string;
  /** Reported misordered on-chain (DatasetRegistry.reportMisordered): its exclusion proofs are void. */
  misordered: boolean;
}

export type LineageEdge =
  | { from: `model:${string}`; to: `model:${string}`; type: "parent"; relation: ParentRelation }
  | { from: `model:${string}`; to: `dataset:${string}`; type: "dataset"; role: DatasetRole };

export interface LineageGraph {
  format: "provenant-lineage-v1";
  chainId: number;
  registries: { dataset: string; model: string };
  root: `model:${string}`;
  nodes: (ModelNode | DatasetNode)[];
  edges: LineageEdge[];
}
