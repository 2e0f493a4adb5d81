"use client";

import Link from "next/link";
import { useEffect, useRef, useState, type DragEvent } from "react";
import { DatasetRegistryClient } from "../../../core/chain/dataset-registry.ts";
import { toHex } from "../../../core/hex.ts";
import { isTokenId } from "../../../core/identifiers.ts";
import { Notice } from "../../_components/notice.tsx";
import { useWallets } from "../../_components/providers.tsx";
import { toTrouble, trouble, type Trouble } from "../../_lib/errors.ts";
import { DATASET_UPLOAD_TYPE, encodeDatasetUpload } from "../../_lib/dataset-upload.ts";
import { formatBytes, formatCount, formatMs } from "../../_lib/format.ts";
import { hashContainerFiles, hashFolder, hashRecordFile, warmHashWorker } from "../../_lib/hash-client.ts";
import type { DatasetResult, HashProgress } from "../../_lib/hash-protocol.ts";
import { MAX_BROWSER_DATASET_BYTES, MAX_BROWSER_LEAVES } from "../../_lib/limits.ts";
import { chainName } from "../../../core/chain/networks.ts";
import { appRpc, signerOf } from "../../_lib/app-rpc.ts";
import { SAMPLE_WORDS, selectionFromDroppedFolder, selectionFromFile, selectionFromInput, type Selection } from "./collect.ts";
import { WalletPicker } from "../../_components/wallet-picker.tsx";
import styles from "./mint-form.module.css";

/**
 * Minting from the browser: pick data, hash it here (worker, progress bar), have the server check and store
 * the commitment (POST /api/datasets), then mint with the user's wallet.
 */

interface Stored {
  manifestCid: string;
  indexCid: string;
  shardCount: number;
}

type Phase = "pick" | "hashing" | "hashed" | "storing" | "minting" | "minted";

const tooBig = (what: string, name: string) =>
  trouble(
    "FILE_TOO_BIG",
    `${what}: more than this page hashes (${formatCount(MAX_BROWSER_LEAVES)} samples or ${formatBytes(MAX_BROWSER_DATASET_BYTES)}).`,
    `Mint it from a terminal, which streams any size: provenant dataset mint "${name}" --name "…" --license <SPDX id>`,
  );

