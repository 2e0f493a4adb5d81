import type { Metadata } from "next";
import Link from "next/link";
import { redirect } from "next/navigation";
import { DatasetCard } from "../_components/dataset-card.tsx";
import { ModelCard } from "../_components/model-card.tsx";
import type { ModelCard as ModelCardData } from "../_lib/server/models.ts";
import { Notice } from "../_components/notice.tsx";
import { SearchForm } from "../_components/search-form.tsx";
import { toTrouble } from "../_lib/errors.ts";
import { formatCount } from "../_lib/format.ts";
import { classify, search, type SearchResult } from "../_lib/server/search.ts";
import styles from "./search.module.css";

export const metadata: Metadata = { title: "Search" };

function ModelMatches({ models, as }: { models: ModelCardData[]; as?: (m: ModelCardData) => string }) {
  if (models.length === 0) return null;
  return (
    <div className={styles.grid} data-testid="model-results">
      {models.map((m) => (
        <div key={m.id}>
          {as ? <p className="small muted">{as(m)}</p> : null}
          <ModelCard m={m} />
        </div>
      ))}
    </div>
  );
}

function Results({ r }: { r: SearchResult }) {
  if (r.kind === "empty" || r.kind === "token") return null;
  if (r.kind === "name") {
    const nothing = r.datasets.length === 0 && r.models.length === 0;
    return (
      <section data-testid="name-results">
        <h2>Named like “{r.q}”</h2>
        <p className="muted small">
          Looked through the names of the {formatCount(r.scope)} newest of {formatCount(r.total)} datasets and the newest models. A token id (1, 2, …), a SHA-256 (64 hex
          digits, with or without 0x) or a CID (bafy…, Qm…) is looked up as such.
        </p>
        {nothing ? <p>No dataset or model among them has this in its name.</p> : null}
        {r.datasets.length > 0 ? (
          <>
            <h3 className={styles.h3}>Datasets</h3>
            <div className={styles.grid}>
              {r.datasets.map((d) => (
                <DatasetCard key={d.id} d={d} />
              ))}
            </div>
          </>
        ) : null}
        {r.models.length > 0 ? (
          <>
            <h3 className={styles.h3}>Models</h3>
            <ModelMatches models={r.models} />
          </>
        ) : null}
      </section>
    );
  }
  if (r.kind === "cid") {
    const asOf = new Map(r.models.map((m) => [m.model.id, m.as]));
    return (
      <section data-testid="cid-results">
        <h2>CID {r.cid.slice(0, 16)}…</h2>
        <p className="muted small">
          Looked through the {formatCount(r.scope)} newest of {formatCount(r.total)} datasets for a manifest or shard index with this CID, and the newest models for a
          manifest or training certificate.
        </p>
        {r.matches.length === 0 && r.models.length === 0 ? (
          <p>No dataset or model among them uses this CID.</p>
        ) : (
          <div className={styles.grid}>
            {r.matches.map((m) => (
              <div key={m.dataset.id}>
                <p className="small muted">as its {m.as}</p>
                <DatasetCard d={m.dataset} />
              </div>
            ))}
          </div>
        )}
        <ModelMatches models={r.models.map((m) => m.model)} as={(m) => `as its ${asOf.get(m.id)}`} />
      </section>
    );
  }
  const inside = r.members.filter((m) => m.inside === true);
  const outside = r.members.filter((m) => m.inside === false);
  const failed = r.members.filter((m) => m.inside === null);
  return (
    <section data-testid="hash-results">
      <h2 className="mono">{r.hash}</h2>
      {r.roots.length > 0 ? (
        <>
          <h3>Datasets with this Merkle root</h3>
          <div className={styles.grid}>
            {r.roots.map((d) => (
              <DatasetCard key={d.id} d={d} />
            ))}
          </div>
        </>
      ) : null}
      {r.models.length > 0 ? (
        <>
          <h3>Models with these weights</h3>
          <ModelMatches models={r.models} as={() => "its weights digest"} />
        </>
      ) : null}
      <h3 className={styles.h3}>As a sample hash</h3>
      <p className="muted small">
        Checked against the {formatCount(r.scope)} newest of {formatCount(r.total)} datasets by the app&apos;s server. Open one to prove it in your own browser and have
        the contract confirm.
      </p>
      <ul className={styles.members}>
        {inside.map((m) => (
          <li key={m.dataset.id} className={styles.in}>
            <span className="badge ok">in</span> <Link href={`/datasets/${m.dataset.id}?hash=${r.hash}`}>dataset #{m.dataset.id}</Link>, leaf {formatCount(m.index ?? 0)}{" "}
            of {formatCount(m.dataset.n)} — <Link href={`/datasets/${m.dataset.id}?hash=${r.hash}`}>prove it</Link>
          </li>
        ))}
        {outside.length > 0 ? (
          <li>
            <span className="badge plain">not in</span>{" "}
            {outside.map((m, i) => (
              <span key={m.dataset.id}>
                {i > 0 ? ", " : ""}
                <Link href={`/datasets/${m.dataset.id}?hash=${r.hash}`}>#{m.dataset.id}</Link>
              </span>
            ))}
          </li>
        ) : null}
        {failed.map((m) => (
          <li key={m.dataset.id}>
            <span className="badge bad">unknown</span> dataset #{m.dataset.id}: {m.trouble?.title.toLowerCase()} ({m.trouble?.detail})
          </li>
        ))}
      </ul>
    </section>
  );
}

export default async function SearchPage({ searchParams }: { searchParams: Promise<{ q?: string }> }) {
  const q = ((await searchParams).q ?? "").toString();
  const first = classify(q);
  if (first.kind === "token") redirect(`/datasets/${first.id}`);
  let result: SearchResult | null = null;
  let problem = null;
  try {
    result = await search(q);
  } catch (e) {
    problem = toTrouble(e);
  }
  return (
    <div className="container">
      <h1>Search</h1>
      <div className={styles.form}>
        <SearchForm defaultValue={q} />
      </div>
      {problem ? <Notice trouble={problem} /> : result ? <Results r={result} /> : null}
    </div>
  );
}
