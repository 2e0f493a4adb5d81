import styles from "./search-form.module.css";

/** Search by token id, hash (sample, root or weights), CID or name: a plain GET form, no script needed. */
export function SearchForm({ compact = false, defaultValue = "" }: { compact?: boolean; defaultValue?: string }) {
  return (
    <form action="/search" method="get" role="search" className={compact ? styles.compact : styles.large}>
      <input
        type="search"
        name="q"
        defaultValue={defaultValue}
        placeholder={compact ? "Id, hash, CID or name" : "Token id (1), a SHA-256 (sample, root or weights), a CID (bafy…) or a name"}
        aria-label="Search by token id, hash, CID or name"
        autoComplete="off"
        spellCheck={false}
      />
      <button type="submit">Search</button>
    </form>
  );
}
