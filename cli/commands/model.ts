import { writeFileSync } from "node:fs";
import { basename, resolve } from "node:path";
import cliProgress from "cli-progress";
import { Command } from "commander";
import { dataDir } from "../../core/config.ts";
import { openStore } from "../store.ts";
import type { DatasetEdge, ParentEdge } from "../../core/chain/model-registry.ts";
import { DATASET_ROLES, PARENT_RELATIONS } from "../../core/chain/roles.ts";
import { ChainError, InputError, ProvenantError } from "../../core/errors.ts";
import { parseDatasetEdge, parseParentEdge } from "../../core/lineage/edge-syntax.ts";
import { walkLineage } from "../../core/lineage/walk.ts";
import { toInTotoStatement } from "../../core/model/in-toto.ts";
import { hashAndStoreModel, type StoredModel } from "../../core/model/store-model.ts";
import { loadRecordFile, resolveRecord, withIdentity, type DeclaredRecord, type ResolvedRecord } from "../../core/model/record.ts";
import type { ModelRecordFields } from "../../core/model/record.ts";
import { action, withCommonOptions, type CommonOptions } from "../output.ts";
import { openLineageSources } from "./lineage.ts";

/** A byte progress bar on a terminal; nothing when stderr is not a terminal or with --json. */
export function bytesProgress(label: string, json?: boolean): { onProgress: (done: number, total: number) => void; stop: () => void } {
  if (json || !process.stderr.isTTY) return { onProgress: () => {}, stop: () => {} };
  const bar = new cliProgress.SingleBar(
    { stream: process.stderr, format: `${label} [{bar}] {percentage}% | {mib}/{totalMib} MiB | ETA {eta_formatted}`, hideCursor: true, clearOnComplete: true },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  const mib = (b: number) => (b / 2 ** 20).toFixed(0);
  return {
    onProgress(done, total) {
      if (!started) {
        bar.start(total, 0, { mib: "0", totalMib: mib(total) });
        started = true;
      }
      bar.update(done, { mib: mib(done), totalMib: mib(total) });
    },
    stop: () => started && bar.stop(),
  };
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

const MAX_EDGES = 32;

function checkEdges(parents: ParentEdge[], datasets: DatasetEdge[]): void {
  if (parents.length + datasets.length > MAX_EDGES) {
    throw new InputError("LINEAGE_INVALID", `${parents.length + datasets.length} lineage edges: a model may have at most ${MAX_EDGES}`);
  }
  const seen = new Set<string>();
  for (const p of parents) {
    if (seen.has(`m${p.modelId}`)) throw new InputError("LINEAGE_INVALID", `parent model #${p.modelId} is given twice`);
    seen.add(`m${p.modelId}`);
  }
  for (const d of datasets) {
    if (seen.has(`d${d.datasetId}:${d.role}`)) throw new InputError("LINEAGE_INVALID", `dataset #${d.datasetId} is given twice as ${d.role}`);
    seen.add(`d${d.datasetId}:${d.role}`);
  }
}

interface RecordOptions {
  name?: string;
  version?: string;
  record?: string;
  description?: string;
  license?: string;
}

/** The declared record from --record and the flags; flags fill in what the file leaves out, and must agree with it. */
function declaredRecord(opts: RecordOptions, fallbackName?: string): DeclaredRecord {
  const identity = { name: opts.name, version: opts.version };
  const base = opts.record ? loadRecordFile(opts.record, identity) : withIdentity({}, { name: opts.name ?? fallbackName, version: opts.version });
  const fields: Record<string, unknown> = { ...base };
  for (const k of ["description", "license"] as const) {
    const flag = opts[k];
    if (flag === undefined) continue;
    if (typeof fields[k] === "string" && fields[k] !== flag) {
      throw new InputError("RECORD_INVALID", `the record says ${k} ${JSON.stringify(fields[k])} but --${k} is ${JSON.stringify(flag)}`);
    }
    fields[k] = flag;
  }
  return withIdentity(fields, {}, opts.record ?? "the model record");
}

interface HashOptions extends CommonOptions, RecordOptions {
  out?: string;
  inToto?: string;
}

interface RegisterOptions extends HashOptions {
  parent: string[];
  dataset: string[];
}

function summary(s: StoredModel) {
  const w = s.manifest.weights;
  return {
    weightsDigest: w.digest,
    manifestCid: s.manifestCid,
    files: new Set(w.resources.map((r) => r.path)).size,
    resources: w.resources.length,
    bytes: w.bytes,
    hidden: w.hidden,
    empty: w.empty,
    seconds: Number(s.hashed.seconds.toFixed(3)),
    parallelShards: s.hashed.parallelShards,
  };
}

function writeOutputs(s: StoredModel, opts: HashOptions): string[] {
  const lines: string[] = [];
  if (opts.out) {
    writeFileSync(opts.out, `${JSON.stringify(s.manifest, null, 2)}\n`);
    lines.push(`manifest written to ${opts.out}`);
  }
  if (opts.inToto) {
    writeFileSync(opts.inToto, `${JSON.stringify(toInTotoStatement(s.manifest), null, 2)}\n`);
    lines.push(`in-toto statement (model-signing v1.0 predicate) written to ${opts.inToto}`);
  }
  return lines;
}

const recordOptions = (cmd: Command, nameRequired: boolean) =>
  cmd
    .option("--name <name>", nameRequired ? "model name (or in --record)" : "model name (default: the directory's name)")
    .option("--version <semver>", "model version, e.g. 1.0.0 (or in --record)")
    .option("--record <file>", "model record, YAML or JSON (docs/formats/model-record-v1.md)")
    .option("--description <text>", "a sentence about the model")
    .option("--license <spdx>", "license of the weights, e.g. Apache-2.0 (default: the record's, or its parent's)")
    .option("--out <file>", "also write the manifest JSON to this file")
    .option("--in-toto <file>", "also write the manifest as an in-toto Statement (OpenSSF model-signing predicate)");

export function modelCommand(): Command {
  const model = new Command("model").description("hash and register models with their lineage");

  withCommonOptions(
    recordOptions(
      model.command("hash").description("hash a weights directory into a model manifest and store it (nothing on-chain)").argument("<dir>", "weights directory"),
      false,
    ),
  ).action(
    action<HashOptions>(async ([dir], opts) => {
      const record = declaredRecord({ ...opts, version: opts.version ?? (opts.record ? undefined : "0.0.0") }, basename(resolve(dir)));
      const store = openStore(opts.storage, dataDir(opts.dataDir));
      const bar = bytesProgress("hashing", opts.json);
      let stored: StoredModel;
      try {
        stored = await hashAndStoreModel(dir, store, { record, description: record.description ?? "", onProgress: bar.onProgress });
      } finally {
        bar.stop();
      }
      const s = summary(stored);
      return {
        json: { ok: true, ...s },
        text: [
          `hashed ${s.files} file(s), ${s.bytes} bytes in ${s.seconds} s (${s.resources} shard(s), ${s.parallelShards} on worker threads)`,
          `weights digest ${s.weightsDigest}`,
          `manifest       ${s.manifestCid}`,
          ...writeOutputs(stored, opts),
        ].join("\n"),
      };
    }),
  );

  withCommonOptions(
    recordOptions(
      model
        .command("register")
        .description("hash a weights directory, store its manifest and register the model with its lineage")
        .argument("<dir>", "weights directory")
        .option("--parent <id:relation>", `a parent model, repeatable; relation: ${PARENT_RELATIONS.join(", ")}`, collect, [])
        .option("--dataset <id:role>", `a dataset used, repeatable; role: ${DATASET_ROLES.join(", ")}`, collect, []),
      true,
    ),
  ).action(
    action<RegisterOptions>(async ([dir], opts) => {
      const parents: ParentEdge[] = opts.parent.map((p) => parseParentEdge(p, "--parent")).map((e) => ({ modelId: BigInt(e.modelId), relation: e.relation }));
      const datasets: DatasetEdge[] = opts.dataset.map((d) => parseDatasetEdge(d, "--dataset")).map((e) => ({ datasetId: BigInt(e.datasetId), role: e.role }));
      checkEdges(parents, datasets);
      let declared = declaredRecord(opts);

      const src = await openLineageSources(opts);
      // Every edge must point at an existing token: say which one does not before hashing anything.
      const parentExists = (id: bigint) =>
        src.models.record(id).catch((e: unknown) => {
          if (!(e instanceof ProvenantError) || e.code !== "TOKEN_NOT_FOUND") throw e;
          throw new ChainError(
            "TOKEN_NOT_FOUND",
            `parent model #${id} does not exist: a parent must be registered before its children, so a model can name neither itself nor a later model`,
            { cause: e },
          );
        });
      await Promise.all([...parents.map((p) => parentExists(p.modelId)), ...datasets.map((d) => src.datasets.record(d.datasetId))]);

      // The first parent's effective record, to inherit from.
      let parentRecord: ModelRecordFields | null = null;
      if (parents.length > 0 && declared.inherit !== false) {
        const walk = await walkLineage(src, parents[0].modelId);
        const r = walk.models.get(parents[0].modelId)?.record;
        if (!r?.ok) {
          const why = r ? r.error.message : "its manifest could not be read";
          throw new InputError(
            "RECORD_INVALID",
            `the record inherits from model #${parents[0].modelId}, but its record cannot be read (${why}); set inherit: false to register anyway`,
          );
        }
        parentRecord = r.value.record;
      }
      const resolved: ResolvedRecord = resolveRecord(declared, parentRecord);
      // The on-chain license is the effective one; the stored record states it, so the two always agree.
      const license = resolved.record.license ?? "";
      if (license && declared.license === undefined) declared = withIdentity({ ...declared, license }, {});

      const bar = bytesProgress("hashing", opts.json);
      let stored: StoredModel;
      try {
        stored = await hashAndStoreModel(dir, src.store, { record: declared, description: resolved.record.description ?? "", onProgress: bar.onProgress });
      } finally {
        bar.stop();
      }
      const registry = src.models.withSigner(await src.conn.signer());
      const registered = await registry.register({
        weightsDigest: stored.manifest.weights.digest,
        manifestCid: stored.manifestCid,
        license,
        parents,
        datasets,
      });
      let lineageDiffers = false;
      if (registered.existing) {
        const [p, d] = await Promise.all([src.models.parents(registered.id), src.models.datasets(registered.id)]);
        lineageDiffers =
          JSON.stringify([p, d], (_k, v) => (typeof v === "bigint" ? v.toString() : v)) !==
          JSON.stringify([parents, datasets], (_k, v) => (typeof v === "bigint" ? v.toString() : v));
      }
      const s = summary(stored);
      const edges = [...parents.map((p) => `${p.relation} of model #${p.modelId}`), ...datasets.map((d) => `${d.role} on dataset #${d.datasetId}`)];
      return {
        json: {
          ok: true,
          modelId: registered.id.toString(),
          existing: registered.existing,
          lineageDiffers,
          txHash: registered.txHash,
          gasUsed: registered.gasUsed,
          chainId: src.conn.chainId,
          registry: registry.address,
          license,
          parents: parents.map((p) => ({ modelId: p.modelId.toString(), relation: p.relation })),
          datasets: datasets.map((d) => ({ datasetId: d.datasetId.toString(), role: d.role })),
          record: resolved.record,
          inherited: resolved.inherited,
          ...s,
        },
        text: [
          registered.existing
            ? `model #${registered.id} already holds these weights for your address: nothing registered${lineageDiffers ? " (its lineage on-chain differs from the one given; edges never change)" : ""}`
            : `registered model #${registered.id} "${declared.name}" ${declared.version} on chain ${src.conn.chainId} (tx ${registered.txHash}, ${registered.gasUsed} gas)`,
          `lineage   ${edges.length ? edges.join("; ") : "none declared"}`,
          ...(resolved.inherited.length ? [`inherits  ${resolved.inherited.join(", ")} from model #${parents[0].modelId}`] : []),
          `hashed ${s.files} file(s), ${s.bytes} bytes in ${s.seconds} s`,
          `weights   ${s.weightsDigest}`,
          `manifest  ipfs://${s.manifestCid}`,
          ...writeOutputs(stored, opts),
        ].join("\n"),
      };
    }),
  );
  return model;
}
