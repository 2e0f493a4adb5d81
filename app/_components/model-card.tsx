import Link from "next/link";
import { provenanceWords } from "../../core/attestor/attestation.ts";
import type { ModelCard as Card } from "../_lib/server/models.ts";
import { Hex, shortAddress } from "./hex.tsx";
import styles from "./dataset-card.module.css";

export function ModelCard({ m }: { m: Card }) {
  const p = provenanceWords(m.provenance, m.attestation);
  return (
    <Link href={`/models/${m.id}`} className={`card ${styles.card}`} data-model-id={m.id}>
      <div className={styles.top}>
        <span className={styles.id}>Model #{m.id}</span>
        <span className={`badge ${p.tone}`} title={p.sentence} data-testid="provenance-badge" data-provenance={p.value}>
          {p.badge}
        </span>
        {m.license ? <span className="badge">{m.license}</span> : null}
      </div>
      <h3 className={m.manifest ? styles.name : `${styles.name} muted`}>
        {m.manifest ? `${m.manifest.record.name} ${m.manifest.record.version}` : "Manifest unavailable"}
      </h3>
      <p className={styles.desc}>{m.manifest?.description ?? ""}</p>
      {m.provenance === "attested" && !p.attested ? <p className="small">{p.sentence}</p> : null}
      <dl className={styles.facts}>
        <div>
          <dt>Weights</dt>
          <dd>
            <Hex value={m.weightsDigest} head={8} tail={6} copy={false} />
          </dd>
        </div>
        <div>
          <dt>Registrant</dt>
          <dd className="mono">{shortAddress(m.registrant)}</dd>
        </div>
      </dl>
      <div className={`${styles.foot} small muted`}>block {m.blockNumber}</div>
    </Link>
  );
}
