import type { ReactNode } from "react";
import { ZeroAddress } from "ethers";
import type { TokenHistory } from "../../core/chain/token-history.ts";
import { formatUtc } from "../_lib/format.ts";
import { Hex, shortAddress } from "./hex.tsx";
import styles from "./token-history.module.css";

/**
 * A token as a block explorer shows it: the mint transaction and block, the current owner and every transfer,
 * read from the registry's events (core/chain/token-history.ts); `children` add the page's own history
 * (a dataset's versions, a model's descendants). Collapsed behind a one-line gist so the page stays short.
 */
export function TokenHistoryCard({ history, mintEvent, children }: { history: TokenHistory; mintEvent: string; children?: ReactNode }) {
  const { mint, owner, transfers } = history;
  const moves = transfers.filter((t) => t.from !== ZeroAddress);
  return (
    <details className={`card ${styles.panel}`} data-testid="token-history">
      <summary>
        <h2>Token and history</h2>
        <span className={styles.gist}>
          minted in block {mint.blockNumber}, owner {shortAddress(owner)}, {moves.length} transfer{moves.length === 1 ? "" : "s"}
        </span>
      </summary>
      <table className="kv">
        <tbody>
          <tr>
            <th>Mint transaction</th>
            <td data-testid="mint-tx" data-tx={mint.txHash}>
              <Hex value={mint.txHash} full />
              <div className="muted small">the {mintEvent} event and the Transfer from the zero address</div>
            </td>
          </tr>
          <tr>
            <th>Mint block</th>
            <td data-testid="mint-block" data-block={mint.blockNumber}>
              {mint.blockNumber}, {formatUtc(mint.timestamp)}
            </td>
          </tr>
          <tr>
            <th>Owner</th>
            <td data-testid="owner" data-owner={owner}>
              <Hex value={owner} full />
            </td>
          </tr>
        </tbody>
      </table>
      <div className={styles.section}>
        <h3>Transfers</h3>
        <ol className={styles.list} data-testid="transfers">
          {transfers.map((t) => (
            <li key={`${t.txHash}-${t.from}-${t.to}`} data-from={t.from} data-to={t.to} data-block={t.blockNumber} data-tx={t.txHash}>
              <span className="muted">block {t.blockNumber}:</span> {t.from === ZeroAddress ? "minted" : <Hex value={t.from} />} → <Hex value={t.to} />, tx{" "}
              <Hex value={t.txHash} />
            </li>
          ))}
        </ol>
      </div>
      {children}
    </details>
  );
}

/** A titled part of the history card (versions, descendants). */
export function HistorySection({ title, testId, children }: { title: string; testId: string; children: ReactNode }) {
  return (
    <div className={styles.section} data-testid={testId}>
      <h3>{title}</h3>
      {children}
    </div>
  );
}

export const historyListClass = styles.list;
