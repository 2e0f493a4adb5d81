/**
 * Entries of a `files` dataset that are not samples, why, and which of them a caller accepts
 * (docs/formats/encodings-v1.md). An accepted skip names a reason, and optionally one path: a path alone
 * never accepts whatever happens to be there. Browser-safe: no Node imports.
 */
import { InputError } from "../errors.ts";
import { canonicalPathText } from "./path-text.ts";

export const SKIP_REASONS = ["hidden", "symlink", "fifo", "socket", "device", "other", "other-file"] as const;
export type SkipReason = (typeof SKIP_REASONS)[number];

/** A skipped entry: its path relative to the dataset directory, `/`-separated, in text form (path-text.ts). */
export interface SkippedEntry {
  path: string;
  reason: SkipReason;
}

/** Every entry skipped for `reason`, or only the one at `path`. */
export interface AcceptedSkip {
  reason: SkipReason;
  path?: string;
}

/** Checks one untrusted acceptance; `where` names it in the error. Paths come back in their one text form. */
export function parseAcceptedSkip(value: unknown, where: string): AcceptedSkip {
  const v = value as Record<string, unknown> | null;
  if (typeof v !== "object" || v === null || Array.isArray(v)) throw new InputError("INPUT_INVALID", `${where} must be an object {reason, path?}`);
  for (const k of Object.keys(v)) if (k !== "reason" && k !== "path") throw new InputError("INPUT_INVALID", `${where} has unknown field "${k}"`);
  if (!SKIP_REASONS.includes(v.reason as SkipReason)) {
    throw new InputError("INPUT_INVALID", `${where}.reason must be one of ${SKIP_REASONS.join(", ")}`);
  }
  if (v.path === undefined) return { reason: v.reason as SkipReason };
  if (typeof v.path !== "string" || v.path.length === 0) throw new InputError("INPUT_INVALID", `${where}.path must be a non-empty path`);
  return { reason: v.reason as SkipReason, path: canonicalPathText(v.path) };
}

/** Splits skipped entries into those some acceptance covers and those none does. */
export function sortOutSkipped(entries: readonly SkippedEntry[], accepted: readonly AcceptedSkip[]) {
  const reasons = new Set(accepted.filter((a) => a.path === undefined).map((a) => a.reason));
  const paths = new Set(accepted.filter((a) => a.path !== undefined).map((a) => `${a.reason}\0${a.path}`));
  const ok: SkippedEntry[] = [];
  const refused: SkippedEntry[] = [];
  for (const e of entries) (reasons.has(e.reason) || paths.has(`${e.reason}\0${e.path}`) ? ok : refused).push(e);
  return { accepted: ok, refused };
}

/** "a/link (symlink), .cache (hidden)", the first few, for one-line messages. */
export function describeSkipped(entries: readonly SkippedEntry[], max = 5): string {
  const shown = entries.slice(0, max).map((e) => `${e.path} (${e.reason})`);
  return entries.length > max ? `${shown.join(", ")} and ${entries.length - max} more` : shown.join(", ");
}
