/**
 * The attestor service: HTTP on 127.0.0.1, every request authenticated with a bearer token, runs queued and
 * executed one at a time (they share PCR 23), each run's state kept in SQLite so a restarted service knows
 * what every run came to, structured JSON logs. The work itself is the library's: runMeasuredTraining,
 * certificate storage, the contract's check as a call, and registerAttestedModel.
 *
 *   GET  /v1/health                  TPM, chain, enrollment, queue
 *   GET  /v1/identity                the attestor's address, AK, EK certificate hash, TPM kind, registration
 *   GET  /v1/enrollment-request      provenant-attestor-enrollment-v1 (creates the AK if there is none)
 *   POST /v1/activate-credential     {credentialBlob, encryptedSecret} -> {secret}   (enrollment)
 *   POST /v1/quote                   {nonce} -> a quote over PCR 23 reset to the liveness event
 *   POST /v1/runs                    a run request -> NDJSON events until the run ends
 *   POST /v1/evaluations             an evaluation request (./evaluation.ts) -> the same, as a run
 *   GET  /v1/runs, /v1/runs/:id      run records
 *   POST /v1/runs/:id/cancel         kill the run's command
 *
 * Runs, enrollment steps and liveness quotes all take the one TPM lock: enrollment steps and quotes are
 * refused with 409 ATTESTOR_BUSY while a run holds it or waits for it (an AK must not change under a run,
 * and no quote may be made over a run's PCR 23), and a run waits for a step in progress.
 */
import { createHash, randomUUID, timingSafeEqual } from "node:crypto";
import { chmodSync, mkdirSync } from "node:fs";
import { createServer } from "node:http";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { StringDecoder } from "node:string_decoder";
import { Contract } from "ethers";
import { ChainError, ProvenantError, isProvenantError } from "../core/errors.ts";
import { openStore } from "../core/config.ts";
import { connect } from "../core/chain/connect.ts";
import type { ChainConnection } from "../core/chain/connect.ts";
import { DatasetRegistryClient } from "../core/chain/dataset-registry.ts";
import {
  AttestorRegistryClient,
  attestedModelRegistry,
  findAttestedModel,
  lineageFromFacts,
  provenantAddresses,
  readCertificateFacts,
  registerAttestedModel,
} from "../core/chain/attestor-registry.ts";
import type { ModelRegistryAddresses } from "../core/chain/attestor-registry.ts";
import { certificateEvidence, decodeCertificate, encodeCertificate } from "../core/attestor/certificate.ts";
import { createEnrollmentRequest } from "../core/attestor/enrollment.ts";
import { AttestorError } from "../core/attestor/errors.ts";
import { TRAINING_PCR, closingEvent, livenessEvent, replayTrainingPcr } from "../core/attestor/events.ts";
import { resolveAttestorIdentity } from "../core/attestor/identity.ts";
import { runMeasuredTraining } from "../core/attestor/run.ts";
import { killLeftover, openSandbox } from "../core/attestor/sandbox.ts";
import type { RunChain, RunHooks } from "../core/attestor/run.ts";
import { bytesToHex, hexToBytes } from "../core/tpm/bytes.ts";
import { createTpm2ToolsTransport } from "../core/tpm/transport.ts";
import type { TpmTransport } from "../core/tpm/transport.ts";
import type { ContentStore } from "../core/storage/store.ts";
import { RunsDb } from "./db.ts";
import type { RunRow, RunState } from "./db.ts";
import { createLogger } from "./log.ts";
import type { Logger } from "./log.ts";
import { parseRunRequest } from "./request.ts";
import type { RunRequest } from "./request.ts";
import { EVALUATIONS_PATH, isEvaluationRequest, parseEvaluationRequest, runEvaluationJob, settleEvaluation } from "./evaluation.ts";
import type { EvaluationRequest } from "./evaluation.ts";

export const SERVICE_VERSION = "provenant-attestor/1";

