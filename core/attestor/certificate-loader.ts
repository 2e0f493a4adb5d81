/**
 * The strict loader of `provenant-training-certificate-v1` (docs/formats/training-certificate-v1.md): the
 * format, every field's presence and form, no unknown fields, one small reader per section of the payload.
 * Every refusal is one ProvenantError("CERTIFICATE_INVALID") naming the field's path. Digests and quotes are
 * not checked here: that is verifyTrainingCertificate's job (certificate-check.ts).
 */
import { ProvenantError } from "../errors.ts";
import { fieldReaders, type FieldReaders } from "../versioned-json.ts";
import type { TpmKindName } from "../chain/attestor-registry.ts";
import { DATASET_ROLES, PARENT_RELATIONS, type DatasetRole, type ParentRelation } from "../chain/roles.ts";
import { SKIP_REASONS, type SkippedEntry, type SkipReason } from "../dataset/skipped.ts";
import { canonicalPathText } from "../dataset/path-text.ts";
import { CERTIFICATE_FORMAT, trustLevelOf } from "./certificate.ts";
import type {
  CertificateAttestor,
  CertificateChain,
  CertificateCode,
  CertificateCommand,
  CertificateConfig,
  CertificateDataset,
  CertificateEnvironment,
  CertificateInputs,
  CertificateOutputs,
  CertificateParent,
  CertificateRun,
  CertificateSecret,
  QuoteBytes,
  TrainingCertificate,
  TrainingCertificatePayload,
} from "./certificate.ts";
import { loadCertificateBoot } from "./boot-state.ts";
import { EVENT_TYPES, TRAINING_PCR } from "./pcr-events.ts";
import type { Address, Hex32, TrainingEvent } from "./pcr-events.ts";

// ---- field readers: each takes the value and its path in the certificate, for the message; shared with the
// evaluation certificate's loader (evaluation-certificate.ts) and the boot section's (boot-state.ts) -----------

type Obj = Record<string, unknown>;
const readers = fieldReaders("CERTIFICATE_INVALID", "certificate");
export const bad: FieldReaders["bad"] = readers.bad;
export const obj: FieldReaders["obj"] = readers.obj;
export const str: FieldReaders["str"] = readers.str;
export const int: FieldReaders["int"] = readers.int;
export const arr: FieldReaders["arr"] = readers.arr;

export const HEX32 = /^0x[0-9a-f]{64}$/;
export const ADDRESS = /^0x[0-9a-fA-F]{40}$/;
export const HEX = /^([0-9a-f]{2})+$/;
const NAME_HEX = /^000b[0-9a-f]{64}$/;
export const SHA256_HEX = /^[0-9a-f]{64}$/;
export const TOKEN_ID = /^[1-9][0-9]{0,76}$/;
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?Z$/;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

// ---- the payload's sections ----------------------------------------------------------------------------

function loadChain(v: unknown): CertificateChain {
  const c = obj(v, "payload.chain", ["chainId", "attestorRegistry", "modelRegistry", "datasetRegistry"]);
  return {
    chainId: int(c.chainId, "payload.chain.chainId", 1),
    attestorRegistry: str(c.attestorRegistry, "payload.chain.attestorRegistry", ADDRESS) as Address,
    modelRegistry: str(c.modelRegistry, "payload.chain.modelRegistry", ADDRESS) as Address,
    datasetRegistry: str(c.datasetRegistry, "payload.chain.datasetRegistry", ADDRESS) as Address,
  };
}

function loadAttestor(v: unknown, hasBoot: boolean): CertificateAttestor {
  const a = obj(v, "payload.attestor", [
    "address",
    "tpmKind",
    "trustLevel",
    "ekCertificate",
    "ekCertificateSha256",
    "ekIntermediates",
    "akPublic",
    "akName",
    "akQualifiedName",
  ]);
  const tpmKind = str(a.tpmKind, "payload.attestor.tpmKind", /^(software|hardware)$/) as TpmKindName;
  const trustLevel = str(a.trustLevel, "payload.attestor.trustLevel");
  if (trustLevel !== trustLevelOf(tpmKind, hasBoot)) bad("payload.attestor.trustLevel", `is not ${trustLevelOf(tpmKind, hasBoot)}`);
  return {
    address: str(a.address, "payload.attestor.address", ADDRESS) as Address,
    tpmKind,
    trustLevel: trustLevel as CertificateAttestor["trustLevel"],
    ekCertificate: str(a.ekCertificate, "payload.attestor.ekCertificate", BASE64),
    ekCertificateSha256: str(a.ekCertificateSha256, "payload.attestor.ekCertificateSha256", HEX32) as Hex32,
    ekIntermediates: arr(a.ekIntermediates, "payload.attestor.ekIntermediates").map((x, i) =>
      str(x, `payload.attestor.ekIntermediates[${i}]`, /^-----BEGIN CERTIFICATE-----/),
    ),
    akPublic: str(a.akPublic, "payload.attestor.akPublic", HEX),
    akName: str(a.akName, "payload.attestor.akName", NAME_HEX),
    akQualifiedName: str(a.akQualifiedName, "payload.attestor.akQualifiedName", NAME_HEX),
  };
}

