// LineageGraph: the ancestry of one model as read from chain + storage.
// Pure types, browser-safe, no runtime code. Produced by core/lineage/walk.ts,
// consumed by verify, render and the exporters (core/lineage/exports/**).
// Keep this file stable: other modules code against it.

import type { DatasetRole, ParentRelation } from "../chain/roles.ts";
import type { ModelRecordFields } from "../model/record.ts";
import type { AttestedEvaluation, ModelAttestation } from "../attestor/attestation.ts";

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
