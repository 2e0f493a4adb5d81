/**
 * RFC 8785 (JSON Canonicalization Scheme) for the values certificates hold: objects with keys sorted by
 * UTF-16 code units, no whitespace, strings as JSON.stringify writes them (which matches RFC 8785), and
 * numbers restricted to safe integers, so the number serialization question never arises. Anything else
 * (floats, bigint, undefined, functions, non-plain objects) is rejected instead of silently dropped.
 */
import { ProvenantError } from "../errors.ts";

export type CanonicalValue = null | boolean | number | string | readonly CanonicalValue[] | { readonly [key: string]: CanonicalValue };

function fail(path: string, why: string): never {
  throw new ProvenantError("CERTIFICATE_INVALID", `cannot canonicalize ${path || "the value"}: ${why}`);
}

function write(value: unknown, path: string, out: string[]): void {
  if (value === null) {
    out.push("null");
    return;
  }
  switch (typeof value) {
    case "boolean":
      out.push(value ? "true" : "false");
      return;
    case "number":
      if (!Number.isSafeInteger(value)) fail(path, `${value} is not a safe integer (write it as a string)`);
      out.push(Object.is(value, -0) ? "0" : String(value));
      return;
    case "string":
      out.push(JSON.stringify(value));
      return;
    case "object": {
      if (Array.isArray(value)) {
        out.push("[");
        value.forEach((v, i) => {
          if (i > 0) out.push(",");
          write(v, `${path}[${i}]`, out);
        });
        out.push("]");
        return;
      }
      const proto = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) fail(path, "not a plain object");
      const keys = Object.keys(value as object).sort(); // default sort compares UTF-16 code units, as RFC 8785 says
      out.push("{");
      let first = true;
      for (const k of keys) {
        const v = (value as Record<string, unknown>)[k];
        if (v === undefined) fail(`${path}.${k}`, "undefined");
        if (!first) out.push(",");
        first = false;
        out.push(JSON.stringify(k), ":");
        write(v, `${path}.${k}`, out);
      }
      out.push("}");
      return;
    }
    default:
      fail(path, `a ${typeof value} has no JSON form`);
  }
}

/** The canonical JSON text of `value`. */
export function canonicalJson(value: unknown): string {
  const out: string[] = [];
  write(value, "", out);
  return out.join("");
}

/** The canonical JSON of `value` as UTF-8 bytes: what certificate digests hash. */
export function canonicalJsonBytes(value: unknown): Uint8Array {
  return new TextEncoder().encode(canonicalJson(value));
}
