import { FormatError, type ProvenantErrorCode } from "./errors.ts";

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
