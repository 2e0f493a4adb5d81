"use client";

import { useCallback, useEffect, useRef, useState, type DragEvent } from "react";
import { DatasetProver, verifyProof, type Proof } from "../../../../core/dataset/prover.ts";
import { proofToJson, type ProofJson } from "../../../../core/dataset/proof-file.ts";
import { textSampleHash, type SampleEncoding } from "../../../../core/dataset/sample-hash.ts";
import { FormatError } from "../../../../core/errors.ts";
import { parseHex32, toHex } from "../../../../core/hex.ts";
import { Notice } from "../../../_components/notice.tsx";
import { toTrouble, trouble, type Trouble } from "../../../_lib/errors.ts";
import { formatBytes, formatCount, formatMs } from "../../../_lib/format.ts";
import { GatewayStore } from "../../../../core/storage/gateway-client.ts";
import { hashSampleFile, warmHashWorker } from "../../../_lib/hash-client.ts";
import { MAX_SAMPLE_BYTES } from "../../../_lib/limits.ts";
import { appRpc, registryAt, verifyOnChain } from "../../../_lib/registry-browser.ts";
import styles from "./prove-panel.module.css";

/**
 * "Prove a sample": the sample is hashed here (a worker for files), the prover reads the manifest, the shard
 * index and the one shard the hash falls in from the gateway, builds the merkle-v1 proof with the library,
 * and the contract's view function gives the verdict. Only the hash leaves the browser.
 */

type Mode = "file" | "text" | "hash";
type Stage = "idle" | "hashing" | "proving" | "checking" | "done";

interface Outcome {
  label: string;
  sampleHash: string;
  proof: Proof;
  json: ProofJson;
  local: boolean;
  onChain: boolean;
  warning: string | null;
  timings: { hash: number; storage: number; prove: number; chain: number; total: number };
  reads: number;
  bytesRead: number;
  cli: string;
}

export interface ProvePanelProps {
  datasetId: string;
  chainId: number;
  registry: string;
  manifestCid: string;
  encoding: SampleEncoding;
  n: number;
  gateway: string;
  storageTrouble: Trouble | null;
  initialHash: string | null;
  /** Reported misordered on-chain: the contract refuses every exclusion proof, so the panel builds none. */
  misordered: boolean;
}

const NETWORK_FLAG: Record<number, string> = { 314159: " --network filecoinCalibration", 314: " --network filecoin" };

function proofFileName(datasetId: string, sampleHash: string) {
  return `proof-${datasetId}-${sampleHash.slice(2, 10)}.json`;
}

