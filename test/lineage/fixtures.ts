import type { LineageGraph, ModelNode } from "../../core/lineage/graph.ts";

/** Hardhat's first two accounts and the addresses Ignition deploys the registries at on a fresh local chain. */
export const ALICE = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266";
export const BOB = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";
export const DATASET_REGISTRY = "0x5FbDB2315678afecb367f032d93F642f64180aa3";
export const MODEL_REGISTRY = "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512";

/** CAIP-19 ids of the fixture's tokens, as the exports name them. */
export const MNIST_ID = `eip155:31337/erc721:${DATASET_REGISTRY}/1`;
export const MLP_ID = `eip155:31337/erc721:${MODEL_REGISTRY}/1`;
export const FT_ID = `eip155:31337/erc721:${MODEL_REGISTRY}/2`;

const mlp: ModelNode = {
  id: "model:1",
  kind: "model",
  tokenId: "1",
  weightsDigest: "0x968cff6bf4ea5cb65a729b05a9ed037250a8cbe6676075c06bc51a38878792b8",
  manifestCid: "bafkreig7ievyzvsa5ratazjhp5hacymwuxj6n5ks7dij6m4dsshwxd2zki",
  license: "MIT",
  owner: ALICE,
  registeredAt: 1_767_225_600, // 2026-01-01T00:00:00Z
  provenance: "attested",
  certificateCid: "bafkreibrctsyjnfyfspp5oiiybxsz4e2f5i36mrj2wtpj2fkgmglavr5wq",
  attestation: { state: "verified", trustLevel: "software-tpm-pcr23", revokedAt: null, reason: null },
  record: {
    name: "mnist-mlp",
    version: "1.0.0",
    description: "A two-layer perceptron that classifies 28x28 handwritten digits.",
    architecture: "MLP 784-128-10, ReLU",
    task: "image-classification",
    metrics: { accuracy: 0.9712, loss: 0.0981 },
    hyperparameters: { epochs: 5, learningRate: 0.001, batchSize: 64, optimizer: "adam" },
    intendedUse: "Teaching and benchmarking; recognising single handwritten digits.",
    limitations: "Trained on centred, size-normalised digits only; not robust to other handwriting styles or noise.",
    license: "MIT",
  },
  files: [
    { path: "config.json", size: 187, digest: "0xa2469e9b5fa85643bd7c6f61495ee93e887702385d4c15fd8b66c217c09ff084" },
    { path: "model.safetensors", size: 407_208, digest: "0xe1941b28a86ad8e5a241bd885004c717dba6820bfcef1497d91bf73f034c90c1" },
  ],
};

const mlpFinetuned: ModelNode = {
  id: "model:2",
  kind: "model",
  tokenId: "2",
  weightsDigest: "0x6919c4294de5d5ffdd3eb5a1239c6f47cff94611113cd5f2f33d76004d635e97",
  manifestCid: "bafkreibu3bnagocz3hi327yzu4cjeyajvti2jznr7ucmovuolmt5ubpexa",
  license: "MIT",
  owner: BOB,
  registeredAt: 1_767_312_000, // 2026-01-02T00:00:00Z
  provenance: "self-declared",
  certificateCid: null,
  // Effective record: architecture, task, intended use, limitations and license inherited from model #1,
  // hyperparameters merged over its, metrics its own.
  record: {
    name: "mnist-mlp-ft",
    version: "1.1.0",
    description: "mnist-mlp fine-tuned for two more epochs at a lower learning rate.",
    architecture: "MLP 784-128-10, ReLU",
    task: "image-classification",
    metrics: { accuracy: 0.9803, loss: 0.0702 },
    hyperparameters: { epochs: 2, learningRate: 0.0001, batchSize: 64, optimizer: "adam" },
    intendedUse: "Teaching and benchmarking; recognising single handwritten digits.",
    limitations: "Trained on centred, size-normalised digits only; not robust to other handwriting styles or noise.",
    license: "MIT",
  },
  files: [
    { path: "config.json", size: 187, digest: "0x8beadfbe030a8ee29271a01d4cbaabe52deaf41cae252fc4aa1a242e7ab0660f" },
    { path: "model.safetensors", size: 407_208, digest: "0xc4778c581ead23e86272d149dfdeacbfd0fa58247bfd9f0f2b3ef1cc755b3915" },
  ],
};

/**
 * Two generations on a local chain: dataset #1 (MNIST, 10,000 PNG digits), model #1 mnist-mlp trained on it
 * (TPM-attested), model #2 mnist-mlp-ft fine-tuned from #1 on the same dataset (self-declared). The graph of
 * model #2, as core/lineage/walk.ts builds it.
 */
export function twoGenerationGraph(): LineageGraph {
  return structuredClone({
    format: "provenant-lineage-v1",
    chainId: 31337,
    registries: { dataset: DATASET_REGISTRY, model: MODEL_REGISTRY },
    root: "model:2",
    nodes: [
      mlpFinetuned,
      mlp,
      {
        id: "dataset:1",
        kind: "dataset",
        tokenId: "1",
        name: "MNIST",
        root: "0xd943bccb2d901e2ce49e24cd798d71709260e7510ce1966d8d7d419dab4a320e",
        n: 10_000,
        totalSamples: 10_000,
        encoding: "files",
        manifestCid: "bafkreihslhh4tpg55ecpdm6setc7726gtiudyznftmighsb6uefoiciqwq",
        license: "CC-BY-SA-3.0",
        publisher: ALICE,
        misordered: false,
      },
    ],
    edges: [
      { from: "model:2", to: "model:1", type: "parent", relation: "finetune" },
      { from: "model:2", to: "dataset:1", type: "dataset", role: "fine-tuning" },
      { from: "model:1", to: "dataset:1", type: "dataset", role: "training" },
    ],
  } satisfies LineageGraph);
}

/** The graph of model #1 alone: one generation, no parents. */
export function oneGenerationGraph(): LineageGraph {
  const g = twoGenerationGraph();
  return { ...g, root: "model:1", nodes: g.nodes.filter((n) => n.id !== "model:2"), edges: g.edges.filter((e) => e.from !== "model:2") };
}
