"use client";

import { useState } from "react";
import { Notice } from "./notice.tsx";
import { useWallets } from "./providers.tsx";
import { toTrouble, trouble, type Trouble } from "../_lib/errors.ts";
import { chainLabel } from "../../core/chain/networks.ts";
import styles from "./wallet-picker.module.css";

/**
 * The wallets EIP-6963 found (plus the local node's accounts on a development chain), and the connected one.
 * `then` says what the wallet is for once on the right network ("mint", "record the proof").
 */
export function WalletPicker({ then = "mint" }: { then?: string }) {
  const { app, options, connected, connect, disconnect, switchChain } = useWallets();
  const [problem, setProblem] = useState<Trouble | null>(null);
  const [busy, setBusy] = useState<string | null>(null);

  if (connected) {
    const wrong = app.chainId !== null && connected.chainId !== app.chainId;
    return (
      <div className={styles.wallet}>
        <div className={styles.connected} data-testid="wallet-connected">
          <span className="badge ok">Connected</span> {connected.option.name} <code>{connected.account}</code>
          <button type="button" className="link" onClick={disconnect}>
            change
          </button>
        </div>
        {wrong ? (
          <>
            <Notice
              tone="warn"
              trouble={trouble(
                "WRONG_NETWORK",
                `Your wallet is on ${chainLabel(connected.chainId)}; this app's registry is on ${chainLabel(app.chainId!)}.`,
                `Switch the wallet's network, then ${then}.`,
              )}
            />
            <button
              type="button"
              className="secondary"
              onClick={() =>
                switchChain().catch((e) =>
                  setProblem(
                    toTrouble(e).code === "WALLET_REJECTED"
                      ? toTrouble(e)
                      : trouble("WRONG_NETWORK", `The wallet could not switch to chain ${app.chainId}: add the network in the wallet first.`),
                  ),
                )
              }
            >
              Switch to {app.chainName}
            </button>
          </>
        ) : null}
        {problem ? <Notice trouble={problem} /> : null}
      </div>
    );
  }

  return (
    <div className={styles.wallet}>
      {options.length === 0 ? (
        <Notice trouble={trouble("NO_WALLET", "This browser has no Ethereum wallet extension, and this chain offers no local accounts.")} />
      ) : (
        <div className={styles.walletList} data-testid="wallets">
          {options.map((w) => (
            <button
              key={w.id}
              type="button"
              className="secondary"
              disabled={busy !== null}
              data-wallet={w.kind}
              onClick={async () => {
                setProblem(null);
                setBusy(w.id);
                try {
                  await connect(w);
                } catch (e) {
                  setProblem(toTrouble(e));
                } finally {
                  setBusy(null);
                }
              }}
            >
              {w.icon ? <img src={w.icon} alt="" width={18} height={18} /> : <span aria-hidden>◇</span>}
              {busy === w.id ? "Connecting…" : `Connect ${w.name}`}
            </button>
          ))}
        </div>
      )}
      {options.some((w) => w.kind === "local") ? (
        <p className="muted small">“Local node account” signs with the development node&apos;s own unlocked account: it exists only on a local chain.</p>
      ) : null}
      {problem ? <Notice trouble={problem} /> : null}
    </div>
  );
}
