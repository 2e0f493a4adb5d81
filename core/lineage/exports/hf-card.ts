// A Hugging Face model card (README.md): YAML metadata as the Hub reads it (license, base_model,
// base_model_relation, datasets, tags, model-index) and a readable body with the lineage. docs/exports.md maps
// every field.
import { fixupSpdxId } from "@cyclonedx/cyclonedx-library/SPDX";
import { stringify } from "yaml";
import type { ParentRelation } from "../../chain/roles.ts";
import type { DatasetNode, LineageGraph, ModelNode } from "../graph.ts";
import {
  assetId,
  attestedResults,
  bareHex,
  caip2,
  evaluationDatasetId,
  isoSeconds,
  label,
  modelTitle,
  provenanceOf,
  resultSlice,
  SINGLE_SHARD_MAX_BYTES,
  valueText,
  viewOf,
  type AttestedResult,
  type LineageView,
} from "./common.ts";

export interface HfCardOptions {
  /**
   * Hub repository ids for nodes of the graph, by node id: `{ "model:1": "org/mnist-mlp", "dataset:1": "ylecun/mnist" }`.
   * A node without one is named by its CAIP-19 token id (the Hub cannot link those).
   */
  hubIds?: Record<string, string>;
}

/** License identifiers the Hub accepts (huggingface/hub-docs docs/hub/repositories-licenses.md). */
export const HF_LICENSES: ReadonlySet<string> = new Set([
  "apache-2.0",
  "mit",
  "openrail",
  "bigscience-openrail-m",
  "creativeml-openrail-m",
  "bigscience-bloom-rail-1.0",
  "bigcode-openrail-m",
  "afl-3.0",
  "artistic-2.0",
  "bsl-1.0",
  "bsd",
  "bsd-2-clause",
  "bsd-3-clause",
  "bsd-3-clause-clear",
  "c-uda",
  "cc",
  "cc0-1.0",
  "cc-by-2.0",
  "cc-by-2.5",
  "cc-by-3.0",
  "cc-by-4.0",
  "cc-by-sa-3.0",
  "cc-by-sa-4.0",
  "cc-by-nc-2.0",
  "cc-by-nc-3.0",
  "cc-by-nc-4.0",
  "cc-by-nd-4.0",
  "cc-by-nc-nd-3.0",
  "cc-by-nc-nd-4.0",
  "cc-by-nc-sa-2.0",
  "cc-by-nc-sa-3.0",
  "cc-by-nc-sa-4.0",
  "cdla-sharing-1.0",
  "cdla-permissive-1.0",
  "cdla-permissive-2.0",
  "wtfpl",
  "ecl-2.0",
  "epl-1.0",
  "epl-2.0",
  "etalab-2.0",
  "eupl-1.1",
  "agpl-3.0",
  "gfdl",
  "gpl",
  "gpl-2.0",
  "gpl-3.0",
  "lgpl",
  "lgpl-2.1",
  "lgpl-3.0",
  "isc",
  "lppl-1.3c",
  "ms-pl",
  "mpl-2.0",
  "odc-by",
  "odbl",
  "openrail++",
  "osl-3.0",
  "postgresql",
  "ofl-1.1",
  "ncsa",
  "unlicense",
  "zlib",
  "pddl",
  "lgpl-lr",
  "deepfloyd-if-license",
  "llama2",
  "gemma",
  "unknown",
  "other",
]);

/** SPDX ids whose Hub identifier is not just the lowercased id. */
const HF_OF_SPDX: Record<string, string> = {
  "ODbL-1.0": "odbl",
  "ODC-By-1.0": "odc-by",
  "PDDL-1.0": "pddl",
  "C-UDA-1.0": "c-uda",
  "GFDL-1.3-only": "gfdl",
  "GFDL-1.3-or-later": "gfdl",
};

/** Relations the Hub knows for `base_model_relation`; a distillation has none. */
const HF_RELATIONS: Partial<Record<ParentRelation, string>> = {
  finetune: "finetune",
  adapter: "adapter",
  merge: "merge",
  quantized: "quantized",
};

/** Hub license metadata for an SPDX license string: a Hub id, or `other` with a name and link. */
export function hfLicense(license: string): { license: string; license_name?: string; license_link?: string } {
  const text = license.trim();
  if (!text || text === "NOASSERTION") return { license: "unknown" };
  const spdx = fixupSpdxId(text);
  const candidates = spdx ? [HF_OF_SPDX[spdx], spdx.toLowerCase(), spdx.toLowerCase().replace(/-only$/, "")] : [text.toLowerCase()];
  const hub = candidates.find((c) => c !== undefined && HF_LICENSES.has(c));
  if (hub && hub !== "other") return { license: hub };
  const name =
    text
      .toLowerCase()
      .replace(/[^a-z0-9.]+/g, "-")
      .replace(/^-+|-+$/g, "") || "unnamed";
  return { license: "other", license_name: name, ...(spdx ? { license_link: `https://spdx.org/licenses/${spdx}.html` } : {}) };
}

