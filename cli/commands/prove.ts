import { readFileSync, writeFileSync } from "node:fs";
import { Command } from "commander";
import { dataDir } from "../../core/config.ts";
import { openStore } from "../store.ts";
import { connect } from "../../core/chain/connect.ts";
import { DatasetRegistryClient } from "../../core/chain/dataset-registry.ts";
import type { Encoding } from "../../core/dataset/encodings.ts";
import { proveSample } from "../../core/dataset/prove-sample.ts";
import { DatasetProver, type Proof } from "../../core/dataset/prover.ts";
import { verifyProofFile } from "../../core/dataset/verify-proof-file.ts";
import { InputError } from "../../core/errors.ts";
import { PROOF_FORMAT } from "../../core/dataset/proof-file.ts";
import { toHex } from "../../core/hex.ts";
import { parseTokenId } from "../../core/identifiers.ts";
import { parseVersionedJson } from "../../core/versioned-json.ts";
import { isBatch, withBatchOptions, type BatchOptions } from "./batch.ts";
import { action, jsonBigInt, withCommonOptions, type CommonOptions } from "../output.ts";
import { sampleHashOf, sampleInput } from "../sample-input.ts";

interface ProveOptions extends CommonOptions {
  dataset: string;
  text?: string;
  hash?: string;
  rowJson?: string;
  row?: string;
  out?: string;
  record?: boolean;
}

function describe(p: Proof): string {
  if (p.kind === "inclusion") return `IN the dataset: leaf ${p.index} of ${p.n}, ${p.siblings.length} siblings`;
  const between = p.left && p.right ? `between leaves ${p.left.index} and ${p.right.index}` : p.right ? "before the first leaf" : "after the last leaf";
  return `NOT in the dataset: its hash sorts ${between} of ${p.n}`;
}

export function proveCommand(): Command {
  return withBatchOptions(
    withCommonOptions(
      new Command("prove")
        .description("prove that a sample is or is not in a dataset; the contract checks the proof")
        .argument(
          "[sample...]",
          "the sample as a file (jsonl/csv: a one-record file); webdataset: its member files (000123.jpg 000123.txt) or a .tar holding just that key; parquet: the .parquet file with --row",
        )
        .requiredOption("--dataset <id>", "dataset token id")
        .option("--text <record>", "the sample as a literal record, e.g. one JSONL line")
        .option("--row-json <json>", 'parquet: the row as JSON, e.g. \'{"id":7,"text":"hi"}\' (docs/formats/encodings-v2.md)')
        .option("--row <index>", "parquet: the row at this index (from 0) of the .parquet file given")
        .option("--hash <sha256>", "the sample's SHA-256 (64 hex digits, with or without 0x)")
        .option("--out <file>", "write the proof (provenant-proof-v1) to this file; with --batch the results (.csv, else JSON)")
        .option("--record", "also record the proof on-chain in a transaction, citable by tx hash"),
    ),
  ).action(
    action<ProveOptions & BatchOptions>(async (args, opts) => {
      const files = ((args as unknown as string[][])[0] ?? []) as string[];
      if (isBatch(opts)) {
        const other = files.length > 0 || opts.text !== undefined || opts.rowJson !== undefined || opts.row !== undefined || opts.hash !== undefined;
        if (other || opts.record) {
          throw new InputError("INPUT_INVALID", "--batch and --hash-list take the samples: give no other sample, and no --record");
        }
        return (await import("./check-sample.ts")).batchAgainstDataset(parseTokenId(opts.dataset, "--dataset"), opts);
      }
      const input = sampleInput(files, opts);
      const id = parseTokenId(opts.dataset, "--dataset");
      const conn = await connect(opts.network);
      // Storage's part of the record is all a proof needs (the manifest, checked against its CID, says the rest).
      const { client: registry, value: record } = await DatasetRegistryClient.connectReading(conn, (r) => r.storedRecord(id));
      const store = openStore(opts.storage, dataDir(opts.dataDir));
      const prover = await DatasetProver.openMinted(record, store);
      const sampleHash = await sampleHashOf(input, prover.manifest.encoding as Encoding);
      const r = { ...(await proveSample({ record, prover, sampleHash, verifier: registry })), reads: prover.reads, bytesRead: prover.bytesRead };
      let recorded = null;
      if (opts.record && r.onChain) recorded = await registry.withSigner(await conn.signer()).recordProof(id, r.proof);
      if (opts.out) writeFileSync(opts.out, `${JSON.stringify(r.json, jsonBigInt, 2)}\n`);
      const x = r.proof.kind === "inclusion" ? r.proof.sampleHash : r.proof.x;
      return {
        ok: r.onChain && r.localVerdict,
        json: {
          ...r.json,
          verdict: { onChain: r.onChain, local: r.localVerdict, chainId: conn.chainId, registry: registry.address },
          reads: r.reads,
          bytesRead: r.bytesRead,
          recorded,
        },
        text: [
          `sample ${toHex(x)}`,
          `${describe(r.proof)} of dataset #${id}`,
          `contract ${registry.address} on chain ${conn.chainId}: proof ${r.onChain ? "VALID" : "REJECTED"}`,
          ...(recorded ? [`recorded in tx ${recorded.txHash} (block ${recorded.blockNumber})`] : []),
          ...(opts.out ? [`proof written to ${opts.out}; re-check with: provenant verify-proof ${opts.out} --dataset ${id}`] : []),
        ].join("\n"),
      };
    }),
  );
}

export function verifyProofCommand(): Command {
  return withCommonOptions(
    new Command("verify-proof")
      .description("re-check a saved proof file against the dataset's on-chain root, locally and by the contract")
      .argument("<proof.json>", "a provenant-proof-v1 file, or a provenant-ancestry-proof-v1 file from check-sample")
      .option("--dataset <id>", "dataset token id (for a provenant-proof-v1 file)"),
  ).action(
    action<ProveOptions>(async ([path], opts) => {
      let bytes: Uint8Array;
      try {
        bytes = readFileSync(path);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === "ENOENT") throw new InputError("INPUT_NOT_FOUND", `${path} does not exist`, { cause: e });
        throw new InputError("INPUT_UNREADABLE", `cannot read ${path} (${code})`, { cause: e });
      }
      let peek: unknown = null;
      try {
        peek = JSON.parse(new TextDecoder().decode(bytes));
      } catch {
        // not JSON: parseVersionedJson below says so in its own words
      }
      if ((peek as { format?: unknown } | null)?.format === "provenant-ancestry-proof-v1") {
        return (await import("./check-sample.ts")).verifyAncestryProofFile(peek as Record<string, unknown>, opts);
      }
      if (opts.dataset === undefined) throw new InputError("INPUT_INVALID", "--dataset <id> is required for a provenant-proof-v1 file");
      const id = parseTokenId(opts.dataset, "--dataset");
      const { value } = parseVersionedJson(bytes, path, PROOF_FORMAT, { code: "PROOF_INVALID" });
      const conn = await connect(opts.network);
      const registry = await DatasetRegistryClient.connect(conn);
      const r = await verifyProofFile(registry, id, value);
      const ok = r.onChain && r.localVerdict;
      return {
        ok,
        json: { ok, kind: r.proof.kind, datasetId: id.toString(), local: r.localVerdict, onChain: r.onChain, chainId: conn.chainId, registry: registry.address },
        text: `${r.proof.kind} proof for dataset #${id}: ${ok ? "VALID" : "REJECTED"} (library: ${r.localVerdict ? "valid" : "invalid"}, contract ${registry.address}: ${r.onChain ? "valid" : "invalid"})`,
      };
    }),
  );
}
