import Link from "next/link";
import { describeTrustLevel } from "../../../../core/attestor/certificate.ts";
import type { AttestedEvaluation, ModelAttestation } from "../../../../core/attestor/attestation.ts";
import styles from "./evaluations.module.css";

/** A verdict as a badge: green only for an evaluation certificate that verified here. */
function verdict(a: ModelAttestation): { text: string; tone: "ok" | "bad" | "warn" } {
  switch (a.state) {
    case "verified":
      return { text: "✓ attested", tone: "ok" };
    case "revoked":
      return { text: "attestor revoked", tone: "bad" };
    case "failed":
      return { text: "✗ failed verification", tone: "bad" };
    case "unchecked":
      return { text: "not checked", tone: "warn" };
  }
}

/**
 * The model's benchmark results: first the attested ones (each an evaluation certificate, checked on the server
 * as `provenant verify model` checks it, with its verdict and the dataset it ran on), then the metrics its owner
 * states in the model record, apart, as claims. A server component: nothing here runs in the browser.
 */
export function EvaluationsPanel({ evaluations, claims }: { evaluations: AttestedEvaluation[]; claims: Record<string, number | string | null> | null | undefined }) {
  // A null metric states "none" in the record format: nothing is claimed for it.
  const claimed = Object.entries(claims ?? {}).filter((c): c is [string, number | string] => c[1] !== null);
  if (evaluations.length === 0 && claimed.length === 0) return null;
  type Row = { e: AttestedEvaluation; m: AttestedEvaluation["metrics"][number] | null; first: boolean; span: number };
  const rows = evaluations.flatMap((e): Row[] =>
    e.metrics.length ? e.metrics.map((m, i) => ({ e, m, first: i === 0, span: e.metrics.length })) : [{ e, m: null, first: true, span: 1 }],
  );
  return (
    <section className="card" style={{ marginBottom: "1rem" }} data-testid="evaluations">
      <h2>Results</h2>
      <h3>Attested evaluations</h3>
      {evaluations.length === 0 ? (
        <p className="muted small" data-testid="no-attested-results">
          None: no evaluation of this model was measured under an attestor.
        </p>
      ) : (
        <>
          <p className="muted small">
            Each was measured under an attestor: its certificate binds the metrics file to these weights and to the dataset&apos;s Merkle root, and was checked just now
            against the chain. Only a green verdict makes a result attested.
          </p>
          <table className={styles.results}>
            <thead>
              <tr>
                <th>Metric</th>
                <th>Value</th>
                <th>Split</th>
                <th>Dataset</th>
                <th>Verdict</th>
                <th>Certificate</th>
              </tr>
            </thead>
            <tbody>
              {rows.map(({ e, m, first, span }) => {
                const v = verdict(e.attestation);
                return (
                  <tr
                    key={`${e.evaluationId}-${m ? `${m.name}-${m.split}-${m.config ?? ""}` : "none"}`}
                    data-evaluation={e.evaluationId}
                    data-verdict={e.attestation.state}
                  >
                    <td>
                      {m ? m.name : <span className="muted">no readable metrics</span>}
                      {m?.config ? <span className="muted small"> ({m.config})</span> : null}
                    </td>
                    <td className={`mono ${e.attestation.state === "verified" ? "" : styles.unattested}`}>{m ? String(m.value) : ""}</td>
                    <td>{m?.split ?? ""}</td>
                    {first ? (
                      <>
                        <td rowSpan={span}>
                          <Link href={`/datasets/${e.dataset.tokenId}`}>dataset #{e.dataset.tokenId}</Link>
                          {e.dataset.name ? ` ${e.dataset.name}` : ""}
                        </td>
                        <td rowSpan={span}>
                          <span className={`badge ${v.tone}`} title={e.attestation.reason ?? describeTrustLevel(e.attestation.trustLevel).summary}>
                            {v.text}
                          </span>
                          {e.attestation.state === "verified" ? (
                            <div className="small muted">{describeTrustLevel(e.attestation.trustLevel).summary}</div>
                          ) : (
                            <div className="small">{e.attestation.reason}</div>
                          )}
                        </td>
                        <td rowSpan={span} className="mono small">
                          #{e.evaluationId} {e.certificateCid}
                        </td>
                      </>
                    ) : null}
                  </tr>
                );
              })}
            </tbody>
          </table>
        </>
      )}
      {claimed.length ? (
        <>
          <h3>Claimed by the owner</h3>
          <p className="muted small">From the model record in its manifest: self-reported, not measured by an attestor, and not checked.</p>
          <table className={styles.results} data-testid="claimed-metrics">
            <tbody>
              {claimed.map(([k, v]) => (
                <tr key={k}>
                  <td>{k}</td>
                  <td className="mono">{String(v)}</td>
                  <td>
                    <span className="badge plain">claim</span>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      ) : null}
    </section>
  );
}