/** A Markdown table cell: one line, pipes escaped. */
const cell = (text: string) => text.replace(/\r?\n|\r/g, " ").replace(/\|/g, "\\|");
/** One line of Markdown text. */
const line = (text: string) => text.replace(/\r?\n|\r/g, " ");

function table(header: string[], rows: string[][]): string {
  return [`| ${header.join(" | ")} |`, `|${header.map(() => "---").join("|")}|`, ...rows.map((r) => `| ${r.map(cell).join(" | ")} |`)].join("\n");
}

/** The ancestry of a model as a nested Markdown list, each model followed by its datasets. */
function lineageTree(view: LineageView, m: ModelNode, depth: number, seen: Set<string>): string[] {
  const pad = "  ".repeat(depth);
  const out: string[] = [];
  for (const d of view.datasetsOf(m)) out.push(`${pad}- ${d.role} data: **${line(d.node.name)}** (${label(d.node)}, root \`${d.node.root}\`)`);
  for (const p of view.parentsOf(m)) {
    const again = seen.has(p.node.id);
    out.push(`${pad}- ${p.relation} of **${line(modelTitle(p.node))}** (${label(p.node)}, ${provenanceOf(p.node).value})${again ? ", see above" : ""}`);
    if (!again) {
      seen.add(p.node.id);
      out.push(...lineageTree(view, p.node, depth + 1, seen));
    }
  }
  return out;
}

