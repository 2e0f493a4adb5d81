/**
 * Training certificates, format `provenant-training-certificate-v1` (docs/formats/training-certificate-v1.md):
 * the types, the digest (SHA-256 of the payload's RFC 8785 canonical JSON: the nonce of the quote), a strict
 * loader, and the conversion to what AttestorRegistry.checkTrainingCertificate takes.
 */
import { sha256 } from "@noble/hashes/sha2.js";
import { ProvenantError } from "../errors.ts";
import type { DatasetRole, ParentRelation } from "../lineage/graph.ts";
import { bytesToHex, hexToBytes } from "../tpm/bytes.ts";
import { normalizeLowS, parseEcdsaSignature } from "../tpm/quote.ts";
import { canonicalJsonBytes } from "./canonical-json.ts";
import { SKIP_REASONS, type SkippedEntry, type SkipReason } from "../dataset/skipped.ts";
import { canonicalPathText } from "../dataset/path-text.ts";
import {
  DATASET_ROLES,
  EVENT_TYPES,
  PARENT_RELATIONS,
  TRAINING_PCR,
  datasetRoleCode,
  parentRelationCode,
} from "./events.ts";
import type { Address, Hex32, TrainingEvent } from "./events.ts";

export const CERTIFICATE_FORMAT = "provenant-training-certificate-v1";

/** A certificate is tens of KiB (EK certificate, two quotes, the event log); readers take no more than this. */
export const MAX_CERTIFICATE_BYTES = 16 * 1024 * 1024;

export type TpmKindName = "software" | "hardware";

/** What a certificate's quote is worth; see docs/attestor.md "Trust levels". */
export const TRUST_LEVELS = {
  software: "software-tpm-pcr23",
  hardware: "hardware-tpm-pcr23",
} as const;

export type TrustLevel = (typeof TRUST_LEVELS)[TpmKindName];

export type TrustLevelDescription = {
  /** A few words, for a line of output or a badge. */
  summary: string;
  /** What a user may and may not conclude, in plain words. */
  meaning: string;
};

/**
 * Each trust level in words a user understands: the one description the CLI, the dApp and the exports show.
 * Both levels quote PCR 23 alone, so neither says anything about how the attestor's machine booted or what
 * it runs (docs/attestor.md "Trust levels"); a boot-state level would be a new entry here.
 */
export const TRUST_LEVEL_DESCRIPTIONS: Readonly<Record<TrustLevel, TrustLevelDescription>> = {
  "software-tpm-pcr23": {
    summary: "software TPM, for development and demos only",
    meaning:
      "It covers the training process only; the machine's boot state is not attested. A software TPM recorded this run: its keys are files on the attestor's machine, so whoever runs that machine could have made this certificate for a run that never happened. It shows the pipeline works, not that the model was trained this way.",
  },
  "hardware-tpm-pcr23": {
    summary: "hardware TPM, machine state not checked",
    meaning:
      "It covers the training process only; the machine's boot state is not attested. A hardware TPM recorded these inputs and outputs, but not how the attestor's machine booted or what software it ran. Whoever controls that machine could have made this certificate for a run that never happened: it is worth as much as your trust in the attestor's operator.",
  },
};

/** The description of a certificate's trust level; an unknown level is described as worth nothing. */
export function describeTrustLevel(level: string | null | undefined): TrustLevelDescription {
  return (
    (TRUST_LEVEL_DESCRIPTIONS as Record<string, TrustLevelDescription>)[level ?? ""] ?? {
      summary: "unknown trust level",
      meaning: `The trust level ${JSON.stringify(level ?? null)} is not one this verifier knows: treat the certificate as unverified.`,
    }
  );
}