export function ProvePanel(props: ProvePanelProps) {
  const { datasetId, chainId, registry, manifestCid, encoding, n, gateway, initialHash, misordered } = props;
  const [mode, setMode] = useState<Mode>(initialHash ? "hash" : "file");
  const [stage, setStage] = useState<Stage>("idle");
  const [progress, setProgress] = useState<number | null>(null);
  const [text, setText] = useState("");
  const [hashInput, setHashInput] = useState(initialHash ?? "");
  const [dragging, setDragging] = useState(false);
  const [outcome, setOutcome] = useState<Outcome | null>(null);
  const [problem, setProblem] = useState<Trouble | null>(props.storageTrouble);
  const prover = useRef<{ store: GatewayStore; open: Promise<DatasetProver> } | null>(null);
  const fileInput = useRef<HTMLInputElement>(null);
  const busy = stage !== "idle" && stage !== "done";

  /** Opens the prover once: manifest and index are read ahead, so a drop only waits for its shard. */
  const openProver = useCallback(() => {
    if (!prover.current) {
      const store = new GatewayStore(gateway);
      const open = DatasetProver.open(store, manifestCid);
      open.catch(() => (prover.current = null));
      prover.current = { store, open };
    }
    return prover.current;
  }, [gateway, manifestCid]);

  useEffect(() => {
    if (props.storageTrouble) return;
    warmHashWorker();
    openProver().open.catch(() => {});
  }, [openProver, props.storageTrouble]);

  const run = useCallback(
    async (input: { file: File } | { text: string } | { hash: string }) => {
      const t0 = performance.now();
      setOutcome(null);
      setProblem(null);
      setProgress(null);
      try {
        // 1. The sample's hash, computed here.
        setStage("hashing");
        let x: Uint8Array;
        let label: string;
        let warning: string | null = null;
        let cliSample: string;
        if ("file" in input) {
          const { file } = input;
          label = file.name;
          if (file.size > MAX_SAMPLE_BYTES) {
            throw trouble(
              "FILE_TOO_BIG",
              `${file.name} is ${formatBytes(file.size)}; this page hashes samples up to ${formatBytes(MAX_SAMPLE_BYTES)}.`,
              `Prove it from a terminal instead: provenant prove "${file.name}" --dataset ${datasetId}${NETWORK_FLAG[chainId] ?? ""}`,
            );
          }
          const r = await hashSampleFile(file, encoding, (p) => setProgress(p.totalBytes ? p.bytes / p.totalBytes : null));
          x = r.hash;
          if (r.records !== null && r.records > 1) {
            warning = `${file.name} holds ${formatCount(r.records)} records, but a sample of this ${encoding} dataset is one record: the whole file was hashed as one sample. Paste a single line to prove it.`;
          }
          cliSample = `"${file.name}"`;
        } else if ("text" in input) {
          if (input.text.length === 0) throw trouble("INPUT_INVALID", "Paste a record first.");
          label = encoding === "files" ? "pasted text (as a file's bytes)" : "pasted record";
          x = await textSampleHash(input.text, encoding);
          cliSample = `--text '${input.text.length > 60 ? "<the record>" : input.text.replace(/'/g, "'\\''")}'`;
        } else {
          label = "given hash";
          try {
            x = parseHex32(input.hash.trim(), "the sample hash");
          } catch {
            throw trouble("INPUT_INVALID", "A sample hash is 0x followed by 64 hex digits: the SHA-256 of the sample's canonical bytes.");
          }
          cliSample = `--hash ${toHex(x)}`;
        }
        const tHashed = performance.now();

        // 2. The proof, from the index and one shard.
        setStage("proving");
        const { store, open } = openProver();
        const p = await open;
        if (p.manifest.n !== n) throw new FormatError("ROOT_MISMATCH", `the manifest holds ${p.manifest.n} leaves but the chain records ${n}`);
        const before = { ...store.stats };
        const tProve0 = performance.now();
        const proof = await p.prove(x);
        if (proof.kind === "exclusion" && misordered) {
          throw trouble(
            "DATASET_MISORDERED",
            `Dataset #${datasetId} was reported misordered on-chain: its leaves are not sorted, so no sample can be proven absent from it, and this one was not found in it.`,
          );
        }
        const tProved = performance.now();
        const storageMs = store.stats.ms - before.ms;
        const local = verifyProof(proof);

        // 3. The contract's verdict, a view call.
        setStage("checking");
        const onChain = await verifyOnChain(registryAt(registry, appRpc(chainId)), BigInt(datasetId), proof);
        const tDone = performance.now();

        const sampleHash = toHex(x);
        setOutcome({
          label,
          sampleHash,
          proof,
          json: proofToJson(proof, datasetId),
          local,
          onChain,
          warning,
          reads: store.stats.reads - before.reads,
          bytesRead: store.stats.bytes - before.bytes,
          timings: {
            hash: tHashed - t0,
            storage: storageMs,
            prove: tProved - tProve0 - storageMs,
            chain: tDone - tProved,
            total: tDone - t0,
          },
          cli: `provenant prove ${cliSample} --dataset ${datasetId}${NETWORK_FLAG[chainId] ?? ""}`,
        });
        setStage("done");
      } catch (e) {
        setProblem((e as Trouble)?.title && (e as Trouble)?.detail ? (e as Trouble) : toTrouble(e));
        setStage("idle");
      }
    },
    [chainId, datasetId, encoding, misordered, n, openProver, registry],
  );

  useEffect(() => {
    if (initialHash && !props.storageTrouble) void run({ hash: initialHash });
    // Only on arrival from a search link.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  const onDrop = (e: DragEvent<HTMLDivElement>) => {
    e.preventDefault();
    setDragging(false);
    if (busy) return;
    const items = Array.from(e.dataTransfer.items ?? []);
    const entry = items[0]?.webkitGetAsEntry?.();
    if (entry?.isDirectory) {
      setProblem(trouble("INPUT_INVALID", "That is a folder. A sample is one file: drop a single file."));
      return;
    }
    const files = Array.from(e.dataTransfer.files);
    if (files.length !== 1) {
      setProblem(trouble("INPUT_INVALID", files.length === 0 ? "Nothing was dropped: drop one file." : `${files.length} files were dropped: drop one file, one sample.`));
      return;
    }
    void run({ file: files[0] });
  };

  const textHelp =
    encoding === "jsonl"
      ? "Paste one JSONL line exactly as it is in the file (no JSON re-formatting: the bytes are the sample)."
      : encoding === "csv"
        ? "Paste one CSV record exactly as it is in the file, not the header."
        : "The text is hashed as a file holding exactly these UTF-8 bytes.";

  return (
    <section className={`card ${styles.panel}`} aria-labelledby="prove-h" data-stage={stage}>
      <div className={styles.head}>
        <div>
          <h2 id="prove-h">Prove a sample</h2>
          <p className="muted small">
            Is this sample in dataset #{datasetId}? Your browser hashes it, fetches the shard index and one shard, builds a Merkle proof, and
            asks the contract. <strong>Nothing about the sample leaves this browser but its hash.</strong>
          </p>
        </div>
        <div className={styles.tabs} role="tablist">
          {(["file", "text", "hash"] as const).map((m) => (
            <button key={m} role="tab" aria-selected={mode === m} className={mode === m ? styles.tabOn : styles.tab} onClick={() => setMode(m)} type="button">
              {m === "file" ? "File" : m === "text" ? (encoding === "files" ? "Text" : "Record") : "Hash"}
            </button>
          ))}
        </div>
      </div>

      {mode === "file" ? (
        <div
          className={`${styles.drop} ${dragging ? styles.dropOn : ""}`}
          data-testid="dropzone"
          onDragOver={(e) => {
            e.preventDefault();
            setDragging(true);
          }}
          onDragLeave={() => setDragging(false)}
          onDrop={onDrop}
          onClick={() => !busy && fileInput.current?.click()}
          role="button"
          tabIndex={0}
          onKeyDown={(e) => (e.key === "Enter" || e.key === " ") && fileInput.current?.click()}
        >
          <div className={styles.dropIcon} aria-hidden>
            ⤓
          </div>
          <div>
            <strong>Drop a sample file here</strong> or click to choose one
          </div>
          <div className="muted small">
            {encoding === "files" ? "Any file: its bytes are the sample." : `A file holding one ${encoding === "jsonl" ? "JSONL line" : "CSV record"}; one final line ending is ignored.`}
          </div>
          <input
            ref={fileInput}
            type="file"
            hidden
            data-testid="sample-file"
            onChange={(e) => {
              const f = e.target.files?.[0];
              e.target.value = "";
              if (f) void run({ file: f });
            }}
          />
        </div>
      ) : mode === "text" ? (
        <form
          className={styles.form}
          onSubmit={(e) => {
            e.preventDefault();
            void run({ text });
          }}
        >
          <textarea rows={3} value={text} onChange={(e) => setText(e.target.value)} placeholder={encoding === "jsonl" ? '{"text": "…"}' : ""} spellCheck={false} className="mono" aria-label="Sample record" />
          <div className={styles.formRow}>
            <span className="muted small">{textHelp}</span>
            <button type="submit" disabled={busy}>
              Prove
            </button>
          </div>
        </form>
      ) : (
        <form
          className={styles.form}
          onSubmit={(e) => {
            e.preventDefault();
            void run({ hash: hashInput });
          }}
        >
          <div className={styles.formRow}>
            <input type="text" className="mono" value={hashInput} onChange={(e) => setHashInput(e.target.value)} placeholder="0x… (64 hex digits)" aria-label="Sample hash" spellCheck={false} />
            <button type="submit" disabled={busy}>
              Prove
            </button>
          </div>
          <span className="muted small">The SHA-256 of the sample&apos;s canonical bytes, e.g. from sha256sum.</span>
        </form>
      )}

      {busy ? (
        <div className={styles.status} aria-live="polite" data-testid="prove-status">
          <span>{stage === "hashing" ? "Hashing the sample in your browser…" : stage === "proving" ? "Fetching the shard and building the proof…" : "Asking the contract…"}</span>
          {stage === "hashing" && progress !== null ? (
            <div className="progress">
              <span style={{ width: `${Math.round(progress * 100)}%` }} />
            </div>
          ) : null}
        </div>
      ) : null}

      {problem ? <Notice trouble={problem} /> : null}
      {outcome ? <Verdict o={outcome} datasetId={datasetId} registry={registry} chainId={chainId} /> : null}
    </section>
  );
}

function Verdict({ o, datasetId, registry, chainId }: { o: Outcome; datasetId: string; registry: string; chainId: number }) {
  const valid = o.local && o.onChain;
  const p = o.proof;
  const inside = p.kind === "inclusion";
  const tone = !valid ? styles.rejected : inside ? styles.inside : styles.outside;
  const headline = !valid ? "Proof rejected" : inside ? "In the dataset" : "Not in the dataset";
  const where =
    p.kind === "inclusion"
      ? `It is leaf ${formatCount(p.index)} of ${formatCount(p.n)}, proven with ${p.siblings.length} sibling hashes.`
      : p.left && p.right
        ? `Its hash sorts between leaves ${formatCount(p.left.index)} and ${formatCount(p.right.index)}; both neighbours are proven and adjacent, so no leaf equals it.`
        : p.right
          ? "Its hash sorts before the first leaf, which is proven to be leaf 0."
          : `Its hash sorts after the last leaf, which is proven to be leaf ${formatCount(p.n - 1)}.`;
  const file = proofFileName(datasetId, o.sampleHash);
  const json = JSON.stringify(o.json, null, 2);
  const download = () => {
    const url = URL.createObjectURL(new Blob([`${json}\n`], { type: "application/json" }));
    const a = document.createElement("a");
    a.href = url;
    a.download = file;
    a.click();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  };
  return (
    <div className={styles.result} data-testid="verdict" data-kind={p.kind} data-valid={String(valid)}>
      <div className={`${styles.verdict} ${tone}`}>
        <div className={styles.verdictMark} aria-hidden>
          {!valid ? "✕" : inside ? "✓" : "∅"}
        </div>
        <div>
          <div className={styles.verdictTitle} data-testid="verdict-title">
            {headline}
          </div>
          <div>
            {o.label}: <code title={o.sampleHash}>{o.sampleHash}</code>
          </div>
          <div className={styles.verdictWhere}>{valid ? where : "The proof does not verify against the on-chain root."}</div>
        </div>
      </div>
      {o.warning ? <Notice tone="warn" trouble={{ code: "INPUT_INVALID", title: "One record per sample", detail: o.warning }} /> : null}
      <div className={styles.checks}>
        <span className={o.onChain ? "badge ok" : "badge bad"} data-testid="onchain">
          {o.onChain ? "✓" : "✕"} Contract {registry.slice(0, 6)}…{registry.slice(-4)} (chain {chainId}) says {o.onChain ? "valid" : "invalid"}
        </span>
        <span className={o.local ? "badge ok" : "badge bad"}>
          {o.local ? "✓" : "✕"} Library verifier in this browser says {o.local ? "valid" : "invalid"}
        </span>
      </div>
      <dl className={styles.timings} data-testid="timings" data-total-ms={Math.round(o.timings.total)}>
        <div>
          <dt>Hash</dt>
          <dd>{formatMs(o.timings.hash)}</dd>
        </div>
        <div>
          <dt>Storage</dt>
          <dd>
            {formatMs(o.timings.storage)}
            <span className="muted small">
              {" "}
              {o.reads === 0 ? "(shard cached)" : `${o.reads} read${o.reads === 1 ? "" : "s"}, ${formatBytes(o.bytesRead)}`}
            </span>
          </dd>
        </div>
        <div>
          <dt>Proof</dt>
          <dd>{formatMs(o.timings.prove)}</dd>
        </div>
        <div>
          <dt>Contract</dt>
          <dd>{formatMs(o.timings.chain)}</dd>
        </div>
        <div>
          <dt>Total</dt>
          <dd>
            <strong>{formatMs(o.timings.total)}</strong>
          </dd>
        </div>
      </dl>
      <div className={styles.cli}>
        <div className={styles.cliHead}>
          <h3>Re-check it yourself</h3>
          <button type="button" className="secondary" onClick={download} data-testid="download-proof">
            Download {file}
          </button>
        </div>
        <pre>
          {`# the saved proof, against the on-chain root, by the library and the contract\nprovenant verify-proof ${file} --dataset ${datasetId}${NETWORK_FLAG[chainId] ?? ""}\n\n# or prove the sample from scratch\n${o.cli}`}
        </pre>
        <details>
          <summary>The proof ({o.json.kind}, provenant-proof-v1)</summary>
          <pre data-testid="proof-json">{json}</pre>
        </details>
      </div>
    </div>
  );
}
