import styles from "./prove-panel.module.css";

/** The prove panel's hash mode: the sample's SHA-256 as people paste it (core/hex.ts sha256sumLine reads it). */
export function ProveHashInput({
  busy,
  value,
  onChange,
  onSubmit,
}: {
  busy: boolean;
  value: string;
  onChange: (hash: string) => void;
  onSubmit: (hash: string) => void;
}) {
  return (
    <form
      className={styles.form}
      onSubmit={(e) => {
        e.preventDefault();
        onSubmit(value);
      }}
    >
      <div className={styles.formRow}>
        <input
          type="text"
          className="mono"
          value={value}
          onChange={(e) => onChange(e.target.value)}
          placeholder="64 hex digits, 0x optional (sha256sum’s line is fine)"
          aria-label="Sample hash"
          spellCheck={false}
        />
        <button type="submit" disabled={busy}>
          Prove
        </button>
      </div>
      <span className="muted small">The SHA-256 of the sample&apos;s canonical bytes: paste what sha256sum prints, with or without 0x and the file name.</span>
    </form>
  );
}
