import { expect } from "chai";
import type { DatasetNode, LineageGraph, ModelNode } from "../../core/lineage/graph.ts";
import { renderDot, renderMermaid, renderTree, renderVerifyTree } from "../../core/lineage/render.ts";
import { verifyLineage } from "../../core/lineage/lineage-check.ts";
import { toLineageGraph, type DatasetVisit, type LineageWalk, type ModelVisit } from "../../core/lineage/walk.ts";
import { ChainError } from "../../core/errors.ts";
import type { ModelChainRecord, ParentEdge } from "../../core/chain/model-registry.ts";
import { validateRecord, resolveRecord } from "../../core/model/record.ts";
import type { ModelManifest } from "../../core/model/manifest.ts";

const hex = (c: string) => `0x${c.repeat(64)}` as `0x${string}`;

function model(id: number, name: string): ModelNode {
  return {
    id: `model:${id}`,
    kind: "model",
    tokenId: String(id),
    weightsDigest: hex(String(id)),
    manifestCid: `bafkreimodel${id}`,
    license: "MIT",
    owner: "0x0000000000000000000000000000000000000001",
    registeredAt: 1_700_000_000 + id,
    provenance: "self-declared",
    certificateCid: null,
    record: { name, version: `${id}.0.0` },
    files: [],
  };
}

const dataset = (id: number, name: string): DatasetNode => ({
  id: `dataset:${id}`,
  kind: "dataset",
  tokenId: String(id),
  name,
  root: hex("d"),
  n: 100,
  totalSamples: 120,
  encoding: "files",
  manifestCid: `bafkreidataset${id}`,
  license: "CC0-1.0",
  publisher: "0x0000000000000000000000000000000000000002",
  misordered: false,
});

/** A merge (4) of a fine-tune (2) and a distillation (3) of the same base (1), all over dataset 1. */
const graph: LineageGraph = {
  format: "provenant-lineage-v1",
  chainId: 31337,
  registries: { dataset: "0xD", model: "0xM" },
  root: "model:4",
  nodes: [model(1, "base"), model(2, 'tuned "quoted"'), model(3, "small<student>"), model(4, "merged"), dataset(1, "Digits")],
  edges: [
    { from: "model:4", to: "model:2", type: "parent", relation: "merge" },
    { from: "model:4", to: "model:3", type: "parent", relation: "merge" },
    { from: "model:4", to: "dataset:1", type: "dataset", role: "evaluation" },
    { from: "model:2", to: "model:1", type: "parent", relation: "finetune" },
    { from: "model:3", to: "model:1", type: "parent", relation: "distillation" },
    { from: "model:1", to: "dataset:1", type: "dataset", role: "training" },
  ],
};

