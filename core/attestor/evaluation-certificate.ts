/**
 * Evaluation certificates, format `provenant-evaluation-certificate-v1` (docs/formats/evaluation-certificate-v1.md):
 * the types, the digest (SHA-256 of the payload's RFC 8785 canonical JSON: the quote's nonce), a strict loader,
 * and the structs EvaluationRegistry takes.
 *
 * An evaluation certificate shares its attestor, run and input sections (dataset, code, command, config,
 * environment) with the training certificate, field for field; only the chain binding, the evaluated model, the
 * metrics and the event log are its own. The shared sections are read by the training certificate's loader
 * itself (`sharedSections`), so both formats keep one copy of those rules; so is the optional `boot` section
 * (boot-state.ts) of an attestor at a boot+pcr23 trust level, whose PCRs the quote then also covers.
 */
import { ProvenantError } from "../errors.ts";
import { bytesToHex, hexToBytes } from "../hex.ts";
import type { EvaluationEvidenceStruct, EvaluationParamsStruct } from "../chain/evaluation-registry.ts";
import { normalizeLowS, parseEcdsaSignature } from "../tpm/quote.ts";
import type { CertificateBoot } from "./boot-state.ts";
import { CERTIFICATE_FORMAT, canonicalDigest } from "./certificate.ts";
import { ADDRESS, HEX, HEX32, SHA256_HEX, TOKEN_ID, arr, bad, int, obj, parseCertificate, str } from "./certificate-loader.ts";
import type {
  CertificateAttestor,
  CertificateCode,
  CertificateCommand,
  CertificateConfig,
  CertificateDataset,
  CertificateEnvironment,
  CertificateRun,
  QuoteBytes,
  TrainingCertificate,
} from "./certificate.ts";
import { TRAINING_PCR } from "./pcr-events.ts";
import type { Address, Hex32 } from "./pcr-events.ts";
import { EVALUATION_EVENT_TYPES, type EvaluationEvent } from "./evaluation-events.ts";
import { MAX_METRICS_BYTES } from "./evaluation-metrics.ts";

export const EVALUATION_CERTIFICATE_FORMAT = "provenant-evaluation-certificate-v1";

export type EvaluationChain = {
  chainId: number;
  attestorRegistry: Address;
  evaluationRegistry: Address;
  modelRegistry: Address;
  datasetRegistry: Address;
};

export type EvaluationInputs = {
  /** The evaluated model: its token and the digest of the weights the attestor hashed (its on-chain digest). */
  model: { modelId: string; weightsDigest: Hex32 };
  /** Exactly one dataset, role `evaluation`, re-hashed from the local files like a training dataset. */
  datasets: [CertificateDataset];
  code: CertificateCode;
  command: CertificateCommand;
  config: CertificateConfig;
  environment: CertificateEnvironment;
};

export type EvaluationOutputs = {
  /** The metrics file the command wrote: its SHA-256 (the `metrics` event) and its text, exactly (`provenant-metrics-v1`). */
  metrics: { digest: Hex32; text: string };
};

export type EvaluationCertificatePayload = {
  chain: EvaluationChain;
  attestor: CertificateAttestor;
  run: CertificateRun;
  inputs: EvaluationInputs;
  outputs: EvaluationOutputs;
  eventLog: EvaluationEvent[];
  /** The boot state the final quote also covers; present exactly at the boot+pcr23 trust levels. */
  boot?: CertificateBoot;
};

export type EvaluationCertificate = {
  format: typeof EVALUATION_CERTIFICATE_FORMAT;
  payload: EvaluationCertificatePayload;
  certificateDigest: Hex32;
  quote: QuoteBytes & { pcrs: number[] };
};

export function computeEvaluationCertificateDigest(payload: EvaluationCertificatePayload): Hex32 {
  return canonicalDigest(payload);
}

// ---- loader -------------------------------------------------------------------------------------------

/**
 * The sections an evaluation certificate shares with a training certificate, read by the training loader:
 * they are put, under the same paths, into a training certificate whose other parts are fixed placeholders,
 * so every error names the evaluation certificate's own field.
 */
