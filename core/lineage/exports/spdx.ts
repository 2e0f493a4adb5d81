// SPDX 3.0.1 JSON-LD with the Core, Software, AI and Dataset profiles: models as ai_AIPackage, datasets as
// dataset_DatasetPackage, `trainedOn`/`testedOn` from models to datasets, `ancestorOf` from parents to children.
// docs/exports.md maps every field.
import { fixupSpdxId } from "@cyclonedx/cyclonedx-library/SPDX";
import type { DatasetRole } from "../../chain/roles.ts";
import type { DatasetNode, LineageGraph, ModelNode } from "../graph.ts";
import {
  accountId,
  assetId,
  attestedResults,
  evaluationComment,
  resultSlice,
  bareHex,
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
} from "./common.ts";

export const SPDX_VERSION = "3.0.1";
export const SPDX_CONTEXT = "https://spdx.org/rdf/3.0.1/spdx-context.jsonld";

type Json = Record<string, unknown>;

const CREATION_INFO = "_:creationinfo";

/** SPDX dataset_datasetType from a Provenant sample encoding. */
const DATASET_TYPES: Record<string, string> = { csv: "structured", jsonl: "structured", files: "noAssertion" };

const RELATIONSHIP_OF_ROLE: Record<DatasetRole, "trainedOn" | "testedOn"> = {
  training: "trainedOn",
  "fine-tuning": "trainedOn",
  evaluation: "testedOn",
};

const dictionary = (entries: Record<string, unknown> | undefined) =>
  Object.entries(entries ?? {}).map(([key, value]) => ({ type: "DictionaryEntry", key, value: valueText(value) }));

