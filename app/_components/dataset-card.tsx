import Link from "next/link";
import type { DatasetCard as Card } from "../_lib/server/datasets.ts";
import { ENCODING_LABEL, formatCount, timeAgo } from "../_lib/format.ts";
import { Hex, shortAddress } from "./hex.tsx";
import styles from "./dataset-card.module.css";

export function DatasetCard({ d }: { d: Card }) {
  const name = d.manifest?.name || (d.manifestTrouble ? "Manifest unavailable" : "Untitled dataset");
  return (
    <Link href={`/datasets/${d.id}`} className={`card ${styles.card}`} data-dataset-id={d.id}>
      <div className={styles.top}>
        <span className={styles.id}>#{d.id}</span>
        <span className="badge plain">{ENCODING_LABEL[d.encoding] ?? d.encoding}</span>
        {d.license ? <span className="badge">{d.license}</span> : null}
      </div>
      <h3 className={d.manifest ? styles.name : `${styles.name} muted`}>{name}</h3>
      {d.manifest?.description ? <p className={styles.desc}>{d.manifest.description}</p> : <p className={styles.desc} />}
      <dl className={styles.facts}>
        <div>
          <dt>Samples</dt>
          <dd>{formatCount(d.n)}</dd>
        </div>
        <div>
          <dt>Root</dt>
          <dd>
            <Hex value={d.root} head={8} tail={6} copy={false} />
          </dd>
        </div>
        <div>
          <dt>Publisher</dt>
          <dd className="mono">{shortAddress(d.publisher)}</dd>
        </div>
      </dl>
      <div className={`${styles.foot} small muted`}>
        {d.timestamp ? timeAgo(d.timestamp) : `block ${d.blockNumber}`}
        {d.previousVersion ? ` · supersedes #${d.previousVersion}` : ""}
      </div>
    </Link>
  );
}