describe("lineage rendering", function () {
  it("draws the ancestry as a tree, parents before datasets, a shared ancestor expanded once", function () {
    expect(renderTree(graph).split("\n")).to.deep.equal([
      "model #4 merged 4.0.0 [self-declared] weights 0x44444444…",
      '├── merge of model #2 tuned "quoted" 2.0.0 [self-declared] weights 0x22222222…',
      "│   └── finetune of model #1 base 1.0.0 [self-declared] weights 0x11111111…",
      "│       └── training: dataset #1 Digits (120 samples, files) root 0xdddddddd…",
      "├── merge of model #3 small<student> 3.0.0 [self-declared] weights 0x33333333…",
      "│   └── distillation of model #1 base 1.0.0 [self-declared] weights 0x11111111… (see above)",
      "└── evaluation: dataset #1 Digits (120 samples, files) root 0xdddddddd… (see above)",
    ]);
    expect(renderTree(graph, { ascii: true })).to.not.match(/[^\x00-\x7f]/);
  });

  it("writes Graphviz DOT with escaped labels, boxes for models and cylinders for datasets", function () {
    const dot = renderDot(graph);
    expect(dot).to.match(/^digraph "lineage of model:4" \{/);
    expect(dot).to.include('"model:2" [shape=box, label="model #2\\ntuned \\"quoted\\" 2.0.0\\nself-declared"];');
    expect(dot).to.include('"dataset:1" [shape=cylinder');
    expect(dot).to.include('"model:3" -> "model:1" [label="distillation"];');
    expect(dot).to.include('"model:1" -> "dataset:1" [label="training", style=dashed];');
    expect(dot.trimEnd().endsWith("}")).to.equal(true);
  });

  it("writes a Mermaid flowchart with entity-escaped labels", function () {
    const mermaid = renderMermaid(graph);
    expect(mermaid.split("\n")[0]).to.equal("flowchart BT");
    expect(mermaid).to.include('m2["model #2<br/>tuned #quot;quoted#quot; 2.0.0<br/>self-declared"]');
    expect(mermaid).to.include("small#lt;student#gt;");
    expect(mermaid).to.include('d1[("dataset #1<br/>Digits<br/>120 samples")]');
    expect(mermaid).to.include("m4 -.->|evaluation| d1");
    expect(mermaid).to.include("class m4 root");
  });

  it("marks a dataset reported misordered on-chain in the tree, DOT and Mermaid", function () {
    const flagged: LineageGraph = { ...graph, nodes: graph.nodes.map((n) => (n.kind === "dataset" ? { ...n, misordered: true } : n)) };
    expect(renderTree(flagged)).to.include("training: dataset #1 Digits (120 samples, files) root 0xdddddddd… MISORDERED (exclusion proofs void)");
    expect(renderDot(flagged)).to.include("120 samples\\nMISORDERED");
    expect(renderMermaid(flagged)).to.include('d1[("dataset #1<br/>Digits<br/>120 samples<br/>MISORDERED")]');
    expect(renderTree(graph)).to.not.include("MISORDERED");
  });
});

describe("lineage verification over a walk", function () {
  const record = (id: bigint, parents: ParentEdge[]): ModelChainRecord => ({
    id,
    weightsDigest: hex("a"),
    registeredAt: 1,
    provenance: "self-declared",
    parentCount: parents.length,
    datasetCount: 0,
    registrant: "0x0000000000000000000000000000000000000001",
    attestor: null,
    certificateDigest: null,
    manifestCid: "bafkreim",
    license: "",
    certificateCid: null,
  });
  const declared = validateRecord({ name: "m", version: "1.0.0" });
  const manifest = { weights: { digest: hex("a"), resources: [], bytes: 0 }, record: declared } as unknown as ModelManifest;
  const visit = (id: bigint, parents: ParentEdge[]): ModelVisit => ({
    tokenId: id,
    chain: { ok: true, value: { record: record(id, parents), parents, datasets: [] } },
    manifest: { ok: true, value: manifest },
    record: { ok: true, value: resolveRecord(declared, null) },
  });

  it("fails model.parents-earlier for a parent id not below its child (a registry fault), and nothing else", async function () {
    const walk: LineageWalk = {
      chainId: 1,
      registries: { dataset: "0xD", model: "0xM" },
      root: 2n,
      models: new Map([[2n, visit(2n, [{ modelId: 5n, relation: "merge" }])]]),
      datasets: new Map(),
      edges: [{ from: "model:2", to: "model:5", type: "parent", relation: "merge" }],
    };
    const report = await verifyLineage(walk);
    expect(report.ok).to.equal(false);
    expect(report.checks.filter((c) => c.status === "fail").map((c) => c.check)).to.deep.equal(["model.parents-earlier"]);
  });

  describe("attested models: the training certificate's checks", function () {
    const attested = (id: bigint, parents: ParentEdge[]): ModelVisit => {
      const v = visit(id, parents);
      if (v.chain.ok) v.chain.value.record = { ...v.chain.value.record, provenance: "attested", certificateCid: `bafkreicert${id}` };
      return v;
    };
    const walk: LineageWalk = {
      chainId: 1,
      registries: { dataset: "0xD", model: "0xM" },
      root: 2n,
      models: new Map([
        [1n, visit(1n, [])],
        [2n, attested(2n, [{ modelId: 1n, relation: "finetune" }])],
      ]),
      datasets: new Map(),
      edges: [{ from: "model:2", to: "model:1", type: "parent", relation: "finetune" }],
    };
    const verdict = (ok: boolean) => async (tokenId: bigint) => ({
      ok,
      certificateCid: `bafkreicert${tokenId}`,
      attestor: "0x00000000000000000000000000000000000000a7",
      trustLevel: "software-tpm-pcr23",
      checks: [
        { name: "quoteSignature" as const, ok: true, detail: "signed by the AK" },
        { name: "contractVerdict" as const, ok, detail: ok ? "accepted" : "AttestorRegistryAttestorRevoked(0xa7, 5)" },
      ],
    });

    it("adds each check as model.certificate.<name> for attested models only, and notes the certificate in the tree", async function () {
      const asked: bigint[] = [];
      const report = await verifyLineage(walk, {
        verifyCertificate: async (id) => {
          asked.push(id);
          return verdict(true)(id);
        },
      });
      expect(asked).to.deep.equal([2n]);
      expect(report.ok).to.equal(true);
      expect(report.checks.filter((c) => c.check.startsWith("model.certificate")).map((c) => `${c.node} ${c.check} ${c.status}`)).to.deep.equal([
        "model:2 model.certificate.quoteSignature pass",
        "model:2 model.certificate.contractVerdict pass",
      ]);
      expect(report.certificates).to.deep.equal({
        "model:2": {
          ok: true,
          certificateCid: "bafkreicert2",
          attestor: "0x00000000000000000000000000000000000000a7",
          trustLevel: "software-tpm-pcr23",
          passed: 2,
          failed: 0,
        },
      });
      const tree = renderVerifyTree(walk, report);
      expect(tree).to.match(
        /^model #2 m 1\.0\.0 \[attested\] ✓\n│ {3}✓ training certificate ipfs:\/\/bafkreicert2 \(software-tpm-pcr23: software TPM, for development and demos only\): 2 checks passed\n/,
      );
      expect(tree).to.not.include("bafkreicert1");
    });

    it("fails the model on a failed certificate check, naming it, and never passes an attested model unverified", async function () {
      const refused = await verifyLineage(walk, { verifyCertificate: verdict(false) });
      expect(refused.ok).to.equal(false);
      expect(refused.checks.filter((c) => c.status === "fail").map((c) => [c.check, c.code])).to.deep.equal([
        ["model.certificate.contractVerdict", "CERTIFICATE_INVALID"],
      ]);
      expect(renderVerifyTree(walk, refused)).to.include("✗ model.certificate.contractVerdict: AttestorRegistryAttestorRevoked(0xa7, 5)");

      const unasked = await verifyLineage(walk);
      expect(unasked.summary).to.deep.include({ failed: 0, skipped: 1 });
      expect(unasked.checks.find((c) => c.status === "skip")).to.include({ node: "model:2", check: "model.certificate" });

      const broken = await verifyLineage(walk, {
        verifyCertificate: async () => {
          throw new ChainError("CHAIN_UNREACHABLE", "no chain");
        },
      });
      expect(broken.checks.filter((c) => c.status === "fail").map((c) => [c.check, c.code])).to.deep.equal([["model.certificate", "CHAIN_UNREACHABLE"]]);

      const empty = await verifyLineage(walk, { verifyCertificate: async () => ({ ok: true, certificateCid: null, checks: [] }) });
      expect(empty.ok).to.equal(false);
    });
  });

  it("fails dataset.order for a dataset reported misordered on-chain, and marks it in the verify tree", async function () {
    const dataset = (misordered: boolean): DatasetVisit => ({
      tokenId: 1n,
      chain: {
        ok: true,
        value: {
          id: 1n,
          root: hex("d"),
          n: 3,
          totalSamples: 3,
          mintedAt: 1,
          misordered,
          publisher: "0x0000000000000000000000000000000000000002",
          previousVersion: 0n,
          encoding: "jsonl",
          manifestCid: "bafkreid",
          license: "",
        },
      },
      manifest: null,
      index: null,
    });
    const walkWith = (misordered: boolean): LineageWalk => ({
      chainId: 1,
      registries: { dataset: "0xD", model: "0xM" },
      root: 2n,
      models: new Map([[2n, { ...visit(2n, []), chain: { ok: true, value: { record: record(2n, []), parents: [], datasets: [{ datasetId: 1n, role: "training" }] } } }]]),
      datasets: new Map([[1n, dataset(misordered)]]),
      edges: [{ from: "model:2", to: "dataset:1", type: "dataset", role: "training" }],
    });
    const sound = await verifyLineage(walkWith(false));
    expect(sound.checks.find((c) => c.check === "dataset.order")).to.include({ status: "pass" });
    const report = await verifyLineage(walkWith(true));
    expect(report.ok).to.equal(false);
    expect(report.checks.filter((c) => c.status === "fail")).to.deep.equal([
      {
        node: "dataset:1",
        check: "dataset.order",
        status: "fail",
        code: "DATASET_MISORDERED",
        reason: "reported misordered on-chain: two adjacent leaves are out of order, so its exclusion proofs are void (inclusion still holds)",
      },
    ]);
    const tree = renderVerifyTree(walkWith(true), report);
    expect(tree).to.include("└── training: dataset #1 (3 samples) MISORDERED ✗");
    expect(tree).to.include("✗ dataset.order: reported misordered on-chain");
  });

  it("marks the failed node in the verify tree, skips what depends on it, and refuses to make a graph", async function () {
    const walk: LineageWalk = {
      chainId: 1,
      registries: { dataset: "0xD", model: "0xM" },
      root: 2n,
      models: new Map<bigint, ModelVisit>([
        [1n, { tokenId: 1n, chain: { ok: false, error: new ChainError("TOKEN_NOT_FOUND", "model #1 does not exist on chain 1") }, manifest: null, record: null }],
        [2n, visit(2n, [{ modelId: 1n, relation: "finetune" }])],
      ]),
      datasets: new Map(),
      edges: [{ from: "model:2", to: "model:1", type: "parent", relation: "finetune" }],
    };
    const report = await verifyLineage(walk);
    expect(report.summary).to.deep.include({ failed: 1, skipped: 5 });
    const tree = renderVerifyTree(walk, report);
    expect(tree).to.match(/^model #2 m 1\.0\.0 \[self-declared\] ✓/);
    expect(tree).to.include("└── finetune of model #1 ✗");
    expect(tree).to.include("✗ model.on-chain: model #1 does not exist on chain 1");
    expect(() => toLineageGraph(walk))
      .to.throw(/model #1 does not exist/)
      .with.property("code", "LINEAGE_INVALID");
  });
});