export type CertificateAttestor = {
  address: Address;
  tpmKind: TpmKindName;
  trustLevel: (typeof TRUST_LEVELS)[TpmKindName];
  /** EK certificate, DER, base64. */
  ekCertificate: string;
  ekCertificateSha256: Hex32;
  /** Intermediate CA certificates (PEM) between the EK certificate and a root. Roots are the verifier's own. */
  ekIntermediates: string[];
  /** The AK's TPM2B_PUBLIC, hex. */
  akPublic: string;
  /** nameAlg ‖ SHA-256(TPMT_PUBLIC), hex (34 bytes). */
  akName: string;
  /** nameAlg ‖ SHA-256(QN(EK) ‖ Name(AK)), hex (34 bytes): the quotes' qualifiedSigner. */
  akQualifiedName: string;
};

export type QuoteBytes = {
  /** TPMS_ATTEST, hex. */
  attest: string;
  /** TPMT_SIGNATURE as the TPM returned it (s not normalised), hex. */
  signature: string;
};

export type CertificateRun = {
  /** Random 32 bytes chosen by the attestor; bound into the run event; the start quote's nonce. */
  id: Hex32;
  /** The account that registers the model (bound into the run event). */
  registrant: Address;
  startedAt: string;
  finishedAt: string;
  /** Wall time of the training command. */
  durationMs: number;
  exitCode: number;
  /** SHA-256 of the command's stdout and stderr as streamed, in arrival order. */
  outputLogSha256: Hex32;
  /** A quote over PCR 23 right after the run event, nonce = run id: the TPM clock and counters at the start. */
  startQuote: QuoteBytes;
};

export type CertificateDataset = {
  datasetId: string;
  role: DatasetRole;
  root: Hex32;
  n: number;
  encoding: string;
  /**
   * Entries of the measured folder that are not samples (so not under `root`) and that the run request
   * accepted; absent when there were none. The training command could read them.
   */
  acceptedSkips?: SkippedEntry[];
};

export type CertificateParent = {
  modelId: string;
  relation: ParentRelation;
  weightsDigest: Hex32;
};

export type CertificateCode = {
  kind: "git" | "directory";
  /** provenant-code-v1 digest: SHA-256 of the sorted `sha256sum`-style file list. */
  digest: Hex32;
  files: number;
  /** HEAD commit when kind is git. */
  gitCommit: string | null;
};

export type CertificateCommand = { argv: string[]; digest: Hex32 };
export type CertificateConfig = { files: { name: string; sha256: string }[]; digest: Hex32 };
/** A variable recorded without its value: SHA-256 of the UTF-8 string `<salt>:<value>` (both hex, no 0x). */
export type CertificateSecret = { salt: string; sha256: string };

export type CertificateEnvironment = {
  /** The environment the command ran with, except the secrets. */
  variables: Record<string, string>;
  /** The rest of it: variables passed as secrets, by name, value hashed with a random salt. Absent when none. */
  secrets?: Record<string, CertificateSecret>;
  platform: string;
  arch: string;
  digest: Hex32;
};

export type CertificateInputs = {
  datasets: CertificateDataset[];
  parents: CertificateParent[];
  code: CertificateCode;
  command: CertificateCommand;
  config: CertificateConfig;
  environment: CertificateEnvironment;
};

export type CertificateOutputs = {
  /** Root of the output's model manifest: the new model's weights digest. */
  weightsDigest: Hex32;
  manifestCid: string;
  files: number;
  license: string;
};

export type CertificateChain = {
  chainId: number;
  attestorRegistry: Address;
  modelRegistry: Address;
  datasetRegistry: Address;
};

export type TrainingCertificatePayload = {
  chain: CertificateChain;
  attestor: CertificateAttestor;
  run: CertificateRun;
  inputs: CertificateInputs;
  outputs: CertificateOutputs;
  eventLog: TrainingEvent[];
};

export type TrainingCertificate = {
  format: typeof CERTIFICATE_FORMAT;
  payload: TrainingCertificatePayload;
  /** SHA-256 of the payload's canonical JSON, 0x-hex: the quote's nonce and the on-chain certificateDigest. */
  certificateDigest: Hex32;
  /** The quote over PCR 23 after the last event. */
  quote: QuoteBytes & { pcrs: number[] };
};