function quoteBytes(v: unknown, path: string): QuoteBytes {
  const o = obj(v, path, ["attest", "signature"]);
  return { attest: str(o.attest, `${path}.attest`, HEX), signature: str(o.signature, `${path}.signature`, HEX) };
}

function loadRun(v: unknown): CertificateRun {
  const r = obj(v, "payload.run", ["id", "registrant", "startedAt", "finishedAt", "durationMs", "exitCode", "outputLogSha256", "startQuote"]);
  const run: CertificateRun = {
    id: str(r.id, "payload.run.id", HEX32) as Hex32,
    registrant: str(r.registrant, "payload.run.registrant", ADDRESS) as Address,
    startedAt: str(r.startedAt, "payload.run.startedAt", ISO_TIME),
    finishedAt: str(r.finishedAt, "payload.run.finishedAt", ISO_TIME),
    durationMs: int(r.durationMs, "payload.run.durationMs"),
    exitCode: int(r.exitCode, "payload.run.exitCode"),
    outputLogSha256: str(r.outputLogSha256, "payload.run.outputLogSha256", HEX32) as Hex32,
    startQuote: quoteBytes(r.startQuote, "payload.run.startQuote"),
  };
  if (run.exitCode !== 0) bad("payload.run.exitCode", "is not 0: only successful runs are certified");
  return run;
}

function acceptedSkips(v: unknown, path: string): SkippedEntry[] {
  const list = arr(v, path);
  if (list.length === 0) bad(path, "is empty: a dataset with no accepted skips has no acceptedSkips field");
  return list.map((x, k) => {
    const e = obj(x, `${path}[${k}]`, ["path", "reason"]);
    const reason = str(e.reason, `${path}[${k}].reason`) as SkipReason;
    if (!SKIP_REASONS.includes(reason)) bad(`${path}[${k}].reason`, `is not one of ${SKIP_REASONS.join(", ")}`);
    const p = str(e.path, `${path}[${k}].path`, /^.+$/);
    let canonical: string | null = null;
    try {
      canonical = canonicalPathText(p);
    } catch {}
    if (canonical !== p) bad(`${path}[${k}].path`, "is not a path in text form (docs/formats/encodings-v1.md)");
    return { path: p, reason };
  });
}

function loadDataset(x: unknown, k: number): CertificateDataset {
  const path = `payload.inputs.datasets[${k}]`;
  const keys = ["datasetId", "role", "root", "n", "encoding"];
  // Optional, and kept exactly as given: the digest is recomputed from what this returns.
  const d = obj(x, path, (x as Obj | null)?.acceptedSkips === undefined ? keys : [...keys, "acceptedSkips"]);
  const role = str(d.role, `${path}.role`) as DatasetRole;
  if (!DATASET_ROLES.includes(role)) bad(`${path}.role`, `is not one of ${DATASET_ROLES.join(", ")}`);
  return {
    datasetId: str(d.datasetId, `${path}.datasetId`, TOKEN_ID),
    role,
    root: str(d.root, `${path}.root`, HEX32) as Hex32,
    n: int(d.n, `${path}.n`, 1),
    encoding: str(d.encoding, `${path}.encoding`, /^.+$/),
    ...(d.acceptedSkips === undefined ? {} : { acceptedSkips: acceptedSkips(d.acceptedSkips, `${path}.acceptedSkips`) }),
  };
}

