import Link from "next/link";
import type { RecordedProof } from "../../../../core/chain/token-history.ts";
import { Hex } from "../../../_components/hex.tsx";
import { formatCount } from "../../../_lib/format.ts";
import styles from "./token-sections.module.css";

/**
 * The proofs recorded on-chain against this dataset (InclusionRecorded / ExclusionRecorded): citable by block
 * and transaction. Each hash opens the prove panel on it, to prove it again here.
 */
export function RecordedProofs({ datasetId, proofs }: { datasetId: string; proofs: RecordedProof[] }) {
  return (
    <section className="card" aria-labelledby="recorded-h" data-testid="recorded-proofs" data-count={proofs.length}>
      <h2 id="recorded-h">Recorded proofs</h2>
      {proofs.length === 0 ? (
        <p className="muted small">None yet: a proof recorded on-chain (the prove panel&apos;s record button, or provenant prove --record) is listed here.</p>
      ) : (
        <ol className={styles.list}>
          {proofs.map((p) => (
            <li
              key={`${p.txHash}-${p.sampleHash}`}
              data-kind={p.kind}
              data-hash={p.sampleHash}
              data-index={p.index ?? ""}
              data-recorder={p.recorder}
              data-block={p.blockNumber}
              data-tx={p.txHash}
            >
              <span className={p.kind === "inclusion" ? "badge ok" : "badge plain"}>{p.kind === "inclusion" ? "in" : "not in"}</span>{" "}
              <Link
                href={`/datasets/${datasetId}?hash=${p.sampleHash}#prove-h`}
                className="mono small"
                title="Prove this hash again in the panel above"
                data-testid="proof-hash"
              >
                {p.sampleHash}
              </Link>
              <div className="small muted">
                {p.kind === "inclusion" ? `leaf ${formatCount(p.index!)}, ` : "absent, "}
                recorded by <Hex value={p.recorder} /> in block {p.blockNumber}, tx <Hex value={p.txHash} />
              </div>
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}
