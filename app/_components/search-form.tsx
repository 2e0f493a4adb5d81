import styles from "./search-form.module.css";

/** Search by token id, sample hash, root or CID: a plain GET form, no script needed. */
export function SearchForm({ compact = false, defaultValue = "" }: { compact?: boolean; defaultValue?: string }) {
  return (
    <form action="/search" method="get" role="search" className={compact ? styles.compact : styles.large}>
      <input
        type="search"
        name="q"
        defaultValue={defaultValue}
        placeholder={compact ? "Token id, sample hash or CID" : "Token id (1), sample hash or root (0x…), or CID (bafy…)"}
        aria-label="Search by token id, sample hash or CID"
        autoComplete="off"
        spellCheck={false}
      />
      <button type="submit">Search</button>
    </form>
  );
}