function loadParent(x: unknown, k: number): CertificateParent {
  const path = `payload.inputs.parents[${k}]`;
  const d = obj(x, path, ["modelId", "relation", "weightsDigest"]);
  const relation = str(d.relation, `${path}.relation`) as ParentRelation;
  if (!PARENT_RELATIONS.includes(relation)) bad(`${path}.relation`, `is not one of ${PARENT_RELATIONS.join(", ")}`);
  return {
    modelId: str(d.modelId, `${path}.modelId`, TOKEN_ID),
    relation,
    weightsDigest: str(d.weightsDigest, `${path}.weightsDigest`, HEX32) as Hex32,
  };
}

function loadCode(v: unknown): CertificateCode {
  const co = obj(v, "payload.inputs.code", ["kind", "digest", "files", "gitCommit"]);
  return {
    kind: str(co.kind, "payload.inputs.code.kind", /^(git|directory)$/) as CertificateCode["kind"],
    digest: str(co.digest, "payload.inputs.code.digest", HEX32) as Hex32,
    files: int(co.files, "payload.inputs.code.files"),
    gitCommit: co.gitCommit === null ? null : str(co.gitCommit, "payload.inputs.code.gitCommit", /^[0-9a-f]{40,64}$/),
  };
}

function loadCommand(v: unknown): CertificateCommand {
  const cm = obj(v, "payload.inputs.command", ["argv", "digest"]);
  const argv = arr(cm.argv, "payload.inputs.command.argv").map((x, k) => str(x, `payload.inputs.command.argv[${k}]`));
  if (argv.length === 0) bad("payload.inputs.command.argv", "is empty");
  return { argv, digest: str(cm.digest, "payload.inputs.command.digest", HEX32) as Hex32 };
}

function loadConfig(v: unknown): CertificateConfig {
  const cf = obj(v, "payload.inputs.config", ["files", "digest"]);
  return {
    files: arr(cf.files, "payload.inputs.config.files").map((x, k) => {
      const f = obj(x, `payload.inputs.config.files[${k}]`, ["name", "sha256"]);
      return {
        name: str(f.name, `payload.inputs.config.files[${k}].name`, /^.+$/),
        sha256: str(f.sha256, `payload.inputs.config.files[${k}].sha256`, SHA256_HEX),
      };
    }),
    digest: str(cf.digest, "payload.inputs.config.digest", HEX32) as Hex32,
  };
}

function loadSecrets(v: unknown, variables: Record<string, string>): Record<string, CertificateSecret> {
  const path = "payload.inputs.environment.secrets";
  const names = Object.keys(obj(v, path, Object.keys(v ?? {})));
  // One form per certificate: no secrets is no field, so certificates without them keep their digest.
  if (names.length === 0) bad(path, "is empty (leave it out)");
  const secrets: Record<string, CertificateSecret> = {};
  for (const k of names) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) bad(`${path}.${k}`, "is not a variable name");
    if (k in variables) bad(`${path}.${k}`, "is also in variables");
    const e = obj((v as Obj)[k], `${path}.${k}`, ["salt", "sha256"]);
    secrets[k] = { salt: str(e.salt, `${path}.${k}.salt`, SHA256_HEX), sha256: str(e.sha256, `${path}.${k}.sha256`, SHA256_HEX) };
  }
  return secrets;
}

function loadEnvironment(v: unknown): CertificateEnvironment {
  const hasSecrets = typeof v === "object" && v !== null && "secrets" in v;
  const en = obj(v, "payload.inputs.environment", ["variables", ...(hasSecrets ? ["secrets"] : []), "platform", "arch", "digest"]);
  const vars = obj(en.variables, "payload.inputs.environment.variables", Object.keys(en.variables ?? {}));
  const variables: Record<string, string> = {};
  for (const [k, x] of Object.entries(vars)) variables[k] = str(x, `payload.inputs.environment.variables.${k}`);
  return {
    variables,
    ...(hasSecrets ? { secrets: loadSecrets(en.secrets, variables) } : {}),
    platform: str(en.platform, "payload.inputs.environment.platform"),
    arch: str(en.arch, "payload.inputs.environment.arch"),
    digest: str(en.digest, "payload.inputs.environment.digest", HEX32) as Hex32,
  };
}

