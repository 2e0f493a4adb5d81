import Link from "next/link";
import { provenanceWords } from "../../../../core/attestor/attestation.ts";
import { describeTrustLevel } from "../../../../core/attestor/certificate.ts";
import { CidLink, Hex } from "../../../_components/hex.tsx";
import { certificateCheckWords, type CertificateView } from "../../../_lib/lineage-view.ts";
import styles from "./lineage.module.css";

/** The training certificate of an attested model in plain words: who, what was measured, each check, the replay. */
export function CertificatePanel({ cert }: { cert: CertificateView }) {
  const a = cert.attestor;
  const failed = cert.checks.filter((c) => !c.ok);
  const verdict = provenanceWords("attested", cert.attestation);
  return (
    <section className="card" style={{ marginBottom: "1rem" }} id="certificate" data-testid="certificate" data-ok={cert.ok ? "true" : "false"}>
      <h2>
        Training certificate <span className={cert.ok ? "badge ok" : "badge bad"}>{cert.ok ? "✓ verified" : `✗ ${failed.length} check(s) failed`}</span>
      </h2>
      {verdict.attested ? null : (
        <p className={`notice ${verdict.tone === "warn" ? "warn" : ""}`} data-testid="attestation-verdict">
          This model is {verdict.sentence}.
        </p>
      )}
      <p className="muted small">
        Certificate {cert.certificateCid ? <CidLink cid={cert.certificateCid} /> : "none"}, checked on the server against the chain with {cert.rootCount} trusted EK
        root(s) from PROVENANT_EK_ROOTS.
        {cert.rootsProblem ? ` The roots could not be loaded: ${cert.rootsProblem}.` : ""}
      </p>
      {a ? (
        <>
          <h3>Who attested</h3>
          <p>
            Attestor <span className="mono">{a.address}</span>, using a <strong>{a.tpmKind === "hardware" ? "hardware TPM" : "software TPM"}</strong> (trust level{" "}
            <code>{a.trustLevel}</code>
            {a.tpmKind === "software"
              ? ": its keys are files on the attested machine, so this is tamper-evidence for the run's log, not third-party assurance"
              : ": its endorsement key certificate comes from the TPM's vendor"}
            ). EK certificate <Hex value={a.ekCertificateSha256} />.
          </p>
          <p data-testid="trust-words">
            What it is worth ({describeTrustLevel(a.trustLevel).summary}): {describeTrustLevel(a.trustLevel).meaning}{" "}
            {cert.boot
              ? "The quote covers the boot PCRs with PCR 23: the machine's measured boot is bound to this run."
              : "A quote over PCR 23 alone binds the run's inputs and output to this TPM; it says nothing of the software the machine booted."}
          </p>
          {cert.boot ? (
            <p data-testid="boot-state">
              Boot state <Hex value={cert.boot.bootState} /> (PCRs {cert.boot.pcrs.join(", ")}), appraised against boot policy <strong>{cert.boot.policy}</strong>; the
              boot checks below replay its event log and appraise it again.
            </p>
          ) : null}
        </>
      ) : null}
      {cert.run && cert.inputs && cert.outputs ? (
        <>
          <h3>What was measured</h3>
          <table className="kv">
            <tbody>
              <tr>
                <th>Datasets</th>
                <td>
                  {cert.inputs.datasets.length === 0
                    ? "none"
                    : cert.inputs.datasets.map((d) => (
                        <div key={`${d.datasetId}-${d.role}`}>
                          <Link href={`/datasets/${d.datasetId}`}>dataset #{d.datasetId}</Link> ({d.role}), {d.n} samples, root <Hex value={d.root} />
                        </div>
                      ))}
                </td>
              </tr>
              <tr>
                <th>Parents</th>
                <td>
                  {cert.inputs.parents.length === 0
                    ? "none (trained from scratch)"
                    : cert.inputs.parents.map((p) => (
                        <div key={p.modelId}>
                          <Link href={`/models/${p.modelId}`}>model #{p.modelId}</Link> ({p.relation}), weights <Hex value={p.weightsDigest} />
                        </div>
                      ))}
                </td>
              </tr>
              <tr>
                <th>Code</th>
                <td>
                  {cert.inputs.code.kind === "git" ? `git commit ${cert.inputs.code.gitCommit ?? "?"}, ` : "a directory, "}
                  {cert.inputs.code.files} file(s), digest <Hex value={cert.inputs.code.digest} />
                </td>
              </tr>
              <tr>
                <th>Command</th>
                <td>
                  <code>{cert.inputs.command.join(" ")}</code>
                </td>
              </tr>
              <tr>
                <th>Config, environment</th>
                <td>
                  {cert.inputs.config.length ? cert.inputs.config.join(", ") : "no config files"}; {cert.inputs.environment}
                </td>
              </tr>
              <tr>
                <th>Run</th>
                <td>
                  {cert.run.startedAt} to {cert.run.finishedAt} ({(cert.run.durationMs / 1000).toFixed(1)} s), exit code {cert.run.exitCode}, for{" "}
                  <span className="mono">{cert.run.registrant}</span>
                </td>
              </tr>
              <tr>
                <th>Output</th>
                <td>
                  {cert.outputs.files} file(s), weights digest <Hex value={cert.outputs.weightsDigest} />, license {cert.outputs.license || "none"}
                </td>
              </tr>
            </tbody>
          </table>
        </>
      ) : null}
      <h3>Checks</h3>
      <ul className={styles.checks} style={{ listStyle: "none", padding: 0 }} data-testid="certificate-checks">
        {cert.checks.map((c) => (
          <li
            key={c.name}
            className={c.ok ? styles.pass : styles.fail}
            data-check={c.name}
            data-status={c.ok ? "pass" : "fail"}
            style={{ display: "flex", gap: "0.5rem" }}
          >
            <span className={styles.mark}>{c.ok ? "✓" : "✗"}</span>
            <span>
              <strong>{certificateCheckWords(c.name)}</strong>
              <br />
              <span className="small">{c.detail}</span>
            </span>
          </li>
        ))}
      </ul>
      {cert.replay.length ? (
        <>
          <h3>The event log, replayed</h3>
          <p className="muted small">PCR 23 starts at zeros; each event extends it: PCR = SHA-256(PCR ‖ event digest).</p>
          <table className={`kv ${styles.steps}`} data-testid="replay">
            <tbody>
              {cert.replay.map((s) => (
                <tr key={s.step}>
                  <th>
                    {s.step}. {s.type}
                  </th>
                  <td>
                    {s.description}
                    <br />
                    <span className="muted">PCR 23 → </span>
                    <Hex value={s.pcrAfter} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <p className="small">
            Replayed PCR 23: <Hex value={cert.replayedPcr ?? ""} full />. The “{certificateCheckWords("pcrReplay")}” check compares it with the value the TPM signed.
          </p>
        </>
      ) : null}
    </section>
  );
}
