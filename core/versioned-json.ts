import { FormatError } from "./errors.ts";

/**
 * The first checks of every saved JSON format: UTF-8, JSON, an object, and the expected `format` (name and
 * version). Returns the object and a `bad(why)` that names `where` in each later field error.
 */
export function parseVersionedJson(
  bytes: Uint8Array,
  where: string,
  format: string,
): { value: Record<string, unknown>; bad: (why: string) => FormatError } {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch (e) {
    throw new FormatError("MANIFEST_INVALID", `${where} is not JSON`, { cause: e });
  }
  const bad = (why: string) => new FormatError("MANIFEST_INVALID", `${where} is invalid: ${why}`);
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw bad("not a JSON object");
  const found = (value as Record<string, unknown>).format;
  if (found !== format) {
    throw new FormatError("MANIFEST_INVALID", `${where} has format ${JSON.stringify(found ?? null)}; this version of provenant reads ${format}`);
  }
  return { value: value as Record<string, unknown>, bad };
}
