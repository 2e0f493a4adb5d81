import { CopyButton } from "../../../_components/copy-button.tsx";
import { Hex } from "../../../_components/hex.tsx";
import { Notice } from "../../../_components/notice.tsx";
import type { CliTarget } from "../../../_lib/cli-target.ts";
import { formatBytes, formatCount, formatMs } from "../../../_lib/format.ts";
import styles from "./prove-panel.module.css";
import { RecordProof } from "./prove-record.tsx";
import type { ProveOutcome } from "./use-prove-sample.ts";

/**
 * The prove panel's verdict: in, out or rejected, where the sample sits among the leaves, both verifiers'
 * answers, the time each stage took, and the proof to download with the commands that re-check it.
 */

function proofFileName(datasetId: string, sampleHash: string) {
  return `proof-${datasetId}-${sampleHash.slice(2, 10)}.json`;
}

/** The verdict in words: the headline and where the sample sits (shown, and announced by the panel). */
export function verdictWords(o: ProveOutcome): { valid: boolean; headline: string; where: string } {
  const valid = o.local && o.onChain;
  const p = o.proof;
  const headline = !valid ? "Proof rejected" : p.kind === "inclusion" ? "In the dataset" : "Not in the dataset";
  const where = !valid
    ? "The proof does not verify against the on-chain root."
    : p.kind === "inclusion"
      ? `It is leaf ${formatCount(p.index)} of ${formatCount(p.n)}, proven with ${p.siblings.length} sibling hashes.`
      : p.left && p.right
        ? `Its hash sorts between leaves ${formatCount(p.left.index)} and ${formatCount(p.right.index)}; both neighbours are proven and adjacent, so no leaf equals it.`
        : p.right
          ? "Its hash sorts before the first leaf, which is proven to be leaf 0."
          : `Its hash sorts after the last leaf, which is proven to be leaf ${formatCount(p.n - 1)}.`;
  return { valid, headline, where };
}

export function ProveVerdict({ o, datasetId, registry, chainId, cli }: { o: ProveOutcome; datasetId: string; registry: string; chainId: number; cli: CliTarget }) {
  const { valid, headline, where } = verdictWords(o);
  const p = o.proof;
  const inside = p.kind === "inclusion";
  const tone = !valid ? styles.rejected : inside ? styles.inside : styles.outside;
  const file = proofFileName(datasetId, o.sampleHash);
  const json = JSON.stringify(o.json, null, 2);
  const commands = `# the saved proof, against the on-chain root, by the library and the contract\n${cli.prefix}provenant verify-proof ${file} --dataset ${datasetId}${cli.flags}\n\n# or prove the sample from scratch\n${o.cli}`;
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
            {o.label}: <Hex value={o.sampleHash} full />
          </div>
          <div className={styles.verdictWhere}>{where}</div>
        </div>
      </div>
      {o.warning ? <Notice tone="warn" trouble={{ code: "INPUT_INVALID", title: "About this sample", detail: o.warning }} /> : null}
      <div className={styles.checks}>
        <span className={o.onChain ? "badge ok" : "badge bad"} data-testid="onchain">
          {o.onChain ? "✓" : "✕"} Contract <Hex value={registry} head={6} tail={4} copy={false} /> (chain {chainId}) says {o.onChain ? "valid" : "invalid"}
        </span>
        <span className={o.local ? "badge ok" : "badge bad"}>
          {o.local ? "✓" : "✕"} Library verifier in this browser says {o.local ? "valid" : "invalid"}
        </span>
      </div>
      {valid ? <RecordProof proof={o.proof} datasetId={datasetId} registry={registry} chainId={chainId} /> : null}
      <dl className={styles.timings} data-testid="timings" data-total-ms={Math.round(o.timings.total)}>
        <div>
          <dt>Hash</dt>
          <dd>{formatMs(o.timings.hash)}</dd>
        </div>
        <div>
          <dt>Storage</dt>
          <dd>
            {formatMs(o.timings.storage)}
            <span className="muted small"> {o.reads === 0 ? "(shard cached)" : `${o.reads} read${o.reads === 1 ? "" : "s"}, ${formatBytes(o.bytesRead)}`}</span>
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
        <pre data-testid="recheck-commands">{commands}</pre>
        <CopyButton value={commands} label="Copy the commands" />
        <details>
          <summary>The proof ({o.json.kind}, provenant-proof-v1)</summary>
          <pre data-testid="proof-json">{json}</pre>
        </details>
      </div>
    </div>
  );
}
