import type { Metadata } from "next";
import Link from "next/link";
import { Suspense } from "react";
import type { DatasetManifest } from "../../../core/dataset/manifest.ts";
import { manifestMismatch } from "../../../core/dataset/minted.ts";
import type { DatasetRecord } from "../../../core/chain/dataset-registry.ts";
import type { Encoding } from "../../../core/dataset/encoding-table.ts";
import { looseHex32, toHex } from "../../../core/hex.ts";
import { isTokenId } from "../../../core/identifiers.ts";
import { Hex } from "../../_components/hex.tsx";
import { Notice } from "../../_components/notice.tsx";
import { toTrouble, trouble, type Trouble } from "../../_lib/errors.ts";
import { ENCODING_LABEL, formatBytes, formatCount, formatUtc } from "../../_lib/format.ts";
import { chainName } from "../../../core/chain/networks.ts";
import { appChain, datasetRecord } from "../../_lib/server/chain.ts";
import { appConfig } from "../../_lib/server/config.ts";
import { readManifest } from "../../_lib/server/storage.ts";
import { modelsUsingDataset } from "../../_lib/server/models.ts";
import { datasetHistory, type DatasetHistory } from "../../_lib/server/history.ts";
import { HistorySection, historyListClass, TokenHistoryCard } from "../../_components/token-history.tsx";
import { AuditPanel } from "./_components/audit-panel.tsx";
import { FilecoinStatusCard } from "./_components/filecoin-status.tsx";
import { RecordedProofs } from "./_components/recorded-proofs.tsx";
import { ProvePanel } from "./_components/prove-panel.tsx";
import { cliTarget } from "../../_lib/server/cli-target.ts";
import styles from "./page.module.css";

const SKIPPED_LABEL: Record<string, string> = {
  hidden: "hidden entries",
  symlinks: "symbolic links",
  other: "special files",
  emptyRecords: "empty records",
};

type Props = { params: Promise<{ id: string }>; searchParams: Promise<{ hash?: string }> };

export async function generateMetadata({ params }: Props): Promise<Metadata> {
  const { id } = await params;
  return { title: `Dataset #${id}` };
}

function gatewayLink(cid: string) {
  return (
    <a href={`/ipfs/${cid}`} className="mono" title={cid} target="_blank" rel="noreferrer">
      {cid.length > 30 ? `${cid.slice(0, 14)}…${cid.slice(-10)}` : cid}
    </a>
  );
}

type UsedBy = { modelId: string; role: string }[] | null;

function RecordCard({ record, registry, chainId, usedBy }: { record: DatasetRecord; registry: string; chainId: number; usedBy: UsedBy }) {
  return (
    <section className="card" aria-labelledby="record-h">
      <h2 id="record-h">On-chain record</h2>
      <table className="kv">
        <tbody>
          <tr>
            <th>Merkle root</th>
            <td>
              <Hex value={record.root} full />
            </td>
          </tr>
          <tr>
            <th>Distinct samples (leaves)</th>
            <td data-testid="record-n">{formatCount(record.n)}</td>
          </tr>
          <tr>
            <th>Samples, duplicates included</th>
            <td>{formatCount(record.totalSamples)}</td>
          </tr>
          <tr>
            <th>Encoding</th>
            <td>{record.encoding}</td>
          </tr>
          <tr>
            <th>Leaf order</th>
            <td data-testid="record-order">
              {record.misordered ? <strong>reported misordered: exclusion proofs disabled</strong> : <span>no misorder reported (an audit reads every leaf)</span>}
            </td>
          </tr>
          <tr>
            <th>License</th>
            <td>{record.license || <span className="muted">none given</span>}</td>
          </tr>
          <tr>
            <th>Publisher</th>
            <td className="mono">{record.publisher}</td>
          </tr>
          <tr>
            <th>Minted</th>
            <td>{formatUtc(record.mintedAt)}</td>
          </tr>
          <tr>
            <th>Manifest</th>
            <td>{gatewayLink(record.manifestCid)}</td>
          </tr>
          {usedBy ? (
            <tr>
              <th>Used by models</th>
              <td data-testid="used-by">
                {usedBy.length === 0 ? (
                  <span className="muted">none registered yet</span>
                ) : (
                  usedBy.map((u, i) => (
                    <span key={`${u.modelId}-${u.role}`}>
                      {i > 0 ? ", " : ""}
                      <Link href={`/models/${u.modelId}`}>model #{u.modelId}</Link> ({u.role})
                    </span>
                  ))
                )}
              </td>
            </tr>
          ) : null}
          <tr>
            <th>Registry</th>
            <td>
              <span className="mono">{registry}</span>
              <br />
              <span className="muted small">
                {chainName(chainId)}, chain id {chainId}
              </span>
            </td>
          </tr>
        </tbody>
      </table>
    </section>
  );
}

