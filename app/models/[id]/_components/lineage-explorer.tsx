"use client";

import { useState, type ReactNode } from "react";
import type { Ancestry, AncestryProof, Verdict } from "../../../../core/lineage/check-sample.ts";
import type { ViewEdge, ViewNode } from "../../../_lib/lineage-view.ts";
import LineageGraph from "./lineage-graph.tsx";
import { BatchCheck } from "./batch-check.tsx";
import { SampleCheck } from "./sample-check.tsx";

/** "Was this sample used?" and the lineage graph together: a sample's verdict per dataset is marked on its node. */
export default function LineageExplorer(props: {
  nodes: ViewNode[];
  edges: ViewEdge[];
  root: string;
  ancestry: Ancestry;
  gateway: string;
  cliPrefix: string;
  cliFlags: string;
  /** The node whose certificate checks the page lists in its own section (shown once, not twice). */
  certificateNode: string | null;
  ok: boolean;
  /** The lineage card's heading, verdict and failures, rendered on the server. */
  children: ReactNode;
}) {
  const [result, setResult] = useState<AncestryProof | null>(null);
  const marks: Record<string, Verdict> = {};
  for (const d of result?.datasets ?? []) marks[`dataset:${d.datasetId}`] = d.verdict;
  return (
    <>
      <SampleCheck ancestry={props.ancestry} gateway={props.gateway} cliPrefix={props.cliPrefix} cliFlags={props.cliFlags} onResult={setResult} />
      <BatchCheck
        ancestry={props.ancestry}
        gateway={props.gateway}
        cli={`${props.cliPrefix}provenant check-sample --batch <folder|file.jsonl|file.csv> --model ${props.ancestry.model}${props.cliFlags} --out results.csv`}
      />
      <section className="card" style={{ marginBottom: "1rem" }} data-testid="lineage" data-ok={props.ok ? "true" : "false"}>
        {props.children}
        <LineageGraph nodes={props.nodes} edges={props.edges} root={props.root} sampleVerdicts={marks} certificateNode={props.certificateNode} />
      </section>
    </>
  );
}