function sharedSections(p: Record<string, unknown>, inputs: Record<string, unknown>, quote: Record<string, unknown>, hasBoot: boolean) {
  const placeholder: TrainingCertificate = {
    format: CERTIFICATE_FORMAT,
    payload: {
      chain: { chainId: 1, attestorRegistry: `0x${"0".repeat(40)}`, modelRegistry: `0x${"0".repeat(40)}`, datasetRegistry: `0x${"0".repeat(40)}` },
      attestor: p.attestor as CertificateAttestor,
      run: p.run as CertificateRun,
      inputs: {
        datasets: inputs.datasets as CertificateDataset[],
        parents: [],
        code: inputs.code as CertificateCode,
        command: inputs.command as CertificateCommand,
        config: inputs.config as CertificateConfig,
        environment: inputs.environment as CertificateEnvironment,
      },
      outputs: { weightsDigest: `0x${"0".repeat(64)}`, manifestCid: "placeholder", files: 1, license: "" },
      eventLog: [],
      // The trust level, the boot section and the quote's PCR list are checked together, as in training.
      ...(hasBoot ? { boot: p.boot as CertificateBoot } : {}),
    },
    certificateDigest: `0x${"0".repeat(64)}`,
    quote: quote as TrainingCertificate["quote"],
  };
  return parseCertificate(placeholder);
}

function loadEvent(x: unknown, k: number): EvaluationEvent {
  const path = `payload.eventLog[${k}]`;
  const e = obj(x, path, ["pcr", "type", "digest", "description"]);
  const type = str(e.type, `${path}.type`) as EvaluationEvent["type"];
  if (!EVALUATION_EVENT_TYPES.includes(type)) bad(`${path}.type`, `is not one of ${EVALUATION_EVENT_TYPES.join(", ")}`);
  if (int(e.pcr, `${path}.pcr`) !== TRAINING_PCR) bad(`${path}.pcr`, `is not ${TRAINING_PCR}`);
  return { pcr: TRAINING_PCR, type, digest: str(e.digest, `${path}.digest`, SHA256_HEX), description: str(e.description, `${path}.description`) };
}

/**
 * Load an evaluation certificate from parsed JSON: the format, every field's presence and form, no unknown
 * fields. Throws CERTIFICATE_INVALID or FORMAT_UNSUPPORTED. Checks no digest and no quote: verification does.
 */
