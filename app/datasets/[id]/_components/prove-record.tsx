"use client";

import { useState } from "react";
import { DatasetRegistryClient } from "../../../../core/chain/dataset-registry.ts";
import type { TxResult } from "../../../../core/chain/registry-client.ts";
import type { Proof } from "../../../../core/dataset/prover.ts";
import { Hex } from "../../../_components/hex.tsx";
import { Notice } from "../../../_components/notice.tsx";
import { useWallets } from "../../../_components/providers.tsx";
import { WalletPicker } from "../../../_components/wallet-picker.tsx";
import { appRpc, signerOf } from "../../../_lib/app-rpc.ts";
import { toTrouble, type Trouble } from "../../../_lib/errors.ts";
import { formatCount } from "../../../_lib/format.ts";
import styles from "./prove-panel.module.css";

/**
 * "Record this proof on-chain": the verdict's proof sent from the connected wallet to DatasetRegistry's
 * recordInclusion or recordExclusion (DatasetRegistryClient.recordProof, the call `provenant prove --record`
 * makes), which checks it again and emits InclusionRecorded or ExclusionRecorded naming the sender, so the
 * proof can be cited by block and transaction. The first press offers the wallets (the mint page's picker).
 */
export function RecordProof({ proof, datasetId, registry, chainId }: { proof: Proof; datasetId: string; registry: string; chainId: number }) {
  const { connected } = useWallets();
  const [picking, setPicking] = useState(false);
  const [sending, setSending] = useState(false);
  const [recorded, setRecorded] = useState<TxResult | null>(null);
  const [problem, setProblem] = useState<Trouble | null>(null);
  const ready = connected !== null && connected.chainId === chainId;
  const what = proof.kind === "inclusion" ? "inclusion" : "exclusion";

  const send = async () => {
    if (!connected) return;
    setProblem(null);
    setSending(true);
    try {
      const signer = await signerOf(connected.option.provider, connected.account);
      const client = new DatasetRegistryClient(registry, appRpc(chainId), chainId).withSigner(signer);
      setRecorded(await client.recordProof(BigInt(datasetId), proof));
    } catch (e) {
      setProblem(toTrouble(e));
    } finally {
      setSending(false);
    }
  };

  if (recorded) {
    return (
      <div className={styles.record} data-testid="recorded" data-tx={recorded.txHash} data-block={recorded.blockNumber} role="status">
        <span className="badge ok">✓ Recorded</span> The {what} is on-chain: block {formatCount(recorded.blockNumber)}, transaction <Hex value={recorded.txHash} />
      </div>
    );
  }
  return (
    <div className={styles.record} data-testid="record-proof">
      {picking || connected ? <WalletPicker then="record the proof" /> : null}
      <div className={styles.recordRow}>
        <button
          type="button"
          className="secondary"
          disabled={sending || (picking && !ready)}
          onClick={() => (ready ? void send() : setPicking(true))}
          data-testid="record-button"
        >
          {sending ? "Confirm in your wallet…" : "Record this proof on-chain"}
        </button>
        <span className="muted small">
          {picking && !connected
            ? "Connect a wallet, then record."
            : `A transaction from your wallet: the contract checks the proof again and logs the ${what} with your address, to cite by block and transaction.`}
        </span>
      </div>
      {problem ? <Notice trouble={problem} /> : null}
    </div>
  );
}
