import { FormatError } from "../errors.ts";

/**
 * Weight file paths as the model manifest records them: relative, POSIX separators, no `.` or `..`
 * components. Ordered like OpenSSF model-signing's manifests (Python `PurePosixPath` ordering): component
 * by component, each compared by code point (equivalently, by UTF-8 bytes), a proper prefix first.
 */
export function comparePaths(a: string, b: string): number {
  if (a === b) return 0;
  const pa = a.split("/");
  const pb = b.split("/");
  for (let i = 0; i < Math.min(pa.length, pb.length); i++) {
    if (pa[i] !== pb[i]) return Buffer.compare(Buffer.from(pa[i], "utf8"), Buffer.from(pb[i], "utf8"));
  }
  return pa.length - pb.length;
}

/** Throws MANIFEST_INVALID unless `path` is a normalised relative POSIX path; `where` names the field. */
export function checkRelativePath(path: unknown, where: string): string {
  const bad = (why: string) => new FormatError("MANIFEST_INVALID", `${where} ${JSON.stringify(path)} ${why}`);
  if (typeof path !== "string" || path.length === 0) throw bad("is not a path");
  if (path.length > 4096) throw bad("is longer than 4096 characters");
  if (path.startsWith("/")) throw bad("is absolute");
  if (/[\u0000-\u001f\\]/.test(path)) throw bad("holds a control character or a backslash");
  for (const part of path.split("/")) {
    if (part === "" || part === "." || part === "..") throw bad("has an empty, . or .. component");
  }
  return path;
}
