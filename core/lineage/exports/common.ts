// Shared by the exporters: a checked, sorted view of a LineageGraph, stable identifiers and deterministic
// UUIDs and timestamps. Browser-safe: no node:* imports, no Buffer, no clock, no randomness.
import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex, utf8ToBytes } from "@noble/hashes/utils.js";
import { provenanceWords, type ProvenanceWords } from "../../attestor/attestation.ts";
import { FormatError } from "../../errors.ts";
import type { DatasetRole, ParentRelation } from "../../chain/roles.ts";
import { isTokenId } from "../../identifiers.ts";
import { checkVersioned } from "../../versioned-json.ts";
import type { AttestedEvaluation } from "../../attestor/attestation.ts";
import type { DatasetNode, LineageGraph, ModelNode } from "../graph.ts";

/** Names the software in every export (CycloneDX tools, SPDX Tool, OpenLineage producer). */
export const EXPORTER_NAME = "provenant";

/**
 * Weight files up to this size are one resource of the model manifest, so their digest is the SHA-256 of the
 * file; larger files carry SHA-256 over their shard digests (core/model/digest.ts, model-signing's default
 * shard size, which Provenant writes).
 */
export const SINGLE_SHARD_MAX_BYTES = 1_000_000_000;

export interface ParentLink {
  node: ModelNode;
  relation: ParentRelation;
}
export interface DatasetLink {
  node: DatasetNode;
  role: DatasetRole;
}

/** A LineageGraph checked for consistency, with nodes sorted by token id and edges indexed per model. */
export interface LineageView {
  graph: LineageGraph;
  root: ModelNode;
  /** Every model, ascending token id (parents always have lower ids than their children). */
  models: ModelNode[];
  datasets: DatasetNode[];
  /** Direct parents of a model, in the graph's edge order. */
  parentsOf(model: ModelNode): ParentLink[];
  /** Datasets a model declares, in the graph's edge order. */
  datasetsOf(model: ModelNode): DatasetLink[];
}

const byTokenId = (a: { tokenId: string }, b: { tokenId: string }) => {
  const x = BigInt(a.tokenId);
  const y = BigInt(b.tokenId);
  return x < y ? -1 : x > y ? 1 : 0;
};

const invalid = (why: string) => new FormatError("LINEAGE_INVALID", `lineage graph ${why}`);

/**
 * Checks what the exporters rely on (format tag, unique ids, a model root, edges between existing nodes of
 * the right kinds) and indexes the graph. Throws LINEAGE_INVALID naming the first problem.
 */
export function viewOf(graph: LineageGraph): LineageView {
  checkVersioned(graph, "the lineage graph", "provenant-lineage-v1", { code: "LINEAGE_INVALID" });
  if (!Number.isSafeInteger(graph.chainId) || graph.chainId < 1) throw invalid(`has chain id ${graph.chainId}`);
  const byId = new Map<string, ModelNode | DatasetNode>();
  for (const n of graph.nodes) {
    if (n.kind !== "model" && n.kind !== "dataset") throw invalid(`has a node of kind ${JSON.stringify((n as { kind?: unknown }).kind)}`);
    if (!isTokenId(n.tokenId) || n.id !== `${n.kind}:${n.tokenId}`) throw invalid(`has a node with id ${n.id} and token id ${n.tokenId}`);
    if (byId.has(n.id)) throw invalid(`has two nodes with id ${n.id}`);
    byId.set(n.id, n);
  }
  const root = byId.get(graph.root);
  if (root?.kind !== "model") throw invalid(`has no model node for its root ${graph.root}`);

  const parents = new Map<string, ParentLink[]>();
  const datasets = new Map<string, DatasetLink[]>();
  for (const e of graph.edges) {
    const from = byId.get(e.from);
    const to = byId.get(e.to);
    if (from?.kind !== "model") throw invalid(`has an edge from ${e.from}, which is not a model in the graph`);
    if (e.type === "parent" && to?.kind === "model") {
      parents.set(from.id, [...(parents.get(from.id) ?? []), { node: to, relation: e.relation }]);
    } else if (e.type === "dataset" && to?.kind === "dataset") {
      datasets.set(from.id, [...(datasets.get(from.id) ?? []), { node: to, role: e.role }]);
    } else {
      throw invalid(`has a ${(e as { type?: unknown }).type} edge from ${e.from} to ${e.to}, which is not a node of the right kind`);
    }
  }
  return {
    graph,
    root,
    models: graph.nodes.filter((n): n is ModelNode => n.kind === "model").sort(byTokenId),
    datasets: graph.nodes.filter((n): n is DatasetNode => n.kind === "dataset").sort(byTokenId),
    parentsOf: (m) => parents.get(m.id) ?? [],
    datasetsOf: (m) => datasets.get(m.id) ?? [],
  };
}

/** CAIP-2 chain id of an EVM chain: `eip155:<chainId>`. */
export const caip2 = (chainId: number) => `eip155:${chainId}`;

