/**
 * Evaluations in the attestor service: `POST /v1/evaluations` takes an evaluation request, which is queued,
 * run and recorded exactly as a training run (the same TPM lock, states, NDJSON events and database: the
 * service's), and executed by `runEvaluationJob`: the measured evaluation (core/attestor/evaluation-run.ts),
 * the certificate stored, the contract's verdict as a call, then the registration in EvaluationRegistry.
 */
import { isAbsolute } from "node:path";
import type { Signer } from "ethers";
import type { ChainConnection } from "../core/chain/connect.ts";
import { EvaluationRegistryClient, evaluationRegistryAddress } from "../core/chain/evaluation-registry.ts";
import { InputError, ProvenantError } from "../core/errors.ts";
import { evaluationEvidence, evaluationParams, encodeEvaluationCertificate, decodeEvaluationCertificate } from "../core/attestor/evaluation-certificate.ts";
import { checkEvaluationEnvironment, runMeasuredEvaluation } from "../core/attestor/evaluation-run.ts";
import type { EvaluationRunRequest } from "../core/attestor/evaluation-run.ts";
import type { AttestorIdentity, RunChain, RunHooks } from "../core/attestor/run.ts";
import type { RunEvent, RunState, RunStateFields } from "../core/attestor/run-events.ts";
import { checkEnvironment } from "../core/attestor/measure.ts";
import type { CommandSandbox } from "../core/attestor/sandbox.ts";
import type { BootSource } from "../core/attestor/boot-state.ts";
import { parseAcceptedSkip } from "../core/dataset/skipped.ts";
import type { ContentStore } from "../core/storage/store.ts";
import type { TpmTransport } from "../core/tpm/transport.ts";
import type { RunRow } from "./db.ts";
import type { Logger } from "./log.ts";

export const EVALUATIONS_PATH = "/v1/evaluations";

/** An evaluation request as queued: the library's request, who registers, whether to, and its kind. */
export type EvaluationRequest = Omit<EvaluationRunRequest, "registrant"> & {
  kind: "evaluation";
  registrant?: `0x${string}`;
  /** Register the evaluation on-chain after certifying (default true). */
  register: boolean;
};

/** Whether a queued request (or a stored one, parsed from the runs database) is an evaluation's. */
export function isEvaluationRequest(request: unknown): request is EvaluationRequest {
  return typeof request === "object" && request !== null && (request as { kind?: unknown }).kind === "evaluation";
}