export function MintForm({ chainId, registry, tokenRequired }: { chainId: number; registry: string; tokenRequired: boolean }) {
  const { connected, app } = useWallets();
  const [selection, setSelection] = useState<Selection | null>(null);
  const [phase, setPhase] = useState<Phase>("pick");
  // With the seconds since hashing started, taken when the progress arrives: render reads no clock.
  const [progress, setProgress] = useState<(HashProgress & { seconds: number }) | null>(null);
  const [hashed, setHashed] = useState<DatasetResult | null>(null);
  const [stored, setStored] = useState<Stored | null>(null);
  const [minted, setMinted] = useState<{ id: bigint; existing: boolean; txHash: string | null } | null>(null);
  const [problem, setProblemState] = useState<{ t: Trouble; step: number } | null>(null);
  const setProblem = (t: Trouble | null, step = 1) => setProblemState(t ? { t, step } : null);
  const [dragging, setDragging] = useState(false);
  const [meta, setMeta] = useState({ name: "", license: "", description: "", previous: "" });
  const [writeToken, setWriteToken] = useState("");
  const folderInput = useRef<HTMLInputElement>(null);
  const fileInput = useRef<HTMLInputElement>(null);
  const t0 = useRef(0);
  useEffect(() => warmHashWorker(), []);

  const choose = (s: Selection | { error: string } | null) => {
    setProblem(null);
    setHashed(null);
    setStored(null);
    setMinted(null);
    setPhase("pick");
    if (!s) return;
    if ("error" in s) return setProblem(trouble("INPUT_INVALID", s.error));
    if (s.kind === "folder" && s.entries.length === 0) {
      return setProblem(
        trouble("DATASET_EMPTY", `${s.name} holds no files to hash${s.skippedHidden ? ` (only ${s.skippedHidden} hidden entries, which are skipped)` : ""}.`),
      );
    }
    if ((s.kind === "folder" && s.entries.length > MAX_BROWSER_LEAVES) || s.bytes > MAX_BROWSER_DATASET_BYTES) {
      return setProblem(tooBig(`${s.name} holds ${s.kind === "folder" ? `${formatCount(s.entries.length)} files, ` : ""}${formatBytes(s.bytes)}`, s.name));
    }
    setSelection(s);
    setMeta((m) => ({ ...m, name: m.name || s.name.replace(/\.(jsonl|ndjson|csv|tar|tar\.gz|tgz|parquet)$/i, "") }));
  };

  const onDrop = async (e: DragEvent<HTMLDivElement>) => {
    e.preventDefault();
    setDragging(false);
    const items = Array.from(e.dataTransfer.items ?? []);
    const entries = items.map((i) => i.webkitGetAsEntry?.()).filter((x): x is FileSystemEntry => !!x);
    if (entries.length !== 1) return choose({ error: "Drop one folder, or one JSONL, CSV, .tar or .parquet file." });
    if (entries[0].isDirectory) choose(await selectionFromDroppedFolder(entries[0] as FileSystemDirectoryEntry));
    else choose(selectionFromFile(e.dataTransfer.files[0]));
  };

  const hash = async () => {
    if (!selection) return;
    setProblem(null);
    setPhase("hashing");
    setProgress(null);
    t0.current = performance.now();
    const onProgress = (p: HashProgress) => setProgress({ ...p, seconds: (performance.now() - t0.current) / 1000 });
    try {
      const r =
        selection.kind === "folder"
          ? selection.encoding === "files"
            ? await hashFolder(selection.entries, selection.skippedHidden, onProgress)
            : await hashContainerFiles(selection.entries, selection.encoding, selection.skippedHidden, onProgress)
          : selection.kind === "container"
            ? await hashContainerFiles([{ file: selection.file, path: selection.name }], selection.encoding, 0, onProgress)
            : await hashRecordFile(selection.file, selection.encoding, onProgress);
      setHashed(r);
      setPhase("hashed");
    } catch (e) {
      const t = toTrouble(e);
      setProblem(t.code === "FILE_TOO_BIG" ? tooBig(t.detail, selection.name) : t, 3);
      setPhase("pick");
    }
  };

  const storeAndMint = async () => {
    if (!hashed || !connected) return;
    setProblem(null);
    try {
      let s = stored;
      if (!s) {
        setPhase("storing");
        const upload = encodeDatasetUpload(
          {
            name: meta.name,
            license: meta.license,
            description: meta.description,
            previousVersion: meta.previous.trim() || null,
            encoding: hashed.encoding,
            root: toHex(hashed.root),
            totalSamples: hashed.totalSamples,
            skipped: hashed.skipped,
            bytes: hashed.bytes,
          },
          hashed.leaves,
        );
        let res: Response;
        try {
          res = await fetch("/api/datasets", {
            method: "POST",
            headers: { "content-type": DATASET_UPLOAD_TYPE, ...(writeToken ? { authorization: `Bearer ${writeToken.trim()}` } : {}) },
            body: upload,
          });
        } catch (e) {
          throw trouble("STORAGE_UNREACHABLE", "The app's server did not answer while storing the dataset.");
        }
        const body = (await res.json().catch(() => null)) as { ok: boolean; error?: { code: string; message: string } } & Stored;
        if (!body?.ok) throw trouble((body?.error?.code ?? "INTERNAL") as Trouble["code"], body?.error?.message ?? `the server answered ${res.status}`);
        s = { manifestCid: body.manifestCid, indexCid: body.indexCid, shardCount: body.shardCount };
        setStored(s);
      }
      setPhase("minting");
      const signer = await signerOf(connected.option.provider, connected.account);
      const client = new DatasetRegistryClient(registry, appRpc(chainId), chainId).withSigner(signer);
      const result = await client.mint({
        root: hashed.root,
        n: hashed.n,
        totalSamples: hashed.totalSamples,
        encoding: hashed.encoding,
        manifestCid: s.manifestCid,
        license: meta.license.trim(),
        previousVersion: meta.previous.trim() ? BigInt(meta.previous.trim()) : 0n,
      });
      setMinted(result);
      setPhase("minted");
    } catch (e) {
      setProblem((e as Trouble)?.title && (e as Trouble)?.detail ? (e as Trouble) : toTrouble(e), 4);
      setPhase("hashed");
    }
  };

  const metaReady =
    meta.name.trim().length > 0 &&
    meta.license.trim().length > 0 &&
    (meta.previous.trim() === "" || isTokenId(meta.previous.trim())) &&
    (!tokenRequired || writeToken.trim().length > 0);
  const wrongNetwork = connected !== null && connected.chainId !== chainId;
  const canMint = phase === "hashed" && hashed !== null && connected !== null && !wrongNetwork && metaReady;
  const pct = progress ? (progress.total ? progress.done / progress.total : progress.totalBytes ? progress.bytes / progress.totalBytes : 0) : 0;

  return (
    <div className={styles.steps}>
      <section className={`card ${styles.step}`}>
        <h2>
          <span className={styles.n}>1</span> Choose the data
        </h2>
        <div
          className={`${styles.drop} ${dragging ? styles.dropOn : ""}`}
          data-testid="mint-dropzone"
          onDragOver={(e) => {
            e.preventDefault();
            setDragging(true);
          }}
          onDragLeave={() => setDragging(false)}
          onDrop={(e) => void onDrop(e)}
        >
          <p>
            <strong>Drop a folder, or a JSONL / CSV / WebDataset .tar / .parquet file here</strong>
          </p>
          <div className={styles.pickers}>
            <button type="button" className="secondary" onClick={() => folderInput.current?.click()} disabled={phase === "hashing"}>
              Choose a folder…
            </button>
            <button type="button" className="secondary" onClick={() => fileInput.current?.click()} disabled={phase === "hashing"}>
              Choose a file (JSONL, CSV, .tar, .parquet)…
            </button>
          </div>
          <input
            ref={folderInput}
            type="file"
            hidden
            multiple
            data-testid="folder-input"
            {...({ webkitdirectory: "", directory: "" } as Record<string, string>)}
            onChange={(e) => {
              choose(e.target.files ? selectionFromInput(e.target.files) : null);
              e.target.value = "";
            }}
          />
          <input
            ref={fileInput}
            type="file"
            hidden
            accept=".jsonl,.ndjson,.csv,.tar,.tar.gz,.tgz,.parquet"
            data-testid="records-input"
            onChange={(e) => {
              const f = e.target.files?.[0];
              e.target.value = "";
              if (f) choose(selectionFromFile(f));
            }}
          />
        </div>
        {selection ? (
          <p className={styles.summary} data-testid="selection">
            <strong>{selection.name}</strong>:{" "}
            {selection.kind === "folder"
              ? `${formatCount(selection.entries.length)} files, ${formatBytes(selection.bytes)}${selection.skippedHidden ? `, ${selection.skippedHidden} hidden entr${selection.skippedHidden === 1 ? "y" : "ies"} skipped` : ""}.`
              : `${formatBytes(selection.bytes)}.`}{" "}
            <span data-testid="selection-encoding">
              Encoding: {selection.encoding} ({SAMPLE_WORDS[selection.encoding]}
              {selection.kind === "folder" && selection.encoding !== "files" ? "; other files are skipped" : ""}).
            </span>
          </p>
        ) : null}
        {selection?.kind === "folder" && selection.containers.length > 0 ? (
          <label className="small">
            Read this folder as{" "}
            <select
              value={selection.encoding}
              data-testid="folder-encoding"
              disabled={phase === "hashing" || phase === "storing" || phase === "minting"}
              onChange={(e) => {
                setHashed(null);
                setStored(null);
                setMinted(null);
                setPhase("pick");
                setSelection({ ...selection, encoding: e.target.value as typeof selection.encoding });
              }}
            >
              <option value="files">files: every file a sample</option>
              {selection.containers.map((c) => (
                <option key={c} value={c}>
                  {c === "webdataset" ? "WebDataset: every key of its .tar shards a sample" : "Parquet: every row of its .parquet files a sample"}
                </option>
              ))}
            </select>
          </label>
        ) : null}
        {problem?.step === 1 ? <Notice trouble={problem.t} /> : null}
      </section>

      <section className={`card ${styles.step}`}>
        <h2>
          <span className={styles.n}>2</span> Describe it
        </h2>
        <div className={styles.fields}>
          <label>
            Name
            <input type="text" value={meta.name} onChange={(e) => setMeta({ ...meta, name: e.target.value })} placeholder="MNIST test digits" name="name" />
          </label>
          <label>
            License (SPDX id)
            <input type="text" value={meta.license} onChange={(e) => setMeta({ ...meta, license: e.target.value })} placeholder="CC-BY-4.0" name="license" />
          </label>
          <label className={styles.wide}>
            Description
            <input
              type="text"
              value={meta.description}
              onChange={(e) => setMeta({ ...meta, description: e.target.value })}
              placeholder="One sentence about the data"
              name="description"
            />
          </label>
          <label>
            <span>
              Previous version <span className="muted">(optional token id)</span>
            </span>
            <input type="text" value={meta.previous} onChange={(e) => setMeta({ ...meta, previous: e.target.value })} placeholder="e.g. 1" name="previous" />
          </label>
          {tokenRequired ? (
            <label>
              <span>
                Write token <span className="muted">(from this app&apos;s operator)</span>
              </span>
              <input type="password" value={writeToken} onChange={(e) => setWriteToken(e.target.value)} name="write-token" autoComplete="off" />
            </label>
          ) : null}
        </div>
        {problem?.step === 2 ? <Notice trouble={problem.t} /> : null}
      </section>

      <section className={`card ${styles.step}`}>
        <h2>
          <span className={styles.n}>3</span> Hash it in this browser
        </h2>
        <div className={styles.row}>
          <button
            type="button"
            onClick={() => void hash()}
            disabled={!selection || phase === "hashing" || phase === "storing" || phase === "minting"}
            data-testid="hash-button"
          >
            {hashed ? "Hash again" : "Hash samples"}
          </button>
          {phase === "hashing" ? (
            <div className={styles.progressBox} data-testid="hash-progress">
              <div className="progress">
                <span style={{ width: `${Math.round(pct * 100)}%` }} />
              </div>
              <span className="muted small">
                {progress
                  ? `${formatCount(progress.done)}${progress.total ? ` of ${formatCount(progress.total)}` : ""} samples, ${formatBytes(progress.bytes)}`
                  : "starting…"}
                {progress && progress.seconds > 0.5 ? ` · ${formatCount(Math.round(progress.done / progress.seconds))} samples/s` : ""}
              </span>
            </div>
          ) : null}
        </div>
        {hashed ? (
          <table className={`kv ${styles.result}`} data-testid="hash-result">
            <tbody>
              <tr>
                <th>Merkle root</th>
                <td className="mono" data-testid="root">
                  {toHex(hashed.root)}
                </td>
              </tr>
              <tr>
                <th>Samples</th>
                <td>
                  {formatCount(hashed.totalSamples)} read, <span data-testid="distinct">{formatCount(hashed.n)}</span> distinct
                  {hashed.totalSamples > hashed.n ? ` (${formatCount(hashed.totalSamples - hashed.n)} duplicate${hashed.totalSamples - hashed.n === 1 ? "" : "s"})` : ""}
                  {hashed.skipped.hidden ? `; ${hashed.skipped.hidden} hidden skipped` : ""}
                  {hashed.skipped.emptyRecords ? `; ${hashed.skipped.emptyRecords} empty records skipped` : ""}
                </td>
              </tr>
              <tr>
                <th>Time</th>
                <td>
                  {formatMs(hashed.hashMs)} hashing {formatBytes(hashed.bytes)}, {formatMs(hashed.commitMs)} building the tree
                </td>
              </tr>
            </tbody>
          </table>
        ) : null}
        {problem?.step === 3 ? <Notice trouble={problem.t} /> : null}
      </section>

      <section className={`card ${styles.step}`}>
        <h2>
          <span className={styles.n}>4</span> Store and mint
        </h2>
        <WalletPicker />
        <div className={styles.row}>
          <button type="button" onClick={() => void storeAndMint()} disabled={!canMint} data-testid="mint-button">
            {phase === "storing" ? "Storing…" : phase === "minting" ? "Confirm in your wallet…" : "Store and mint"}
          </button>
          <span className="muted small">
            {phase === "minted"
              ? "Done."
              : !hashed
                ? "Hash the samples first."
                : !metaReady
                  ? "Give a name and a license."
                  : !connected
                    ? "Connect a wallet."
                    : wrongNetwork
                      ? `Switch your wallet to ${chainName(chainId)}.`
                      : `The server checks the root and stores shards, index and manifest; then ${connected.option.name} mints on ${app.chainName}.`}
          </span>
        </div>
        {stored ? (
          <p className="small muted" data-testid="stored">
            Stored: manifest{" "}
            <a href={`/ipfs/${stored.manifestCid}`} className="mono">
              {stored.manifestCid}
            </a>
            , {stored.shardCount} shard{stored.shardCount === 1 ? "" : "s"}.
          </p>
        ) : null}
        {minted ? (
          <div className={styles.done} data-testid="minted" data-id={String(minted.id)}>
            <strong>{minted.existing ? `Already minted: your address holds this root as dataset #${minted.id}.` : `Minted dataset #${minted.id}.`}</strong>
            {minted.txHash ? <div className="small mono">tx {minted.txHash}</div> : null}
            <Link href={`/datasets/${minted.id}`} className="button">
              Open dataset #{String(minted.id)} →
            </Link>
          </div>
        ) : null}
        {problem?.step === 4 ? <Notice trouble={problem.t} /> : null}
      </section>
    </div>
  );
}
