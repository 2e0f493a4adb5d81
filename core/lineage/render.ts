import { describeTrustLevel } from "../attestor/certificate.ts";
import { describeEvaluation } from "../attestor/evaluation-metrics.ts";
import type { DatasetNode, LineageGraph, ModelNode } from "./graph.ts";
import type { CheckResult, VerifyReport } from "./lineage-check.ts";
import { datasetKey, modelKey, type LineageWalk } from "./walk.ts";

/** A node of a text tree: one line, optional lines under it, and children drawn below with connectors. */
export interface TextTreeNode {
  label: string;
  notes?: string[];
  children: TextTreeNode[];
}

/** Draws a tree with box-drawing connectors (or ASCII ones). */
export function drawTree(root: TextTreeNode, ascii = false): string {
  const [tee, elbow, pipe, blank] = ascii ? ["|-- ", "`-- ", "|   ", "    "] : ["├── ", "└── ", "│   ", "    "];
  const lines: string[] = [];
  const walk = (n: TextTreeNode, prefix: string, connector: string, childPrefix: string) => {
    lines.push(`${prefix}${connector}${n.label}`);
    const under = prefix + childPrefix;
    const notePrefix = n.children.length > 0 ? `${under}${pipe}` : `${under}${blank}`;
    for (const note of n.notes ?? []) lines.push(`${notePrefix}${note}`);
    n.children.forEach((c, i) => {
      const last = i === n.children.length - 1;
      walk(c, under, last ? elbow : tee, last ? blank : pipe);
    });
  };
  walk(root, "", "", "");
  return lines.join("\n");
}

const short = (hex: string, ascii: boolean) => `${hex.slice(0, 10)}${ascii ? "..." : "…"}`;

function modelLabel(m: ModelNode, ascii: boolean): string {
  return `model #${m.tokenId} ${m.record.name} ${m.record.version} [${m.provenance}] weights ${short(m.weightsDigest, ascii)}`;
}

function datasetLabel(d: DatasetNode, ascii: boolean): string {
  const flag = d.misordered ? " MISORDERED (exclusion proofs void)" : "";
  return `dataset #${d.tokenId} ${d.name || "(unnamed)"} (${d.totalSamples} samples, ${d.encoding}) root ${short(d.root, ascii)}${flag}`;
}

export interface TreeOptions {
  /** Marks per node: ✓ when all its checks passed, ✗ and the failures otherwise. */
  checks?: CheckResult[];
  ascii?: boolean;
}

function marker(id: string, checks: CheckResult[] | undefined, ascii: boolean): { mark: string; notes: string[] } {
  if (!checks) return { mark: "", notes: [] };
  const mine = checks.filter((c) => c.node === id);
  const bad = mine.filter((c) => c.status === "fail");
  const skipped = mine.filter((c) => c.status === "skip");
  const [ok, no, maybe] = ascii ? ["[ok]", "[FAIL]", "[?]"] : ["✓", "✗", "?"];
  if (bad.length > 0) return { mark: ` ${no}`, notes: bad.map((c) => `${no} ${c.check}: ${c.reason}`) };
  if (skipped.length > 0) return { mark: ` ${maybe}`, notes: skipped.map((c) => `${maybe} ${c.check} skipped: ${c.reason}`) };
  return { mark: ` ${ok}`, notes: [] };
}

/**
 * The ancestry as a text tree, the model at the top: parents (with their relation) first, then datasets (with
 * their role). A node reached a second time is shown once more without its subtree, marked "(see above)".
 */
export function renderTree(graph: LineageGraph, options: TreeOptions = {}): string {
  const nodes = new Map(graph.nodes.map((n) => [n.id, n]));
  const expanded = new Set<string>();
  const build = (id: string, edgeLabel: string): TextTreeNode => {
    const n = nodes.get(id as ModelNode["id"]);
    const { mark, notes } = marker(id, options.checks, options.ascii ?? false);
    if (!n) return { label: `${edgeLabel}${id} (not in the graph)`, children: [] };
    const ascii = options.ascii ?? false;
    const label = `${edgeLabel}${n.kind === "model" ? modelLabel(n, ascii) : datasetLabel(n, ascii)}${mark}`;
    if (expanded.has(id)) return { label: `${label} (see above)`, children: [] };
    expanded.add(id);
    const out = graph.edges.filter((e) => e.from === id);
    const children = [
      ...out.flatMap((e) => (e.type === "parent" ? [build(e.to, `${e.relation} of `)] : [])),
      ...out.flatMap((e) => (e.type === "dataset" ? [build(e.to, `${e.role}: `)] : [])),
    ];
    return { label, notes, children };
  };
  return drawTree(build(graph.root, ""), options.ascii);
}

/** The line under an attested model whose training certificate passed every check. */
function certificateNote(report: VerifyReport, key: `model:${string}`, ascii: boolean): string[] {
  const c = report.certificates?.[key];
  if (!c?.ok) return [];
  const where = c.certificateCid ? ` ipfs://${c.certificateCid}` : "";
  const level = c.trustLevel ? `${c.trustLevel}: ${describeTrustLevel(c.trustLevel).summary}` : "unknown trust level";
  return [`${ascii ? "[ok]" : "✓"} training certificate${where} (${level}): ${c.passed} checks passed`];
}

