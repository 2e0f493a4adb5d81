// An OpenLineage RunEvent for the training run of the exported model: its datasets (and the weights of its
// parent models) as inputs, the model's weights as the output. docs/exports.md maps every field.
import type { DatasetNode, LineageGraph, ModelNode } from "../graph.ts";
import { assetId, attestedResults, caip2, evaluationDatasetId, isoSeconds, label, modelTitle, provenanceOf, uuidV7Of, valueText, viewOf } from "./common.ts";

/** The OpenLineage core spec version this event follows (its schema is vendored under test/schemas/openlineage). */
export const OPENLINEAGE_SPEC = "https://openlineage.io/spec/2-0-7/OpenLineage.json";
export const OPENLINEAGE_RUN_EVENT_SCHEMA = `${OPENLINEAGE_SPEC}#/$defs/RunEvent`;

/** Default `producer` URI of events and facets; a deployment can pass its own (e.g. the dApp's URL). */
export const DEFAULT_PRODUCER = "urn:provenant:lineage-export";

/** Schema URL prefix of Provenant's own facets, defined in docs/exports.md. */
export const PROVENANT_FACETS = "urn:provenant:openlineage-facets:1";

const FACETS = {
  documentationJob: "https://openlineage.io/spec/facets/1-0-1/DocumentationJobFacet.json#/$defs/DocumentationJobFacet",
  jobType: "https://openlineage.io/spec/facets/2-0-2/JobTypeJobFacet.json#/$defs/JobTypeJobFacet",
  documentationDataset: "https://openlineage.io/spec/facets/1-0-0/DocumentationDatasetFacet.json#/$defs/DocumentationDatasetFacet",
  datasetVersion: "https://openlineage.io/spec/facets/1-0-0/DatasetVersionDatasetFacet.json#/$defs/DatasetVersionDatasetFacet",
};

export interface OpenLineageOptions {
  /** URI naming the software that emits the event (OpenLineage `producer` and every facet's `_producer`). */
  producer?: string;
}

type Json = Record<string, unknown>;

/** The RunEvent of a lineage graph's root model. Deterministic: its runId is a UUIDv7 derived from the graph. */
export function toOpenLineage(graph: LineageGraph, options: OpenLineageOptions = {}): Json {
  const view = viewOf(graph);
  const root = view.root;
  const producer = options.producer ?? DEFAULT_PRODUCER;
  const namespace = caip2(graph.chainId);
  // namespace + "/" + name is the token's CAIP-19 id.
  const nameOf = (n: ModelNode | DatasetNode) => assetId(graph, n).slice(namespace.length + 1);
  const facet = (schemaURL: string, fields: Json) => ({ _producer: producer, _schemaURL: schemaURL, ...fields });

  const datasetFacets = (d: DatasetNode) => ({
    documentation: facet(FACETS.documentationDataset, {
      description: `${d.name} (${label(d)}): ${d.n} distinct samples (${d.totalSamples} in all), ${d.encoding} encoding`,
    }),
    version: facet(FACETS.datasetVersion, { datasetVersion: d.root }),
    provenant_dataset: facet(`${PROVENANT_FACETS}#/$defs/ProvenantDatasetFacet`, {
      tokenId: d.tokenId,
      merkleRoot: d.root,
      samples: d.n,
      totalSamples: d.totalSamples,
      encoding: d.encoding,
      manifest: `ipfs://${d.manifestCid}`,
      license: d.license,
      publisher: d.publisher,
    }),
  });
  const modelFacets = (m: ModelNode) => ({
    documentation: facet(FACETS.documentationDataset, {
      description: `${modelTitle(m)} (${label(m)}) weights${m.record.description ? `: ${m.record.description}` : ""}`,
    }),
    version: facet(FACETS.datasetVersion, { datasetVersion: m.weightsDigest }),
    provenant_model: facet(`${PROVENANT_FACETS}#/$defs/ProvenantModelFacet`, {
      tokenId: m.tokenId,
      name: m.record.name,
      version: m.record.version,
      weightsDigest: m.weightsDigest,
      manifest: `ipfs://${m.manifestCid}`,
      license: m.license,
      owner: m.owner,
      provenance: provenanceOf(m).value,
      attestation: provenanceOf(m).sentence,
      certificate: m.certificateCid ? `ipfs://${m.certificateCid}` : null,
      files: m.files.map((f) => ({ path: f.path, size: f.size, digest: f.digest })),
      // Results of attested evaluations whose certificates verified; the training facet's `metrics` are the owner's claims.
      attestedEvaluations: [...new Set(attestedResults(m).map((a) => a.evaluation))].map((e) => ({
        evaluation: e.evaluationId,
        dataset: evaluationDatasetId(graph, e),
        datasetName: e.dataset.name,
        metrics: e.metrics,
        metricsDigest: e.metricsDigest,
        certificate: `ipfs://${e.certificateCid}`,
        trustLevel: e.attestation.trustLevel,
      })),
    }),
  });

  const r = root.record;
  const eventTime = isoSeconds(root.registeredAt);
  return {
    eventType: "COMPLETE",
    eventTime,
    producer,
    schemaURL: OPENLINEAGE_RUN_EVENT_SCHEMA,
    run: {
      runId: uuidV7Of(root.registeredAt * 1000, ["openlineage", graph.chainId, graph.registries.model, root.tokenId, root.weightsDigest]),
      facets: {
        provenant_training: facet(`${PROVENANT_FACETS}#/$defs/ProvenantTrainingRunFacet`, {
          model: assetId(graph, root),
          provenance: provenanceOf(root).value,
          attestation: provenanceOf(root).sentence,
          certificate: root.certificateCid ? `ipfs://${root.certificateCid}` : null,
          registeredAt: eventTime,
          hyperparameters: Object.fromEntries(Object.entries(r.hyperparameters ?? {}).map(([k, v]) => [k, valueText(v)])),
          metrics: r.metrics ?? {},
        }),
      },
    },
    job: {
      namespace,
      name: `train/${nameOf(root)}`,
      facets: {
        jobType: facet(FACETS.jobType, { processingType: "BATCH", integration: "PROVENANT", jobType: "TRAINING" }),
        documentation: facet(FACETS.documentationJob, {
          description: `Training of ${modelTitle(root)} (${label(root)}${r.architecture ? `, ${r.architecture}` : ""}${r.task ? `, ${r.task}` : ""}), as registered on chain ${graph.chainId}`,
        }),
      },
    },
    inputs: [
      ...view.datasetsOf(root).map((d) => ({
        namespace,
        name: nameOf(d.node),
        facets: datasetFacets(d.node),
        inputFacets: { provenant_usage: facet(`${PROVENANT_FACETS}#/$defs/ProvenantUsageInputFacet`, { role: d.role }) },
      })),
      ...view.parentsOf(root).map((p) => ({
        namespace,
        name: nameOf(p.node),
        facets: modelFacets(p.node),
        inputFacets: { provenant_usage: facet(`${PROVENANT_FACETS}#/$defs/ProvenantUsageInputFacet`, { relation: p.relation }) },
      })),
    ],
    outputs: [{ namespace, name: nameOf(root), facets: modelFacets(root) }],
  };
}
