import type { SampleEncoding } from "../../../../core/dataset/sample-hash.ts";
import styles from "./prove-panel.module.css";

/** The prove panel's record mode: one pasted record (a JSONL line, a CSV record, or a file's text). */
export function ProveTextInput({
  encoding,
  busy,
  value,
  onChange,
  onSubmit,
}: {
  encoding: SampleEncoding;
  busy: boolean;
  value: string;
  onChange: (text: string) => void;
  onSubmit: (text: string) => void;
}) {
  const help =
    encoding === "jsonl"
      ? "Paste one JSONL line exactly as it is in the file (no JSON re-formatting: the bytes are the sample)."
      : encoding === "csv"
        ? "Paste one CSV record exactly as it is in the file, not the header."
        : "The text is hashed as a file holding exactly these UTF-8 bytes.";
  return (
    <form
      className={styles.form}
      onSubmit={(e) => {
        e.preventDefault();
        onSubmit(value);
      }}
    >
      <textarea
        rows={3}
        value={value}
        onChange={(e) => onChange(e.target.value)}
        placeholder={encoding === "jsonl" ? '{"text": "…"}' : ""}
        spellCheck={false}
        className="mono"
        aria-label="Sample record"
      />
      <div className={styles.formRow}>
        <span className="muted small">{help}</span>
        <button type="submit" disabled={busy}>
          Prove
        </button>
      </div>
    </form>
  );
}
