import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";
import type { DatasetEdge, ModelChainRecord, ParentEdge } from "../../../core/chain/model-registry.ts";
import { readModelManifest, type ModelManifest } from "../../../core/model/manifest.ts";
import { resolveRecord } from "../../../core/model/record.ts";
import { provenanceWords } from "../../../core/attestor/attestation.ts";
import { isTokenId } from "../../../core/identifiers.ts";
import { CidLink, Hex } from "../../_components/hex.tsx";
import { CopyButton } from "../../_components/copy-button.tsx";
import { Notice } from "../../_components/notice.tsx";
import { toTrouble, trouble, type Trouble } from "../../_lib/errors.ts";
import type { ViewCheck } from "../../_lib/lineage-view.ts";
import { formatUtc } from "../../_lib/format.ts";
import { checkWords, type LineageView } from "../../_lib/lineage-view.ts";
import { cachedModelLineage, type CachedLineage } from "../../_lib/server/lineage-cache.ts";
import { cliTarget, type CliTarget } from "../../_lib/server/cli-target.ts";
import { appConfig } from "../../_lib/server/config.ts";
import { isProvenantError } from "../../../core/errors.ts";
import { modelRegistry } from "../../_lib/server/models.ts";
import { CertificatePanel } from "./_components/certificate-panel.tsx";
import { EvaluationsPanel } from "./_components/evaluations-panel.tsx";
import ExportButtons from "./_components/export-buttons.tsx";
import LineageExplorer from "./_components/lineage-explorer.tsx";
import { gatewayReader } from "../../_lib/server/storage.ts";
import { modelHistory, type ModelHistory } from "../../_lib/server/history.ts";
import { TokenHistoryCard } from "../../_components/token-history.tsx";
import { Descendants } from "./_components/descendants.tsx";
import { ModelCard } from "./_components/model-card.tsx";
import tokenStyles from "./_components/token.module.css";
import styles from "../models.module.css";

type Props = { params: Promise<{ id: string }> };

export async function generateMetadata({ params }: Props): Promise<Metadata> {
  return { title: `Model #${(await params).id}` };
}

/**
 * A model: its on-chain record and declared edges, the lineage exports and the commands to re-check it, "Was
 * this sample used?" over its whole ancestry, its lineage graph with every node verified (the checks of
 * `provenant verify model`, run on the server by _lib/server/lineage.ts, kept per block by lineage-cache.ts, and
 * drawn with @xyflow/react in a client leaf), and the training certificate of an attested model in plain words.
 * A model id that is not a token answers 404.
 */
export default async function ModelPage({ params }: Props) {
  const { id } = await params;
  if (!isTokenId(id)) notFound();
  let record: ModelChainRecord | null = null;
  let parents: ParentEdge[] = [];
  let datasets: DatasetEdge[] = [];
  let problem: Trouble | null = null;
  let manifest: ModelManifest | null = null;
  let lineage: CachedLineage | null = null;
  let lineageProblem: Trouble | null = null;
  let history: ModelHistory | null = null;
  let historyProblem: Trouble | null = null;
  let missing = false;
  try {
    const registry = await modelRegistry();
    if (!registry) problem = trouble("CHAIN_NOT_DEPLOYED", "No ModelRegistry is deployed on this chain.");
    else {
      record = await registry.record(BigInt(id));
      [parents, datasets] = await Promise.all([registry.parents(BigInt(id)), registry.datasets(BigInt(id))]);
      try {
        lineage = await cachedModelLineage(BigInt(id));
      } catch (e) {
        lineageProblem = toTrouble(e);
      }
      try {
        history = await modelHistory(BigInt(id));
      } catch (e) {
        historyProblem = toTrouble(e);
      }
      manifest = await readModelManifest(gatewayReader(), record.manifestCid);
    }
  } catch (e) {
    if (isProvenantError(e) && e.code === "TOKEN_NOT_FOUND") missing = true;
    else problem = toTrouble(e);
  }
  // Outside the try: notFound() works by throwing.
  if (missing) notFound();
  const cli = lineage ? cliTarget(lineage.view.chainId) : null;
  return (
    <div className="container">
      <p className={styles.crumbs}>
        <Link href="/models">Models</Link> / #{id}
      </p>
      <h1>{manifest ? `${manifest.record.name} ${manifest.record.version}` : `Model #${id}`}</h1>
      {manifest?.description ? <p className="muted">{manifest.description}</p> : null}
      {problem ? <Notice trouble={problem} /> : null}
      {lineage && cli ? <ExportsCard lineage={lineage.view} id={id} cli={cli} /> : null}
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
                  <ProvenanceCell provenance={record.provenance} attestor={record.attestor} lineage={lineage?.view ?? null} id={id} />
                </td>
              </tr>
              <tr>
                <th>License</th>
                <td>{record.license || <span className="muted">none given</span>}</td>
              </tr>
              <tr>
                <th>Registrant</th>
                <td>
                  <Hex value={record.registrant} full />
                </td>
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
                <td data-testid="manifest-cid">
                  <CidLink cid={record.manifestCid} />
                </td>
              </tr>
              <tr>
                <th>Training certificate</th>
                <td data-testid="certificate-cid">{record.certificateCid ? <CidLink cid={record.certificateCid} /> : <span className="muted">none</span>}</td>
              </tr>
            </tbody>
          </table>
        </section>
      ) : null}
      {record ? (
        <div className={tokenStyles.columns}>
          {lineage?.view.rootRecord ? (
            <ModelCard
              record={lineage.view.rootRecord.record}
              inherited={lineage.view.rootRecord.inherited}
              inheritsFrom={parents[0] ? String(parents[0].modelId) : null}
              resolved
            />
          ) : manifest ? (
            <ModelCard
              record={resolveRecord(manifest.record, null).record}
              inherited={[]}
              inheritsFrom={null}
              resolved={parents.length === 0 || manifest.record.inherit === false}
            />
          ) : (
            <div />
          )}
          <div style={{ minWidth: 0 }}>
            {historyProblem ? <Notice trouble={historyProblem} /> : null}
            {history ? (
              <TokenHistoryCard history={history.token} mintEvent="ModelRegistered">
                <Descendants descendants={history.descendants} />
              </TokenHistoryCard>
            ) : null}
          </div>
        </div>
      ) : null}
      {lineageProblem ? <Notice trouble={lineageProblem} /> : null}
      {lineage ? <EvaluationsPanel evaluations={lineage.view.evaluations} claims={manifest?.record.metrics} /> : null}
      {lineage && cli ? <LineageSection lineage={lineage} cli={cli} gateway={appConfig().browserGatewayUrl} /> : null}
    </div>
  );
}