/** The model card of a lineage graph's root model: `---` YAML front matter `---` and a Markdown body. */
export function toHfCard(graph: LineageGraph, options: HfCardOptions = {}): string {
  const view = viewOf(graph);
  const root = view.root;
  const r = root.record;
  const hubId = (n: ModelNode | DatasetNode) => options.hubIds?.[n.id] ?? assetId(graph, n);
  const parents = view.parentsOf(root);
  const datasets = view.datasetsOf(root);
  const relations = [...new Set(parents.map((p) => HF_RELATIONS[p.relation]))];
  const evaluation = datasets.filter((d) => d.role === "evaluation");
  const metrics = Object.entries(r.metrics ?? {});
  const attested = attestedResults(root);
  // One model-index result per attested evaluation and split, its source the evaluation certificate; then the
  // owner's claims, as before, on the evaluation datasets the model declares.
  const bySplit = new Map<string, AttestedResult[]>();
  for (const a of attested) {
    const key = `${a.evaluation.evaluationId}\u0000${a.metric.split}`;
    bySplit.set(key, [...(bySplit.get(key) ?? []), a]);
  }
  const attestedIndex = [...bySplit.values()].map((group) => {
    const e = group[0]!.evaluation;
    return {
      task: { type: r.task ?? "other" },
      dataset: {
        type: options.hubIds?.[`dataset:${e.dataset.tokenId}`] ?? evaluationDatasetId(graph, e),
        name: e.dataset.name ?? `dataset #${e.dataset.tokenId}`,
        split: group[0]!.metric.split,
      },
      metrics: group.map(({ metric: m }) => ({ type: m.name, value: m.value, ...(m.config ? { config: m.config } : {}) })),
      source: { name: `Provenant attested evaluation #${e.evaluationId} (${e.attestation.trustLevel ?? "unknown trust level"})`, url: `ipfs://${e.certificateCid}` },
    };
  });
  const claimedIndex =
    evaluation.length && metrics.length
      ? evaluation.map((d) => ({
          task: { type: r.task ?? "other" },
          dataset: { type: hubId(d.node), name: d.node.name },
          metrics: metrics.map(([k, v]) => ({ type: k, value: v })),
        }))
      : [];

  const meta: Record<string, unknown> = {
    ...hfLicense(root.license),
    ...(parents.length === 1 ? { base_model: hubId(parents[0].node) } : parents.length > 1 ? { base_model: parents.map((p) => hubId(p.node)) } : {}),
    ...(relations.length === 1 && relations[0] ? { base_model_relation: relations[0] } : {}),
    ...(datasets.length ? { datasets: [...new Set(datasets.map((d) => hubId(d.node)))] } : {}),
    tags: ["provenant", ...(provenanceOf(root).attested ? ["provenant-attested"] : []), ...(r.task ? [r.task] : [])],
    model_name: r.name,
    ...(attestedIndex.length || claimedIndex.length ? { "model-index": [{ name: r.name, results: [...attestedIndex, ...claimedIndex] }] } : {}),
  };

  const body: string[] = [`# ${line(modelTitle(root))}`, ""];
  if (r.description) body.push(r.description, "");
  body.push(
    "## Provenance",
    "",
    `This card was exported by Provenant from the model's NFT on chain ${graph.chainId} (${caip2(graph.chainId)}). Every value below`,
    "can be checked against the registries and the content-addressed manifests it names.",
    "",
    table(
      ["Field", "Value"],
      [
        ["Model token", `${label(root)} (\`${assetId(graph, root)}\`)`],
        ["Weights digest", `\`${root.weightsDigest}\``],
        ["Manifest", `ipfs://${root.manifestCid}`],
        ["Owner", `\`${root.owner}\``],
        ["Registered", isoSeconds(root.registeredAt)],
        ["Provenance", `${provenanceOf(root).sentence}${root.certificateCid ? `; training certificate ipfs://${root.certificateCid}` : ""}`],
        ["License", root.license || "none declared"],
      ],
    ),
    "",
    "## Lineage",
    "",
    `**${line(modelTitle(root))}** (${label(root)})`,
    ...(parents.length || datasets.length ? lineageTree(view, root, 0, new Set([root.id])) : ["- no parents or datasets declared"]),
    "",
  );

  const allDatasets = view.datasets;
  if (allDatasets.length) {
    body.push(
      "## Datasets in the lineage",
      "",
      table(
        ["Dataset", "Used by", "Samples", "Merkle root", "License", "Manifest"],
        allDatasets.map((d) => [
          `${d.name} (${label(d)})`,
          view.models
            .flatMap((m) =>
              view
                .datasetsOf(m)
                .filter((x) => x.node.id === d.id)
                .map((x) => `${label(m)}: ${x.role}`),
            )
            .join(", "),
          `${d.n} distinct of ${d.totalSamples}`,
          `\`${d.root}\``,
          d.license || "none declared",
          `ipfs://${d.manifestCid}`,
        ]),
      ),
      "",
    );
  }

  const details = [
    ...(r.architecture ? [["Architecture", r.architecture]] : []),
    ...(r.task ? [["Task", r.task]] : []),
    ...Object.entries(r.hyperparameters ?? {}).map(([k, v]) => [`Hyperparameter \`${k}\``, valueText(v)]),
  ];
  if (details.length) body.push("## Model details", "", table(["Field", "Value"], details), "");
  if (attested.length) {
    body.push(
      "## Attested evaluation results",
      "",
      "Measured under the Provenant attestor: the evaluation certificate binds each result to these weights and to the dataset's Merkle root, and was verified.",
      "",
      table(
        ["Metric", "Value", "Measured on", "Evaluation certificate"],
        attested.map((a) => [a.metric.name, String(a.metric.value), resultSlice(a), `#${a.evaluation.evaluationId}, ipfs://${a.evaluation.certificateCid}`]),
      ),
      "",
    );
  }
  if (metrics.length) {
    body.push(
      attested.length ? "## Evaluation (self-reported)" : "## Evaluation",
      "",
      table(
        ["Metric", "Value"],
        metrics.map(([k, v]) => [k, String(v)]),
      ),
      "",
      evaluation.length ? `Measured on ${evaluation.map((d) => `${line(d.node.name)} (${label(d.node)})`).join(", ")}.` : "Reported by the owner.",
      ...(attested.length ? ["", "These values are the owner's claims: no certificate stands behind them."] : []),
      "",
    );
  }
  if (r.intendedUse) body.push("## Intended use", "", r.intendedUse, "");
  if (r.limitations) body.push("## Limitations", "", r.limitations, "");
  if (root.files.length) {
    body.push(
      "## Files",
      "",
      table(
        ["Path", "Bytes", "Digest"],
        root.files.map((f) => [`\`${f.path}\``, String(f.size), `\`${bareHex(f.digest)}\``]),
      ),
      "",
      `Digests are the SHA-256 of each file; a file over ${SINGLE_SHARD_MAX_BYTES} bytes has the SHA-256 of its shards' SHA-256 instead.`,
      "",
    );
  }

  return `---\n${stringify(meta, { lineWidth: 0 })}---\n\n${body.join("\n").trimEnd()}\n`;
}
