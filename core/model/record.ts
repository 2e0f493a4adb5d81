import { readFileSync } from "node:fs";
import { extname } from "node:path";
import { parse as parseYaml } from "yaml";
import { FormatError, InputError } from "../errors.ts";
import { checkVersioned } from "../versioned-json.ts";

/** A model record's fields (provenant-model-record-v1): what a model says about itself. */
export interface ModelRecordFields {
  name: string;
  version: string;
  description?: string;
  architecture?: string;
  task?: string;
  metrics?: Record<string, number | string>;
  hyperparameters?: Record<string, unknown>;
  intendedUse?: string;
  limitations?: string;
  license?: string;
}

/**
 * provenant-model-record-v1 (docs/formats/model-record-v1.md): what a model is, as its registrant declares it.
 * A declared record may leave fields out to inherit them from its first parent's effective record; `null`
 * states "none" and stops inheritance of that field. `metrics` never inherit: they belong to the weights
 * they were measured on.
 */
export const RECORD_FORMAT = "provenant-model-record-v1";

export type JsonValue = null | boolean | number | string | JsonValue[] | { [k: string]: JsonValue };

export interface DeclaredRecord {
  format: typeof RECORD_FORMAT;
  name: string;
  version: string;
  /** false: inherit nothing from the parent. Default true. */
  inherit?: boolean;
  description?: string | null;
  architecture?: string | null;
  task?: string | null;
  /** Key by key; a null value drops that key. Never inherited. */
  metrics?: Record<string, number | string | null> | null;
  /** Merged key by key over the parent's; a null value drops an inherited key. */
  hyperparameters?: Record<string, JsonValue> | null;
  intendedUse?: string | null;
  limitations?: string | null;
  license?: string | null;
}

const TEXT_FIELDS = ["description", "architecture", "task", "intendedUse", "limitations", "license"] as const;
const MAP_FIELDS = ["metrics", "hyperparameters"] as const;
const ALL_FIELDS = ["format", "name", "version", "inherit", ...TEXT_FIELDS, ...MAP_FIELDS] as const;
/** Fields a child takes from its parent when it does not set them. */
export const INHERITED_FIELDS = [...TEXT_FIELDS, "hyperparameters"] as const;

// Semantic Versioning 2.0.0, the regular expression semver.org suggests.
const SEMVER =
  /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$/;
const MAX_TEXT = 20_000;
const MAX_KEYS = 1_000;

export function isSemver(v: unknown): v is string {
  return typeof v === "string" && v.length <= 256 && SEMVER.test(v);
}

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v) && Object.getPrototypeOf(v) === Object.prototype;

function checkJson(v: unknown, where: string, depth = 0): JsonValue {
  const bad = (why: string) => new FormatError("RECORD_INVALID", `${where} ${why}`);
  if (depth > 16) throw bad("is nested more than 16 levels deep");
  if (v === null || typeof v === "boolean" || typeof v === "string") return v;
  if (typeof v === "number") {
    if (!Number.isFinite(v)) throw bad("is not a finite number");
    return v;
  }
  if (Array.isArray(v)) return v.map((x, i) => checkJson(x, `${where}[${i}]`, depth + 1));
  if (isPlainObject(v)) {
    for (const [k, x] of Object.entries(v)) checkJson(x, `${where}.${k}`, depth + 1);
    return v as JsonValue;
  }
  throw bad(`is not a JSON value (${Object.prototype.toString.call(v)})`);
}

/**
 * Validates an untrusted declared record (from a file the user wrote, or from a stored manifest); every
 * failure is RECORD_INVALID naming the field. `format` may be absent in a user's file (it is then v1).
 */
export function validateRecord(value: unknown, where = "the model record"): DeclaredRecord {
  const bad = (why: string) => new FormatError("RECORD_INVALID", `${where}: ${why}`);
  if (!isPlainObject(value)) throw bad("not an object of fields");
  const r = value;
  for (const k of Object.keys(r)) {
    if (!(ALL_FIELDS as readonly string[]).includes(k)) {
      throw bad(`unknown field "${k}" (fields: ${ALL_FIELDS.filter((f) => f !== "format").join(", ")})`);
    }
  }
  checkVersioned(r, where, RECORD_FORMAT, { code: "RECORD_INVALID", formatOptional: true });
  if (typeof r.name !== "string" || r.name.trim().length === 0 || r.name.length > 200 || /[\u0000-\u001f]/.test(r.name)) {
    throw bad("name must be a non-empty single-line string of at most 200 characters");
  }
  if (!isSemver(r.version)) throw bad(`version ${JSON.stringify(r.version ?? null)} is not a semantic version (e.g. 1.0.0)`);
  if (r.inherit !== undefined && typeof r.inherit !== "boolean") throw bad("inherit must be true or false");
  for (const k of TEXT_FIELDS) {
    const v = r[k];
    if (v === undefined || v === null) continue;
    if (typeof v !== "string") throw bad(`${k} must be a string or null`);
    if (v.length > MAX_TEXT) throw bad(`${k} is longer than ${MAX_TEXT} characters`);
  }
  for (const k of MAP_FIELDS) {
    const v = r[k];
    if (v === undefined || v === null) continue;
    if (!isPlainObject(v)) throw bad(`${k} must be a map of names to values, or null`);
    if (Object.keys(v).length > MAX_KEYS) throw bad(`${k} has more than ${MAX_KEYS} entries`);
    for (const [name, x] of Object.entries(v)) {
      if (k === "metrics" && !(x === null || typeof x === "string" || (typeof x === "number" && Number.isFinite(x)))) {
        throw bad(`metrics.${name} must be a number, a string or null`);
      }
      checkJson(x, `${where}: ${k}.${name}`);
    }
  }
  return canonicalRecord({ ...(r as Omit<DeclaredRecord, "format">), format: RECORD_FORMAT } as DeclaredRecord);
}

