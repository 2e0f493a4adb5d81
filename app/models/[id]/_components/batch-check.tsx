"use client";

import { useState } from "react";
import { batchCsv, checkBatch, type BatchProgress, type BatchReport, type BatchSample } from "../../../../core/lineage/check-batch.ts";
import type { Ancestry } from "../../../../core/lineage/check-sample.ts";
import { encodingOfFileName, hiddenEntryOf, RecordSplitter } from "../../../../core/dataset/sample-hash.ts";
import { Notice } from "../../../_components/notice.tsx";
import { toTrouble, trouble, type Trouble } from "../../../_lib/errors.ts";
import { formatCount, formatMs } from "../../../_lib/format.ts";
import { GatewayStore } from "../../../../core/storage/gateway-client.ts";
import { DatasetRegistryClient } from "../../../../core/chain/dataset-registry.ts";
import { appRpc } from "../../../_lib/app-rpc.ts";
import styles from "./sample-check.module.css";

/**
 * Many samples at once against the model's whole ancestry, in the browser: every file of a folder or every record
 * of a JSONL/CSV file, through the library's batch use case (core/lineage/check-batch.ts, which `provenant
 * check-sample --batch` calls too). Each needed shard is read once; every proof is verified here against the
 * chain's root and a sample of them by the contract. Results download as CSV and JSON.
 */

async function* recordsOf(file: File, encoding: "jsonl" | "csv"): AsyncGenerator<BatchSample> {
  let pending: BatchSample[] = [];
  const splitter = new RecordSplitter(encoding, (record) => {
    const n = encoding === "jsonl" ? splitter.counts.records + splitter.counts.emptyRecords : splitter.counts.records;
    pending.push({ label: encoding === "jsonl" ? `line ${n}` : `row ${n}`, bytes: record.slice(), encoding });
  });
  const reader = file.stream().getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    splitter.push(value);
    yield* pending;
    pending = [];
  }
  splitter.end();
  yield* pending;
}

async function* filesOf(files: File[]): AsyncGenerator<BatchSample> {
  for (const f of files) {
    const path = (f as File & { webkitRelativePath?: string }).webkitRelativePath || f.name;
    // Inside the chosen folder, as `dataset hash` walks it: hidden entries are not samples.
    const inside = path.includes("/") ? path.slice(path.indexOf("/") + 1) : path;
    if (hiddenEntryOf(inside) !== null) continue;
    yield { label: inside, bytes: new Uint8Array(await f.arrayBuffer()), encoding: "files" };
  }
}

function save(name: string, text: string, type: string) {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export function BatchCheck({ ancestry, gateway, cli }: { ancestry: Ancestry; gateway: string; cli: string }) {
  const [progress, setProgress] = useState<BatchProgress | null>(null);
  const [report, setReport] = useState<{ r: BatchReport; ms: number; source: string } | null>(null);
  const [problem, setProblem] = useState<Trouble | null>(null);
  const busy = progress !== null;

  const run = async (source: string, samples: AsyncIterable<BatchSample>) => {
    setProblem(null);
    setReport(null);
    setProgress({ phase: "hashing", done: 0, total: null });
    const t0 = performance.now();
    try {
      const store = new GatewayStore(gateway);
      const registry = new DatasetRegistryClient(ancestry.registries.dataset, appRpc(ancestry.chainId), ancestry.chainId);
      const r = await checkBatch(ancestry, samples, { store, verifyOnChain: (id, p) => registry.verify(id, p) }, { onProgress: setProgress });
      if (r.summary.samples === 0) throw trouble("INPUT_INVALID", `${source} holds no sample.`);
      setReport({ r, ms: performance.now() - t0, source });
    } catch (e) {
      setProblem((e as Trouble)?.title && (e as Trouble)?.detail ? (e as Trouble) : toTrouble(e));
    } finally {
      setProgress(null);
    }
  };

  const onRecords = (file: File) => {
    const encoding = encodingOfFileName(file.name);
    if (encoding !== "jsonl" && encoding !== "csv") {
      setProblem(trouble("INPUT_INVALID", `${file.name} is not a .jsonl or .csv file: choose one, or a folder of samples.`));
      return;
    }
    void run(file.name, recordsOf(file, encoding));
  };

  const r = report?.r;
  const base = `check-sample-model-${ancestry.model}`;
  return (
    <details className={`card ${styles.panel}`} data-testid="batch-check">
      <summary>
        <strong>Check many samples at once</strong> <span className="muted small">a folder, or every line of a JSONL or CSV file</span>
      </summary>
      <p className="muted small">
        Each sample is hashed here; each shard needed is read once, every proof is verified here against the root on-chain, and a sample of the proofs by the contract.
        From a terminal: <code className="mono">{cli}</code>
      </p>
      <div className={styles.form}>
        <label>
          A JSONL or CSV file (each record is a sample){" "}
          <input
            type="file"
            accept=".jsonl,.ndjson,.csv"
            disabled={busy}
            data-testid="batch-records"
            onChange={(e) => e.target.files?.[0] && onRecords(e.target.files[0])}
          />
        </label>
        <label>
          A folder (each file is a sample){" "}
          <input
            type="file"
            disabled={busy}
            data-testid="batch-folder"
            {...({ webkitdirectory: "", directory: "" } as Record<string, string>)}
            onChange={(e) => e.target.files && void run("the folder", filesOf(Array.from(e.target.files)))}
          />
        </label>
      </div>
      <p className="visually-hidden" role="status" aria-live="polite">
        {busy ? `${progress!.phase}` : r ? `${r.summary.samples} samples: ${r.summary.in} in, ${r.summary.out} out, ${r.summary.unknown} unknown` : ""}
      </p>
      {progress ? (
        <p className="small" data-testid="batch-progress">
          {progress.phase} {formatCount(progress.done)}
          {progress.total !== null ? ` of ${formatCount(progress.total)}` : ""}
          {progress.dataset ? ` (dataset #${progress.dataset})` : ""}…
        </p>
      ) : null}
      {problem ? <Notice trouble={problem} /> : null}
      {r && report ? (
        <div className={styles.result} data-testid="batch-result" data-in={r.summary.in} data-out={r.summary.out} data-unknown={r.summary.unknown}>
          <p>
            <strong>
              {formatCount(r.summary.samples)} samples from {report.source}: {formatCount(r.summary.in)} in, {formatCount(r.summary.out)} out,{" "}
              {formatCount(r.summary.unknown)} unknown
            </strong>{" "}
            <span className="muted small">({formatMs(report.ms)})</span>
          </p>
          <ul className={styles.datasets}>
            {r.datasets.map((d) => (
              <li key={d.datasetId} data-dataset={d.datasetId}>
                dataset #{d.datasetId}: {formatCount(d.in)} in, {formatCount(d.out)} out, {formatCount(d.unknown)} unknown; {d.reads} read(s); the contract accepted{" "}
                {d.onChain.valid} of {d.onChain.checked} proofs sent{d.problem ? `. Unknown: ${d.problem}` : ""}
              </li>
            ))}
          </ul>
          <p>
            <button type="button" className="secondary" data-testid="batch-csv" onClick={() => save(`${base}.csv`, batchCsv(r), "text/csv")}>
              ⤓ CSV
            </button>{" "}
            <button
              type="button"
              className="secondary"
              data-testid="batch-json"
              onClick={() => save(`${base}.json`, `${JSON.stringify(r, null, 2)}\n`, "application/json")}
            >
              ⤓ JSON
            </button>
          </p>
        </div>
      ) : null}
    </details>
  );
}
