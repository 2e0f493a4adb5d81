import { writeFileSync } from "node:fs";
import { Command, Option } from "commander";
import { dataDir } from "../../core/config.ts";
import { openStore } from "../store.ts";
import { ENCODINGS, parseEncoding, type Encoding } from "../../core/dataset/encodings.ts";
import { auditDataset, type AuditResult } from "../../core/dataset/audit.ts";
import { hashAndStoreDataset, relabelStoredDataset, type HashResult } from "../../core/dataset/store-dataset.ts";
import { combineParts, hashPart, parsePartSpec } from "../../core/dataset/scale/pipeline.ts";
import { toHex } from "../../core/hex.ts";
import type { SkippedEntry } from "../../core/dataset/skipped.ts";
import { InputError } from "../../core/errors.ts";
import { parseTokenId } from "../../core/identifiers.ts";
import { action, withCommonOptions, type CommonOptions } from "../output.ts";
import { progressBar } from "../progress-bar.ts";

interface HashOptions extends CommonOptions {
  format?: string;
  split?: string;
  out?: string;
  workers?: string;
  part?: string;
}
interface MintOptions extends HashOptions {
  manifest?: string;
  name: string;
  license: string;
  description?: string;
  previous?: string;
}

const formatOption = () =>
  new Option("--format <encoding>", "sample encoding (default: a directory is files, a file's name ending tells the rest)").choices([...ENCODINGS]);
const splitOption = () => new Option("--split <name>", "webdataset/parquet directory: hash only this split's files, e.g. train (one dataset per split)");
const PATH_HELP = "a directory (files), a .jsonl or .csv file, a .tar/.tar.gz shard (webdataset), a .parquet file; a directory of shards or .parquet files with --format";

