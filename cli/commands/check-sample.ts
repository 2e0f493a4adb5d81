import { writeFileSync } from "node:fs";
import { Command } from "commander";
import { InputError } from "../../core/errors.ts";
import { nodeCompressors } from "../../core/dataset/formats/containers.ts";
import {
  ancestryOfDataset,
  ancestryOfWalk,
  checkSample,
  requireRoot,
  usageWords,
  verifyAncestryProof,
  type Ancestry,
  type AncestryProof,
  type CheckSampleIo,
} from "../../core/lineage/check-sample.ts";
import { walkLineage } from "../../core/lineage/walk.ts";
import { dataDir } from "../../core/config.ts";
import { openStore } from "../store.ts";
import { connect } from "../../core/chain/connect.ts";
import { DatasetRegistryClient } from "../../core/chain/dataset-registry.ts";
import { ModelRegistryClient } from "../../core/chain/model-registry.ts";
import { isBatch, runBatch, withBatchOptions, type BatchOptions } from "./batch.ts";
import { action, jsonBigInt, withCommonOptions, type CommonOptions } from "../output.ts";
import { openLineageSources } from "./lineage.ts";
import { parseTokenId } from "../../core/identifiers.ts";
import { givenOfInput, sampleInput, type SampleFlags } from "../sample-input.ts";

interface CheckSampleOptions extends CommonOptions, SampleFlags {
  model: string;
  out?: string;
}

/** The ancestry of model `id`, walked from the chain and storage, and the I/O that checks proofs against them. */
export async function openAncestry(opts: CommonOptions, id: bigint): Promise<{ ancestry: Ancestry; io: CheckSampleIo }> {
  const src = await openLineageSources(opts);
  const walk = await walkLineage(src, id);
  requireRoot(walk);
  return { ancestry: ancestryOfWalk(walk), io: { store: src.store, verifyOnChain: (datasetId, proof) => src.datasets.verify(datasetId, proof) } };
}

const VERDICT_WORD = { in: "IN", out: "NOT IN", unknown: "UNKNOWN" } as const;

export function reportText(r: AncestryProof, ancestry: Ancestry): string {
  const lines = [`${VERDICT_WORD[r.verdict]}: ${r.summary}`, ""];
  for (const d of r.datasets) {
    const contract = d.onChain === null ? "" : `; contract ${d.onChain ? "VALID" : "REJECTED"}`;
    lines.push(`  dataset #${d.datasetId}: ${VERDICT_WORD[d.verdict]}, ${d.reason}${contract}`);
    if (d.usedBy.length) lines.push(`    ${usageWords(d.usedBy, r.model)}`);
    if (d.sampleHash) lines.push(`    sample hash ${d.sampleHash}${d.hashedAs ? ` (hashed as a ${d.hashedAs} sample)` : ""}`);
  }
  for (const g of r.gaps) lines.push(`  gap: ${g}`);
  lines.push(
    "",
    `${ancestry.models.length} model(s) walked on chain ${r.chainId} (ModelRegistry ${r.registries.model}, DatasetRegistry ${r.registries.dataset}).`,
    "A proof covers only the datasets declared on-chain: by the registrant (self-declared) or measured by an attestor (attested).",
  );
  return lines.join("\n");
}

/** `prove --batch --dataset <id>`: the batch against one dataset, as its own one-dataset ancestry. */
export async function batchAgainstDataset(id: bigint, opts: CommonOptions & BatchOptions) {
  const conn = await connect(opts.network);
  const [datasets, models] = await Promise.all([DatasetRegistryClient.connect(conn), ModelRegistryClient.connect(conn).catch(() => null)]);
  const record = await datasets.record(id);
  const ancestry = ancestryOfDataset(conn.chainId, { dataset: datasets.address, model: models?.address ?? "" }, id, record);
  const store = openStore(opts.storage, dataDir(opts.dataDir));
  return runBatch(ancestry, { store, verifyOnChain: (datasetId, proof) => datasets.verify(datasetId, proof) }, opts);
}

export function checkSampleCommand(): Command {
  return withBatchOptions(
    withCommonOptions(
      new Command("check-sample")
        .description("was this sample used? prove it in or out of every dataset in a model's ancestry; the contract checks each proof")
        .argument(
          "[sample...]",
          "the sample as a file (jsonl/csv: a one-record file); webdataset: its member files (000123.jpg 000123.txt) or a .tar holding just that key; parquet: the .parquet file with --row",
        )
        .requiredOption("--model <id>", "model token id: its own datasets and those of every ancestor are checked")
        .option("--text <record>", "the sample as a literal record, e.g. one JSONL line")
        .option("--row-json <json>", 'parquet: the row as JSON, e.g. \'{"id":7,"text":"hi"}\' (docs/formats/encodings-v2.md)')
        .option("--row <index>", "parquet: the row at this index (from 0) of the .parquet file given")
        .option("--hash <sha256>", "the sample's SHA-256 (64 hex digits, with or without 0x)")
        .option(
          "--out <file>",
          "write the verdicts with every proof (provenant-ancestry-proof-v1; verify-proof re-checks it); with --batch the results (.csv, else JSON)",
        ),
    ),
  ).action(
    action<CheckSampleOptions & BatchOptions>(async (args, opts) => {
      const files = ((args as unknown as string[][])[0] ?? []) as string[];
      if (isBatch(opts)) {
        if (files.length > 0 || opts.text !== undefined || opts.rowJson !== undefined || opts.row !== undefined || opts.hash !== undefined)
          throw new InputError("INPUT_INVALID", "--batch and --hash-list take the samples: give no other sample");
        const { ancestry, io } = await openAncestry(opts, parseTokenId(opts.model, "the model"));
        return runBatch(ancestry, io, opts);
      }
      const input = sampleInput(files, opts);
      const sample = givenOfInput(input);
      const id = parseTokenId(opts.model, "the model");
      const { ancestry, io } = await openAncestry(opts, id);
      const r = await checkSample(ancestry, sample, io, { decompressors: nodeCompressors });
      if (opts.out) writeFileSync(opts.out, `${JSON.stringify(r, jsonBigInt, 2)}\n`);
      const text = reportText(r, ancestry) + (opts.out ? `\nverdicts and proofs written to ${opts.out}; re-check with: provenant verify-proof ${opts.out}` : "");
      return { ok: r.verdict !== "unknown", json: { ok: r.verdict !== "unknown", ...r }, text };
    }),
  );
}

/** `verify-proof` on a provenant-ancestry-proof-v1 file: the ancestry walked again, every proof re-checked. */
export async function verifyAncestryProofFile(value: Record<string, unknown>, opts: CommonOptions) {
  if (typeof value.model !== "string" || !/^[1-9][0-9]*$/.test(value.model)) {
    throw new InputError("PROOF_INVALID", "not a valid provenant-ancestry-proof-v1 file: model must be a model token id string");
  }
  const { ancestry, io } = await openAncestry(opts, BigInt(value.model));
  const c = await verifyAncestryProof(value, ancestry, io);
  const lines = [
    `ancestry proof for model #${value.model}: ${c.ok ? "VALID" : "REJECTED"} (the file says ${c.claimed}; its proofs support ${c.verdict}: ${c.summary})`,
    ...c.datasets.map((d) => `  dataset #${d.datasetId}: ${d.verdict}, ${d.reason}`),
    ...c.problems.map((p) => `  problem: ${p}`),
  ];
  return { ok: c.ok, json: { kind: "ancestry", model: value.model, chainId: ancestry.chainId, ...c }, text: lines.join("\n") };
}
