"use client";

import { useRef, useState, type DragEvent } from "react";
import { checkSample, usageWords, type Ancestry, type AncestryProof, type GivenSample, type Verdict } from "../../../../core/lineage/check-sample.ts";
import { looseHex32, toHex } from "../../../../core/hex.ts";
import { blobFile } from "../../../../core/dataset/formats/single-sample.ts";
import { CopyButton } from "../../../_components/copy-button.tsx";
import { Notice } from "../../../_components/notice.tsx";
import { TabList, TabPanel, type TabItem } from "../../../_components/tabs.tsx";
import { toTrouble, trouble, type Trouble } from "../../../_lib/errors.ts";
import { formatBytes, formatMs } from "../../../_lib/format.ts";
import { GatewayStore } from "../../../../core/storage/gateway-client.ts";
import { STREAM_SAMPLE_BYTES } from "../../../_lib/limits.ts";
import { DatasetRegistryClient } from "../../../../core/chain/dataset-registry.ts";
import { appRpc } from "../../../_lib/app-rpc.ts";
import styles from "./sample-check.module.css";

/**
 * "Was this sample used?": a file, a pasted record or a SHA-256, hashed here in the browser, checked against
 * every dataset declared anywhere in the model's ancestry by the library's own use case (core/lineage/
 * check-sample.ts, which the CLI's check-sample calls too): one shard per dataset read from the gateway and
 * checked against its CID, each proof checked here and by the contract. Only hashes leave the browser.
 */

type Mode = "file" | "text" | "hash";
const MODES: TabItem<Mode>[] = [
  { key: "file", label: "File" },
  { key: "text", label: "Text" },
  { key: "hash", label: "Hash" },
];
const WORDS: Record<Verdict, string> = { in: "In", out: "Not in", unknown: "Not known" };
const TONE: Record<Verdict, string> = { in: "", out: "plain", unknown: "warn" };

export interface SampleCheckProps {
  ancestry: Ancestry;
  gateway: string;
  /** Environment and options that make a copied command reach this chain and deployment (app/_lib/server/cli-target.ts). */
  cliPrefix: string;
  cliFlags: string;
  onResult: (r: AncestryProof | null) => void;
}

/** Records in a JSONL or CSV file's bytes, roughly: line endings not at the very end. */
function lineCount(bytes: Uint8Array): number {
  let n = 0;
  for (let i = 0; i < bytes.length - 1; i++) if (bytes[i] === 0x0a) n++;
  return bytes.length === 0 ? 0 : n + 1;
}