export function sha256Hex32(bytes: Uint8Array): Hex32 {
  return `0x${bytesToHex(sha256(bytes))}`;
}

/** SHA-256 of the canonical JSON of a value (the digests of command, config and environment, minus their digest field). */
export function canonicalDigest(value: unknown): Hex32 {
  return sha256Hex32(canonicalJsonBytes(value));
}

export function computeCertificateDigest(payload: TrainingCertificatePayload): Hex32 {
  return canonicalDigest(payload);
}

/** The digest fields of command, config and environment, recomputed from their contents. */
export function commandDigestOf(c: Pick<CertificateCommand, "argv">): Hex32 {
  return canonicalDigest({ argv: c.argv });
}
export function configDigestOf(c: Pick<CertificateConfig, "files">): Hex32 {
  return canonicalDigest({ files: c.files });
}
export function environmentDigestOf(e: Omit<CertificateEnvironment, "digest">): Hex32 {
  return canonicalDigest({ variables: e.variables, ...(e.secrets ? { secrets: e.secrets } : {}), platform: e.platform, arch: e.arch });
}

/**
 * How a secret variable is recorded: SHA-256 of `<salt>:<value>`, hex. Whoever knows the value can check it
 * (`printf '%s:%s' "$salt" "$VALUE" | sha256sum`); whoever does not learns nothing but what guessing gives.
 */
export function secretEnvDigest(salt: string, value: string): string {
  return bytesToHex(sha256(new TextEncoder().encode(`${salt}:${value}`)));
}

// ---- loader (its field readers are shared with evaluation-certificate.ts) --------------------------------

export function bad(path: string, why: string): never {
  throw new ProvenantError("CERTIFICATE_INVALID", `certificate ${path} ${why}`);
}

type Obj = Record<string, unknown>;

export function obj(v: unknown, path: string, keys: readonly string[]): Obj {
  if (typeof v !== "object" || v === null || Array.isArray(v)) bad(path, "is not an object");
  const o = v as Obj;
  for (const k of Object.keys(o)) if (!keys.includes(k)) bad(`${path}.${k}`, "is not a field of this format");
  for (const k of keys) if (!(k in o)) bad(`${path}.${k}`, "is missing");
  return o;
}

export function str(v: unknown, path: string, re?: RegExp): string {
  if (typeof v !== "string") bad(path, "is not a string");
  if (re && !re.test(v)) bad(path, `has the wrong form (${JSON.stringify(v.slice(0, 80))})`);
  return v;
}

export function int(v: unknown, path: string, min = 0): number {
  if (typeof v !== "number" || !Number.isSafeInteger(v) || v < min) bad(path, `is not an integer >= ${min}`);
  return v;
}

export function arr(v: unknown, path: string): unknown[] {
  if (!Array.isArray(v)) bad(path, "is not an array");
  return v;
}

export const HEX32 = /^0x[0-9a-f]{64}$/;
export const ADDRESS = /^0x[0-9a-fA-F]{40}$/;
export const HEX = /^([0-9a-f]{2})+$/;
const NAME_HEX = /^000b[0-9a-f]{64}$/;
export const SHA256_HEX = /^[0-9a-f]{64}$/;
export const TOKEN_ID = /^[1-9][0-9]{0,76}$/;
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?Z$/;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

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

export function quoteBytes(v: unknown, path: string): QuoteBytes {
  const o = obj(v, path, ["attest", "signature"]);
  return { attest: str(o.attest, `${path}.attest`, HEX), signature: str(o.signature, `${path}.signature`, HEX) };
}