/** CAIP-19 asset id of an NFT: `eip155:<chainId>/erc721:<contract>/<tokenId>`. Globally unique for a token. */
export function assetId(graph: LineageGraph, node: Pick<ModelNode | DatasetNode, "kind" | "tokenId">): string {
  const registry = node.kind === "model" ? graph.registries.model : graph.registries.dataset;
  return `${caip2(graph.chainId)}/erc721:${registry}/${node.tokenId}`;
}

/** CAIP-10 account id: `eip155:<chainId>:<address>`. */
export const accountId = (chainId: number, address: string) => `${caip2(chainId)}:${address}`;

/** Unix seconds (a block timestamp) as `YYYY-MM-DDTHH:MM:SSZ`, the form SPDX requires. */
export function isoSeconds(unixSeconds: number): string {
  if (!Number.isSafeInteger(unixSeconds) || unixSeconds < 0) throw invalid(`has a registration time of ${unixSeconds}`);
  return new Date(unixSeconds * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");
}

function uuidBytes(parts: readonly (string | number)[]): Uint8Array {
  return sha256(utf8ToBytes(JSON.stringify(parts))).slice(0, 16);
}

function formatUuid(b: Uint8Array): string {
  const h = bytesToHex(b);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** A name-based UUID (RFC 9562 version 8): the first 122 bits of SHA-256 over the parts. Same parts, same UUID. */
export function uuidOf(parts: readonly (string | number)[]): string {
  const b = uuidBytes(parts);
  b[6] = (b[6] & 0x0f) | 0x80;
  b[8] = (b[8] & 0x3f) | 0x80;
  return formatUuid(b);
}

/** A time-ordered UUID (RFC 9562 version 7) at `unixMs`, its other bits taken from SHA-256 over the parts. */
export function uuidV7Of(unixMs: number, parts: readonly (string | number)[]): string {
  const b = uuidBytes(parts);
  let t = unixMs;
  for (let i = 5; i >= 0; i--) {
    b[i] = t % 256;
    t = Math.floor(t / 256);
  }
  b[6] = (b[6] & 0x0f) | 0x70;
  b[8] = (b[8] & 0x3f) | 0x80;
  return formatUuid(b);
}

/** A file name part: lowercase letters, digits, dots and dashes. */
export function slug(text: string): string {
  const s = text
    .toLowerCase()
    .replace(/[^a-z0-9.]+/g, "-")
    .replace(/^[-.]+|[-.]+$/g, "");
  return s.slice(0, 80) || "model";
}

/** `0x`-prefixed hex without the prefix (CycloneDX and SPDX hash values). */
export const bareHex = (hex: string) => hex.replace(/^0x/i, "").toLowerCase();

/** A hyperparameter or metric value as one string. */
export const valueText = (v: unknown) => (typeof v === "string" ? v : JSON.stringify(v));

/** "model #2" / "dataset #1". */
export const label = (n: ModelNode | DatasetNode) => `${n.kind} #${n.tokenId}`;

/** "mnist-mlp 1.0.0". */
export const modelTitle = (m: ModelNode) => `${m.record.name} ${m.record.version}`;

/**
 * A model's provenance as an export states it: "attested" only when the graph carries a verified certificate
 * verdict (core/attestor/attestation.ts); otherwise what was found (revoked attestor, failed, not checked).
 */
export const provenanceOf = (m: ModelNode): ProvenanceWords => provenanceWords(m.provenance, m.attestation);

/** How an export describes the certificate it links: what it covers when verified, what is wrong otherwise. */
export const certificateComment = (m: ModelNode): string => {
  const p = provenanceOf(m);
  return p.attested ? `Provenant training certificate, TPM-${p.sentence}` : `Provenant training certificate, not to be relied on: ${p.sentence}`;
};

/** One metric of an attested evaluation, with the evaluation it comes from. */
export interface AttestedResult {
  evaluation: AttestedEvaluation;
  metric: AttestedEvaluation["metrics"][number];
}

/**
 * The results of a model's attested evaluations whose certificates verified: the only results an export calls
 * attested. The record's `metrics` are the owner's claims and are exported apart, as they always were.
 */
export const attestedResults = (m: ModelNode): AttestedResult[] =>
  (m.evaluations ?? []).filter((e) => e.attestation.state === "verified").flatMap((evaluation) => evaluation.metrics.map((metric) => ({ evaluation, metric })));

/** The CAIP-19 id of an evaluation's dataset (which need not be a node of the graph). */
export const evaluationDatasetId = (graph: LineageGraph, e: AttestedEvaluation) => assetId(graph, { kind: "dataset", tokenId: e.dataset.tokenId });

/** "test split of MNIST 10k (dataset #1)": what a result was measured on. */
export const resultSlice = (r: AttestedResult) =>
  `${r.metric.split} split${r.metric.config ? ` (${r.metric.config})` : ""} of ${r.evaluation.dataset.name ?? "a dataset"} (dataset #${r.evaluation.dataset.tokenId})`;

/** How an export describes the evaluation certificate behind an attested result. */
export const evaluationComment = (e: AttestedEvaluation) =>
  `Provenant evaluation certificate of attested evaluation #${e.evaluationId}: the metrics were measured by the attestor, bound by a TPM quote to the model's weights and dataset #${e.dataset.tokenId}, and verified (trust level ${e.attestation.trustLevel ?? "unknown"})`;