const bad = (why: string): never => {
  throw new InputError("INPUT_INVALID", `evaluation request: ${why}`);
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

function names(v: unknown, what: string): string[] {
  if (!Array.isArray(v ?? []) || ((v ?? []) as unknown[]).some((x) => typeof x !== "string")) bad(`${what} must be a list of variable names`);
  return (v ?? []) as string[];
}

/** Parse POST /v1/evaluations: every field checked, unknown ones refused (400 naming the field). */
export function parseEvaluationRequest(body: unknown): EvaluationRequest {
  if (typeof body !== "object" || body === null || Array.isArray(body)) bad("not a JSON object");
  const b = body as Record<string, unknown>;
  const known = ["registrant", "model", "dataset", "code", "command", "cwd", "env", "secretEnv", "publishEnv", "configFiles", "timeoutMs", "register"];
  for (const k of Object.keys(b)) if (!known.includes(k)) bad(`unknown field "${k}"`);
  const model = (b.model ?? {}) as Record<string, unknown>;
  const dataset = (b.dataset ?? {}) as Record<string, unknown>;
  if (typeof b.model !== "object" || b.model === null) bad("model must be {modelId, path}");
  if (typeof b.dataset !== "object" || b.dataset === null) bad("dataset must be {datasetId, path, acceptSkipped?}");
  for (const k of Object.keys(model)) if (k !== "modelId" && k !== "path") bad(`unknown field "model.${k}"`);
  for (const k of Object.keys(dataset)) if (!["datasetId", "path", "acceptSkipped"].includes(k)) bad(`unknown field "dataset.${k}"`);
  let acceptSkipped;
  if (dataset.acceptSkipped !== undefined) {
    if (!Array.isArray(dataset.acceptSkipped)) bad("dataset.acceptSkipped must be a list of {reason, path?}");
    try {
      acceptSkipped = (dataset.acceptSkipped as unknown[]).map((x, k) => parseAcceptedSkip(x, `dataset.acceptSkipped[${k}]`));
    } catch (e) {
      bad((e as Error).message);
    }
  }
  if (!Array.isArray(b.command) || b.command.length === 0 || b.command.some((a) => typeof a !== "string")) bad("command must be a non-empty list of strings");
  const env = (b.env ?? {}) as Record<string, unknown>;
  if (typeof env !== "object" || Array.isArray(env)) bad("env must be an object of strings");
  for (const [k, v] of Object.entries(env)) if (typeof v !== "string") bad(`env.${k} must be a string`);
  const secretEnv = names(b.secretEnv, "secretEnv");
  const publishEnv = names(b.publishEnv, "publishEnv");
  // Refused here (400), before the run is queued: a credential must not reach a certificate, and the metrics file's
  // place is the attestor's to choose.
  checkEnvironment(env as Record<string, string>, { secret: secretEnv, publish: publishEnv });
  checkEvaluationEnvironment(env as Record<string, string>);
  const configFiles = (b.configFiles ?? []) as unknown[];
  if (!Array.isArray(configFiles)) bad("configFiles must be a list of paths");
  if (b.registrant !== undefined && (typeof b.registrant !== "string" || !/^0x[0-9a-fA-F]{40}$/.test(b.registrant))) bad("registrant must be an address");
  if (b.timeoutMs !== undefined && (!Number.isSafeInteger(b.timeoutMs) || (b.timeoutMs as number) <= 0)) bad("timeoutMs must be a positive integer");
  if (b.register !== undefined && typeof b.register !== "boolean") bad("register must be true or false");
  return {
    kind: "evaluation",
    ...(b.registrant ? { registrant: b.registrant as `0x${string}` } : {}),
    model: { modelId: tokenId(model.modelId, "model.modelId"), path: absPath(model.path, "model.path") },
    dataset: { datasetId: tokenId(dataset.datasetId, "dataset.datasetId"), path: absPath(dataset.path, "dataset.path"), ...(acceptSkipped ? { acceptSkipped } : {}) },
    code: absPath(b.code, "code"),
    command: b.command as string[],
    cwd: absPath(b.cwd, "cwd"),
    env: env as Record<string, string>,
    ...(secretEnv.length ? { secretEnv } : {}),
    ...(publishEnv.length ? { publishEnv } : {}),
    configFiles: configFiles.map((p, i) => absPath(p, `configFiles[${i}]`)),
    ...(b.timeoutMs ? { timeoutMs: b.timeoutMs as number } : {}),
    register: (b.register as boolean | undefined) ?? true,
  };
}

export type EvaluationJob = {
  id: string;
  request: EvaluationRequest;
  registrant: `0x${string}`;
  identity: AttestorIdentity;
  chain: RunChain;
  conn: ChainConnection;
  signer: Signer;
  tpm: TpmTransport;
  store: ContentStore;
  sandbox: CommandSandbox;
  /** The service's EvaluationRegistry override, if any. */
  evaluationRegistry?: string;
  /** The boot+pcr23 level: evaluations quote the boot PCRs with PCR 23, as training runs do. */
  boot?: BootSource;
  hooks: RunHooks;
  setState(state: RunState, fields?: RunStateFields): void;
  emit(e: RunEvent): void;
  log: Logger;
  /** The transaction was sent (recorded, so a restart can look for it). */
  onSent(txHash: string): void;
};

/**
 * An evaluation under the TPM lock, from measuring to its registration (or certification). Throws for any
 * failure; the service records it as it records a training run's.
 */
export async function runEvaluationJob(j: EvaluationJob): Promise<void> {
  const registry = new EvaluationRegistryClient(evaluationRegistryAddress(j.conn, j.evaluationRegistry), j.conn.provider, j.conn.chainId);
  const { kind: _kind, register, registrant: _registrant, ...request } = j.request;
  const result = await runMeasuredEvaluation({
    request: { ...request, registrant: j.registrant },
    identity: j.identity,
    tpm: j.tpm,
    chain: { ...j.chain, evaluationRegistry: registry.address as `0x${string}` },
    store: j.store,
    sandbox: j.sandbox,
    ...(j.boot ? { boot: j.boot } : {}),
    hooks: j.hooks,
  });
  const cert = result.certificate;
  const certificateCid = await j.store.put(encodeEvaluationCertificate(cert), { name: "evaluation-certificate.json" });
  j.setState("certifying", { certificateDigest: cert.certificateDigest, certificateCid, timings: result.timings });
  j.emit({ type: "certificate", certificateDigest: cert.certificateDigest, certificateCid, timings: result.timings, metricsText: cert.payload.outputs.metrics.text });
  j.log.info("evaluation certificate made", { certificateDigest: cert.certificateDigest, certificateCid, timings: result.timings });

  // The contract's own verdict before any transaction (registration preflights it again as a call).
  const verdict = await registry.checkEvaluationCertificate(evaluationParams(cert), evaluationEvidence(cert), j.registrant);
  if (!verdict.ok) throw new ProvenantError("CERTIFICATE_INVALID", verdict.detail);
  if (!register) {
    j.setState("certified");
    return;
  }
  j.setState("registering");
  const reg = await registry.withSigner(j.signer).register(evaluationParams(cert), evaluationEvidence(cert), certificateCid, { onSent: j.onSent });
  const evaluationId = reg.evaluationId.toString();
  // The runs table has one id column for what was registered; for an evaluation it holds the evaluation's id.
  j.setState("registered", { modelId: evaluationId, txHash: reg.txHash, gasUsed: reg.gasUsed.toString() });
  j.emit({ type: "registered", evaluationId, modelId: request.model.modelId, txHash: reg.txHash, gasUsed: reg.gasUsed.toString() });
  j.log.info("evaluation registered", { evaluationId, txHash: reg.txHash, gasUsed: reg.gasUsed });
}

/** A stored evaluation interrupted while registering: the chain says whether its one transaction went through. */
export async function settleEvaluation(conn: ChainConnection, store: ContentStore, row: RunRow, evaluationRegistry?: string): Promise<Partial<RunRow>> {
  const cert = decodeEvaluationCertificate(await store.get(row.certificateCid!));
  const registry = new EvaluationRegistryClient(evaluationRegistryAddress(conn, evaluationRegistry), conn.provider, conn.chainId);
  const id = await registry.evaluationOfCertificate(cert.certificateDigest);
  return id !== undefined
    ? { state: "registered", modelId: id.toString() }
    : {
        state: "failed",
        errorCode: "RUN_INTERRUPTED",
        errorMessage: "the attestor stopped during registration and the chain has no such evaluation; the certificate is stored and can be registered again",
      };
}
