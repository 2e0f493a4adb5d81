// CycloneDX 1.6 JSON: the exported model as a machine-learning-model component with its model card, its datasets
// as data components, its ancestors through pedigree.ancestors. docs/exports.md maps every field.
//
// The document is built as plain JSON: @cyclonedx/cyclonedx-library 10 models have no modelCard, component data
// or pedigree, so its serializer would drop what this export is for. The library supplies the spec's
// vocabulary (component types, hash algorithms, reference types) and its SPDX license id list; the tests
// validate the result against the official 1.6 schema the library ships.
import { ComponentType, ExternalReferenceType, HashAlgorithm } from "@cyclonedx/cyclonedx-library/Enums";
import { fixupSpdxId } from "@cyclonedx/cyclonedx-library/SPDX";
import { Version } from "@cyclonedx/cyclonedx-library/Spec";
import type { DatasetNode, LineageGraph, ModelNode } from "../graph.ts";
import {
  assetId,
  attestedResults,
  bareHex,
  evaluationComment,
  evaluationDatasetId,
  resultSlice,
  EXPORTER_NAME,
  isoSeconds,
  label,
  certificateComment,
  modelTitle,
  provenanceOf,
  SINGLE_SHARD_MAX_BYTES,
  uuidOf,
  valueText,
  viewOf,
  type LineageView,
} from "./common.ts";

export const CYCLONEDX_SPEC_VERSION: string = Version.v1dot6;

type Json = Record<string, unknown>;
type Property = { name: string; value: string };

const prop = (name: string, value: string): Property => ({ name: `provenant:${name}`, value });

/**
 * A license string as CycloneDX: a listed SPDX id as `license.id` (case fixed), an SPDX expression as
 * `expression`, anything else as a named license. Nothing for an empty string.
 */
export function cdxLicenses(license: string): Json[] | undefined {
  const text = license.trim();
  if (!text || text === "NOASSERTION") return undefined;
  const id = fixupSpdxId(text);
  if (id) return [{ license: { id } }];
  if (/^[A-Za-z0-9.+\-:()\s]+$/.test(text) && (/\s(AND|OR|WITH)\s/.test(text) || /^LicenseRef-/.test(text))) {
    return [{ expression: text }];
  }
  return [{ license: { name: text } }];
}

function fileComponent(file: ModelNode["files"][number]): Json {
  const single = file.size <= SINGLE_SHARD_MAX_BYTES;
  return {
    type: ComponentType.File,
    name: file.path,
    ...(single ? { hashes: [{ alg: HashAlgorithm["SHA-256"], content: bareHex(file.digest) }] } : {}),
    properties: [prop("size", String(file.size)), ...(single ? [] : [prop("shardDigest", file.digest)])],
  };
}

function modelCard(view: LineageView, m: ModelNode, ref: (n: ModelNode | DatasetNode) => string): Json {
  const r = m.record;
  const datasets = view.datasetsOf(m);
  const params: Json = {
    ...(r.task ? { task: r.task } : {}),
    ...(r.architecture ? { modelArchitecture: r.architecture } : {}),
    ...(datasets.length ? { datasets: [...new Set(datasets.map((d) => ref(d.node)))].map((id) => ({ ref: id })) } : {}),
  };
  const metrics = Object.entries(r.metrics ?? {});
  const considerations: Json = {
    ...(r.intendedUse ? { useCases: [r.intendedUse] } : {}),
    ...(r.limitations ? { technicalLimitations: [r.limitations] } : {}),
  };
  // Attested results carry the slice they were measured on; the record's metrics are the owner's claims, unsliced.
  const attested = attestedResults(m);
  const performanceMetrics = [
    ...attested.map((a) => ({ type: a.metric.name, value: String(a.metric.value), slice: resultSlice(a) })),
    ...metrics.map(([k, v]) => ({ type: k, value: String(v) })),
  ];
  const properties = [
    ...datasets.map((d) => prop(`dataset:${d.role}`, ref(d.node))),
    ...Object.entries(r.hyperparameters ?? {}).map(([k, v]) => prop(`hyperparameter:${k}`, valueText(v))),
    ...[...new Set(attested.map((a) => a.evaluation))].map((e) =>
      prop(
        `evaluation:${e.evaluationId}`,
        `attested: ${e.metrics.map((x) => `${x.name} ${x.value}`).join(", ")} on ${evaluationDatasetId(view.graph, e)}, certificate ipfs://${e.certificateCid}`,
      ),
    ),
    ...(attested.length && metrics.length ? [prop("claimedMetrics", `${metrics.map(([k]) => k).join(", ")}: self-reported by the owner, not attested`)] : []),
  ];
  return {
    ...(Object.keys(params).length ? { modelParameters: params } : {}),
    ...(performanceMetrics.length ? { quantitativeAnalysis: { performanceMetrics } } : {}),
    ...(Object.keys(considerations).length ? { considerations } : {}),
    ...(properties.length ? { properties } : {}),
  };
}

