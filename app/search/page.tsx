import type { Metadata } from "next";
import Link from "next/link";
import { redirect } from "next/navigation";
import { DatasetCard } from "../_components/dataset-card.tsx";
import { Notice } from "../_components/notice.tsx";
import { SearchForm } from "../_components/search-form.tsx";
import { toTrouble } from "../_lib/errors.ts";
import { formatCount } from "../_lib/format.ts";
import { classify, search, type SearchResult } from "../_lib/server/search.ts";
import styles from "./search.module.css";

export const metadata: Metadata = { title: "Search" };

function Results({ r }: { r: SearchResult }) {
  if (r.kind === "empty" || r.kind === "token") return null;
  if (r.kind === "unknown") {
    return (
      <Notice
        tone="info"
        trouble={{
          code: "INPUT_INVALID",
          title: "Not a token id, hash or CID",
          detail: `"${r.q}" is none of: a token id (1, 2, …), a 32-byte hash (0x and 64 hex digits: a sample hash or a dataset root), or a CID (bafy…, Qm…).`,
        }}
      />
    );
  }
  if (r.kind === "cid") {
    return (
      <section>
        <h2>CID {r.cid.slice(0, 16)}…</h2>
        <p className="muted small">
          Looked through the {formatCount(r.scope)} newest of {formatCount(r.total)} datasets for a manifest or shard index with this CID.
        </p>
        {r.matches.length === 0 ? (
          <p>No dataset among them uses this CID.</p>
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
      <h3 className={styles.h3}>As a sample hash</h3>
      <p className="muted small">
        Checked against the {formatCount(r.scope)} newest of {formatCount(r.total)} datasets by the app&apos;s server. Open one to prove it in
        your own browser and have the contract confirm.
      </p>
      <ul className={styles.members}>
        {inside.map((m) => (
          <li key={m.dataset.id} className={styles.in}>
            <span className="badge ok">in</span> <Link href={`/datasets/${m.dataset.id}?hash=${r.hash}`}>dataset #{m.dataset.id}</Link>, leaf{" "}
            {formatCount(m.index ?? 0)} of {formatCount(m.dataset.n)} — <Link href={`/datasets/${m.dataset.id}?hash=${r.hash}`}>prove it</Link>
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
    <main className="container">
      <h1>Search</h1>
      <div className={styles.form}>
        <SearchForm defaultValue={q} />
      </div>
      {problem ? <Notice trouble={problem} /> : result ? <Results r={result} /> : null}
    </main>
  );
}
