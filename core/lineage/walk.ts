import { ProvenantError, ChainError } from "../errors.ts";
import type { DatasetRecord, DatasetRegistryClient } from "../chain/dataset-registry.ts";
import type { DatasetEdge, ModelChainRecord, ModelRegistryClient, ParentEdge } from "../chain/model-registry.ts";
import { readDatasetManifest, type DatasetManifest } from "../dataset/manifest.ts";
import { DatasetProver } from "../dataset/prover.ts";
import { filesOf } from "../model/digest.ts";
import { readModelManifest, type ModelManifest } from "../model/manifest.ts";
import { resolveRecord, type ResolvedRecord } from "../model/record.ts";
import type { ContentStore } from "../storage/store.ts";
import type { DatasetNode, LineageEdge, LineageGraph, ModelNode } from "./graph.ts";

/** Where a walk reads from: both registries on one chain, and the content store holding the manifests. */
export interface LineageSources {
  models: ModelRegistryClient;
  datasets: DatasetRegistryClient;
  store: ContentStore;
}

/** What a failed step of the walk left: the error, and the node it happened at. */
export type StepResult<T> = { ok: true; value: T } | { ok: false; error: ProvenantError };

export interface ModelVisit {
  tokenId: bigint;
  /** Record and edges, read from the chain. */
  chain: StepResult<{ record: ModelChainRecord; parents: ParentEdge[]; datasets: DatasetEdge[] }>;
  /** The manifest read from storage (the store checks the bytes against the CID) and decoded. */
  manifest: StepResult<ModelManifest> | null;
  /** The effective record, after inheritance from the first parent. */
  record: StepResult<ResolvedRecord> | null;
}

export interface DatasetVisit {
  tokenId: bigint;
  chain: StepResult<DatasetRecord>;
  manifest: StepResult<DatasetManifest> | null;
  /** The shard index read and folded to the manifest's root (DatasetProver.open). */
  index: StepResult<{ shardCount: number }> | null;
}

export interface LineageWalk {
  chainId: number;
  registries: { dataset: string; model: string };
  root: bigint;
  /** Every model reached, by token id, in ascending order. */
  models: Map<bigint, ModelVisit>;
  datasets: Map<bigint, DatasetVisit>;
  /** Edges read from the chain (of models whose chain read succeeded), in registration order. */
  edges: LineageEdge[];
}

const asProvenant = (e: unknown, what: string): ProvenantError =>
  e instanceof ProvenantError ? e : new ChainError("CHAIN_UNREACHABLE", `${what}: ${(e as Error)?.message ?? String(e)}`, { cause: e });

async function step<T>(what: string, run: () => Promise<T>): Promise<StepResult<T>> {
  try {
    return { ok: true, value: await run() };
  } catch (e) {
    return { ok: false, error: asProvenant(e, what) };
  }
}

export const modelKey = (id: bigint | string): `model:${string}` => `model:${id}`;
export const datasetKey = (id: bigint | string): `dataset:${string}` => `dataset:${id}`;

/**
 * Walks the ancestry of model `rootId` down to its datasets, reading every record and edge from the chain and
 * every manifest from storage. A failure at one node is recorded at that node and the walk goes on with the
 * rest; only the chain id and registry addresses are needed up front. Parents always have lower ids than their
 * children (the registry refuses anything else), so the walk terminates and visits each node once.
 */
export async function walkLineage(src: LineageSources, rootId: bigint): Promise<LineageWalk> {
  const models = new Map<bigint, ModelVisit>();
  const datasets = new Map<bigint, DatasetVisit>();
  const edges: LineageEdge[] = [];

  let frontier = [rootId];
  while (frontier.length > 0) {
    const fresh = [...new Set(frontier)].filter((id) => !models.has(id));
    frontier = [];
    const visits = await Promise.all(fresh.map((id) => visitModel(src, id)));
    for (const v of visits) {
      models.set(v.tokenId, v);
      if (!v.chain.ok) continue;
      for (const p of v.chain.value.parents) {
        edges.push({ from: modelKey(v.tokenId), to: modelKey(p.modelId), type: "parent", relation: p.relation });
        // A parent id not below its child would be a registry fault; the edge is kept (verify flags it) but not followed.
        if (p.modelId < v.tokenId) frontier.push(p.modelId);
      }
      for (const d of v.chain.value.datasets) {
        edges.push({ from: modelKey(v.tokenId), to: datasetKey(d.datasetId), type: "dataset", role: d.role });
      }
    }
  }

  const datasetIds = [...new Set(edges.flatMap((e) => (e.type === "dataset" ? [BigInt(e.to.slice(8))] : [])))];
  for (const v of await Promise.all(datasetIds.map((id) => visitDataset(src, id)))) datasets.set(v.tokenId, v);

  // Effective records, parents first: ascending ids are a topological order.
  const sorted = new Map([...models].sort(([a], [b]) => (a < b ? -1 : 1)));
  for (const v of sorted.values()) v.record = resolveVisit(v, sorted);
  const sortedDatasets = new Map([...datasets].sort(([a], [b]) => (a < b ? -1 : 1)));

  return {
    chainId: src.models.chainId,
    registries: { dataset: src.datasets.address, model: src.models.address },
    root: rootId,
    models: sorted,
    datasets: sortedDatasets,
    edges,
  };
}

