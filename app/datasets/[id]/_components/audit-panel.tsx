"use client";

import { useState } from "react";
import { DatasetRegistryClient } from "../../../../core/chain/dataset-registry.ts";
import { auditStoredDataset, type AuditReport } from "../../../../core/dataset/audit.ts";
import { Notice } from "../../../_components/notice.tsx";
import { toTrouble, type Trouble } from "../../../_lib/errors.ts";
import { formatCount } from "../../../_lib/format.ts";
import { GatewayStore } from "../../../../core/storage/gateway-client.ts";
import { appRpc } from "../../../_lib/app-rpc.ts";
import type { CliTarget } from "../../../_lib/cli-target.ts";
import styles from "./audit-panel.module.css";

/**
 * "Audit this dataset": the same audit as `provenant dataset audit` (core/dataset/audit.ts), in the browser. The
 * record comes from the contract, every shard is streamed once through the verifying gateway reader (nothing
 * kept), and the page shows what it found. Proving a violation on-chain is left to the CLI's --report.
 */

export interface AuditPanelProps {
  datasetId: string;
  chainId: number;
  registry: string;
  gateway: string;
  /** What a copied command needs to reach this chain and deployment (app/_lib/server/cli-target.ts). */
  cli: CliTarget;
}

export function AuditPanel({ datasetId, chainId, registry, gateway, cli }: AuditPanelProps) {
  const [running, setRunning] = useState(false);
  const [progress, setProgress] = useState<{ done: number; total: number } | null>(null);
  const [report, setReport] = useState<AuditReport | null>(null);
  const [problem, setProblem] = useState<Trouble | null>(null);

  const run = async () => {
    setRunning(true);
    setReport(null);
    setProblem(null);
    try {
      const record = await new DatasetRegistryClient(registry, appRpc(chainId), chainId).storedRecord(BigInt(datasetId));
      setProgress({ done: 0, total: record.n });
      const { report: found } = await auditStoredDataset(record, new GatewayStore(gateway, { cache: false }), {
        onProgress: (done, total) => setProgress({ done, total }),
      });
      setReport(found);
    } catch (e) {
      setProblem(toTrouble(e));
    } finally {
      setRunning(false);
    }
  };

  return (
    <section className={`card ${styles.panel}`} aria-labelledby="audit-h">
      <div className={styles.head}>
        <div>
          <h2 id="audit-h">Audit this dataset</h2>
          <p className="muted small">
            A proof reads one shard; an audit reads them all. Your browser streams every shard from storage and checks that each leaf is below the next (exclusion proofs
            rest on that), that every shard matches the shard index, and that the index matches the on-chain root.
          </p>
        </div>
        <button type="button" onClick={() => void run()} disabled={running} data-testid="audit-button">
          {running ? "Auditing…" : "Audit this dataset"}
        </button>
      </div>

      {progress && (running || report) ? (
        <div className={styles.status} aria-live="polite" data-testid="audit-progress" data-done={progress.done} data-total={progress.total}>
          <span className="small">
            {formatCount(progress.done)} of {formatCount(progress.total)} leaves checked
          </span>
          <div className="progress">
            <span style={{ width: `${progress.total ? Math.round((progress.done / progress.total) * 100) : 0}%` }} />
          </div>
        </div>
      ) : null}

      {problem ? <Notice trouble={problem} /> : null}
      {report ? <Findings report={report} cli={cli} /> : null}
    </section>
  );
}

function Findings({ report: r, cli }: { report: AuditReport; cli: CliTarget }) {
  return (
    <div className={styles.result} data-testid="audit-result" data-sound={String(r.sound)}>
      {r.sound ? (
        <p className={styles.sound}>
          ✓ Sound: all {formatCount(r.n)} leaves are strictly increasing across {r.shardCount} shard{r.shardCount === 1 ? "" : "s"}, every shard matches the index, and
          the index matches the on-chain root.
        </p>
      ) : (
        <p className={styles.unsound}>✕ Unsound: this dataset is not the merkle-v1 commitment it claims to be.</p>
      )}
      {r.problems.length || r.violations.length ? (
        <ul className={styles.findings}>
          {r.problems.map((p, i) => (
            <li key={`p${i}`} data-testid="audit-problem" data-code={p.code}>
              {p.message}
            </li>
          ))}
          {r.violations.map((v) => (
            <li key={`v${v.index}`} data-testid="audit-violation" data-index={v.index}>
              Leaves {formatCount(v.index)} and {formatCount(v.index + 1)} are out of order: <code>{v.left}</code> is not below <code>{v.right}</code>.
            </li>
          ))}
          {r.violationCount > r.violations.length ? <li>… and {formatCount(r.violationCount - r.violations.length)} more pairs out of order.</li> : null}
        </ul>
      ) : null}
      {r.violationCount > 0 && !r.flaggedOnChain ? (
        <div data-testid="audit-report-hint">
          <p className="small">Not yet flagged on-chain. Anyone can prove the first pair to the contract, which then disables the dataset&apos;s exclusion proofs:</p>
          <pre>{`${cli.prefix}provenant dataset audit ${r.datasetId} --report${cli.flags}`}</pre>
        </div>
      ) : null}
      {r.flaggedOnChain ? <p className="small">Already flagged misordered on-chain: its exclusion proofs are disabled.</p> : null}
    </div>
  );
}
