import type { Trouble } from "../_lib/errors.ts";

/** Library messages are one lowercase line; shown alone they read better as a sentence. */
function sentence(s: string): string {
  const t = s.trim();
  if (t === "") return t;
  const first = t[0].toUpperCase() + t.slice(1);
  return /[.!?)]$/.test(first) ? first : `${first}.`;
}

/** A problem in plain words: what happened, the detail, and what to do. Works on server and client. */
export function Notice({ trouble, tone = "bad" }: { trouble: Trouble; tone?: "bad" | "warn" | "info" }) {
  return (
    <div className={`notice ${tone === "bad" ? "" : tone}`} role={tone === "bad" ? "alert" : "status"} data-code={trouble.code}>
      <strong>{trouble.title}</strong>
      <p>{sentence(trouble.detail)}</p>
      {trouble.hint ? <p className="muted small">{trouble.hint}</p> : null}
    </div>
  );
}