export function parseEvaluationCertificate(value: unknown): EvaluationCertificate {
  if (typeof value !== "object" || value === null || Array.isArray(value)) bad("", "is not a JSON object");
  const format = (value as Record<string, unknown>).format;
  if (format !== EVALUATION_CERTIFICATE_FORMAT) {
    throw new ProvenantError("FORMAT_UNSUPPORTED", `certificate format is ${JSON.stringify(format)}, expected "${EVALUATION_CERTIFICATE_FORMAT}"`);
  }
  const t = obj(value, "", ["format", "payload", "certificateDigest", "quote"]);
  const hasBoot = typeof t.payload === "object" && t.payload !== null && "boot" in t.payload;
  const p = obj(t.payload, "payload", ["chain", "attestor", "run", "inputs", "outputs", "eventLog", ...(hasBoot ? ["boot"] : [])]);
  const c = obj(p.chain, "payload.chain", ["chainId", "attestorRegistry", "evaluationRegistry", "modelRegistry", "datasetRegistry"]);
  const chain: EvaluationChain = {
    chainId: int(c.chainId, "payload.chain.chainId", 1),
    attestorRegistry: str(c.attestorRegistry, "payload.chain.attestorRegistry", ADDRESS) as Address,
    evaluationRegistry: str(c.evaluationRegistry, "payload.chain.evaluationRegistry", ADDRESS) as Address,
    modelRegistry: str(c.modelRegistry, "payload.chain.modelRegistry", ADDRESS) as Address,
    datasetRegistry: str(c.datasetRegistry, "payload.chain.datasetRegistry", ADDRESS) as Address,
  };
  const i = obj(p.inputs, "payload.inputs", ["model", "datasets", "code", "command", "config", "environment"]);
  const m = obj(i.model, "payload.inputs.model", ["modelId", "weightsDigest"]);
  const model = {
    modelId: str(m.modelId, "payload.inputs.model.modelId", TOKEN_ID),
    weightsDigest: str(m.weightsDigest, "payload.inputs.model.weightsDigest", HEX32) as Hex32,
  };
  if (arr(i.datasets, "payload.inputs.datasets").length !== 1) bad("payload.inputs.datasets", "does not hold exactly one dataset");
  const q = obj(t.quote, "quote", ["pcrs", "attest", "signature"]);
  const pcrs = arr(q.pcrs, "quote.pcrs").map((x, k) => int(x, `quote.pcrs[${k}]`));
  const shared = sharedSections(p, i, { pcrs, attest: str(q.attest, "quote.attest", HEX), signature: str(q.signature, "quote.signature", HEX) }, hasBoot);
  const dataset = shared.payload.inputs.datasets[0]!;
  if (dataset.role !== "evaluation") bad("payload.inputs.datasets[0].role", "is not evaluation");

  const o = obj(p.outputs, "payload.outputs", ["metrics"]);
  const mt = obj(o.metrics, "payload.outputs.metrics", ["digest", "text"]);
  const metricsText = str(mt.text, "payload.outputs.metrics.text");
  if (new TextEncoder().encode(metricsText).length > MAX_METRICS_BYTES) bad("payload.outputs.metrics.text", `is over ${MAX_METRICS_BYTES} bytes`);
  const { code, command, config, environment } = shared.payload.inputs;
  return {
    format: EVALUATION_CERTIFICATE_FORMAT,
    payload: {
      chain,
      attestor: shared.payload.attestor,
      run: shared.payload.run,
      inputs: { model, datasets: [dataset], code, command, config, environment },
      outputs: { metrics: { digest: str(mt.digest, "payload.outputs.metrics.digest", HEX32) as Hex32, text: metricsText } },
      eventLog: arr(p.eventLog, "payload.eventLog").map(loadEvent),
      ...(shared.payload.boot ? { boot: shared.payload.boot } : {}),
    },
    certificateDigest: str(t.certificateDigest, "certificateDigest", HEX32) as Hex32,
    quote: shared.quote,
  };
}

/** Parse certificate bytes (UTF-8 JSON). */
export function decodeEvaluationCertificate(bytes: Uint8Array): EvaluationCertificate {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch (e) {
    throw new ProvenantError("CERTIFICATE_INVALID", "certificate is not UTF-8 JSON", { cause: e });
  }
  return parseEvaluationCertificate(json);
}

/** The bytes a certificate is stored as: pretty JSON with a final newline (its CID is over these bytes). */
export function encodeEvaluationCertificate(c: EvaluationCertificate): Uint8Array {
  return new TextEncoder().encode(`${JSON.stringify(c, null, 2)}\n`);
}

// ---- on-chain forms (the structs' types are the bindings', core/chain/evaluation-registry.ts) ------------

export function evaluationParams(c: EvaluationCertificate): EvaluationParamsStruct {
  return {
    modelId: BigInt(c.payload.inputs.model.modelId),
    datasetId: BigInt(c.payload.inputs.datasets[0].datasetId),
    metricsDigest: c.payload.outputs.metrics.digest,
  };
}

/** The evidence to submit; `s` normalised to low-s. */
export function evaluationEvidence(c: EvaluationCertificate): EvaluationEvidenceStruct {
  const sig = normalizeLowS(parseEcdsaSignature(hexToBytes(c.quote.signature, "quote.signature")));
  const i = c.payload.inputs;
  return {
    attestor: c.payload.attestor.address,
    certificateDigest: c.certificateDigest,
    runId: c.payload.run.id,
    codeDigest: i.code.digest,
    commandDigest: i.command.digest,
    configDigest: i.config.digest,
    environmentDigest: i.environment.digest,
    bootPcrs: (c.payload.boot?.pcrValues ?? []).map((v) => `0x${v}`),
    attest: `0x${c.quote.attest}`,
    r: `0x${bytesToHex(sig.r)}`,
    s: `0x${bytesToHex(sig.s)}`,
  };
}
