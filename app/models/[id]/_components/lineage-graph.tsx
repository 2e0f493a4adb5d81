"use client";

import "@xyflow/react/dist/style.css";
import { Background, Controls, Handle, MarkerType, Position, ReactFlow, type Edge, type Node, type NodeProps } from "@xyflow/react";
import { useMemo, useState } from "react";
import type { Verdict } from "../../../../core/lineage/check-sample.ts";
import { checkWords, type ViewCheck, type ViewEdge, type ViewNode } from "../../../_lib/lineage-view.ts";
import styles from "./lineage.module.css";

type FlowNode = Node<{ view: ViewNode; isRoot: boolean; selected: boolean; sample: Verdict | null }, "lineage">;

const SAMPLE_WORDS: Record<Verdict, string> = { in: "sample: in", out: "sample: not in", unknown: "sample: not known" };

const NODE_W = 220;
const GAP_X = 40;
const GAP_Y = 150;

/**
 * Layered layout, ancestors above: a node's layer is its longest distance (in edges) from the root, so the root
 * sits at the bottom and every edge points up, from a model to a parent or a dataset. Within a layer nodes keep
 * id order and are centred.
 */
export function layout(nodes: ViewNode[], edges: ViewEdge[], root: string): Map<string, { x: number; y: number }> {
  const depth = new Map<string, number>([[root, 0]]);
  // Parents have lower ids than their children, so a few relaxation passes settle the longest paths.
  for (let pass = 0; pass <= nodes.length; pass++) {
    let changed = false;
    for (const e of edges) {
      const d = depth.get(e.from);
      if (d === undefined) continue;
      if ((depth.get(e.to) ?? -1) < d + 1) {
        depth.set(e.to, d + 1);
        changed = true;
      }
    }
    if (!changed) break;
  }
  const max = Math.max(0, ...depth.values());
  const layers = new Map<number, ViewNode[]>();
  for (const n of nodes) {
    const d = depth.get(n.id) ?? max + 1;
    layers.set(d, [...(layers.get(d) ?? []), n]);
  }
  const widest = Math.max(...[...layers.values()].map((l) => l.length));
  const pos = new Map<string, { x: number; y: number }>();
  const top = Math.max(...layers.keys());
  for (const [d, layer] of layers) {
    layer.sort((a, b) => (a.kind === b.kind ? Number(a.tokenId) - Number(b.tokenId) : a.kind === "model" ? -1 : 1));
    const offset = ((widest - layer.length) * (NODE_W + GAP_X)) / 2;
    layer.forEach((n, i) => pos.set(n.id, { x: offset + i * (NODE_W + GAP_X), y: (top - d) * GAP_Y }));
  }
  return pos;
}

function LineageNode({ data }: NodeProps<FlowNode>) {
  const { view, isRoot, selected, sample } = data;
  const failed = view.checks.filter((c) => c.status === "fail");
  const sampleClass = sample === "in" ? styles.sampleIn : sample === "out" ? styles.sampleOut : sample === "unknown" ? styles.sampleUnknown : "";
  const cls = [
    styles.node,
    view.kind === "model" ? styles.model : styles.dataset,
    view.ok ? styles.okNode : styles.badNode,
    selected ? styles.selected : "",
    sampleClass,
  ].join(" ");
  return (
    <div
      className={cls}
      data-testid="lineage-node"
      data-node={view.id}
      data-verified={view.ok ? "true" : "false"}
      data-sample-verdict={sample ?? undefined}
      title={failed.length ? `Failed: ${failed.map((c) => checkWords(c.check)).join("; ")}` : "Every check passed"}
    >
      <Handle type="target" position={Position.Bottom} className={styles.handle} />
      <Handle type="target" id="side" position={Position.Right} className={styles.handle} />
      <div className={styles.nodeHead}>
        <span className={styles.kind}>
          {view.kind === "model" ? "Model" : "Dataset"} #{view.tokenId}
          {isRoot ? " · this model" : ""}
        </span>
        <span className={view.ok ? styles.tick : styles.cross} aria-label={view.ok ? "verified" : "failed"}>
          {view.ok ? "✓" : "✗"}
        </span>
      </div>
      <div className={styles.nodeTitle}>{view.title}</div>
      <div className={styles.nodeDetail}>{view.detail}</div>
      {failed.length ? <div className={styles.nodeFail}>{failed.length} check(s) failed</div> : null}
      {sample ? (
        <div className={styles.sampleMark} data-testid="node-sample">
          <span className={`badge ${sample === "in" ? "" : sample === "out" ? "plain" : "warn"}`}>{SAMPLE_WORDS[sample]}</span>
        </div>
      ) : null}
      <Handle type="source" position={Position.Top} className={styles.handle} />
      <Handle type="source" id="side" position={Position.Right} className={styles.handle} />
    </div>
  );
}

const nodeTypes = { lineage: LineageNode };

/**
 * The checks of a node as listed under the graph. The certificate checks of `certificateNode` are listed in the
 * page's certificate section: here they are one line pointing there, so no check is shown twice.
 */