export type ServiceConfig = {
  host: string;
  /** 0: any free port. */
  port: number;
  /** Runs database, AK record (ak.json). */
  stateDir: string;
  /** The content store (model manifests, certificates). */
  dataDir: string;
  tcti: string;
  token: string;
  network: string;
  addresses?: Partial<ModelRegistryAddresses>;
  /** Intermediate CA certificates between the EK certificate and its root (PEM), put in certificates. */
  ekIntermediates: string[];
  /** Runs waiting beyond the running one; more are refused with 503. Default 16. */
  maxQueue?: number;
  log?: Logger;
  /** For tests: the transport to use instead of tpm2-tools on `tcti`. */
  tpm?: TpmTransport;
  /** The unprivileged user training commands run as; default provenant-train (core/attestor/sandbox.ts). */
  trainUser?: string;
};

export type AttestorService = {
  url: string;
  port: number;
  server: Server;
  db: RunsDb;
  close(): Promise<void>;
};

type RunEvent = Record<string, unknown> & { type: string };

type LiveRun = {
  abort: AbortController;
  listeners: Set<(e: RunEvent) => void>;
};

const MAX_BODY = 1 << 20;
/**
 * An oversized body is read and discarded up to this much before the 413, so the connection stays usable;
 * beyond it the 413 goes out with `connection: close` and the connection is closed after it.
 */
const MAX_DRAIN = 64 << 20;

class HttpError extends Error {
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

function errorBody(e: unknown): { code: string; message: string } {
  if (e instanceof HttpError) return { code: e.code, message: e.message };
  if (isProvenantError(e)) return { code: e.code, message: e.message };
  return { code: "INTERNAL", message: (e as Error)?.message ?? String(e) };
}

function statusOf(e: unknown): number {
  if (e instanceof HttpError) return e.status;
  if (!isProvenantError(e)) return 500;
  switch (e.code as string) {
    case "INPUT_INVALID":
    case "INPUT_NOT_FOUND":
    case "RECORD_INVALID":
    case "FORMAT_UNSUPPORTED":
      return 400;
    case "NOT_ENROLLED":
      return 409;
    case "TPM_UNAVAILABLE":
    case "CHAIN_UNREACHABLE":
    case "CHAIN_NOT_DEPLOYED":
      return 503;
    default:
      return 500;
  }
}

/** A 413 that also closes the connection (the rest of the body was not read). */
class BodyTooLarge extends HttpError {
  readonly closeConnection: boolean;
  constructor(closeConnection: boolean) {
    super(413, "INPUT_INVALID", `request body over ${MAX_BODY} bytes`);
    this.closeConnection = closeConnection;
  }
}

/**
 * The request body as JSON, at most MAX_BODY bytes. An oversized body is still read to its end (up to
 * MAX_DRAIN) and dropped, never left half-read: a half-read request leaves the keep-alive connection
 * unusable, and breaking out of the stream would reset it under the client.
 */
async function readJson(req: IncomingMessage): Promise<unknown> {
  const declared = Number(req.headers["content-length"] ?? NaN);
  const chunks: Buffer[] = [];
  let size = 0;
  await new Promise<void>((resolve, reject) => {
    const onData = (c: Buffer) => {
      size += c.length;
      if (size <= MAX_BODY) chunks.push(c);
      else if (size > MAX_DRAIN) {
        req.off("data", onData);
        req.pause();
        reject(new BodyTooLarge(true));
      }
    };
    if (declared > MAX_DRAIN) return reject(new BodyTooLarge(true));
    req.on("data", onData);
    req.once("end", () => (size > MAX_BODY ? reject(new BodyTooLarge(false)) : resolve()));
    req.once("close", () => {
      if (!req.complete) reject(new HttpError(400, "INPUT_INVALID", "the request body ended early"));
    });
    req.once("error", reject);
  });
  if (size === 0) return {};
  try {
    return JSON.parse(Buffer.concat(chunks).toString("utf8"));
  } catch {
    throw new HttpError(400, "INPUT_INVALID", "request body is not JSON");
  }
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body, (_k, v) => (typeof v === "bigint" ? v.toString() : v));
  res.writeHead(status, { "content-type": "application/json", "cache-control": "no-store" });
  res.end(`${text}\n`);
}

