import Link from "next/link";
import type { JsonValue, ModelRecordFields } from "../../../../core/model/record.ts";
import styles from "./token.module.css";

const TEXT_FIELDS: [keyof ModelRecordFields & string, string][] = [
  ["description", "Description"],
  ["architecture", "Architecture"],
  ["task", "Task"],
  ["intendedUse", "Intended use"],
  ["limitations", "Limitations"],
];

/**
 * The model card: the fields of the model record in its manifest, inheritance from the first parent resolved
 * (core/model/record.ts resolveRecord, as `provenant verify model` resolves it), each inherited field marked
 * with where it came from. What the registrant states, not what anyone measured: the metrics it claims are
 * under Results, apart from attested evaluations.
 */
export function ModelCard({
  record,
  inherited,
  inheritsFrom,
  resolved,
}: {
  record: ModelRecordFields;
  inherited: string[];
  inheritsFrom: string | null;
  resolved: boolean;
}) {
  const texts = TEXT_FIELDS.filter(([k]) => typeof record[k] === "string" && (record[k] as string).length > 0);
  const hyper = Object.entries(record.hyperparameters ?? {}) as [string, JsonValue][];
  const claims = Object.keys(record.metrics ?? {}).length;
  const from = (field: string) =>
    inherited.includes(field) && inheritsFrom ? (
      <span className="badge plain" data-testid="inherited" title="Not set by this model's record: taken from its first parent's">
        from <Link href={`/models/${inheritsFrom}`}>model #{inheritsFrom}</Link>
      </span>
    ) : null;
  return (
    <section className={`card ${styles.card}`} aria-labelledby="model-card-h" data-testid="model-card">
      <h2 id="model-card-h">Model card</h2>
      <p className="muted small">
        Stated by the registrant in the model record{resolved ? "" : " (inheritance from the parent could not be resolved: this model's own fields only)"}; not checked by
        anyone.
      </p>
      {texts.length === 0 && hyper.length === 0 ? <p className="muted small">The record states nothing beyond its name and version.</p> : null}
      <dl className={styles.dl}>
        {texts.map(([k, label]) => (
          <div key={k} data-field={k}>
            <dt>
              {label} {from(k)}
            </dt>
            <dd data-testid={`card-${k}`}>{record[k] as string}</dd>
          </div>
        ))}
        {hyper.length ? (
          <div data-field="hyperparameters">
            <dt>Hyperparameters {from("hyperparameters")}</dt>
            <dd>
              <dl className={styles.hyper} data-testid="card-hyperparameters">
                {hyper.map(([k, v]) => (
                  <div key={k} data-key={k}>
                    <dt className="mono">{k}</dt>
                    <dd className="mono">{typeof v === "string" ? v : JSON.stringify(v)}</dd>
                  </div>
                ))}
              </dl>
            </dd>
          </div>
        ) : null}
        {claims ? (
          <div data-field="metrics">
            <dt>Metrics</dt>
            <dd className="small">
              {claims} self-reported, shown under Results as <span className="badge plain">claim</span>s, apart from attested evaluations
            </dd>
          </div>
        ) : null}
      </dl>
    </section>
  );
}