/** A line under a model for each of its attested evaluations whose certificate passed every check. */
function evaluationNotes(report: VerifyReport, key: `model:${string}`, ascii: boolean): string[] {
  return (report.evaluations?.[key] ?? [])
    .filter((e) => e.attestation.state === "verified")
    .map((e) => `${ascii ? "[ok]" : "✓"} attested evaluation #${e.evaluationId}: ${describeEvaluation(e)} (${e.attestation.trustLevel ?? "unknown trust level"})`);
}

/**
 * The tree `verify model` prints: built from the walk itself, so that nodes that could not be read still
 * appear (with what is known of them) and carry their failed checks; an attested model whose certificate
 * verified says so on a line of its own.
 */
export function renderVerifyTree(walk: LineageWalk, report: VerifyReport, ascii = false): string {
  const expanded = new Set<string>();
  const build = (key: string, edgeLabel: string): TextTreeNode => {
    const { mark, notes } = marker(key, report.checks, ascii);
    const [kind, raw] = key.split(":");
    const id = BigInt(raw);
    if (kind === "dataset") {
      const v = walk.datasets.get(id);
      const name = v?.manifest?.ok ? ` ${v.manifest.value.name || "(unnamed)"}` : "";
      const size = v?.chain.ok ? ` (${v.chain.value.totalSamples} samples)${v.chain.value.misordered ? " MISORDERED" : ""}` : "";
      const again = expanded.has(key);
      expanded.add(key);
      return { label: `${edgeLabel}dataset #${raw}${name}${size}${mark}${again ? " (see above)" : ""}`, notes: again ? [] : notes, children: [] };
    }
    const v = walk.models.get(id);
    const r = v?.record?.ok ? ` ${v.record.value.record.name} ${v.record.value.record.version}` : "";
    const label = `${edgeLabel}model #${raw}${r}${v?.chain.ok ? ` [${v.chain.value.record.provenance}]` : ""}${mark}`;
    if (expanded.has(key)) return { label: `${label} (see above)`, children: [] };
    const modelNotes = [...certificateNote(report, modelKey(raw), ascii), ...evaluationNotes(report, modelKey(raw), ascii), ...notes];
    expanded.add(key);
    const children = v?.chain.ok
      ? [
          ...v.chain.value.parents.map((p) => build(modelKey(p.modelId), `${p.relation} of `)),
          ...v.chain.value.datasets.map((d) => build(datasetKey(d.datasetId), `${d.role}: `)),
        ]
      : [];
    return { label, notes: modelNotes, children };
  };
  return drawTree(build(modelKey(walk.root), ""), ascii);
}

const dotString = (s: string) => `"${s.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n")}"`;

/** Graphviz DOT: models as boxes, datasets as cylinders, edges from child to parent/dataset labelled. */
export function renderDot(graph: LineageGraph): string {
  const lines = [
    `digraph ${dotString(`lineage of ${graph.root}`)} {`,
    "  rankdir=BT;",
    '  node [fontname="Helvetica", fontsize=11];',
    '  edge [fontname="Helvetica", fontsize=10];',
  ];
  for (const n of graph.nodes) {
    if (n.kind === "model") {
      const label = `model #${n.tokenId}\n${n.record.name} ${n.record.version}\n${n.provenance}`;
      const style = n.id === graph.root ? ', style="bold"' : "";
      lines.push(`  ${dotString(n.id)} [shape=box, label=${dotString(label)}${style}];`);
    } else {
      const label = `dataset #${n.tokenId}\n${n.name || "(unnamed)"}\n${n.totalSamples} samples${n.misordered ? "\nMISORDERED" : ""}`;
      lines.push(`  ${dotString(n.id)} [shape=cylinder, label=${dotString(label)}];`);
    }
  }
  for (const e of graph.edges) {
    const attrs = e.type === "parent" ? `label=${dotString(e.relation)}` : `label=${dotString(e.role)}, style=dashed`;
    lines.push(`  ${dotString(e.from)} -> ${dotString(e.to)} [${attrs}];`);
  }
  lines.push("}");
  return lines.join("\n");
}

const mermaidId = (id: string) => id.replace(/^model:/, "m").replace(/^dataset:/, "d");
const mermaidText = (s: string) => s.replace(/"/g, "#quot;").replace(/[<>]/g, (c) => (c === "<" ? "#lt;" : "#gt;"));

/** Mermaid flowchart: models as rectangles, datasets as cylinders, dataset edges dotted. */
export function renderMermaid(graph: LineageGraph): string {
  const lines = ["flowchart BT"];
  for (const n of graph.nodes) {
    const id = mermaidId(n.id);
    if (n.kind === "model") {
      lines.push(`  ${id}["model #${n.tokenId}<br/>${mermaidText(`${n.record.name} ${n.record.version}`)}<br/>${n.provenance}"]`);
    } else {
      lines.push(`  ${id}[("dataset #${n.tokenId}<br/>${mermaidText(n.name || "(unnamed)")}<br/>${n.totalSamples} samples${n.misordered ? "<br/>MISORDERED" : ""}")]`);
    }
  }
  for (const e of graph.edges) {
    const label = mermaidText(e.type === "parent" ? e.relation : e.role);
    lines.push(`  ${mermaidId(e.from)} ${e.type === "parent" ? "-->" : "-.->"}|${label}| ${mermaidId(e.to)}`);
  }
  lines.push(`  class ${mermaidId(graph.root)} root`);
  lines.push("  classDef root stroke-width:3px");
  return lines.join("\n");
}