/**
 * The chain's provenance flag with what the certificate was found worth: green only when it verified here,
 * never from the flag alone (the flag says a certificate was accepted at registration, not that it holds now).
 */
function ProvenanceCell({ provenance, attestor, lineage, id }: { provenance: string; attestor: string | null; lineage: LineageView | null; id: string }) {
  const attestation = lineage?.nodes.find((n) => n.id === `model:${id}`)?.attestation ?? null;
  const p = provenanceWords(
    provenance,
    attestation ?? (lineage ? null : { state: "unchecked", trustLevel: null, revokedAt: null, reason: "the lineage could not be verified" }),
  );
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

/** The exports and the commands that re-check the model, near the top: what people come back to the page for. */
function ExportsCard({ lineage, id, cli }: { lineage: LineageView; id: string; cli: CliTarget }) {
  const commands = [
    `${cli.prefix}provenant verify model ${id}${cli.flags}`,
    `${cli.prefix}provenant lineage ${id}${cli.flags}`,
    `${cli.prefix}provenant export ${id} --format cyclonedx${cli.flags}`,
  ];
  return (
    <section className="card" style={{ marginBottom: "1rem" }} data-testid="exports">
      <h2>Export and re-check</h2>
      {lineage.graph ? (
        <>
          <p className="muted small">The lineage in standard formats, made in your browser from the graph below (the same documents as provenant export).</p>
          <ExportButtons graph={lineage.graph} />
        </>
      ) : (
        <p className="muted">Not available: part of the lineage could not be read, so it is not exported ({lineage.incomplete}).</p>
      )}
      <h3 style={{ fontSize: "0.95rem", marginBottom: "0.3rem" }}>Re-check it yourself</h3>
      <p className="muted small" style={{ margin: 0 }}>
        Each command reads this chain and deployment as copied.
      </p>
      <ul style={{ listStyle: "none", padding: 0, margin: "0.4rem 0 0", display: "grid", gap: "0.3rem" }} data-testid="recheck-commands">
        {commands.map((c) => (
          <li key={c} style={{ display: "flex", gap: "0.4rem", alignItems: "baseline", minWidth: 0 }}>
            <code className="mono small" style={{ overflowWrap: "anywhere" }}>
              {c}
            </code>
            <CopyButton value={c} label="Copy the command" />
          </li>
        ))}
      </ul>
    </section>
  );
}

function LineageSection({ lineage: cached, cli, gateway }: { lineage: CachedLineage; cli: CliTarget; gateway: string }) {
  const lineage = cached.view;
  const failures = lineage.nodes.flatMap((n) => n.checks.filter((c) => c.status === "fail").map((c) => ({ node: n, check: c })));
  const { passed, failed, skipped } = lineage.summary;
  return (
    <>
      <LineageExplorer
        nodes={lineage.nodes}
        edges={lineage.edges}
        root={lineage.root}
        ancestry={lineage.ancestry}
        gateway={gateway}
        cliPrefix={cli.prefix}
        cliFlags={cli.flags}
        certificateNode={lineage.certificate ? lineage.root : null}
        ok={lineage.ok}
      >
        <h2>
          Lineage{" "}
          <span className={lineage.ok ? "badge ok" : "badge bad"} data-testid="lineage-verdict">
            {lineage.ok ? "✓ verified" : "✗ verification failed"}
          </span>
        </h2>
        <p className="muted small" data-testid="lineage-summary">
          {lineage.nodes.length} node(s), {lineage.edges.length} edge(s): {passed} check(s) passed, {failed} failed, {skipped} skipped. Every record was read from the
          chain (chain {lineage.chainId}) and every manifest from storage, checked against its CID.{" "}
          <span data-testid="lineage-block" data-block={cached.block} data-cached={cached.cached ? "true" : "false"}>
            Checked at block {cached.block}
            {cached.cached ? `, ${ageSeconds(cached.checkedAt)} s ago (kept until the next block)` : ""}.
          </span>
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
      </LineageExplorer>
      {lineage.certificate ? <CertificatePanel cert={lineage.certificate} /> : null}
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

/** Seconds since `at` (ms): read from the clock in a helper, once per server render of a cached verdict. */
function ageSeconds(at: number): number {
  return Math.max(0, Math.round((Date.now() - at) / 1000));
}