function loadInputs(v: unknown): CertificateInputs {
  const i = obj(v, "payload.inputs", ["datasets", "parents", "code", "command", "config", "environment"]);
  const datasets = arr(i.datasets, "payload.inputs.datasets").map(loadDataset);
  const parents = arr(i.parents, "payload.inputs.parents").map(loadParent);
  const code = loadCode(i.code);
  const command = loadCommand(i.command);
  const config = loadConfig(i.config);
  const environment = loadEnvironment(i.environment);
  return { datasets, parents, code, command, config, environment };
}

function loadOutputs(v: unknown): CertificateOutputs {
  const o = obj(v, "payload.outputs", ["weightsDigest", "manifestCid", "files", "license"]);
  return {
    weightsDigest: str(o.weightsDigest, "payload.outputs.weightsDigest", HEX32) as Hex32,
    manifestCid: str(o.manifestCid, "payload.outputs.manifestCid", /^[a-z0-9]{10,}$/),
    files: int(o.files, "payload.outputs.files", 1),
    license: str(o.license, "payload.outputs.license"),
  };
}

function loadEvent(x: unknown, k: number): TrainingEvent {
  const path = `payload.eventLog[${k}]`;
  const e = obj(x, path, ["pcr", "type", "digest", "description"]);
  const type = str(e.type, `${path}.type`) as TrainingEvent["type"];
  if (!EVENT_TYPES.includes(type)) bad(`${path}.type`, `is not one of ${EVENT_TYPES.join(", ")}`);
  const pcr = int(e.pcr, `${path}.pcr`);
  if (pcr !== TRAINING_PCR) bad(`${path}.pcr`, `is not ${TRAINING_PCR}`);
  return { pcr, type, digest: str(e.digest, `${path}.digest`, SHA256_HEX), description: str(e.description, `${path}.description`) };
}

function loadPayload(v: unknown): TrainingCertificatePayload {
  // `boot` is optional and kept exactly as given: a certificate without it is what it was before the field existed.
  const hasBoot = typeof v === "object" && v !== null && "boot" in v;
  const p = obj(v, "payload", ["chain", "attestor", "run", "inputs", "outputs", "eventLog", ...(hasBoot ? ["boot"] : [])]);
  return {
    chain: loadChain(p.chain),
    attestor: loadAttestor(p.attestor, hasBoot),
    run: loadRun(p.run),
    inputs: loadInputs(p.inputs),
    outputs: loadOutputs(p.outputs),
    eventLog: arr(p.eventLog, "payload.eventLog").map(loadEvent),
    ...(hasBoot ? { boot: loadCertificateBoot(p.boot) } : {}),
  };
}

/**
 * Load a certificate from parsed JSON: the format, every field's presence and form, no unknown fields.
 * Throws ProvenantError("CERTIFICATE_INVALID") or ("FORMAT_UNSUPPORTED"). Does not check digests or the
 * quote: that is verifyTrainingCertificate's job.
 */
export function parseCertificate(value: unknown): TrainingCertificate {
  if (typeof value !== "object" || value === null || Array.isArray(value)) bad("", "is not a JSON object");
  const format = (value as Obj).format;
  if (format !== CERTIFICATE_FORMAT) {
    throw new ProvenantError("FORMAT_UNSUPPORTED", `certificate format is ${JSON.stringify(format)}, expected "${CERTIFICATE_FORMAT}"`);
  }
  const t = obj(value, "", ["format", "payload", "certificateDigest", "quote"]);
  const q = obj(t.quote, "quote", ["pcrs", "attest", "signature"]);
  const pcrs = arr(q.pcrs, "quote.pcrs").map((x, k) => int(x, `quote.pcrs[${k}]`));
  const payload = loadPayload(t.payload);
  const quoted = [...(payload.boot?.pcrs ?? []), TRAINING_PCR];
  if (pcrs.join() !== quoted.join()) bad("quote.pcrs", `is not [${quoted.join(", ")}]`);
  return {
    format: CERTIFICATE_FORMAT,
    payload,
    certificateDigest: str(t.certificateDigest, "certificateDigest", HEX32) as Hex32,
    quote: { pcrs, attest: str(q.attest, "quote.attest", HEX), signature: str(q.signature, "quote.signature", HEX) },
  };
}

/** Parse certificate bytes (UTF-8 JSON). */
export function decodeCertificate(bytes: Uint8Array): TrainingCertificate {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch (e) {
    throw new ProvenantError("CERTIFICATE_INVALID", "certificate is not UTF-8 JSON", { cause: e });
  }
  return parseCertificate(json);
}