function ManifestCard({ manifest, trouble: t }: { manifest: DatasetManifest | null; trouble: Trouble | null }) {
  return (
    <section className="card" aria-labelledby="manifest-h">
      <h2 id="manifest-h">Manifest</h2>
      {t ? <Notice trouble={t} /> : null}
      {manifest ? (
        <table className="kv">
          <tbody>
            <tr>
              <th>Format</th>
              <td>
                {manifest.format}, commitment {manifest.commitment}
              </td>
            </tr>
            <tr>
              <th>Encoding</th>
              <td>{ENCODING_LABEL[manifest.encoding] ?? manifest.encoding}</td>
            </tr>
            <tr>
              <th>Samples</th>
              <td>
                {formatCount(manifest.totalSamples)} read, {formatCount(manifest.n)} distinct, {formatCount(manifest.duplicateSamples)} duplicate
                {manifest.duplicateSamples === 1 ? "" : "s"}
              </td>
            </tr>
            <tr>
              <th>Skipped</th>
              <td>
                {Object.entries(manifest.skipped).some(([, v]) => v > 0)
                  ? Object.entries(manifest.skipped)
                      .filter(([, v]) => v > 0)
                      .map(([k, v]) => `${formatCount(v)} ${SKIPPED_LABEL[k] ?? k}`)
                      .join(", ")
                  : "nothing"}
              </td>
            </tr>
            <tr>
              <th>Bytes read</th>
              <td>{formatBytes(manifest.bytes)}</td>
            </tr>
            <tr>
              <th>License</th>
              <td>{manifest.license ?? <span className="muted">none given</span>}</td>
            </tr>
            <tr>
              <th>Storage</th>
              <td>
                {manifest.shardCount} shard{manifest.shardCount === 1 ? "" : "s"} of up to {formatCount(manifest.shardSize)} leaves
                <br />
                index {gatewayLink(manifest.index)}
              </td>
            </tr>
            <tr>
              <th>Previous version</th>
              <td>
                {manifest.previousVersion ? <Link href={`/datasets/${manifest.previousVersion}`}>#{manifest.previousVersion}</Link> : <span className="muted">none</span>}
              </td>
            </tr>
          </tbody>
        </table>
      ) : null}
    </section>
  );
}

/** The dataset this one supersedes (its DatasetMinted event's previousVersion) and those minted to supersede it. */
function Versions({ previous, newer }: { previous: bigint; newer: DatasetHistory["newer"] }) {
  return (
    <HistorySection title="Versions" testId="versions">
      <ul className={historyListClass}>
        <li data-testid="previous-version" data-id={previous === 0n ? "" : String(previous)}>
          Previous: {previous === 0n ? <span className="muted">none (a first version)</span> : <Link href={`/datasets/${previous}`}>dataset #{String(previous)}</Link>}
        </li>
        <li data-testid="newer-versions" data-ids={newer.map((v) => String(v.id)).join(",")}>
          Newer:{" "}
          {newer.length === 0 ? (
            <span className="muted">none minted with this one as previous version</span>
          ) : (
            newer.map((v, i) => (
              <span key={String(v.id)}>
                {i > 0 ? ", " : ""}
                <Link href={`/datasets/${v.id}`}>dataset #{String(v.id)}</Link> <span className="muted small">(block {v.blockNumber})</span>
              </span>
            ))
          )}
        </li>
      </ul>
    </HistorySection>
  );
}

export default async function DatasetPage({ params, searchParams }: Props) {
  const { id } = await params;
  const { hash } = await searchParams;
  if (!isTokenId(id)) {
    return (
      <div className="container">
        <Notice trouble={trouble("INPUT_INVALID", `"${id}" is not a token id: dataset ids are whole numbers from 1.`)} />
      </div>
    );
  }
  let chain, record;
  try {
    chain = await appChain();
    ({ record } = await datasetRecord(BigInt(id)));
  } catch (e) {
    const t = toTrouble(e);
    let total: bigint | null = null;
    if (t.code === "TOKEN_NOT_FOUND") total = (await chain?.registry.totalMinted().catch(() => null)) ?? null;
    return (
      <div className="container">
        <p className={styles.crumbs}>
          <Link href="/">Datasets</Link> / #{id}
        </p>
        <Notice
          trouble={
            t.code === "TOKEN_NOT_FOUND"
              ? trouble(
                  "TOKEN_NOT_FOUND",
                  `Dataset #${id} does not exist on ${chainName(chain!.chainId)} (chain ${chain!.chainId}).`,
                  total === null
                    ? undefined
                    : total === 0n
                      ? "No dataset has been minted on this chain yet."
                      : total === 1n
                        ? "Only dataset #1 exists."
                        : `Datasets #1 to #${total} exist.`,
                )
              : t
          }
        />
      </div>
    );
  }

  let manifest: DatasetManifest | null = null;
  let manifestTrouble: Trouble | null = null;
  try {
    manifest = await readManifest(record.manifestCid);
    const mismatch = manifestMismatch(manifest, record);
    if (mismatch) manifestTrouble = trouble("ROOT_MISMATCH", mismatch);
  } catch (e) {
    manifestTrouble = toTrouble(e);
  }
  const usedBy: UsedBy = await modelsUsingDataset(BigInt(id)).catch(() => null);
  let history: DatasetHistory | null = null;
  let historyTrouble: Trouble | null = null;
  try {
    history = await datasetHistory(BigInt(id));
  } catch (e) {
    historyTrouble = toTrouble(e);
  }
  const { browserGatewayUrl } = appConfig();
  const name = manifest?.name || `Dataset #${id}`;
  const matches = manifest !== null && manifestTrouble === null;
  const cli = cliTarget(chain.chainId);
  const given = typeof hash === "string" ? looseHex32(hash) : null;
  const initialHash = given ? toHex(given) : null;

  return (
    <div className="container">
      <p className={styles.crumbs}>
        <Link href="/">Datasets</Link> / #{id}
      </p>
      <header className={styles.head}>
        <h1>
          {name}
          {manifest?.name ? <span className={styles.num}> #{id}</span> : null}
        </h1>
        {manifest?.description ? <p className={styles.desc}>{manifest.description}</p> : null}
        <div className={styles.badges}>
          <span className="badge plain">{ENCODING_LABEL[record.encoding] ?? record.encoding}</span>
          {record.license ? <span className="badge">{record.license}</span> : null}
          <span className="badge plain">{formatCount(record.n)} distinct samples</span>
          {record.misordered ? (
            <span className="badge bad" data-testid="misordered" title="Two adjacent leaves were proven out of order on-chain (reportMisordered)">
              Misordered: exclusion disabled
            </span>
          ) : null}
          {matches ? (
            <span className="badge ok" data-testid="manifest-check">
              ✓ Manifest matches the on-chain root
            </span>
          ) : (
            <span className="badge bad" data-testid="manifest-check">
              Manifest not verified
            </span>
          )}
        </div>
      </header>

      {record.misordered ? (
        <Notice
          tone="warn"
          trouble={{
            code: "DATASET_MISORDERED",
            title: "Misordered: exclusion proofs disabled",
            detail:
              "Someone proved on-chain that two adjacent leaves of this dataset are out of order, so its commitment is not the sorted merkle-v1 tree it claims. A sample can still be proven in it, never out of it; the contract refuses every exclusion proof",
          }}
        />
      ) : null}

      <ProvePanel
        datasetId={id}
        chainId={chain.chainId}
        registry={chain.registry.address}
        manifestCid={record.manifestCid}
        encoding={record.encoding as Encoding}
        root={record.root}
        n={record.n}
        gateway={browserGatewayUrl}
        storageTrouble={manifest ? null : manifestTrouble}
        initialHash={initialHash}
        cli={cli}
        misordered={record.misordered}
      />

      <AuditPanel datasetId={id} chainId={chain.chainId} registry={chain.registry.address} gateway={browserGatewayUrl} cli={cli} />

      <div className={styles.columns}>
        <RecordCard record={record} registry={chain.registry.address} chainId={chain.chainId} usedBy={usedBy} />
        <ManifestCard manifest={manifest} trouble={manifestTrouble} />
      </div>

      <div className={styles.columns}>
        <div style={{ minWidth: 0 }}>
          {historyTrouble ? <Notice trouble={historyTrouble} /> : null}
          {history ? (
            <>
              <TokenHistoryCard history={history.token} mintEvent="DatasetMinted">
                <Versions previous={record.previousVersion} newer={history.newer} />
              </TokenHistoryCard>
              <RecordedProofs datasetId={id} proofs={history.proofs} />
            </>
          ) : null}
        </div>
        <Suspense
          fallback={
            <section className="card" aria-labelledby="filecoin-h">
              <h2 id="filecoin-h">Filecoin storage</h2>
              <p className="muted small">Asking the store…</p>
            </section>
          }
        >
          <FilecoinStatusCard manifestCid={record.manifestCid} />
        </Suspense>
      </div>
    </div>
  );
}
