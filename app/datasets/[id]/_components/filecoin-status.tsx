import type { DatasetObjectStatus } from "../../../../core/dataset/filecoin-status.ts";
import { CidLink } from "../../../_components/hex.tsx";
import { Notice } from "../../../_components/notice.tsx";
import { toTrouble } from "../../../_lib/errors.ts";
import { datasetStorage, type DatasetStorage } from "../../../_lib/server/storage.ts";
import styles from "./token-sections.module.css";

/**
 * The dataset's storage on Filecoin, as the app's own store sees it: with Lighthouse, the deals and PoDSI of the
 * manifest, the shard index and the first shards (core/dataset/filecoin-status.ts, what `provenant storage
 * status` prints); with the local store, that nothing is on Filecoin. An async server component: the page
 * streams while Lighthouse answers.
 */
export async function FilecoinStatusCard({ manifestCid }: { manifestCid: string }) {
  let storage: DatasetStorage;
  try {
    storage = await datasetStorage(manifestCid);
  } catch (e) {
    return (
      <section className="card" aria-labelledby="filecoin-h" data-testid="filecoin" data-store="unknown">
        <h2 id="filecoin-h">Filecoin storage</h2>
        <Notice trouble={toTrouble(e)} />
      </section>
    );
  }
  return (
    <section className="card" aria-labelledby="filecoin-h" data-testid="filecoin" data-store={storage.kind}>
      <h2 id="filecoin-h">Filecoin storage</h2>
      {storage.status === null ? (
        <p className="small" data-testid="filecoin-none">
          {storage.kind} store: not on Filecoin. This app keeps what it stores in its own {storage.kind} store; a dataset stored through Lighthouse shows its deals here.
        </p>
      ) : (
        <>
          <p className="muted small">
            Deals and proofs of data-segment inclusion (PoDSI, {storage.podsiNetwork}) as Lighthouse reports them for each stored object.
            {storage.status.shardsNotShown > 0
              ? ` The first ${storage.status.shardCount - storage.status.shardsNotShown} of ${storage.status.shardCount} shards are shown.`
              : ""}
          </p>
          <ul className={styles.objects}>
            {storage.status.objects.map((o) => (
              <ObjectRow key={`${o.role}-${o.cid}`} o={o} />
            ))}
          </ul>
        </>
      )}
    </section>
  );
}

function ObjectRow({ o }: { o: DatasetObjectStatus }) {
  const s = o.status;
  const name = o.role === "shard" ? `shard ${o.shard}` : o.role === "index" ? "shard index" : "manifest";
  const podsi = s?.podsi?.deals.length ? s.podsi : null;
  return (
    <li
      data-role={o.role}
      data-cid={o.cid}
      data-deals={s?.deals.length ?? ""}
      data-onchain={s?.onChainDeals ?? ""}
      data-sealed={s ? String(s.sealed) : ""}
      data-podsi={podsi ? "yes" : "no"}
    >
      <strong>{name}</strong> <CidLink cid={o.cid} />
      <div className="small">
        {o.problem ? (
          <span className="muted">Lighthouse could not be asked: {o.problem}</span>
        ) : s!.deals.length === 0 ? (
          <span className="muted">no deals yet: Lighthouse packs uploads into aggregates and makes deals within hours to a day</span>
        ) : (
          <>
            {s!.deals.length} deal{s!.deals.length === 1 ? "" : "s"}, {s!.onChainDeals} published on chain{s!.sealed ? ", sealed and proving" : ""}:{" "}
            {s!.deals.map((d, i) => (
              <span key={`${d.dealUuid ?? i}-${d.provider}`} data-testid="deal" data-deal={d.chainDealId ?? ""} data-provider={d.provider ?? ""}>
                {i > 0 ? "; " : ""}
                {d.provider ?? "?"} deal {d.chainDealId ?? "unpublished"} ({d.status ?? "status unknown"})
              </span>
            ))}
          </>
        )}
      </div>
      {s ? (
        <div className="small muted" data-testid="podsi">
          {podsi
            ? `PoDSI: piece ${podsi.pieceCid ?? "?"} in ${podsi.deals.map((d) => `deal ${d.dealId ?? "?"} with ${d.storageProvider ?? "?"}`).join(", ")}`
            : "PoDSI: none yet (Lighthouse issues it once the aggregate's deal is made)"}
        </div>
      ) : null}
    </li>
  );
}
