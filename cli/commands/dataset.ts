import { writeFileSync } from "node:fs";
import { Command, Option } from "commander";
import { dataDir, openStore } from "../../core/config.ts";
import { connect } from "../../core/chain/connect.ts";
import { DatasetRegistryClient } from "../../core/chain/dataset-registry.ts";
import { ENCODINGS, parseEncoding, type Encoding } from "../../core/dataset/encodings.ts";
import { hashAndStoreDataset, type HashResult } from "../../core/dataset/operations.ts";
import { toHex } from "../../core/hex.ts";
import { action, parseTokenId, progressBar, withCommonOptions, type CommonOptions } from "../output.ts";

interface HashOptions extends CommonOptions {
  format?: string;
  out?: string;
}
interface MintOptions extends HashOptions {
  name: string;
  license: string;
  description?: string;
  previous?: string;
}

const formatOption = () => new Option("--format <encoding>", "sample encoding (default: from the path)").choices([...ENCODINGS]);

async function hashStep(path: string, opts: HashOptions & Partial<MintOptions>): Promise<HashResult> {
  const store = openStore(opts.storage, dataDir(opts.dataDir));
  const bar = progressBar("hashing", opts.json);
  try {
    return await hashAndStoreDataset(path, store, {
      encoding: opts.format ? parseEncoding(opts.format) : undefined,
      name: opts.name,
      description: opts.description,
      license: opts.license ?? null,
      previousVersion: opts.previous ?? null,
      onProgress: bar.onProgress,
    });
  } finally {
    bar.stop();
  }
}

function summary(r: HashResult) {
  const m = r.stored.manifest;
  return {
    root: m.root,
    n: m.n,
    totalSamples: m.totalSamples,
    duplicateSamples: m.duplicateSamples,
    skipped: m.skipped,
    encoding: m.encoding as Encoding,
    bytes: m.bytes,
    manifestCid: r.stored.manifestCid,
    indexCid: r.stored.indexCid,
    shardCount: m.shardCount,
    seconds: Number(r.seconds.toFixed(3)),
    samplesPerSecond: Math.round(m.totalSamples / r.seconds),
  };
}

function describeSkipped(s: HashResult["stored"]["manifest"]["skipped"]): string {
  const parts = Object.entries(s).filter(([, v]) => v > 0).map(([k, v]) => `${v} ${k}`);
  return parts.length ? `; skipped ${parts.join(", ")}` : "";
}

export function datasetCommand(): Command {
  const dataset = new Command("dataset").description("hash, store and mint datasets");

  withCommonOptions(
    dataset
      .command("hash")
      .description("hash every sample, build the Merkle tree, store shards, index and manifest")
      .argument("<path>", "a directory (files), a .jsonl or a .csv file")
      .addOption(formatOption())
      .option("--out <file>", "also write the manifest JSON to this file"),
  ).action(
    action<HashOptions>(async ([path], opts) => {
      const r = await hashStep(path, opts);
      if (opts.out) writeFileSync(opts.out, JSON.stringify(r.stored.manifest, null, 2) + "\n");
      const s = summary(r);
      return {
        json: { ok: true, ...s },
        text: [
          `hashed ${s.totalSamples} samples (${s.encoding}) in ${s.seconds} s, ${s.samplesPerSecond} samples/s${describeSkipped(s.skipped)}`,
          `${s.n} distinct samples (${s.duplicateSamples} duplicates), ${s.shardCount} shard(s)`,
          `root      ${s.root}`,
          `manifest  ${s.manifestCid}`,
        ].join("\n"),
      };
    }),
  );

  withCommonOptions(
    dataset
      .command("mint")
      .description("hash and store a dataset, then mint its dataset NFT (once per publisher and root)")
      .argument("<path>", "a directory (files), a .jsonl or a .csv file")
      .requiredOption("--name <name>", "dataset name")
      .requiredOption("--license <spdx>", "SPDX license id, e.g. CC-BY-SA-3.0")
      .option("--description <text>", "a sentence about the dataset")
      .option("--previous <id>", "token id of the version this one supersedes")
      .addOption(formatOption()),
  ).action(
    action<MintOptions>(async ([path], opts) => {
      const previous = opts.previous ? parseTokenId(opts.previous, "previous") : undefined;
      const conn = await connect(opts.network);
      const registry = (await DatasetRegistryClient.connect(conn)).withSigner(await conn.signer());
      if (previous) await registry.record(previous);
      const r = await hashStep(path, opts);
      const m = r.stored.manifest;
      const minted = await registry.mint({
        root: r.commitment.root,
        n: m.n,
        totalSamples: m.totalSamples,
        encoding: m.encoding,
        manifestCid: r.stored.manifestCid,
        license: opts.license,
        previousVersion: previous,
      });
      const s = summary(r);
      return {
        json: { ok: true, datasetId: minted.id.toString(), existing: minted.existing, txHash: minted.txHash, gasUsed: minted.gasUsed, chainId: conn.chainId, registry: registry.address, ...s },
        text: [
          minted.existing
            ? `dataset #${minted.id} already holds this root for your address: nothing minted`
            : `minted dataset #${minted.id} "${opts.name}" on chain ${conn.chainId} (tx ${minted.txHash}, ${minted.gasUsed} gas)`,
          `${s.totalSamples} samples, ${s.n} distinct, hashed in ${s.seconds} s (${s.samplesPerSecond} samples/s)${describeSkipped(s.skipped)}`,
          `root      ${toHex(r.commitment.root)}`,
          `manifest  ipfs://${r.stored.manifestCid}`,
        ].join("\n"),
      };
    }),
  );
  return dataset;
}