async function hashStep(path: string, opts: HashOptions & Partial<MintOptions>): Promise<HashResult> {
  const store = openStore(opts.storage, dataDir(opts.dataDir));
  const bar = progressBar("hashing", opts.json);
  try {
    return await hashAndStoreDataset(path, store, {
      dataDir: dataDir(opts.dataDir),
      workers: opts.workers ? parseWorkers(opts.workers) : undefined,
      encoding: opts.format ? parseEncoding(opts.format) : undefined,
      split: opts.split,
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

function parseWorkers(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InputError("INPUT_INVALID", `--workers must be a whole number >= 1, got "${v}"`);
  return n;
}

function summary(r: HashResult) {
  const m = r.manifest;
  return {
    root: m.root,
    n: m.n,
    totalSamples: m.totalSamples,
    duplicateSamples: m.duplicateSamples,
    skipped: m.skipped,
    skippedEntries: r.skippedEntries,
    encoding: m.encoding as Encoding,
    bytes: m.bytes,
    manifestCid: r.manifestCid,
    indexCid: r.indexCid,
    shardCount: m.shardCount,
    units: r.units,
    resumedUnits: r.resumedUnits,
    hashing: r.hashing,
    seconds: Number(r.seconds.toFixed(3)),
    samplesPerSecond: r.seconds > 0 ? Math.round(m.totalSamples / r.seconds) : null,
  };
}

function describeSkipped(s: HashResult["manifest"]["skipped"]): string {
  const parts = Object.entries(s)
    .filter(([, v]) => v > 0)
    .map(([k, v]) => `${v} ${k}`);
  return parts.length ? `; skipped ${parts.join(", ")}` : "";
}

const LISTED = 20;

/** The entries that are not samples, one a line, the first LISTED of them (--json has all). */
function listSkipped(entries: readonly SkippedEntry[] | null): string[] {
  if (!entries?.length) return [];
  const more = entries.length - LISTED;
  return [
    `not samples (${entries.length}; names in text form, bytes that are not UTF-8 as %XX):`,
    ...entries.slice(0, LISTED).map((e) => `  ${e.reason.padEnd(8)} ${e.path}`),
    ...(more > 0 ? [`  … and ${more} more (--json lists every one)`] : []),
  ];
}

async function hashPartAction(path: string, opts: HashOptions) {
  const { part, of } = parsePartSpec(opts.part!);
  if (!opts.out) throw new InputError("INPUT_INVALID", "--part needs --out <directory> for the part's files");
  const bar = progressBar(`hashing part ${part}/${of}`, opts.json);
  const t0 = performance.now();
  try {
    const p = await hashPart(path, part, of, opts.out, {
      encoding: opts.format ? parseEncoding(opts.format) : undefined,
      split: opts.split,
      workers: opts.workers ? parseWorkers(opts.workers) : undefined,
      onProgress: bar.onProgress,
    });
    const samples = p.units.reduce((a, u) => a + u.samples, 0);
    const seconds = Number(((performance.now() - t0) / 1000).toFixed(3));
    return {
      json: {
        ok: true,
        part,
        of,
        out: opts.out,
        units: p.units.length,
        unitCount: p.unitCount,
        samples,
        planHash: p.planHash,
        skippedEntries: p.skippedEntries,
        seconds,
      },
      text: [
        `hashed part ${part}/${of}: ${p.units.length} of ${p.unitCount} units, ${samples} samples in ${seconds} s -> ${opts.out}`,
        ...listSkipped(p.skippedEntries),
        "when every part is done: provenant dataset combine <all part directories>",
      ].join("\n"),
    };
  } finally {
    bar.stop();
  }
}

/** What `dataset audit` prints: the verdict first, then each finding on a line of its own. */
function describeAudit(r: AuditResult): string {
  const shards = r.shardCount === null ? "" : ` in ${r.shardCount} shard(s)`;
  const lines = [`dataset #${r.datasetId}: ${r.leavesChecked} of ${r.n} leaves checked${shards}, root ${r.root}`];
  for (const p of r.problems) lines.push(`✗ ${p.message}`);
  for (const v of r.violations) lines.push(`✗ leaves ${v.index} and ${v.index + 1} are out of order: ${v.left} >= ${v.right}`);
  if (r.violationCount > r.violations.length) lines.push(`  … ${r.violationCount - r.violations.length} more pair(s) out of order`);
  if (r.problems.length === 0 && r.violationCount === 0) {
    lines.push("✓ every shard folds to the index, the index to the on-chain root and n; every leaf is below the next");
  }
  if (r.reported) {
    lines.push(
      `reported leaves ${r.reported.index} and ${r.reported.index + 1} on-chain (tx ${r.reported.txHash}, block ${r.reported.blockNumber}, ${r.reported.gasUsed} gas): dataset #${r.datasetId} is flagged misordered, its exclusion proofs are void`,
    );
  } else if (r.flaggedOnChain) {
    lines.push(`dataset #${r.datasetId} is already flagged misordered on-chain: its exclusion proofs are void`);
  } else if (r.violationCount > 0) {
    lines.push(`not reported: run provenant dataset audit ${r.datasetId} --report to flag it on-chain`);
  }
  lines.push(r.sound ? "SOUND" : "UNSOUND");
  return lines.join("\n");
}

export function datasetCommand(): Command {
  const dataset = new Command("dataset").description("hash, store and mint datasets");

  withCommonOptions(
    dataset
      .command("hash")
      .description("hash every sample, build the Merkle tree, store shards, index and manifest")
      .argument("<path>", PATH_HELP)
      .addOption(formatOption())
      .addOption(splitOption())
      .option("--workers <n>", "hashing workers: threads, or processes on the JavaScript path (default: one per core)")
      .option("--part <i/N>", "hash only slice i of N (0-based), for spreading one dataset over machines")
      .option("--out <path>", "with --part: the part directory to write; otherwise a file for the manifest JSON"),
  ).action(
    action<HashOptions>(async ([path], opts) => {
      if (opts.part) return hashPartAction(path, opts);
      const r = await hashStep(path, opts);
      if (opts.out) writeFileSync(opts.out, JSON.stringify(r.manifest, null, 2) + "\n");
      const s = summary(r);
      return {
        json: { ok: true, ...s },
        text: [
          `hashed ${s.totalSamples} samples (${s.encoding}) in ${s.seconds} s, ${s.samplesPerSecond} samples/s${describeSkipped(s.skipped)}`,
          `${s.n} distinct samples (${s.duplicateSamples} duplicates), ${s.shardCount} shard(s)`,
          ...listSkipped(s.skippedEntries),
          `root      ${s.root}`,
          `manifest  ${s.manifestCid}`,
        ].join("\n"),
      };
    }),
  );

  withCommonOptions(
    dataset
      .command("combine")
      .description("merge part directories (dataset hash --part) into the shards, index and manifest one machine would make")
      .argument("<parts...>", "every part directory, in any order")
      .option("--name <name>", "dataset name for the manifest", "")
      .option("--license <spdx>", "SPDX license id for the manifest")
      .option("--description <text>", "a sentence about the dataset"),
  ).action(
    action<MintOptions & { name: string }>(async (args, opts) => {
      const dirs = (args as unknown as string[][])[0] ?? args;
      const store = openStore(opts.storage, dataDir(opts.dataDir));
      const r = await combineParts(dirs, store, { name: opts.name, description: opts.description, license: opts.license ?? null });
      const m = r.manifest;
      return {
        json: {
          ok: true,
          root: m.root,
          n: m.n,
          totalSamples: m.totalSamples,
          duplicateSamples: m.duplicateSamples,
          skipped: m.skipped,
          skippedEntries: r.skippedEntries,
          manifestCid: r.manifestCid,
          indexCid: r.indexCid,
          shardCount: m.shardCount,
          parts: dirs.length,
        },
        text: [
          `combined ${dirs.length} part(s): ${m.totalSamples} samples, ${m.n} distinct, ${m.shardCount} shard(s)`,
          ...listSkipped(r.skippedEntries),
          `root      ${m.root}`,
          `manifest  ${r.manifestCid}   (mint it with: provenant dataset mint --manifest ${r.manifestCid} --name … --license …)`,
        ].join("\n"),
      };
    }),
  );

  withCommonOptions(
    dataset
      .command("mint")
      .description("hash and store a dataset, then mint its dataset NFT (once per publisher and root)")
      .argument("[path]", PATH_HELP)
      .option("--manifest <cid>", "mint an already stored commitment (from dataset combine) instead of hashing a path")
      .requiredOption("--name <name>", "dataset name")
      .requiredOption("--license <spdx>", "SPDX license id, e.g. CC-BY-SA-3.0")
      .option("--description <text>", "a sentence about the dataset")
      .option("--previous <id>", "token id of the version this one supersedes")
      .addOption(formatOption())
      .addOption(splitOption()),
  ).action(
    action<MintOptions>(async ([path], opts) => {
      const previous = opts.previous ? parseTokenId(opts.previous, "--previous") : undefined;
      // The chain client (ethers) loads only here: `dataset hash` starts without it.
      const { connect } = await import("../../core/chain/connect.ts");
      const { DatasetRegistryClient } = await import("../../core/chain/dataset-registry.ts");
      const conn = await connect(opts.network);
      const registry = (await DatasetRegistryClient.connect(conn)).withSigner(await conn.signer());
      if (previous) await registry.record(previous);
      if ((path === undefined) === (opts.manifest === undefined)) {
        throw new InputError("INPUT_INVALID", "give either a dataset path or --manifest <cid>");
      }
      const r = opts.manifest
        ? await relabelStoredDataset(openStore(opts.storage, dataDir(opts.dataDir)), opts.manifest, {
            name: opts.name,
            description: opts.description,
            license: opts.license,
            previousVersion: previous?.toString() ?? null,
          })
        : await hashStep(path, opts);
      const m = r.manifest;
      const minted = await registry.mint({
        root: r.root,
        n: m.n,
        totalSamples: m.totalSamples,
        encoding: m.encoding,
        manifestCid: r.manifestCid,
        license: opts.license,
        previousVersion: previous,
      });
      const s = summary(r);
      return {
        json: {
          ok: true,
          datasetId: minted.id.toString(),
          existing: minted.existing,
          txHash: minted.txHash,
          gasUsed: minted.gasUsed,
          chainId: conn.chainId,
          registry: registry.address,
          ...s,
        },
        text: [
          minted.existing
            ? `dataset #${minted.id} already holds this root for your address: nothing minted`
            : `minted dataset #${minted.id} "${opts.name}" on chain ${conn.chainId} (tx ${minted.txHash}, ${minted.gasUsed} gas)`,
          opts.manifest
            ? `${s.totalSamples} samples, ${s.n} distinct, from stored manifest ${opts.manifest}`
            : `${s.totalSamples} samples, ${s.n} distinct, hashed in ${s.seconds} s (${s.samplesPerSecond} samples/s)${describeSkipped(s.skipped)}`,
          ...listSkipped(s.skippedEntries),
          `root      ${toHex(r.root)}`,
          `manifest  ipfs://${r.manifestCid}`,
        ].join("\n"),
      };
    }),
  );
  withCommonOptions(
    dataset
      .command("audit")
      .description(
        "read every shard of a minted dataset and check the whole commitment: strict order, shards against the index, the index against the on-chain root and n",
      )
      .argument("<id>", "dataset token id")
      .option("--report", "prove the first pair of leaves out of order on-chain (reportMisordered), which disables the dataset's exclusion proofs"),
  ).action(
    action<CommonOptions & { report?: boolean }>(async ([id], opts) => {
      const datasetId = parseTokenId(id, "the dataset");
      const { connect } = await import("../../core/chain/connect.ts");
      const { DatasetRegistryClient } = await import("../../core/chain/dataset-registry.ts");
      const conn = await connect(opts.network);
      const registry = await DatasetRegistryClient.connect(conn);
      const reportWith = opts.report ? registry.withSigner(await conn.signer()) : undefined;
      const bar = progressBar("auditing", opts.json);
      let r: AuditResult;
      try {
        r = await auditDataset(registry, openStore(opts.storage, dataDir(opts.dataDir)), datasetId, {
          reportWith,
          onProgress: (done, total) => bar.onProgress(done, total, done),
        });
      } finally {
        bar.stop();
      }
      return { ok: r.sound, json: { ok: r.sound, ...r, chainId: conn.chainId, registry: registry.address }, text: describeAudit(r) };
    }),
  );
  return dataset;
}