function listedChecks(node: ViewNode, certificateNode: string | null): (ViewCheck & { pointer?: boolean })[] {
  if (node.id !== certificateNode) return node.checks;
  const cert = node.checks.filter((c) => c.check.startsWith("model.certificate."));
  if (cert.length === 0) return node.checks;
  const failed = cert.filter((c) => c.status === "fail").length;
  const summary = {
    check: "model.certificate",
    status: failed ? ("fail" as const) : ("pass" as const),
    reason: `${cert.length - failed} of ${cert.length} certificate checks passed; each is listed under “Training certificate” below`,
    pointer: true,
  };
  return [...node.checks.filter((c) => !c.check.startsWith("model.certificate.")), summary];
}

export default function LineageGraph({
  nodes,
  edges,
  root,
  sampleVerdicts = {},
  certificateNode = null,
}: {
  nodes: ViewNode[];
  edges: ViewEdge[];
  root: string;
  /** A checked sample's verdict per dataset node ("dataset:3"), marked on the node. */
  sampleVerdicts?: Record<string, Verdict>;
  certificateNode?: string | null;
}) {
  const firstBad = nodes.find((n) => !n.ok)?.id ?? root;
  const [selected, setSelected] = useState<string>(firstBad);
  const positions = useMemo(() => layout(nodes, edges, root), [nodes, edges, root]);
  const flowNodes: FlowNode[] = nodes.map((n) => ({
    id: n.id,
    type: "lineage",
    position: positions.get(n.id) ?? { x: 0, y: 0 },
    data: { view: n, isRoot: n.id === root, selected: n.id === selected, sample: sampleVerdicts[n.id] ?? null },
    draggable: true,
    connectable: false,
  }));
  // An edge that skips a layer leaves and enters on the right, so it goes round the nodes between, not through them.
  const skips = (e: ViewEdge) => Math.abs((positions.get(e.from)?.y ?? 0) - (positions.get(e.to)?.y ?? 0)) > GAP_Y;
  const flowEdges: Edge[] = edges.map((e, i) => ({
    id: `${e.from}-${e.to}-${i}`,
    source: e.from,
    target: e.to,
    ...(skips(e) ? { sourceHandle: "side", targetHandle: "side", pathOptions: { offset: 40 + 12 * i } } : {}),
    label: e.label,
    type: "smoothstep",
    className: e.type === "parent" ? styles.parentEdge : styles.datasetEdge,
    style: e.type === "parent" ? { stroke: "#3451d1", strokeWidth: 2 } : { stroke: "#5b3cc4", strokeWidth: 1.5, strokeDasharray: "6 4" },
    labelStyle: { fontSize: 12, fill: "#151922" },
    labelBgStyle: { fill: "#ffffff" },
    markerEnd: { type: MarkerType.ArrowClosed, color: e.type === "parent" ? "#3451d1" : "#5b3cc4" },
  }));
  const current = nodes.find((n) => n.id === selected) ?? nodes[0];
  const height = Math.max(320, new Set([...positions.values()].map((p) => p.y)).size * GAP_Y + 40);
  return (
    <div className={styles.wrap}>
      <div className={styles.canvas} style={{ height }} data-testid="lineage-graph">
        <ReactFlow
          nodes={flowNodes}
          edges={flowEdges}
          nodeTypes={nodeTypes}
          fitView
          fitViewOptions={{ padding: 0.15, maxZoom: 1 }}
          nodesConnectable={false}
          onNodeClick={(_, n) => setSelected(n.id)}
          proOptions={{ hideAttribution: true }}
          minZoom={0.3}
        >
          <Background gap={20} color="#e2e5eb" />
          <Controls showInteractive={false} />
        </ReactFlow>
      </div>
      <p className={`muted small ${styles.legend}`}>
        <span className={styles.legendModel}>model</span> <span className={styles.legendDataset}>dataset</span> Solid arrows point to parent models, dashed ones to
        datasets; labels give the relation or role. Click a node for its checks.
      </p>
      {current ? (
        <div className={styles.checks} data-testid="node-checks" data-node={current.id}>
          <h3>
            {current.kind === "model" ? "Model" : "Dataset"} #{current.tokenId}: {current.title}{" "}
            <span className={current.ok ? "badge ok" : "badge bad"}>{current.ok ? "✓ verified" : "✗ failed"}</span>
          </h3>
          <ul>
            {listedChecks(current, certificateNode).map((c) => (
              <li
                key={c.check}
                className={c.status === "fail" ? styles.fail : c.status === "skip" ? styles.skip : styles.pass}
                data-check={c.check}
                data-status={c.status}
              >
                <span className={styles.mark}>{c.status === "pass" ? "✓" : c.status === "fail" ? "✗" : "–"}</span>
                <span>
                  <strong>{checkWords(c.check)}</strong>
                  <span className="muted small"> ({c.check})</span>
                  <br />
                  <span className="small">
                    {c.status === "skip" ? `Skipped: ${c.reason}` : c.reason}
                    {"pointer" in c ? (
                      <>
                        {" "}
                        (<a href="#certificate">see the checks</a>)
                      </>
                    ) : null}
                  </span>
                </span>
              </li>
            ))}
          </ul>
        </div>
      ) : null}
    </div>
  );
}
