/** Parsing a run request (POST /v1/runs) into the library's TrainingRunRequest. Every field is checked. */
import { isAbsolute } from "node:path";
import { InputError } from "../core/errors.ts";
import { DATASET_ROLES, PARENT_RELATIONS } from "../core/attestor/pcr-events.ts";
import { checkEnvironment } from "../core/attestor/measure.ts";
import type { TrainingRunRequest } from "../core/attestor/run.ts";
import { validateRecord } from "../core/model/record.ts";
import { parseAcceptedSkip, type AcceptedSkip } from "../core/dataset/skipped.ts";
import type { DatasetRole, ParentRelation } from "../core/lineage/graph.ts";

export type RunRequest = Omit<TrainingRunRequest, "registrant"> & {
  /** Default: the service's signing account, which then registers the model. */
  registrant?: `0x${string}`;
  /** Register the model on-chain after certifying (default true). */
  register: boolean;
};

const bad = (why: string): never => {
  throw new InputError("INPUT_INVALID", `run request: ${why}`);
};

function absPath(v: unknown, what: string): string {
  if (typeof v !== "string" || v.length === 0) bad(`${what} must be a path`);
  if (!isAbsolute(v as string)) bad(`${what} must be an absolute path (the service does not know the caller's directory)`);
  return v as string;
}

function tokenId(v: unknown, what: string): string {
  const s = typeof v === "number" ? String(v) : v;
  if (typeof s !== "string" || !/^[1-9][0-9]{0,76}$/.test(s)) bad(`${what} must be a token id`);
  return s as string;
}

/** A dataset's accepted skips, when given: `[{reason, path?}]` (core/dataset/skipped.ts). */
function acceptSkipped(v: unknown, what: string): { acceptSkipped?: AcceptedSkip[] } {
  if (v === undefined) return {};
  if (!Array.isArray(v)) bad(`${what} must be a list of {reason, path?}`);
  try {
    return { acceptSkipped: (v as unknown[]).map((x, k) => parseAcceptedSkip(x, `${what}[${k}]`)) };
  } catch (e) {
    return bad((e as Error).message);
  }
}

export function parseRunRequest(body: unknown): RunRequest {
  if (typeof body !== "object" || body === null || Array.isArray(body)) bad("not a JSON object");
  const b = body as Record<string, unknown>;
  const known = [
    "registrant",
    "datasets",
    "parents",
    "code",
    "command",
    "cwd",
    "env",
    "secretEnv",
    "publishEnv",
    "configFiles",
    "outputDir",
    "record",
    "license",
    "timeoutMs",
    "register",
  ];
  for (const k of Object.keys(b)) if (!known.includes(k)) bad(`unknown field "${k}"`);

  if (!Array.isArray(b.datasets)) bad("datasets must be a list");
  const datasets = (b.datasets as unknown[]).map((x, i) => {
    const d = (x ?? {}) as Record<string, unknown>;
    const role = (d.role ?? "training") as DatasetRole;
    if (!DATASET_ROLES.includes(role)) bad(`datasets[${i}].role must be one of ${DATASET_ROLES.join(", ")}`);
    return {
      datasetId: tokenId(d.datasetId, `datasets[${i}].datasetId`),
      role,
      path: absPath(d.path, `datasets[${i}].path`),
      ...acceptSkipped(d.acceptSkipped, `datasets[${i}].acceptSkipped`),
    };
  });
  if (!Array.isArray(b.parents ?? [])) bad("parents must be a list");
  const parents = ((b.parents ?? []) as unknown[]).map((x, i) => {
    const d = (x ?? {}) as Record<string, unknown>;
    const relation = (d.relation ?? "finetune") as ParentRelation;
    if (!PARENT_RELATIONS.includes(relation)) bad(`parents[${i}].relation must be one of ${PARENT_RELATIONS.join(", ")}`);
    return { modelId: tokenId(d.modelId, `parents[${i}].modelId`), relation, path: absPath(d.path, `parents[${i}].path`) };
  });
  if (datasets.length + parents.length > 32) bad("at most 32 datasets and parents");

  if (!Array.isArray(b.command) || b.command.length === 0 || b.command.some((a) => typeof a !== "string")) {
    bad("command must be a non-empty list of strings");
  }
  const env = (b.env ?? {}) as Record<string, unknown>;
  if (typeof env !== "object" || Array.isArray(env)) bad("env must be an object of strings");
  for (const [k, v] of Object.entries(env)) if (typeof v !== "string") bad(`env.${k} must be a string`);
  const names = (v: unknown, what: string): string[] => {
    if (!Array.isArray(v ?? []) || ((v ?? []) as unknown[]).some((x) => typeof x !== "string")) bad(`${what} must be a list of variable names`);
    return (v ?? []) as string[];
  };
  const secretEnv = names(b.secretEnv, "secretEnv");
  const publishEnv = names(b.publishEnv, "publishEnv");
  // Refused here (400), before the run is queued: a credential must not reach a certificate.
  checkEnvironment(env as Record<string, string>, { secret: secretEnv, publish: publishEnv });
  const configFiles = (b.configFiles ?? []) as unknown[];
  if (!Array.isArray(configFiles)) bad("configFiles must be a list of paths");
  if (b.registrant !== undefined && (typeof b.registrant !== "string" || !/^0x[0-9a-fA-F]{40}$/.test(b.registrant))) {
    bad("registrant must be an address");
  }
  if (b.license !== undefined && typeof b.license !== "string") bad("license must be a string");
  if (b.timeoutMs !== undefined && (!Number.isSafeInteger(b.timeoutMs) || (b.timeoutMs as number) <= 0)) bad("timeoutMs must be a positive integer");
  if (b.register !== undefined && typeof b.register !== "boolean") bad("register must be true or false");

  return {
    ...(b.registrant ? { registrant: b.registrant as `0x${string}` } : {}),
    datasets,
    parents,
    code: absPath(b.code, "code"),
    command: b.command as string[],
    cwd: absPath(b.cwd, "cwd"),
    env: env as Record<string, string>,
    ...(secretEnv.length ? { secretEnv } : {}),
    ...(publishEnv.length ? { publishEnv } : {}),
    configFiles: configFiles.map((p, i) => absPath(p, `configFiles[${i}]`)),
    outputDir: absPath(b.outputDir, "outputDir"),
    record: validateRecord(b.record, "run request record"),
    license: (b.license as string | undefined) ?? "",
    ...(b.timeoutMs ? { timeoutMs: b.timeoutMs as number } : {}),
    register: (b.register as boolean | undefined) ?? true,
  };
}
