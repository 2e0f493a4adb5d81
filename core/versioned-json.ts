import { FormatError, ProvenantError, type ProvenantErrorCode } from "./errors.ts";

/**
 * The first checks of every saved format: UTF-8, JSON, an object, and a `format` this version reads (name and
 * version in one string, "provenant-dataset-v1"). A format it does not read, older or newer, is refused in one
 * line naming the file and what this version reads: nothing is guessed from a file of another version.
 */

export interface VersionedJsonOptions {
  /** The code of every failure: MANIFEST_INVALID unless the format has its own (CONFIG_INVALID, PROOF_INVALID...). */
  code?: ProvenantErrorCode;
  /** What the user can do about a failure, appended to each line ("delete it and ..."). */
  advice?: string;
  /** A value without `format` is taken as the first format: only for files people write by hand (model records). */
  formatOptional?: boolean;
}

/** The format a loader reads, or the formats (newest first) when it reads more than one. */
export type Formats = string | readonly string[];

export interface VersionedJson {
  value: Record<string, unknown>;
  /** Which of the formats asked for the value has. */
  format: string;
  /** A one-line error for a later field check, naming where the value came from. */
  bad: (why: string) => FormatError;
}

/** One line of the format's code, with the advice if there is one. */
function failure(options: VersionedJsonOptions, message: string, cause?: unknown): FormatError {
  const text = options.advice ? `${message}: ${options.advice}` : message;
  return new FormatError(options.code ?? "MANIFEST_INVALID", text, cause === undefined ? undefined : { cause });
}

/**
 * Checks a value parsed already (YAML, a request body, one line of a journal): an object whose `format` is one
 * of `formats`. `where` names the value in every error ("provenant.config.json", "the proof").
 */
export function checkVersioned(value: unknown, where: string, formats: Formats, options: VersionedJsonOptions = {}): VersionedJson {
  const bad = (why: string) => failure(options, `${where} is invalid: ${why}`);
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw bad("not a JSON object");
  const reads = typeof formats === "string" ? [formats] : formats;
  const object = value as Record<string, unknown>;
  const found = object.format === undefined && options.formatOptional ? reads[0] : object.format;
  if (typeof found !== "string" || !reads.includes(found)) {
    throw failure(options, `${where} has format ${JSON.stringify(found ?? null)}; this version of provenant reads ${reads.join(" or ")}`);
  }
  return { value: object, format: found, bad };
}

/** Decodes `bytes` as strict UTF-8 and JSON, then checkVersioned. */
export function parseVersionedJson(bytes: Uint8Array, where: string, formats: Formats, options: VersionedJsonOptions = {}): VersionedJson {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch (e) {
    throw failure(options, `${where} is not JSON`, e);
  }
  return checkVersioned(value, where, formats, options);
}

/**
 * The strict field readers of a format's loader: each takes the value and its path in the document, and a failure
 * is one ProvenantError of the format's `code` naming `subject` and the path ("certificate payload.run.id is
 * missing"). Objects must hold exactly the fields asked for: an unknown field is refused, not ignored.
 */
export interface FieldReaders {
  bad(path: string, why: string): never;
  obj(v: unknown, path: string, keys: readonly string[]): Record<string, unknown>;
  str(v: unknown, path: string, re?: RegExp): string;
  int(v: unknown, path: string, min?: number): number;
  arr(v: unknown, path: string): unknown[];
}

export function fieldReaders(code: ProvenantErrorCode, subject: string): FieldReaders {
  const bad = (path: string, why: string): never => {
    throw new ProvenantError(code, `${subject} ${path} ${why}`);
  };
  return {
    bad,
    obj(v, path, keys) {
      if (typeof v !== "object" || v === null || Array.isArray(v)) bad(path, "is not an object");
      const o = v as Record<string, unknown>;
      for (const k of Object.keys(o)) if (!keys.includes(k)) bad(`${path}.${k}`, "is not a field of this format");
      for (const k of keys) if (!(k in o)) bad(`${path}.${k}`, "is missing");
      return o;
    },
    str(v, path, re) {
      if (typeof v !== "string") bad(path, "is not a string");
      if (re && !re.test(v as string)) bad(path, `has the wrong form (${JSON.stringify((v as string).slice(0, 80))})`);
      return v as string;
    },
    int(v, path, min = 0) {
      if (typeof v !== "number" || !Number.isSafeInteger(v) || v < min) bad(path, `is not an integer >= ${min}`);
      return v as number;
    },
    arr(v, path) {
      if (!Array.isArray(v)) bad(path, "is not an array");
      return v as unknown[];
    },
  };
}