function loadPayload(v: unknown): TrainingCertificatePayload {
  const p = obj(v, "payload", ["chain", "attestor", "run", "inputs", "outputs", "eventLog"]);

  const c = obj(p.chain, "payload.chain", ["chainId", "attestorRegistry", "modelRegistry", "datasetRegistry"]);
  const chain: CertificateChain = {
    chainId: int(c.chainId, "payload.chain.chainId", 1),
    attestorRegistry: str(c.attestorRegistry, "payload.chain.attestorRegistry", ADDRESS) as Address,
    modelRegistry: str(c.modelRegistry, "payload.chain.modelRegistry", ADDRESS) as Address,
    datasetRegistry: str(c.datasetRegistry, "payload.chain.datasetRegistry", ADDRESS) as Address,
  };

  const a = obj(p.attestor, "payload.attestor", [
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
  if (trustLevel !== TRUST_LEVELS[tpmKind]) bad("payload.attestor.trustLevel", `is not ${TRUST_LEVELS[tpmKind]}`);
  const attestor: CertificateAttestor = {
    address: str(a.address, "payload.attestor.address", ADDRESS) as Address,
    tpmKind,
    trustLevel: trustLevel as CertificateAttestor["trustLevel"],
    ekCertificate: str(a.ekCertificate, "payload.attestor.ekCertificate", BASE64),
    ekCertificateSha256: str(a.ekCertificateSha256, "payload.attestor.ekCertificateSha256", HEX32) as Hex32,
    ekIntermediates: arr(a.ekIntermediates, "payload.attestor.ekIntermediates").map((x, i) =>
      str(x, `payload.attestor.ekIntermediates[${i}]`, /^-----BEGIN CERTIFICATE-----/)
    ),
    akPublic: str(a.akPublic, "payload.attestor.akPublic", HEX),
    akName: str(a.akName, "payload.attestor.akName", NAME_HEX),
    akQualifiedName: str(a.akQualifiedName, "payload.attestor.akQualifiedName", NAME_HEX),
  };

  const r = obj(p.run, "payload.run", [
    "id",
    "registrant",
    "startedAt",
    "finishedAt",
    "durationMs",
    "exitCode",
    "outputLogSha256",
    "startQuote",
  ]);
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

  const i = obj(p.inputs, "payload.inputs", ["datasets", "parents", "code", "command", "config", "environment"]);
  const datasets = arr(i.datasets, "payload.inputs.datasets").map((x, k): CertificateDataset => {
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
  });
  const parents = arr(i.parents, "payload.inputs.parents").map((x, k): CertificateParent => {
    const path = `payload.inputs.parents[${k}]`;
    const d = obj(x, path, ["modelId", "relation", "weightsDigest"]);
    const relation = str(d.relation, `${path}.relation`) as ParentRelation;
    if (!PARENT_RELATIONS.includes(relation)) bad(`${path}.relation`, `is not one of ${PARENT_RELATIONS.join(", ")}`);
    return {
      modelId: str(d.modelId, `${path}.modelId`, TOKEN_ID),
      relation,
      weightsDigest: str(d.weightsDigest, `${path}.weightsDigest`, HEX32) as Hex32,
    };
  });
  const co = obj(i.code, "payload.inputs.code", ["kind", "digest", "files", "gitCommit"]);
  const code: CertificateCode = {
    kind: str(co.kind, "payload.inputs.code.kind", /^(git|directory)$/) as CertificateCode["kind"],
    digest: str(co.digest, "payload.inputs.code.digest", HEX32) as Hex32,
    files: int(co.files, "payload.inputs.code.files"),
    gitCommit: co.gitCommit === null ? null : str(co.gitCommit, "payload.inputs.code.gitCommit", /^[0-9a-f]{40,64}$/),
  };
  const cm = obj(i.command, "payload.inputs.command", ["argv", "digest"]);
  const argv = arr(cm.argv, "payload.inputs.command.argv").map((x, k) => str(x, `payload.inputs.command.argv[${k}]`));
  if (argv.length === 0) bad("payload.inputs.command.argv", "is empty");
  const cf = obj(i.config, "payload.inputs.config", ["files", "digest"]);
  const hasSecrets = typeof i.environment === "object" && i.environment !== null && "secrets" in i.environment;
  const en = obj(i.environment, "payload.inputs.environment", ["variables", ...(hasSecrets ? ["secrets"] : []), "platform", "arch", "digest"]);
  const vars = obj(en.variables, "payload.inputs.environment.variables", Object.keys(en.variables ?? {}));
  const variables: Record<string, string> = {};
  for (const [k, v] of Object.entries(vars)) variables[k] = str(v, `payload.inputs.environment.variables.${k}`);
  let secrets: Record<string, CertificateSecret> | undefined;
  if (hasSecrets) {
    const path = "payload.inputs.environment.secrets";
    const names = Object.keys(obj(en.secrets, path, Object.keys(en.secrets ?? {})));
    // One form per certificate: no secrets is no field, so certificates without them keep their digest.
    if (names.length === 0) bad(path, "is empty (leave it out)");
    secrets = {};
    for (const k of names) {
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) bad(`${path}.${k}`, "is not a variable name");
      if (k in variables) bad(`${path}.${k}`, "is also in variables");
      const e = obj((en.secrets as Obj)[k], `${path}.${k}`, ["salt", "sha256"]);
      secrets[k] = { salt: str(e.salt, `${path}.${k}.salt`, SHA256_HEX), sha256: str(e.sha256, `${path}.${k}.sha256`, SHA256_HEX) };
    }
  }
  const inputs: CertificateInputs = {
    datasets,
    parents,
    code,
    command: { argv, digest: str(cm.digest, "payload.inputs.command.digest", HEX32) as Hex32 },
    config: {
      files: arr(cf.files, "payload.inputs.config.files").map((x, k) => {
        const f = obj(x, `payload.inputs.config.files[${k}]`, ["name", "sha256"]);
        return {
          name: str(f.name, `payload.inputs.config.files[${k}].name`, /^.+$/),
          sha256: str(f.sha256, `payload.inputs.config.files[${k}].sha256`, SHA256_HEX),
        };
      }),
      digest: str(cf.digest, "payload.inputs.config.digest", HEX32) as Hex32,
    },
    environment: {
      variables,
      ...(secrets ? { secrets } : {}),
      platform: str(en.platform, "payload.inputs.environment.platform"),
      arch: str(en.arch, "payload.inputs.environment.arch"),
      digest: str(en.digest, "payload.inputs.environment.digest", HEX32) as Hex32,
    },
  };

  const o = obj(p.outputs, "payload.outputs", ["weightsDigest", "manifestCid", "files", "license"]);
  const outputs: CertificateOutputs = {
    weightsDigest: str(o.weightsDigest, "payload.outputs.weightsDigest", HEX32) as Hex32,
    manifestCid: str(o.manifestCid, "payload.outputs.manifestCid", /^[a-z0-9]{10,}$/),
    files: int(o.files, "payload.outputs.files", 1),
    license: str(o.license, "payload.outputs.license"),
  };

  const eventLog = arr(p.eventLog, "payload.eventLog").map((x, k): TrainingEvent => {
    const path = `payload.eventLog[${k}]`;
    const e = obj(x, path, ["pcr", "type", "digest", "description"]);
    const type = str(e.type, `${path}.type`) as TrainingEvent["type"];
    if (!EVENT_TYPES.includes(type)) bad(`${path}.type`, `is not one of ${EVENT_TYPES.join(", ")}`);
    const pcr = int(e.pcr, `${path}.pcr`);
    if (pcr !== TRAINING_PCR) bad(`${path}.pcr`, `is not ${TRAINING_PCR}`);
    return { pcr, type, digest: str(e.digest, `${path}.digest`, SHA256_HEX), description: str(e.description, `${path}.description`) };
  });

  return { chain, attestor, run, inputs, outputs, eventLog };
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
    throw new ProvenantError(
      "FORMAT_UNSUPPORTED",
      `certificate format is ${JSON.stringify(format)}, expected "${CERTIFICATE_FORMAT}"`
    );
  }
  const t = obj(value, "", ["format", "payload", "certificateDigest", "quote"]);
  const q = obj(t.quote, "quote", ["pcrs", "attest", "signature"]);
  const pcrs = arr(q.pcrs, "quote.pcrs").map((x, k) => int(x, `quote.pcrs[${k}]`));
  if (pcrs.length !== 1 || pcrs[0] !== TRAINING_PCR) bad("quote.pcrs", `is not [${TRAINING_PCR}]`);
  return {
    format: CERTIFICATE_FORMAT,
    payload: loadPayload(t.payload),
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

/** The bytes a certificate is stored as: pretty JSON with a final newline (its CID is over these bytes). */
export function encodeCertificate(c: TrainingCertificate): Uint8Array {
  return new TextEncoder().encode(`${JSON.stringify(c, null, 2)}\n`);
}

// ---- on-chain forms -----------------------------------------------------------------------------------

/** IAttestorRegistry.TrainingEvidence, as ethers takes it. */
export type TrainingEvidenceStruct = {
  attestor: string;
  certificateDigest: string;
  runId: string;
  codeDigest: string;
  commandDigest: string;
  configDigest: string;
  environmentDigest: string;
  attest: string;
  r: string;
  s: string;
};

/** IAttestorRegistry.TrainingLineage, as ethers takes it. */
export type TrainingLineageStruct = {
  modelRegistry: string;
  registrant: string;
  weightsDigest: string;
  datasets: { datasetId: bigint; role: number; root: string }[];
  parents: { modelId: bigint; relation: number; weightsDigest: string }[];
};

/** The evidence to submit with an attested registration; `s` normalised to low-s. */
export function certificateEvidence(c: TrainingCertificate): TrainingEvidenceStruct {
  const sig = normalizeLowS(parseEcdsaSignature(hexToBytes(c.quote.signature, "quote.signature")));
  return {
    attestor: c.payload.attestor.address,
    certificateDigest: c.certificateDigest,
    runId: c.payload.run.id,
    codeDigest: c.payload.inputs.code.digest,
    commandDigest: c.payload.inputs.command.digest,
    configDigest: c.payload.inputs.config.digest,
    environmentDigest: c.payload.inputs.environment.digest,
    attest: `0x${c.quote.attest}`,
    r: `0x${bytesToHex(sig.r)}`,
    s: `0x${bytesToHex(sig.s)}`,
  };
}

/** The lineage as the certificate states it (the model registry builds its own from the chain). */
export function certificateLineage(c: TrainingCertificate): TrainingLineageStruct {
  return {
    modelRegistry: c.payload.chain.modelRegistry,
    registrant: c.payload.run.registrant,
    weightsDigest: c.payload.outputs.weightsDigest,
    datasets: c.payload.inputs.datasets.map((d) => ({
      datasetId: BigInt(d.datasetId),
      role: datasetRoleCode(d.role),
      root: d.root,
    })),
    parents: c.payload.inputs.parents.map((p) => ({
      modelId: BigInt(p.modelId),
      relation: parentRelationCode(p.relation),
      weightsDigest: p.weightsDigest,
    })),
  };
}

/** IModelRegistry.RegisterParams for the certified model. */
export function certificateRegisterParams(c: TrainingCertificate): {
  weightsDigest: string;
  manifestCid: string;
  license: string;
  parents: { modelId: bigint; relation: number }[];
  datasets: { datasetId: bigint; role: number }[];
} {
  return {
    weightsDigest: c.payload.outputs.weightsDigest,
    manifestCid: c.payload.outputs.manifestCid,
    license: c.payload.outputs.license,
    parents: c.payload.inputs.parents.map((p) => ({ modelId: BigInt(p.modelId), relation: parentRelationCode(p.relation) })),
    datasets: c.payload.inputs.datasets.map((d) => ({ datasetId: BigInt(d.datasetId), role: datasetRoleCode(d.role) })),
  };
}