/** The record with keys in the documented order, `format` first, undefined fields left out. */
export function canonicalRecord(r: DeclaredRecord): DeclaredRecord {
  const out: Record<string, unknown> = {};
  for (const k of ALL_FIELDS) if (r[k] !== undefined) out[k] = r[k];
  return out as unknown as DeclaredRecord;
}

/**
 * Reads a record file: YAML (.yaml, .yml) or JSON (.json; any other extension is read as YAML, which accepts
 * JSON too). `name` and `version` may be missing from the file when `defaults` supplies them; a value in
 * both must agree.
 */
export function loadRecordFile(path: string, defaults: { name?: string; version?: string } = {}): DeclaredRecord {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT") throw new InputError("INPUT_NOT_FOUND", `${path} does not exist`, { cause: e });
    throw new InputError("INPUT_UNREADABLE", `cannot read ${path} (${code})`, { cause: e });
  }
  let parsed: unknown;
  try {
    parsed = extname(path).toLowerCase() === ".json" ? JSON.parse(text) : parseYaml(text, { schema: "core", maxAliasCount: 100 });
  } catch (e) {
    throw new FormatError("RECORD_INVALID", `${path} is not valid ${extname(path) === ".json" ? "JSON" : "YAML"}: ${(e as Error).message.split("\n")[0]}`, {
      cause: e,
    });
  }
  if (parsed === null || parsed === undefined) parsed = {};
  if (!isPlainObject(parsed)) throw new FormatError("RECORD_INVALID", `${path}: not a map of fields`);
  return withIdentity(parsed, defaults, path);
}

/** Fills `name` and `version` from `defaults` (CLI flags), refusing a conflict. */
export function withIdentity(fields: Record<string, unknown>, defaults: { name?: string; version?: string }, where = "the model record"): DeclaredRecord {
  const merged: Record<string, unknown> = { ...fields };
  for (const k of ["name", "version"] as const) {
    const given = defaults[k];
    if (given === undefined) continue;
    if (merged[k] !== undefined && merged[k] !== given) {
      throw new FormatError("RECORD_INVALID", `${where} says ${k} ${JSON.stringify(merged[k])} but --${k} is ${JSON.stringify(given)}`);
    }
    merged[k] = given;
  }
  return validateRecord(merged, where);
}

export interface ResolvedRecord {
  record: ModelRecordFields;
  /** Fields taken from the parent. */
  inherited: string[];
}

/**
 * The effective record: the declared fields, and for every inheritable field the record leaves out, the
 * parent's effective value. `hyperparameters` merge key by key. `null` removes a field or key.
 */
export function resolveRecord(declared: DeclaredRecord, parent: ModelRecordFields | null): ResolvedRecord {
  const out: ModelRecordFields = { name: declared.name, version: declared.version };
  const inherited: string[] = [];
  const from = declared.inherit === false ? null : parent;
  for (const k of TEXT_FIELDS) {
    const v = declared[k];
    if (typeof v === "string") out[k] = v;
    else if (v === undefined && from?.[k] !== undefined) {
      out[k] = from[k];
      inherited.push(k);
    }
  }
  if (declared.metrics) {
    const metrics = Object.fromEntries(Object.entries(declared.metrics).filter(([, x]) => x !== null)) as Record<string, number | string>;
    if (Object.keys(metrics).length > 0) out.metrics = metrics;
  }
  const h = declared.hyperparameters;
  if (h === undefined) {
    if (from?.hyperparameters !== undefined) {
      out.hyperparameters = from.hyperparameters;
      inherited.push("hyperparameters");
    }
  } else if (h !== null) {
    const base = from?.hyperparameters ?? {};
    const merged = { ...base, ...h };
    for (const [k, x] of Object.entries(h)) if (x === null) delete merged[k];
    if (Object.keys(base).some((k) => !(k in h))) inherited.push("hyperparameters");
    if (Object.keys(merged).length > 0) out.hyperparameters = merged;
  }
  return { record: out, inherited };
}
