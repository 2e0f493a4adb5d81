import type { Metadata } from "next";
import Link from "next/link";
import type { DatasetEdge, ModelChainRecord, ParentEdge } from "../../../core/chain/model-registry.ts";
import { decodeModelManifest, type ModelManifest } from "../../../core/model/manifest.ts";
import { Hex } from "../../_components/hex.tsx";
import { Notice } from "../../_components/notice.tsx";
import { toTrouble, trouble, type Trouble } from "../../_lib/errors.ts";
import { formatUtc } from "../../_lib/format.ts";
import { modelRegistry } from "../../_lib/server/models.ts";
import { gatewayReader } from "../../_lib/server/storage.ts";
import styles from "../models.module.css";

type Props = { params: Promise<{ id: string }> };

export async function generateMetadata({ params }: Props): Promise<Metadata> {
  return { title: `Model #${(await params).id}` };
}

/**
 * The model page's place. Today: the on-chain record and its declared edges. With the lineage work it shows
 * the lineage graph (core/lineage LineageGraph, drawn with @xyflow/react in a client leaf) with every node
 * verified, and the training certificate checked in the browser.
 */
export default async function ModelPage({ params }: Props) {
  const { id } = await params;
  let record: ModelChainRecord | null = null;
  let parents: ParentEdge[] = [];
  let datasets: DatasetEdge[] = [];
  let problem: Trouble | null = null;
  let manifest: ModelManifest | null = null;
  if (!/^[1-9][0-9]*$/.test(id)) problem = trouble("INPUT_INVALID", `"${id}" is not a token id: model ids are whole numbers from 1.`);
  else {
    try {
      const registry = await modelRegistry();
      if (!registry) problem = trouble("CHAIN_NOT_DEPLOYED", "No ModelRegistry is deployed on this chain.");
      else {
        record = await registry.record(BigInt(id));
        [parents, datasets] = await Promise.all([registry.parents(BigInt(id)), registry.datasets(BigInt(id))]);
        manifest = decodeModelManifest(await gatewayReader().get(record.manifestCid), `model manifest ${record.manifestCid}`);
      }
    } catch (e) {
      problem = toTrouble(e);
    }
  }
  return (
    <main className="container">
      <p className={styles.crumbs}>
        <Link href="/models">Models</Link> / #{id}
      </p>
      <h1>{manifest ? `${manifest.record.name} ${manifest.record.version}` : `Model #${id}`}</h1>
      {manifest?.description ? <p className="muted">{manifest.description}</p> : null}
      {problem ? <Notice trouble={problem} /> : null}
      {record ? (
        <section className="card" style={{ marginBottom: "1rem", maxWidth: 860 }}>
          <h2>On-chain record</h2>
          <table className="kv">
            <tbody>
              <tr>
                <th>Weights digest</th>
                <td>
                  <Hex value={record.weightsDigest} full />
                </td>
              </tr>
              <tr>
                <th>Provenance</th>
                <td>
                  <span className={record.provenance === "attested" ? "badge ok" : "badge plain"}>{record.provenance}</span>
                  {record.attestor ? <span className="mono small"> attestor {record.attestor}</span> : null}
                </td>
              </tr>
              <tr>
                <th>License</th>
                <td>{record.license || <span className="muted">none given</span>}</td>
              </tr>
              <tr>
                <th>Registrant</th>
                <td className="mono">{record.registrant}</td>
              </tr>
              <tr>
                <th>Registered</th>
                <td>{formatUtc(record.registeredAt)}</td>
              </tr>
              <tr>
                <th>Parents</th>
                <td>
                  {parents.length === 0
                    ? "none (a base model)"
                    : parents.map((p, i) => (
                        <span key={String(p.modelId)}>
                          {i > 0 ? ", " : ""}
                          <Link href={`/models/${p.modelId}`}>model #{String(p.modelId)}</Link> ({p.relation})
                        </span>
                      ))}
                </td>
              </tr>
              <tr>
                <th>Datasets</th>
                <td data-testid="model-datasets">
                  {datasets.length === 0
                    ? "none declared"
                    : datasets.map((d, i) => (
                        <span key={`${d.datasetId}-${d.role}`}>
                          {i > 0 ? ", " : ""}
                          <Link href={`/datasets/${d.datasetId}`}>dataset #{String(d.datasetId)}</Link> ({d.role})
                        </span>
                      ))}
                </td>
              </tr>
              <tr>
                <th>Manifest</th>
                <td className="mono">{record.manifestCid}</td>
              </tr>
              <tr>
                <th>Training certificate</th>
                <td className="mono">{record.certificateCid ?? <span className="muted">none</span>}</td>
              </tr>
            </tbody>
          </table>
        </section>
      ) : null}
      <div className={`card ${styles.placeholder}`} data-testid="model-placeholder">
        <h2>Lineage arrives with the model registry</h2>
        <p>
          This page will draw the model&apos;s lineage graph, its parents and the datasets they were trained on, with each node checked against
          the chain, and verify its TPM-attested training certificate in your browser.
        </p>
      </div>
    </main>
  );
}
