import Link from "next/link";
import { DatasetCard } from "./_components/dataset-card.tsx";
import { Notice } from "./_components/notice.tsx";
import { SearchForm } from "./_components/search-form.tsx";
import { toTrouble } from "./_lib/errors.ts";
import { formatCount } from "./_lib/format.ts";
import { chainName } from "../core/chain/networks.ts";
import { appChain, recentDatasets } from "./_lib/server/chain.ts";
import { recentModels } from "./_lib/server/models.ts";
import { ModelCard } from "./_components/model-card.tsx";
import { withDetails } from "./_lib/server/datasets.ts";
import styles from "./page.module.css";

async function RecentDatasets({ before }: { before?: number }) {
  let page;
  let chain;
  try {
    chain = await appChain();
    page = await recentDatasets({ before, limit: 9 });
  } catch (e) {
    return <Notice trouble={toTrouble(e)} />;
  }
  const cards = await withDetails(page.items);
  return (
    <>
      <div className={styles.sectionHead}>
        <h2>Recent datasets</h2>
        <span className="muted small">
          {formatCount(page.total)} minted on {chainName(chain.chainId)}
        </span>
      </div>
      {cards.length === 0 ? (
        <div className={`card ${styles.empty}`}>
          <p>No datasets in this range yet.</p>
          <Link href="/mint" className="button">
            Mint the first one
          </Link>
        </div>
      ) : (
        <div className={styles.grid}>
          {cards.map((d) => (
            <DatasetCard key={d.id} d={d} />
          ))}
        </div>
      )}
      <nav className={styles.pager} aria-label="Dataset pages">
        {before !== undefined ? <Link href="/">← Newest</Link> : <span />}
        {page.older !== null ? <Link href={`/?before=${page.older}`}>Older datasets →</Link> : null}
      </nav>
    </>
  );
}

async function RecentModels() {
  let models;
  try {
    models = await recentModels(6);
  } catch (e) {
    return <Notice trouble={toTrouble(e)} />;
  }
  return (
    <>
      <div className={styles.sectionHead}>
        <h2>Recent models</h2>
        <Link href="/models" className="small">
          About models
        </Link>
      </div>
      {models.items.length > 0 ? (
        <div className={styles.grid}>
          {models.items.map((m) => (
            <ModelCard key={m.id} m={m} />
          ))}
        </div>
      ) : (
        <div className={`card ${styles.placeholder}`} data-testid="models-placeholder">
          <p>
            {models.deployed
              ? "No model is registered yet. Models name the datasets they were trained on and the models they derive from; register one with provenant model register."
              : "No ModelRegistry is deployed on this chain yet."}
          </p>
        </div>
      )}
    </>
  );
}

export default async function Home({ searchParams }: { searchParams: Promise<{ before?: string }> }) {
  const { before } = await searchParams;
  const beforeBlock = before && /^[0-9]+$/.test(before) ? Number(before) : undefined;
  return (
    <div className="container">
      <section className={styles.heroRow}>
        <div className={styles.hero}>
          <h1>Provenance you can check, not just read.</h1>
          <p className={styles.lede}>
            Provenant commits each dataset to a Merkle root on-chain, so anyone can prove that a sample is in it, or provably is not, without trusting whoever hosts the
            data. Models name the datasets they were trained on, backed by TPM-attested training certificates, so a model&apos;s lineage can be verified end to end.
          </p>
          <SearchForm />
          <p className={`small muted ${styles.tips}`}>
            Try a token id like <code>1</code>, a sample&apos;s SHA-256, a dataset root, or a manifest CID. Own a dataset?{" "}
            <Link href="/mint">Mint it from your browser</Link>.
          </p>
        </div>
        <ol className={`card ${styles.how}`} aria-label="How it works">
          <li>
            <strong>Commit.</strong> Every sample is hashed; the sorted hashes form a Merkle tree whose root is minted as a dataset token.
          </li>
          <li>
            <strong>Prove.</strong> Anyone proves a sample in or out: a few kilobytes of proof, checked by the contract for free.
          </li>
          <li>
            <strong>Trace.</strong> Models point at their datasets and parents, so lineage is a graph of proofs, not of claims.
          </li>
        </ol>
      </section>
      <section className={styles.section}>
        <RecentDatasets before={beforeBlock} />
      </section>
      <section className={styles.section}>
        <RecentModels />
      </section>
    </div>
  );
}