function modelComponent(view: LineageView, m: ModelNode, ref: (n: ModelNode | DatasetNode) => string, bomLink: (id: string) => string): Json {
  const r = m.record;
  const parents = view.parentsOf(m);
  const licenses = cdxLicenses(m.license);
  const externalReferences: Json[] = [
    { type: ExternalReferenceType.Other, url: `ipfs://${m.manifestCid}`, comment: "Provenant model manifest (provenant-model-v1): weight files and their SHA-256" },
    ...(m.certificateCid ? [{ type: ExternalReferenceType.Attestation, url: `ipfs://${m.certificateCid}`, comment: certificateComment(m) }] : []),
    ...[...new Set(attestedResults(m).map((a) => a.evaluation))].map((e) => ({
      type: ExternalReferenceType.Attestation,
      url: `ipfs://${e.certificateCid}`,
      comment: evaluationComment(e),
    })),
  ];
  return {
    type: ComponentType.MachineLearningModel,
    "bom-ref": ref(m),
    publisher: m.owner,
    name: r.name,
    version: r.version,
    ...(r.description ? { description: r.description } : {}),
    ...(licenses ? { licenses } : {}),
    externalReferences,
    ...(m.files.length ? { components: m.files.map(fileComponent) } : {}),
    ...(parents.length
      ? {
          pedigree: {
            // Each ancestor also appears whole in `components` (one bom-ref per node); here it is named, with
            // a BOM-Link to that component.
            ancestors: parents.map(({ node: p, relation }) => ({
              type: ComponentType.MachineLearningModel,
              publisher: p.owner,
              name: p.record.name,
              version: p.record.version,
              externalReferences: [{ type: ExternalReferenceType.BOM, url: bomLink(ref(p)), comment: `${label(p)} in this BOM` }],
              properties: [prop("relation", relation), prop("tokenId", p.tokenId), prop("weightsDigest", p.weightsDigest)],
            })),
            notes: parents.map(({ node: p, relation }) => `${relation} of ${modelTitle(p)} (${label(p)})`).join("; "),
          },
        }
      : {}),
    modelCard: modelCard(view, m, ref),
    properties: [
      prop("tokenId", m.tokenId),
      prop("weightsDigest", m.weightsDigest),
      prop("manifestCid", m.manifestCid),
      prop("registeredAt", isoSeconds(m.registeredAt)),
      prop("provenance", provenanceOf(m).value),
      ...(m.provenance === "attested" ? [prop("attestation", provenanceOf(m).sentence)] : []),
      ...(m.certificateCid ? [prop("certificateCid", m.certificateCid)] : []),
    ],
  };
}

function datasetComponent(d: DatasetNode, ref: (n: ModelNode | DatasetNode) => string): Json {
  const licenses = cdxLicenses(d.license);
  const description = `${d.n} distinct samples (${d.totalSamples} in all), ${d.encoding} encoding, committed by merkle-v1 root ${d.root}`;
  return {
    type: ComponentType.Data,
    "bom-ref": ref(d),
    publisher: d.publisher,
    name: d.name,
    description,
    ...(licenses ? { licenses } : {}),
    externalReferences: [
      {
        type: ExternalReferenceType.Distribution,
        url: `ipfs://${d.manifestCid}`,
        comment: "Provenant dataset manifest (provenant-dataset-v1): Merkle root, shard index, sample hashes",
      },
    ],
    data: [
      {
        type: "dataset",
        name: d.name,
        contents: { url: `ipfs://${d.manifestCid}` },
        description,
      },
    ],
    properties: [
      prop("tokenId", d.tokenId),
      prop("merkleRoot", d.root),
      prop("samples", String(d.n)),
      prop("totalSamples", String(d.totalSamples)),
      prop("encoding", d.encoding),
      prop("manifestCid", d.manifestCid),
    ],
  };
}

/** The CycloneDX 1.6 BOM of a lineage graph, as a JSON object. Deterministic: the same graph gives the same BOM. */
export function toCycloneDx(graph: LineageGraph): Json {
  const view = viewOf(graph);
  const root = view.root;
  const serial = uuidOf(["cyclonedx", graph.chainId, graph.registries.model, root.tokenId, root.weightsDigest]);
  const ref = (n: ModelNode | DatasetNode) => assetId(graph, n);
  const bomLink = (id: string) => `urn:cdx:${serial}/1#${encodeURIComponent(id)}`;
  const ancestors = view.models.filter((m) => m.id !== root.id).reverse();

  return {
    $schema: "http://cyclonedx.org/schema/bom-1.6.schema.json",
    bomFormat: "CycloneDX",
    specVersion: CYCLONEDX_SPEC_VERSION,
    serialNumber: `urn:uuid:${serial}`,
    version: 1,
    metadata: {
      timestamp: isoSeconds(root.registeredAt),
      tools: { components: [{ type: ComponentType.Application, name: EXPORTER_NAME, description: "Provenant lineage export" }] },
      component: modelComponent(view, root, ref, bomLink),
      properties: [
        prop("lineageFormat", graph.format),
        prop("chainId", String(graph.chainId)),
        prop("datasetRegistry", graph.registries.dataset),
        prop("modelRegistry", graph.registries.model),
      ],
    },
    components: [...ancestors.map((m) => modelComponent(view, m, ref, bomLink)), ...view.datasets.map((d) => datasetComponent(d, ref))],
    dependencies: [
      ...view.models.map((m) => ({
        ref: ref(m),
        dependsOn: [...new Set([...view.parentsOf(m).map((p) => ref(p.node)), ...view.datasetsOf(m).map((d) => ref(d.node))])],
      })),
      ...view.datasets.map((d) => ({ ref: ref(d), dependsOn: [] })),
    ],
  };
}
