/**
 * The metrics file an evaluation command writes, format `provenant-metrics-v1` (docs/formats/metrics-v1.md):
 *
 *   { "format": "provenant-metrics-v1",
 *     "metrics": [{ "name": "accuracy", "value": 0.9712, "split": "test", "config": "top-1" }] }
 *
 * The attestor measures the file's bytes (SHA-256: the `metrics` event and the on-chain metricsDigest) and
 * copies its text into the certificate; this loader decides whether those bytes are a metrics file at all.
 * Strict: UTF-8 JSON, exactly these fields, finite numbers, no entry twice. Browser-safe, no I/O.
 */
import { sha256 } from "@noble/hashes/sha2.js";
import { ProvenantError } from "../errors.ts";
import { bytesToHex } from "../hex.ts";
import type { AttestedEvaluation } from "./attestation.ts";
import type { Hex32 } from "../hex.ts";

export const METRICS_FORMAT = "provenant-metrics-v1";
/** The name of the file the evaluation command writes. */
export const METRICS_FILE = "metrics.json";
/**
 * The variable that tells the evaluation command where to write it: a path the attestor chose, in a directory it
 * made for the run that only it and the command can write. Part of the measured environment; no request sets it.
 */
export const METRICS_FILE_VARIABLE = "PROVENANT_METRICS_FILE";
/** A metrics file is a few hundred bytes; the certificate carries its text, so it stays small. */
export const MAX_METRICS_BYTES = 64 * 1024;
export const MAX_METRICS = 256;

export type MetricEntry = {
  /** What was measured: "accuracy", "f1", "exact_match", ... (the Hugging Face metric `type`). */
  name: string;
  /** A finite number. */
  value: number;
  /** The part of the dataset it was measured on: "test", "validation", ... */
  split: string;
  /** The metric's configuration, when it has one: "top-5", "macro", ... */
  config?: string;
};

export type MetricsFile = { format: typeof METRICS_FORMAT; metrics: MetricEntry[] };

const TEXT = /^[^\u0000-\u001f\u007f]+$/;

function bad(where: string, why: string): never {
  throw new ProvenantError("METRICS_INVALID", `${where} is not a ${METRICS_FORMAT} file: ${why}`);
}

function text(v: unknown, path: string, where: string, max: number): string {
  if (typeof v !== "string" || v.length === 0 || v.length > max || !TEXT.test(v) || v.trim() !== v) {
    bad(where, `${path} must be a single line of 1 to ${max} characters, without surrounding spaces`);
  }
  return v;
}

/** Parse and check metrics file bytes; `where` names the file in errors. Throws METRICS_INVALID. */
export function parseMetrics(bytes: Uint8Array, where = METRICS_FILE): MetricsFile {
  if (bytes.length > MAX_METRICS_BYTES) bad(where, `it is ${bytes.length} bytes, more than ${MAX_METRICS_BYTES}`);
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch (e) {
    throw new ProvenantError("METRICS_INVALID", `${where} is not UTF-8 JSON`, { cause: e });
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) bad(where, "it is not a JSON object");
  const o = value as Record<string, unknown>;
  if (o.format !== METRICS_FORMAT) bad(where, `its format is ${JSON.stringify(o.format ?? null)}`);
  for (const k of Object.keys(o)) if (k !== "format" && k !== "metrics") bad(where, `"${k}" is not a field of this format`);
  if (!Array.isArray(o.metrics) || o.metrics.length === 0) bad(where, "metrics must be a non-empty list");
  if (o.metrics.length > MAX_METRICS) bad(where, `it has ${o.metrics.length} metrics, more than ${MAX_METRICS}`);
  const seen = new Set<string>();
  const metrics = o.metrics.map((x, i): MetricEntry => {
    const path = `metrics[${i}]`;
    if (typeof x !== "object" || x === null || Array.isArray(x)) bad(where, `${path} is not an object`);
    const m = x as Record<string, unknown>;
    for (const k of Object.keys(m)) if (!["name", "value", "split", "config"].includes(k)) bad(where, `${path}.${k} is not a field of this format`);
    const name = text(m.name, `${path}.name`, where, 64);
    if (typeof m.value !== "number" || !Number.isFinite(m.value)) bad(where, `${path}.value must be a finite number`);
    const split = text(m.split, `${path}.split`, where, 64);
    const config = m.config === undefined ? undefined : text(m.config, `${path}.config`, where, 128);
    const key = JSON.stringify([name, split, config ?? null]);
    if (seen.has(key)) bad(where, `${path} repeats ${name} on ${split}${config ? ` (${config})` : ""}`);
    seen.add(key);
    return { name, value: m.value, split, ...(config === undefined ? {} : { config }) };
  });
  return { format: METRICS_FORMAT, metrics };
}

/** SHA-256 of the metrics file's bytes, as it goes into the `metrics` event and on-chain. */
export function metricsDigestOf(bytes: Uint8Array): Hex32 {
  return `0x${bytesToHex(sha256(bytes))}`;
}

/** A metric as one line: "accuracy 0.9712 (test)", "f1 0.88 (validation, macro)". */
export function describeMetric(m: MetricEntry): string {
  return `${m.name} ${m.value} (${m.split}${m.config ? `, ${m.config}` : ""})`;
}

/** "accuracy 0.9712 (test) on dataset #1 MNIST 10k": what an attested evaluation states, in one line. */
export function describeEvaluation(e: AttestedEvaluation): string {
  const what = e.metrics.length ? e.metrics.map(describeMetric).join(", ") : `metrics ${e.metricsDigest}`;
  return `${what} on dataset #${e.dataset.tokenId}${e.dataset.name ? ` ${e.dataset.name}` : ""}`;
}
