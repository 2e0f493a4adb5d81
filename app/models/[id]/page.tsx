import type { Metadata } from "next";
import Link from "next/link";
import type { DatasetEdge, ModelChainRecord, ParentEdge } from "../../../core/chain/model-registry.ts";
import { readModelManifest, type ModelManifest } from "../../../core/model/manifest.ts";
import { provenanceWords } from "../../../core/attestor/attestation.ts";
import { Hex } from "../../_components/hex.tsx";
import { Notice } from "../../_components/notice.tsx";
import { toTrouble, trouble, type Trouble } from "../../_lib/errors.ts";
import type { ViewCheck } from "../../_lib/lineage-view.ts";
import { formatUtc } from "../../_lib/format.ts";
import { checkWords, type LineageView } from "../../_lib/lineage-view.ts";
import { modelLineage } from "../../_lib/server/lineage.ts";
import { modelRegistry } from "../../_lib/server/models.ts";
import { CertificatePanel } from "./_components/CertificatePanel.tsx";
import { EvaluationsPanel } from "./_components/EvaluationsPanel.tsx";
import ExportButtons from "./_components/ExportButtons.tsx";
import LineageGraph from "./_components/LineageGraph.tsx";
import { gatewayReader } from "../../_lib/server/storage.ts";
import styles from "../models.module.css";

type Props = { params: Promise<{ id: string }> };

export async function generateMetadata({ params }: Props): Promise<Metadata> {
  return { title: `Model #${(await params).id}` };
}

/**
 * A model: its on-chain record and declared edges, its lineage graph with every node verified (the checks of
 * `provenant verify model`, run on the server by _lib/server/lineage.ts and drawn with @xyflow/react in a
 * client leaf), the training certificate of an attested model in plain words, and the lineage exports.
 */
export default async function ModelPage({ params }: Props) {
  const { id } = await params;
  let record: ModelChainRecord | null = null;
  let parents: ParentEdge[] = [];
  let datasets: DatasetEdge[] = [];
  let problem: Trouble | null = null;
  let manifest: ModelManifest | null = null;
  let lineage: LineageView | null = null;
  let lineageProblem: Trouble | null = null;
  if (!/^[1-9][0-9]*$/.test(id)) problem = trouble("INPUT_INVALID", `"${id}" is not a token id: model ids are whole numbers from 1.`);
  else {
    try {
      const registry = await modelRegistry();
      if (!registry) problem = trouble("CHAIN_NOT_DEPLOYED", "No ModelRegistry is deployed on this chain.");
      else {
        record = await registry.record(BigInt(id));
        [parents, datasets] = await Promise.all([registry.parents(BigInt(id)), registry.datasets(BigInt(id))]);
        try {
          lineage = await modelLineage(BigInt(id));
        } catch (e) {
          lineageProblem = toTrouble(e);
        }
        manifest = await readModelManifest(gatewayReader(), record.manifestCid);
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
                <td data-testid="record-provenance">
                  <ProvenanceCell provenance={record.provenance} attestor={record.attestor} lineage={lineage} id={id} />
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
      {lineageProblem ? <Notice trouble={lineageProblem} /> : null}
      {lineage ? <EvaluationsPanel evaluations={lineage.evaluations} claims={manifest?.record.metrics} /> : null}
      {lineage ? <LineageSection lineage={lineage} /> : null}
    </main>
  );
}

/**
 * The chain's provenance flag with what the certificate was found worth: green only when it verified here,
 * never from the flag alone (the flag says a certificate was accepted at registration, not that it holds now).
 */
function ProvenanceCell({ provenance, attestor, lineage, id }: { provenance: string; attestor: string | null; lineage: LineageView | null; id: string }) {
  const attestation = lineage?.nodes.find((n) => n.id === `model:${id}`)?.attestation ?? null;
  const p = provenanceWords(provenance, attestation ?? (lineage ? null : { state: "unchecked", trustLevel: null, revokedAt: null, reason: "the lineage could not be verified" }));
  return (
    <>
      <span className={`badge ${p.tone}`} data-provenance={p.value}>
        {p.badge}
      </span>
      {attestor ? <span className="mono small"> attestor {attestor}</span> : null}
      {provenance === "attested" ? <div className="small">{p.sentence.replace(/^./, (c) => c.toUpperCase())}.</div> : null}
    </>
  );
}

function LineageSection({ lineage }: { lineage: LineageView }) {
  const failures = lineage.nodes.flatMap((n) => n.checks.filter((c) => c.status === "fail").map((c) => ({ node: n, check: c })));
  const { passed, failed, skipped } = lineage.summary;
  return (
    <>
      <section className="card" style={{ marginBottom: "1rem" }} data-testid="lineage" data-ok={lineage.ok ? "true" : "false"}>
        <h2>
          Lineage{" "}
          <span className={lineage.ok ? "badge ok" : "badge bad"} data-testid="lineage-verdict">
            {lineage.ok ? "✓ verified" : "✗ verification failed"}
          </span>
        </h2>
        <p className="muted small" data-testid="lineage-summary">
          {lineage.nodes.length} node(s), {lineage.edges.length} edge(s): {passed} check(s) passed, {failed} failed, {skipped} skipped. Every record was
          read from the chain (chain {lineage.chainId}) and every manifest from storage, checked against its CID.
        </p>
        {failures.length ? (
          <div className="notice" role="alert" data-testid="lineage-failures">
            <strong>What failed</strong>
            <ul>
              {failures.map(({ node, check }) => (
                <li key={`${node.id}-${check.check}`} data-node={node.id} data-check={check.check} data-code={check.code}>
                  <span style={{ fontWeight: 600 }}>
                    {node.kind === "model" ? "Model" : "Dataset"} #{node.tokenId}
                    {node.title !== `${node.kind} #${node.tokenId}` ? ` (${node.title})` : ""}
                  </span>
                  : {checkWords(check.check).replace(/^./, (c) => c.toLowerCase())}, failed. {failureWords(check)}
                </li>
              ))}
            </ul>
          </div>
        ) : null}
        <LineageGraph nodes={lineage.nodes} edges={lineage.edges} root={lineage.root} />
      </section>
      {lineage.certificate ? <CertificatePanel cert={lineage.certificate} /> : null}
      <section className="card" style={{ marginBottom: "1rem" }} data-testid="exports">
        <h2>Export the lineage</h2>
        {lineage.graph ? (
          <>
            <p className="muted small">Made in your browser from the graph above (the same documents as provenant lineage export).</p>
            <ExportButtons graph={lineage.graph} />
          </>
        ) : (
          <p className="muted">Not available: part of the lineage could not be read ({lineage.incomplete}).</p>
        )}
      </section>
    </>
  );
}

/** A failed check's reason as a sentence, led by what its error code means ("Storage sent the wrong bytes"). */
function failureWords(check: ViewCheck): string {
  const reason = check.reason.trim().replace(/^./, (c) => c.toUpperCase());
  const known = check.code ? trouble(check.code as Trouble["code"], "") : null;
  const lead = known && known.title !== "Something went wrong" ? `${known.title}: ` : "";
  return `${lead}${reason}${/[.!?)]$/.test(reason) ? "" : "."}`;
}