const tokenDigest = (t: string) => createHash("sha256").update(t).digest();

/** PCR 23 as every liveness quote sees it: reset, then the liveness event alone. */
const LIVENESS_PCR = replayTrainingPcr([livenessEvent()]).pcr;

/**
 * A liveness quote: PCR 23 reset and extended with the liveness event first, so the quote is never over a
 * value some run left there (a certificate's value, quoted again with another payload's digest as nonce,
 * would certify an altered copy of that run). Called under the TPM lock.
 */
async function livenessQuote(tpm: TpmTransport, nonce: Uint8Array) {
  await tpm.pcrReset(TRAINING_PCR);
  await tpm.pcrExtend(TRAINING_PCR, livenessEvent().digest);
  return tpm.quote([TRAINING_PCR], nonce);
}

/** Start the service. Unfinished runs from a previous process are settled first (see settleUnfinished). */
export async function startAttestorService(config: ServiceConfig): Promise<AttestorService> {
  const log = config.log ?? createLogger();
  if (config.token.length < 16) throw new ProvenantError("CONFIG_INVALID", "the attestor token must be at least 16 characters");
  const expectedToken = tokenDigest(config.token);
  // The state (AK and its authorization, runs, hand-over records) is the attestor's alone.
  mkdirSync(config.stateDir, { recursive: true, mode: 0o700 });
  chmodSync(config.stateDir, 0o700);
  // Fails closed, before anything listens, when commands cannot be run as the unprivileged user.
  const sandbox = await openSandbox({ tcti: config.tcti, stateDir: config.stateDir, ...(config.trainUser ? { user: config.trainUser } : {}) });
  const db = new RunsDb(join(config.stateDir, "runs.sqlite"));
  const tpm = config.tpm ?? createTpm2ToolsTransport({ tcti: config.tcti, stateDir: config.stateDir });
  const store: ContentStore = openStore("local", config.dataDir);
  const live = new Map<string, LiveRun>();
  const inflight = new Set<Promise<void>>();

  // -- the chain, connected on first use (the service starts without one)
  let connection: Promise<ChainConnection> | undefined;
  const chainConn = async () => {
    connection ??= connect(config.network).catch((e) => {
      connection = undefined;
      throw e;
    });
    return connection;
  };
  const addresses = async () => provenantAddresses(await chainConn(), config.addresses);

  // -- the TPM lock, FIFO: held by a run from measuring to its end, or by one short TPM step (an enrollment
  // step, a liveness quote)
  type Holder = "run" | "step";
  let holder: Holder | undefined;
  const waiting: { kind: Holder; go: () => void }[] = [];
  const acquire = (kind: Holder) =>
    new Promise<void>((res) => {
      if (!holder) {
        holder = kind;
        res();
      } else
        waiting.push({
          kind,
          go: () => {
            holder = kind;
            res();
          },
        });
    });
  const release = () => {
    const next = waiting.shift();
    if (next) next.go();
    else holder = undefined;
  };
  const runsWaiting = () => waiting.filter((w) => w.kind === "run").length;
  const runActive = () => holder === "run" || runsWaiting() > 0;
  /**
   * A short TPM step under the lock, refused (409) while a run holds it or is queued for it: waiting behind
   * training could take hours. It waits only behind other short steps; a run queued meanwhile waits for it.
   */
  async function whenIdle<T>(what: string, work: () => Promise<T>): Promise<T> {
    if (runActive()) {
      throw new HttpError(
        409,
        "ATTESTOR_BUSY",
        `a run holds the TPM${runsWaiting() ? ` and ${runsWaiting()} more are queued` : ""}: ${what} waits until the attestor is idle; try again then`
      );
    }
    await acquire("step");
    try {
      return await work();
    } finally {
      release();
    }
  }

  const emit = (id: string, e: RunEvent) => {
    for (const l of live.get(id)?.listeners ?? []) l(e);
  };
  const setState = (id: string, state: RunState, fields: Partial<RunRow> = {}) => {
    db.update(id, { state, ...fields });
    emit(id, { type: "state", state, ...fields });
  };

  async function runChain(conn: ChainConnection): Promise<RunChain> {
    const addr = provenantAddresses(conn, config.addresses);
    const datasets = new DatasetRegistryClient(addr.datasetRegistry, conn.provider, conn.chainId);
    const models: Contract = attestedModelRegistry(addr.modelRegistry, conn.provider);
    return {
      chainId: conn.chainId,
      attestorRegistry: addr.attestorRegistry as `0x${string}`,
      modelRegistry: addr.modelRegistry as `0x${string}`,
      datasetRegistry: addr.datasetRegistry as `0x${string}`,
      async dataset(id) {
        const r = await datasets.record(BigInt(id));
        return { root: r.root, n: r.n, encoding: r.encoding };
      },
      async model(id) {
        try {
          const r = await models.modelOf(BigInt(id));
          return { weightsDigest: r.weightsDigest, manifestCid: r.manifestCid };
        } catch (e) {
          if ((e as { revert?: { name: string } }).revert?.name === "ModelRegistryUnknownToken") {
            throw new ChainError("TOKEN_NOT_FOUND", `model #${id} does not exist on chain ${conn.chainId}`, { cause: e });
          }
          throw e;
        }
      },
    };
  }

  async function identity(conn: ChainConnection) {
    const attestors = new AttestorRegistryClient((await addresses()).attestorRegistry, conn.provider, conn.chainId);
    return resolveAttestorIdentity(tpm, attestors, config.ekIntermediates);
  }

  /** The hooks of run `id`: its stages, command pid and output as events and database fields. */
  const runHooks = (id: string): RunHooks => {
    const decoders = { stdout: new StringDecoder("utf8"), stderr: new StringDecoder("utf8") };
    return {
      signal: live.get(id)!.abort.signal,
      onStage: (stage, detail) => {
        if (stage === "running") setState(id, "running");
        emit(id, { type: "stage", stage, ...(detail ?? {}) });
      },
      onSpawn: (pid) => db.update(id, { pid }),
      onOutput: (stream, chunk) => emit(id, { type: "output", stream, data: decoders[stream].write(chunk) }),
    };
  };

  /** Execute a queued run (training or evaluation) to its end; never throws (the outcome is in the database and the events). */
  async function execute(id: string, request: RunRequest | EvaluationRequest): Promise<void> {
    const rlog = log.child({ run: id });
    await acquire("run");
    const started = performance.now();
    try {
      if (live.get(id)?.abort.signal.aborted) throw new AttestorError("RUN_FAILED", "the run was cancelled while queued");
      setState(id, "measuring");
      rlog.info("run started");
      const conn = await chainConn();
      const signer = await conn.signer();
      const signerAddress = (await signer.getAddress()) as `0x${string}`;
      const registrant = request.registrant ?? signerAddress;
      if (request.register && registrant.toLowerCase() !== signerAddress.toLowerCase()) {
        throw new ProvenantError("INPUT_INVALID", `registrant ${registrant} is not the service's account ${signerAddress}, which registers the model`);
      }
      const { identity: who } = await identity(conn);
      const chain = await runChain(conn);
      if (isEvaluationRequest(request)) {
        const onSent = (txHash: string) => db.update(id, { txHash });
        const job = { id, request, registrant, identity: who, chain, conn, signer, tpm, store, sandbox, hooks: runHooks(id), log: rlog, onSent };
        await runEvaluationJob({ ...job, setState: (state, fields) => setState(id, state, fields), emit: (e) => emit(id, e) });
        return;
      }
      const result = await runMeasuredTraining({
        request: { ...request, registrant },
        identity: who,
        tpm,
        chain,
        store,
        sandbox,
        hooks: runHooks(id),
      });
      const cert = result.certificate;
      const certificateCid = await store.put(encodeCertificate(cert), { name: "training-certificate.json" });
      setState(id, "certifying", {
        certificateDigest: cert.certificateDigest,
        certificateCid,
        timings: result.timings,
      });
      emit(id, { type: "certificate", certificateDigest: cert.certificateDigest, certificateCid, timings: result.timings });
      rlog.info("certificate made", { certificateDigest: cert.certificateDigest, certificateCid, timings: result.timings });

      // The contract's own verdict on the lineage the model registry will build, before any transaction.
      const facts = await readCertificateFacts(conn, cert, { addresses: config.addresses });
      const attestors = new AttestorRegistryClient(facts.attestorRegistry, conn.provider, conn.chainId);
      const verdict = await attestors.checkTrainingCertificate(lineageFromFacts(cert, facts, registrant), certificateEvidence(cert));
      if (!verdict.ok) throw new ProvenantError("CERTIFICATE_INVALID", verdict.detail);

      if (!request.register) {
        setState(id, "certified");
      } else {
        setState(id, "registering");
        const reg = await registerAttestedModel(conn, signer, cert, certificateCid, {
          addresses: config.addresses,
          onSent: (txHash) => db.update(id, { txHash }),
        });
        setState(id, "registered", { modelId: reg.modelId.toString(), txHash: reg.txHash, gasUsed: reg.gasUsed.toString() });
        emit(id, { type: "registered", modelId: reg.modelId.toString(), txHash: reg.txHash, gasUsed: reg.gasUsed.toString() });
        rlog.info("model registered", { modelId: reg.modelId.toString(), txHash: reg.txHash, gasUsed: reg.gasUsed });
      }
    } catch (e) {
      const err = errorBody(e);
      db.update(id, { state: "failed", errorCode: err.code, errorMessage: err.message });
      emit(id, { type: "state", state: "failed", errorCode: err.code, errorMessage: err.message });
      rlog.warn("run failed", { code: err.code, error: err.message });
    } finally {
      release();
      const row = db.get(id)!;
      emit(id, { type: "done", state: row.state, ...(row.errorCode ? { error: { code: row.errorCode, message: row.errorMessage } } : {}), ms: Math.round(performance.now() - started) });
      live.delete(id);
    }
  }

  /**
   * Runs a previous process left unfinished: before registration they become `interrupted` (nothing was
   * sent to the chain); during registration, the chain says whether the one transaction went through.
   * Whatever is left of their commands is killed (the PID namespace and parent-death chain should have done
   * it already) and the folders handed to the last one are taken back.
   */
  async function settleUnfinished(): Promise<void> {
    for (const row of db.unfinished()) {
      if (row.pid !== null && killLeftover(row.pid)) log.warn("killed what was left of an interrupted run's command", { run: row.id, pid: row.pid });
    }
    await sandbox.recover();
    for (const row of db.unfinished()) {
      if (row.state !== "registering") {
        db.update(row.id, {
          state: "interrupted",
          errorCode: "RUN_INTERRUPTED",
          errorMessage: `the attestor stopped while the run was ${row.state}; nothing was registered`,
        });
        log.warn("run interrupted by a restart", { run: row.id, was: row.state });
        continue;
      }
      try {
        const conn = await chainConn();
        if (isEvaluationRequest(row.request)) {
          db.update(row.id, await settleEvaluation(conn, store, row));
          continue;
        }
        const cert = decodeCertificate(await store.get(row.certificateCid!));
        const modelId = await findAttestedModel(conn, cert, { addresses: config.addresses });
        if (modelId !== undefined) {
          db.update(row.id, { state: "registered", modelId: modelId.toString() });
          log.info("registration found after a restart", { run: row.id, modelId });
        } else {
          db.update(row.id, {
            state: "failed",
            errorCode: "RUN_INTERRUPTED",
            errorMessage: "the attestor stopped during registration and the chain has no such model; the certificate is stored and can be registered again",
          });
        }
      } catch (e) {
        log.warn("could not settle a run interrupted during registration", { run: row.id, error: e });
      }
    }
  }

  /**
   * At start, extend the closing event: a process that died between a run's final quote and its closing
   * event left PCR 23 at the certified value. Liveness quotes reset PCR 23 anyway; this is the second lock
   * on that door. A TPM that is not there yet is only logged (health reports it; runs fail on it).
   */
  async function closeTrainingPcr(): Promise<void> {
    try {
      await tpm.pcrExtend(TRAINING_PCR, closingEvent().digest);
    } catch (e) {
      log.warn("could not extend the closing event into PCR 23 at start", { error: errorBody(e) });
    }
  }

  async function health() {
    const out: Record<string, unknown> = { service: SERVICE_VERSION, tcti: config.tcti };
    let ok = true;
    try {
      const values = await tpm.pcrRead([TRAINING_PCR]);
      out.tpm = { ok: true, pcr23: values[TRAINING_PCR] };
    } catch (e) {
      ok = false;
      out.tpm = { ok: false, error: errorBody(e) };
    }
    try {
      const conn = await chainConn();
      out.chain = { ok: true, chainId: conn.chainId, ...(await addresses()) };
      if ((out.tpm as { ok: boolean }).ok) {
        try {
          const { identity: who } = await identity(conn);
          out.attestor = { enrolled: true, address: who.address, tpmKind: who.tpmKind };
        } catch (e) {
          out.attestor = { enrolled: false, error: errorBody(e) };
        }
      }
    } catch (e) {
      ok = false;
      out.chain = { ok: false, error: errorBody(e) };
    }
    out.queue = { running: holder === "run", waiting: runsWaiting() };
    return { ok, ...out };
  }

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://attestor");
    const path = url.pathname;
    const method = req.method ?? "GET";

    if (method === "GET" && path === "/v1/health") {
      const h = await health();
      return sendJson(res, h.ok ? 200 : 503, h);
    }
    if (method === "GET" && path === "/v1/identity") {
      const conn = await chainConn();
      const { identity: who, record } = await identity(conn);
      return sendJson(res, 200, {
        address: who.address,
        tpmKind: who.tpmKind,
        akName: bytesToHex(who.ak.name),
        akQualifiedName: bytesToHex(who.akQualifiedName),
        akPublicKeyPem: who.ak.publicKeyPem,
        ekCertificateSha256: `0x${createHash("sha256").update(who.ekCertificate).digest("hex")}`,
        registeredAt: new Date(record.registeredAt * 1000).toISOString(),
        attestorRegistry: (await addresses()).attestorRegistry,
        chainId: conn.chainId,
      });
    }
    if (method === "GET" && path === "/v1/enrollment-request") {
      const address = url.searchParams.get("address");
      if (!address) throw new HttpError(400, "INPUT_INVALID", "address query parameter is required");
      const { request, created } = await whenIdle("enrollment", () =>
        createEnrollmentRequest(tpm, {
          address,
          ekIntermediates: config.ekIntermediates,
          newAk: url.searchParams.get("newAk") === "true",
        })
      );
      log.info("enrollment request made", { address, akCreated: created });
      return sendJson(res, 200, request);
    }
    if (method === "POST" && path === "/v1/activate-credential") {
      const body = (await readJson(req)) as Record<string, unknown>;
      if (typeof body.credentialBlob !== "string" || typeof body.encryptedSecret !== "string") {
        throw new HttpError(400, "INPUT_INVALID", "credentialBlob and encryptedSecret (hex) are required");
      }
      const blob = hexToBytes(body.credentialBlob, "credentialBlob");
      const encryptedSecret = hexToBytes(body.encryptedSecret, "encryptedSecret");
      const secret = await whenIdle("credential activation", () => tpm.activateCredential(blob, encryptedSecret));
      log.info("credential activated");
      return sendJson(res, 200, { secret: bytesToHex(secret) });
    }
    if (method === "POST" && path === "/v1/quote") {
      const body = (await readJson(req)) as Record<string, unknown>;
      if (typeof body.nonce !== "string") throw new HttpError(400, "INPUT_INVALID", "nonce (hex) is required");
      const nonce = hexToBytes(body.nonce, "nonce");
      const t0 = performance.now();
      const q = await whenIdle("a liveness quote", () => livenessQuote(tpm, nonce));
      const ms = performance.now() - t0;
      return sendJson(res, 200, {
        pcrs: [TRAINING_PCR],
        pcr23: LIVENESS_PCR,
        attest: bytesToHex(q.attest),
        signature: bytesToHex(q.signature),
        tpmMs: Math.round(ms * 10) / 10,
      });
    }
    if (method === "POST" && (path === "/v1/runs" || path === EVALUATIONS_PATH)) {
      const body = await readJson(req);
      const request = path === EVALUATIONS_PATH ? parseEvaluationRequest(body) : parseRunRequest(body);
      if (runsWaiting() >= (config.maxQueue ?? 16)) throw new HttpError(503, "QUEUE_FULL", `${runsWaiting()} runs are already waiting`);
      const id = randomUUID();
      db.insert(id, request);
      const run: LiveRun = { abort: new AbortController(), listeners: new Set() };
      live.set(id, run);
      res.writeHead(202, { "content-type": "application/x-ndjson", "cache-control": "no-store", "x-run-id": id });
      const write = (e: RunEvent) => {
        if (!res.writableEnded && !res.destroyed) res.write(`${JSON.stringify(e)}\n`);
        if (e.type === "done") res.end();
      };
      run.listeners.add(write);
      // The run outlives the connection: a client that goes away can poll GET /v1/runs/:id.
      res.on("close", () => run.listeners.delete(write));
      const position = (holder === "run" ? 1 : 0) + runsWaiting();
      write({ type: "queued", id, position });
      log.info("run queued", { run: id, position, command: request.command });
      const done = execute(id, request);
      inflight.add(done);
      void done.finally(() => inflight.delete(done));
      return;
    }
    if (method === "GET" && path === "/v1/runs") return sendJson(res, 200, { runs: db.list() });
    const m = /^\/v1\/runs\/([0-9a-f-]{36})(\/cancel)?$/.exec(path);
    if (m) {
      const row = db.get(m[1]!);
      if (!row) throw new HttpError(404, "INPUT_NOT_FOUND", `no run ${m[1]}`);
      if (method === "GET" && !m[2]) return sendJson(res, 200, row);
      if (method === "POST" && m[2]) {
        const run = live.get(row.id);
        if (!run) throw new HttpError(409, "INPUT_INVALID", `run ${row.id} is ${row.state}, not in progress`);
        run.abort.abort();
        log.info("run cancelled", { run: row.id });
        return sendJson(res, 202, { id: row.id, cancelled: true });
      }
    }
    throw new HttpError(404, "INPUT_NOT_FOUND", `no route ${method} ${path}`);
  }

  const server = createServer((req, res) => {
    const t0 = performance.now();
    const auth = req.headers.authorization ?? "";
    const given = auth.startsWith("Bearer ") ? tokenDigest(auth.slice(7)) : undefined;
    res.on("finish", () =>
      log.info("request", { method: req.method, path: req.url, status: res.statusCode, ms: Math.round(performance.now() - t0) })
    );
    if (!given || !timingSafeEqual(given, expectedToken)) {
      req.resume();
      return sendJson(res, 401, { ok: false, error: { code: "UNAUTHORIZED", message: "missing or wrong bearer token" } });
    }
    route(req, res).catch((e) => {
      if (res.headersSent) {
        res.end();
        return;
      }
      if (e instanceof BodyTooLarge && e.closeConnection) {
        // The rest of the body is not read: say so, and close once the answer is out.
        res.setHeader("connection", "close");
        res.once("finish", () => req.socket.destroySoon());
      }
      sendJson(res, statusOf(e), { ok: false, error: errorBody(e) });
    });
  });

  await settleUnfinished();
  await closeTrainingPcr();
  await sandbox.check();
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(config.port, config.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const url = `http://${config.host}:${port}`;
  log.info("attestor listening", { url, tcti: config.tcti, stateDir: config.stateDir, network: config.network });

  return {
    url,
    port,
    server,
    db,
    async close() {
      for (const run of live.values()) run.abort.abort();
      await Promise.allSettled([...inflight]);
      const closed = new Promise<void>((r) => server.close(() => r()));
      server.closeAllConnections();
      await closed;
      db.close();
    },
  };
}