async function visitModel(src: LineageSources, id: bigint): Promise<ModelVisit> {
  const chain = await step(`model #${id}`, async () => {
    const record = await src.models.record(id);
    const [parents, datasets] = await Promise.all([src.models.parents(id), src.models.datasets(id)]);
    return { record, parents, datasets };
  });
  if (!chain.ok) return { tokenId: id, chain, manifest: null, record: null };
  const cid = chain.value.record.manifestCid;
  const manifest = await step(`model #${id}'s manifest`, async () => readModelManifest(src.store, cid, `model #${id}'s manifest ${cid}`));
  return { tokenId: id, chain, manifest, record: null };
}

function resolveVisit(v: ModelVisit, models: Map<bigint, ModelVisit>): StepResult<ResolvedRecord> | null {
  if (!v.manifest?.ok || !v.chain.ok) return null;
  const declared = v.manifest.value.record;
  const first = v.chain.value.parents[0];
  const inherits = first !== undefined && declared.inherit !== false;
  if (!inherits) return { ok: true, value: resolveRecord(declared, null) };
  const parent = models.get(first.modelId)?.record;
  if (!parent?.ok) {
    return {
      ok: false,
      error: new ChainError("LINEAGE_INVALID", `model #${v.tokenId}'s record inherits from model #${first.modelId}, whose record could not be read`),
    };
  }
  return { ok: true, value: resolveRecord(declared, parent.value.record) };
}

async function visitDataset(src: LineageSources, id: bigint): Promise<DatasetVisit> {
  const chain = await step(`dataset #${id}`, () => src.datasets.record(id));
  if (!chain.ok) return { tokenId: id, chain, manifest: null, index: null };
  const cid = chain.value.manifestCid;
  const manifest = await step(`dataset #${id}'s manifest`, async () => readDatasetManifest(src.store, cid, `dataset #${id}'s manifest ${cid}`));
  if (!manifest.ok) return { tokenId: id, chain, manifest, index: null };
  const index = await step(`dataset #${id}'s shard index`, async () => {
    const prover = await DatasetProver.open(src.store, cid);
    return { shardCount: prover.index.shards.length };
  });
  return { tokenId: id, chain, manifest, index };
}

/**
 * The LineageGraph of a walk in which every read succeeded. Throws LINEAGE_INVALID naming the first node
 * that could not be read (`provenant verify model` reports them all).
 */
export function toLineageGraph(walk: LineageWalk): LineageGraph {
  const nodes: (ModelNode | DatasetNode)[] = [];
  const need = <T>(r: StepResult<T> | null, what: string): T => {
    if (r?.ok) return r.value;
    const e = r?.error;
    throw new ChainError(
      "LINEAGE_INVALID",
      `the lineage of model #${walk.root} is incomplete: ${e ? e.message : `${what} was not read`} (provenant verify model ${walk.root} lists every failure)`,
      { cause: e },
    );
  };
  for (const v of walk.models.values()) {
    const chain = need(v.chain, `model #${v.tokenId}`);
    const manifest = need(v.manifest, `model #${v.tokenId}'s manifest`);
    const resolved = need(v.record, `model #${v.tokenId}'s record`);
    const { record } = chain;
    nodes.push({
      id: modelKey(v.tokenId),
      kind: "model",
      tokenId: v.tokenId.toString(),
      weightsDigest: record.weightsDigest,
      manifestCid: record.manifestCid,
      license: record.license,
      owner: record.registrant,
      registeredAt: record.registeredAt,
      provenance: record.provenance,
      certificateCid: record.certificateCid,
      record: resolved.record,
      files: filesOf(manifest.weights.resources),
    });
  }
  for (const v of walk.datasets.values()) {
    const r = need(v.chain, `dataset #${v.tokenId}`);
    const manifest = need(v.manifest, `dataset #${v.tokenId}'s manifest`);
    nodes.push({
      id: datasetKey(v.tokenId),
      kind: "dataset",
      tokenId: v.tokenId.toString(),
      name: manifest.name,
      root: r.root.toLowerCase() as `0x${string}`,
      n: r.n,
      totalSamples: r.totalSamples,
      encoding: r.encoding,
      manifestCid: r.manifestCid,
      license: r.license,
      publisher: r.publisher,
      misordered: r.misordered,
    });
  }
  return {
    format: "provenant-lineage-v1",
    chainId: walk.chainId,
    registries: walk.registries,
    root: modelKey(walk.root),
    nodes,
    edges: walk.edges,
  };
}

/** Reads the ancestry of a model and returns it as a LineageGraph (throws if any part is unreadable). */
export async function buildLineageGraph(src: LineageSources, rootId: bigint): Promise<LineageGraph> {
  return toLineageGraph(await walkLineage(src, rootId));
}
