"use client";

import { useEffect, useState } from "react";
import { isContainerEncoding } from "../../../../core/dataset/encoding-table.ts";
import { Notice } from "../../../_components/notice.tsx";
import { TabList, TabPanel, type TabItem } from "../../../_components/tabs.tsx";
import { containerTabs, ProveContainerInput } from "./prove-container-input.tsx";
import { ProveFileInput } from "./prove-file-input.tsx";
import { ProveHashInput } from "./prove-hash-input.tsx";
import { ProveTextInput } from "./prove-text-input.tsx";
import { ProveVerdict, verdictWords } from "./prove-verdict.tsx";
import { useProveSample, type ProveTarget } from "./use-prove-sample.ts";
import styles from "./prove-panel.module.css";

/**
 * "Prove a sample": the sample is hashed here (a worker for files), the prover reads the manifest, the shard
 * index and the one shard the hash falls in from the gateway, builds the merkle-v1 proof with the library,
 * and the contract's view function gives the verdict. Only the hash leaves the browser. The run is
 * use-prove-sample.ts; the inputs are prove-*-input.tsx; the verdict is prove-verdict.tsx.
 */

type Mode = "file" | "text" | "hash";

export interface ProvePanelProps extends ProveTarget {
  /** A sample hash to prove on arrival (a search result's link). */
  initialHash: string | null;
}

const STAGE_WORDS = {
  hashing: "Hashing the sample in your browser…",
  proving: "Fetching the shard and building the proof…",
  checking: "Asking the contract…",
} as const;

/** What a screen reader hears when the verdict arrives: the headline and where the sample sits. */
function announcement(o: Parameters<typeof verdictWords>[0]): string {
  const { headline, where } = verdictWords(o);
  return `${headline}. ${where}`;
}

/** The input modes: file, record or text, hash; a WebDataset or Parquet dataset's own (prove-container-input.tsx). */
function modeTabs(encoding: ProvePanelProps["encoding"]): TabItem<Mode>[] {
  if (isContainerEncoding(encoding)) return containerTabs(encoding);
  return [
    { key: "file", label: "File" },
    { key: "text", label: encoding === "files" ? "Text" : "Record" },
    { key: "hash", label: "Hash" },
  ];
}

export function ProvePanel(props: ProvePanelProps) {
  const { datasetId, chainId, registry, encoding, initialHash, cli } = props;
  const { stage, busy, progress, outcome, problem, setProblem, run } = useProveSample(props);
  const [mode, setMode] = useState<Mode>(initialHash ? "hash" : "file");
  const [text, setText] = useState("");
  const [hashInput, setHashInput] = useState(initialHash ?? "");
  const tabs = modeTabs(encoding);

  useEffect(() => {
    // Only on arrival from a search link: start the proof it asks for, network work an effect is for (run shows its stages).
    if (initialHash && !props.storageTrouble) void run({ hash: initialHash });
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  return (
    <section className={`card ${styles.panel}`} aria-labelledby="prove-h" data-stage={stage}>
      <div className={styles.head}>
        <div>
          <h2 id="prove-h">Prove a sample</h2>
          <p className="muted small">
            Is this sample in dataset #{datasetId}? Your browser hashes it, fetches the shard index and one shard, builds a Merkle proof, and asks the contract.{" "}
            <strong>Nothing about the sample leaves this browser but its hash.</strong>
          </p>
        </div>
        <TabList id="prove" label="How to give the sample" items={tabs} selected={mode} onSelect={setMode} />
      </div>

      <TabPanel id="prove" selected={mode}>
        {mode === "hash" ? (
          <ProveHashInput busy={busy} value={hashInput} onChange={setHashInput} onSubmit={(h) => void run({ hash: h })} />
        ) : isContainerEncoding(encoding) ? (
          <ProveContainerInput encoding={encoding} mode={mode} busy={busy} onSource={(container) => void run({ container })} />
        ) : mode === "file" ? (
          <ProveFileInput encoding={encoding} busy={busy} onFile={(file) => void run({ file })} onProblem={setProblem} />
        ) : (
          <ProveTextInput encoding={encoding} busy={busy} value={text} onChange={setText} onSubmit={(t) => void run({ text: t })} />
        )}
      </TabPanel>

      {busy ? (
        <div className={styles.status} data-testid="prove-status">
          <span>{STAGE_WORDS[stage as keyof typeof STAGE_WORDS]}</span>
          {stage === "hashing" && progress !== null ? (
            <div className="progress">
              <span style={{ width: `${Math.round(progress * 100)}%` }} />
            </div>
          ) : null}
        </div>
      ) : null}

      {/* One live region, there from the start (a region added with its text is often not read): the stage, then the verdict. */}
      <p className="visually-hidden" role="status" aria-live="polite" data-testid="prove-announce">
        {busy ? STAGE_WORDS[stage as keyof typeof STAGE_WORDS] : outcome ? announcement(outcome) : ""}
      </p>
      {problem ? <Notice trouble={problem} /> : null}
      {outcome ? <ProveVerdict o={outcome} datasetId={datasetId} registry={registry} chainId={chainId} cli={cli} /> : null}
    </section>
  );
}