/** The SPDX 3.0.1 document of a lineage graph, as a JSON-LD object. Deterministic: the same graph, the same document. */
export function toSpdx(graph: LineageGraph): Json {
  const view = viewOf(graph);
  const root = view.root;
  const base = `urn:uuid:${uuidOf(["spdx", graph.chainId, graph.registries.model, root.tokenId, root.weightsDigest])}`;
  const id = (n: ModelNode | DatasetNode) => assetId(graph, n);
  const agent = (address: string) => accountId(graph.chainId, address);
  const elements: Json[] = [];
  const add = (e: Json) => elements.push({ ...e, creationInfo: CREATION_INFO });

  add({ type: "SoftwareAgent", spdxId: `${base}#exporter`, name: "Provenant lineage exporter" });
  add({ type: "Tool", spdxId: `${base}#tool`, name: EXPORTER_NAME });

  // Chain accounts that registered the models and published the datasets.
  const accounts = [...new Set([...view.models.map((m) => m.owner), ...view.datasets.map((d) => d.publisher)])].sort();
  for (const a of accounts) add({ type: "Agent", spdxId: agent(a), name: a, description: `account on chain ${graph.chainId}` });

  // One license element per distinct license string.
  const licenseIds = new Map<string, string>();
  for (const text of [...view.models.map((m) => m.license), ...view.datasets.map((d) => d.license)]) {
    const t = text.trim();
    if (!t || licenseIds.has(t)) continue;
    const spdxId = `${base}#license-${licenseIds.size + 1}`;
    licenseIds.set(t, spdxId);
    add({ type: "simplelicensing_LicenseExpression", spdxId, simplelicensing_licenseExpression: fixupSpdxId(t) ?? t });
  }

  const relationships: Json[] = [];
  const relate = (from: string, relationshipType: string, to: string[], comment?: string) =>
    relationships.push({
      type: "Relationship",
      spdxId: `${base}#relationship-${relationships.length + 1}`,
      from,
      relationshipType,
      to,
      ...(comment ? { comment } : {}),
    });

  for (const m of view.models) {
    const r = m.record;
    const parents = view.parentsOf(m);
    const datasets = view.datasetsOf(m);
    const attested = attestedResults(m);
    const evaluations = [...new Set(attested.map((a) => a.evaluation))];
    // Attested results beside the owner's claims, told apart by their keys.
    const metricEntries = [
      ...attested.map((a) => ({
        type: "DictionaryEntry",
        key: `${a.metric.name} on ${resultSlice(a)}, attested evaluation #${a.evaluation.evaluationId}`,
        value: String(a.metric.value),
      })),
      ...dictionary(r.metrics),
    ];
    const training = [
      ...datasets.map((d) => `${d.role} data ${d.node.name} (${label(d.node)})`),
      ...parents.map((p) => `${p.relation} of ${modelTitle(p.node)} (${label(p.node)})`),
    ];
    add({
      type: "ai_AIPackage",
      spdxId: id(m),
      name: r.name,
      software_packageVersion: r.version,
      ...(r.description ? { description: r.description } : {}),
      software_primaryPurpose: "model",
      suppliedBy: agent(m.owner),
      releaseTime: isoSeconds(m.registeredAt),
      verifiedUsing: [
        {
          type: "Hash",
          algorithm: "other",
          hashValue: bareHex(m.weightsDigest),
          comment: "Provenant weights digest (provenant-model-v1): SHA-256 over every weight file's path, byte range and SHA-256",
        },
      ],
      externalRef: [
        { type: "ExternalRef", externalRefType: "other", locator: [`ipfs://${m.manifestCid}`], comment: "Provenant model manifest" },
        ...(m.certificateCid ? [{ type: "ExternalRef", externalRefType: "other", locator: [`ipfs://${m.certificateCid}`], comment: certificateComment(m) }] : []),
        ...evaluations.map((e) => ({ type: "ExternalRef", externalRefType: "other", locator: [`ipfs://${e.certificateCid}`], comment: evaluationComment(e) })),
      ],
      ...(r.architecture ? { ai_typeOfModel: [r.architecture] } : {}),
      ...(r.task ? { ai_domain: [r.task] } : {}),
      ...(r.hyperparameters && Object.keys(r.hyperparameters).length ? { ai_hyperparameter: dictionary(r.hyperparameters) } : {}),
      ...(metricEntries.length ? { ai_metric: metricEntries } : {}),
      ...(r.intendedUse ? { ai_informationAboutApplication: r.intendedUse } : {}),
      ...(r.limitations ? { ai_limitation: r.limitations } : {}),
      ...(training.length ? { ai_informationAboutTraining: `${training.join("; ")}. Provenance: ${provenanceOf(m).sentence}.` } : {}),
      comment: `${label(m)}, weights digest ${m.weightsDigest}, provenance: ${provenanceOf(m).sentence}`,
    });

    const files = m.files.map((f, i) => {
      const single = f.size <= SINGLE_SHARD_MAX_BYTES;
      const spdxId = `${id(m)}#file-${i + 1}`;
      add({
        type: "software_File",
        spdxId,
        name: f.path,
        software_fileKind: "file",
        verifiedUsing: [
          single
            ? { type: "Hash", algorithm: "sha256", hashValue: bareHex(f.digest) }
            : { type: "Hash", algorithm: "other", hashValue: bareHex(f.digest), comment: "SHA-256 over the SHA-256 of each 1,000,000,000-byte shard, in order" },
        ],
        comment: `${f.size} bytes`,
      });
      return spdxId;
    });
    if (files.length) relate(id(m), "contains", files);

    for (const d of datasets) relate(id(m), RELATIONSHIP_OF_ROLE[d.role], [id(d.node)], `role: ${d.role}`);
    // An evaluation dataset that is a node of the document: the model was tested on it, attested.
    for (const e of evaluations) {
      const node = view.datasets.find((d) => d.tokenId === e.dataset.tokenId);
      if (node) relate(id(m), "testedOn", [id(node)], `attested evaluation #${e.evaluationId}, certificate ipfs://${e.certificateCid}`);
    }
    for (const p of parents) relate(id(p.node), "ancestorOf", [id(m)], `relation: ${p.relation}`);
    const license = licenseIds.get(m.license.trim());
    if (license) relate(id(m), "hasDeclaredLicense", [license]);
  }

  for (const d of view.datasets) {
    add({
      type: "dataset_DatasetPackage",
      spdxId: id(d),
      name: d.name,
      description: `${d.n} distinct samples (${d.totalSamples} in all), ${d.encoding} encoding`,
      software_primaryPurpose: "data",
      suppliedBy: agent(d.publisher),
      verifiedUsing: [
        {
          type: "Hash",
          algorithm: "other",
          hashValue: bareHex(d.root),
          comment: "merkle-v1 root: SHA-256 Merkle tree over the SHA-256 of each distinct sample",
        },
      ],
      externalRef: [{ type: "ExternalRef", externalRefType: "other", locator: [`ipfs://${d.manifestCid}`], comment: "Provenant dataset manifest" }],
      dataset_datasetType: [DATASET_TYPES[d.encoding] ?? "noAssertion"],
      comment: `${label(d)}, ${d.encoding} encoding`,
    });
    const license = licenseIds.get(d.license.trim());
    if (license) relate(id(d), "hasDeclaredLicense", [license]);
  }

  for (const r of relationships) add(r);

  const document = {
    type: "SpdxDocument",
    spdxId: `${base}#document`,
    creationInfo: CREATION_INFO,
    name: `Lineage of ${modelTitle(root)} (${label(root)} on chain ${graph.chainId})`,
    profileConformance: ["core", "software", "ai", "dataset", "simpleLicensing"],
    rootElement: [id(root)],
    element: elements.map((e) => e.spdxId as string),
  };

  return {
    "@context": SPDX_CONTEXT,
    "@graph": [
      {
        type: "CreationInfo",
        "@id": CREATION_INFO,
        specVersion: SPDX_VERSION,
        created: isoSeconds(root.registeredAt),
        createdBy: [`${base}#exporter`],
        createdUsing: [`${base}#tool`],
      },
      document,
      ...elements,
    ],
  };
}