export function SampleCheck({ ancestry, gateway, cliPrefix, cliFlags, onResult }: SampleCheckProps) {
  const [mode, setMode] = useState<Mode>("file");
  const [text, setText] = useState("");
  const [hash, setHash] = useState("");
  const [busy, setBusy] = useState(false);
  const [dragging, setDragging] = useState(false);
  const [result, setResult] = useState<{ proof: AncestryProof; label: string; note: string | null; ms: number; hash: string | null } | null>(null);
  const [problem, setProblem] = useState<Trouble | null>(null);
  const fileInput = useRef<HTMLInputElement>(null);
  const model = ancestry.model ?? "";
  const recordDatasets = ancestry.datasets.filter((d) => d.record && d.record.encoding !== "files");

  const run = async (make: () => Promise<{ sample: GivenSample; label: string; note: string | null }>) => {
    setBusy(true);
    setProblem(null);
    setResult(null);
    onResult(null);
    const t0 = performance.now();
    try {
      const { sample, label, note } = await make();
      const store = new GatewayStore(gateway);
      const registry = new DatasetRegistryClient(ancestry.registries.dataset, appRpc(ancestry.chainId), ancestry.chainId);
      const proof = await checkSample(ancestry, sample, { store, verifyOnChain: (id, p) => registry.verify(id, p) });
      setResult({ proof, label, note, ms: performance.now() - t0, hash: "hash" in sample ? sample.hash : null });
      onResult(proof);
    } catch (e) {
      setProblem((e as Trouble)?.title && (e as Trouble)?.detail ? (e as Trouble) : toTrouble(e));
    } finally {
      setBusy(false);
    }
  };

  const checkFile = (file: File) =>
    run(async () => {
      if (file.size > STREAM_SAMPLE_BYTES) {
        throw trouble(
          "FILE_TOO_BIG",
          `${file.name} is ${formatBytes(file.size)}; this page checks files up to ${formatBytes(STREAM_SAMPLE_BYTES)}.`,
          `Check it from a terminal: ${cliPrefix}provenant check-sample "${file.name}" --model ${model}${cliFlags}`,
        );
      }
      const bytes = new Uint8Array(await file.arrayBuffer());
      let note: string | null = null;
      const records = lineCount(bytes);
      if (bytes.length === 0) {
        note = `${file.name} is empty. An empty file can be a sample of a files dataset, but never of a JSONL or CSV one (empty records are skipped), so there it is not in.`;
      } else if (recordDatasets.length > 0 && records > 1) {
        note = `${file.name} holds ${records} lines, but a sample of a JSONL or CSV dataset is one record: the whole file was checked as one sample, which such a dataset does not hold as such. Paste one line in Text, or check every line at once from a terminal: ${cliPrefix}provenant check-sample --batch "${file.name}" --model ${model}${cliFlags}`;
      }
      return { sample: { file: blobFile(file) }, label: file.name, note };
    });

  /** Several files: one WebDataset sample's members (000123.jpg and 000123.txt), hashed as that sample. */
  const checkFiles = (files: File[]) => {
    if (files.length === 1) return checkFile(files[0]);
    return run(async () => {
      const total = files.reduce((a, f) => a + f.size, 0);
      if (total > STREAM_SAMPLE_BYTES) {
        throw trouble("FILE_TOO_BIG", `The files are ${formatBytes(total)}; this page checks samples up to ${formatBytes(STREAM_SAMPLE_BYTES)}.`);
      }
      return { sample: { files: files.map((f) => blobFile(f)) }, label: files.map((f) => f.name).join(" + "), note: null };
    });
  };

  const checkText = () =>
    run(async () => {
      if (text.length === 0) throw trouble("INPUT_INVALID", "Paste a record first.");
      return { sample: { text }, label: "the pasted text", note: null };
    });

  const checkHash = () =>
    run(async () => {
      const x = looseHex32(hash);
      if (!x) throw trouble("INPUT_INVALID", "A sample hash is a SHA-256: 64 hex digits, with or without 0x (sha256sum prints it that way).");
      return { sample: { hash: toHex(x) }, label: "the given hash", note: null };
    });

  const onDrop = (e: DragEvent<HTMLDivElement>) => {
    e.preventDefault();
    setDragging(false);
    const files = Array.from(e.dataTransfer.files ?? []);
    if (files.length > 0 && !busy) void checkFiles(files);
  };

  const download = () => {
    if (!result) return;
    const url = URL.createObjectURL(new Blob([`${JSON.stringify(result.proof, null, 2)}\n`], { type: "application/json" }));
    const a = document.createElement("a");
    a.href = url;
    a.download = `ancestry-proof-model-${model}.json`;
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  };

  const r = result?.proof;
  const firstHash = r?.datasets.find((d) => d.sampleHash)?.sampleHash ?? result?.hash ?? null;
  const cli = firstHash ? `${cliPrefix}provenant check-sample --hash ${firstHash} --model ${model}${cliFlags} --out ancestry-proof.json` : null;
  const count = ancestry.datasets.length;

  return (
    <section className={`card ${styles.panel}`} aria-labelledby="sample-h" data-testid="sample-check">
      <h2 id="sample-h">Was this sample used?</h2>
      <p className="muted small">
        Give a file, a record or its SHA-256: it is hashed here, in your browser. The {count} dataset{count === 1 ? "" : "s"} declared anywhere in this model&apos;s
        ancestry are each checked with one shard read from storage (its bytes checked against its CID), and the contract checks every proof. A proof covers only the
        datasets declared on-chain.
      </p>
      <TabList id="sample" label="How to give the sample" items={MODES} selected={mode} onSelect={setMode} />
      <TabPanel id="sample" selected={mode}>
        {mode === "file" ? (
          <div
            className={dragging ? `${styles.drop} ${styles.dragging}` : styles.drop}
            data-testid="sample-dropzone"
            onDragOver={(e) => {
              e.preventDefault();
              setDragging(true);
            }}
            onDragLeave={() => setDragging(false)}
            onDrop={onDrop}
          >
            <p>Drop a file here (a WebDataset sample: all of its key&apos;s files, or a .tar of that key), or</p>
            <button type="button" className="secondary" onClick={() => fileInput.current?.click()} disabled={busy}>
              Choose a file
            </button>
            <input
              ref={fileInput}
              type="file"
              hidden
              multiple
              data-testid="sample-file"
              onChange={(e) => {
                const files = Array.from(e.target.files ?? []);
                if (files.length > 0) void checkFiles(files);
                e.target.value = "";
              }}
            />
          </div>
        ) : mode === "text" ? (
          <form
            onSubmit={(e) => {
              e.preventDefault();
              void checkText();
            }}
            className={styles.form}
          >
            <label htmlFor="sample-text-input">A record as it appears in the dataset (one JSONL line or CSV row), or a file&apos;s text</label>
            <textarea id="sample-text-input" rows={3} value={text} onChange={(e) => setText(e.target.value)} data-testid="sample-text" spellCheck={false} />
            <button type="submit" disabled={busy}>
              Check
            </button>
          </form>
        ) : (
          <form
            onSubmit={(e) => {
              e.preventDefault();
              void checkHash();
            }}
            className={styles.form}
          >
            <label htmlFor="sample-hash-input">The sample&apos;s SHA-256 (sha256sum prints it; 0x optional)</label>
            <input id="sample-hash-input" value={hash} onChange={(e) => setHash(e.target.value)} data-testid="sample-hash" spellCheck={false} autoComplete="off" />
            <button type="submit" disabled={busy}>
              Check
            </button>
          </form>
        )}
      </TabPanel>
      {/* Announced to screen readers: the state, then the verdict in one sentence. */}
      <p className="visually-hidden" role="status" aria-live="polite" data-testid="sample-status">
        {busy ? "Checking the sample…" : r ? `${WORDS[r.verdict]}: ${r.summary}` : problem ? `${problem.title}: ${problem.detail}` : ""}
      </p>
      {busy ? (
        <p className="muted small">
          Checking {result?.label ?? "the sample"} against {count} dataset(s)…
        </p>
      ) : null}
      {problem ? <Notice trouble={problem} /> : null}
      {r && result ? (
        <div className={styles.result} data-testid="sample-verdict" data-verdict={r.verdict}>
          <p className={styles.verdict}>
            <span className={`badge ${TONE[r.verdict]}`}>{WORDS[r.verdict]}</span>{" "}
            <span data-testid="sample-summary">{r.summary.replace(/^./, (c) => c.toUpperCase())}.</span>
          </p>
          {result.note ? (
            <p className="notice warn" data-testid="sample-note">
              {result.note}
            </p>
          ) : null}
          <ul className={styles.datasets}>
            {r.datasets.map((d) => (
              <li key={d.datasetId} data-dataset={d.datasetId} data-verdict={d.verdict} data-code={d.code}>
                <span className={`badge ${TONE[d.verdict]}`}>{WORDS[d.verdict]}</span> <a href={`/datasets/${d.datasetId}`}>dataset #{d.datasetId}</a>: {d.reason}
                {d.onChain !== null ? <span className="muted">; contract: {d.onChain ? "valid" : "rejected"}</span> : null}
                {d.usedBy.length ? <div className="small muted">{usageWords(d.usedBy, r.model)}</div> : null}
              </li>
            ))}
            {r.gaps.map((g) => (
              <li key={g} data-verdict="unknown">
                <span className="badge warn">Gap</span> {g}
              </li>
            ))}
          </ul>
          <p className="small muted">
            {result.label}, checked in {formatMs(result.ms)}.{" "}
            <button type="button" className="secondary" onClick={download} data-testid="download-ancestry-proof">
              ⤓ Proofs (provenant-ancestry-proof-v1)
            </button>
          </p>
          {cli ? (
            <div className={styles.recheck}>
              <h3>Re-check it yourself</h3>
              <pre data-testid="sample-cli">{cli}</pre>
              <CopyButton value={cli} label="Copy the command" />
            </div>
          ) : null}
        </div>
      ) : null}
    </section>
  );
}
