/**
 * The runs: admitted into a bounded queue on the TPM lock and executed one at a time, each one's state kept
 * in the database and streamed as run events (core/attestor/run-events.ts) to whoever follows it. The work
 * is the library's: runMeasuredTraining (measure, run, quote) and certifyRun (check, register); an
 * evaluation run's, runEvaluationJob (./evaluation.ts), under the same queue, lock, states and events.
 */
import { randomUUID } from "node:crypto";
import { StringDecoder } from "node:string_decoder";
import type { Signer } from "ethers";
import { ProvenantError } from "../core/errors.ts";
import type { ChainConnection } from "../core/chain/connect.ts";
import type { ModelRegistryAddresses } from "../core/chain/model-registry.ts";
import { encodeCertificate } from "../core/attestor/certificate.ts";
import { certifyRun } from "../core/attestor/certify.ts";
import { AttestorError } from "../core/attestor/errors.ts";
import { runMeasuredTraining } from "../core/attestor/run.ts";
import type { RunHooks, RunResult } from "../core/attestor/run.ts";
import { connectRunChain } from "../core/attestor/run-chain.ts";
import type { RunEvent, RunState, RunStateFields } from "../core/attestor/run-events.ts";
import type { CommandSandbox } from "../core/attestor/sandbox.ts";
import type { BootSource } from "../core/attestor/boot-state.ts";
import type { Address } from "../core/attestor/pcr-events.ts";
import type { ContentStore } from "../core/storage/store.ts";
import type { TpmTransport } from "../core/tpm/transport.ts";
import type { ServiceChain } from "./chain.ts";
import type { RunsDb } from "./db.ts";
import { HttpError, errorBody } from "./http.ts";
import type { Logger } from "./log.ts";
import type { RunRequest } from "./request.ts";
import { isEvaluationRequest, runEvaluationJob } from "./evaluation.ts";
import type { EvaluationRequest } from "./evaluation.ts";
import type { TpmLock } from "./tpm-lock.ts";

export type RunsContext = {
  log: Logger;
  db: RunsDb;
  tpm: TpmTransport;
  store: ContentStore;
  sandbox: CommandSandbox;
  lock: TpmLock;
  chain: ServiceChain;
  addresses?: Partial<ModelRegistryAddresses>;
  /** Runs waiting beyond the running one; more are refused with 503. */
  maxQueue: number;
  /** The boot+pcr23 level: every run's final quote also covers the boot PCRs (core/attestor/boot-state.ts). */
  boot?: BootSource;
};

type LiveRun = {
  abort: AbortController;
  listeners: Set<(e: RunEvent) => void>;
};

/** Who registers the model: the request's registrant, else the service's account, which must then be the one. */
async function registrantOf(conn: ChainConnection, request: RunRequest | EvaluationRequest): Promise<{ signer: Signer; registrant: Address }> {
  const signer = await conn.signer();
  const signerAddress = (await signer.getAddress()) as Address;
  const registrant = request.registrant ?? signerAddress;
  if (request.register && registrant.toLowerCase() !== signerAddress.toLowerCase()) {
    throw new ProvenantError(
      "INPUT_INVALID",
      `registrant ${registrant} is not the service's account ${signerAddress}, which registers the ${isEvaluationRequest(request) ? "evaluation" : "model"}`,
    );
  }
  return { signer, registrant };
}

export class Runs {
  private readonly ctx: RunsContext;
  private readonly live = new Map<string, LiveRun>();
  private readonly inflight = new Set<Promise<void>>();

  constructor(ctx: RunsContext) {
    this.ctx = ctx;
  }

  /** Admit a run into the queue (503 QUEUE_FULL when too many wait): recorded as queued, not started. */
  admit(request: RunRequest | EvaluationRequest): string {
    const waiting = this.ctx.lock.runsWaiting();
    if (waiting >= this.ctx.maxQueue) throw new HttpError(503, "QUEUE_FULL", `${waiting} runs are already waiting`);
    const id = randomUUID();
    this.ctx.db.insert(id, request);
    this.live.set(id, { abort: new AbortController(), listeners: new Set() });
    return id;
  }

  /** Send a run's events to `listener` until the run ends or `unfollow` is called. */
  follow(id: string, listener: (e: RunEvent) => void): () => void {
    const run = this.live.get(id);
    run?.listeners.add(listener);
    return () => run?.listeners.delete(listener);
  }

  /** Start an admitted run: announce its place in the queue, then execute it when the TPM is its turn. */
  start(id: string, request: RunRequest | EvaluationRequest): void {
    const position = this.ctx.lock.queuePosition();
    this.emit(id, { type: "queued", id, position });
    this.ctx.log.info("run queued", { run: id, position, command: request.command });
    const done = this.execute(id, request);
    this.inflight.add(done);
    void done.finally(() => this.inflight.delete(done));
  }

  /** Cancel a run in progress: its command is killed and it fails. False when it is not in progress. */
  cancel(id: string): boolean {
    const run = this.live.get(id);
    if (!run) return false;
    run.abort.abort();
    return true;
  }

  /** Cancel every run in progress and wait for each to end. */
  async close(): Promise<void> {
    for (const run of this.live.values()) run.abort.abort();
    await Promise.allSettled([...this.inflight]);
  }

  private emit(id: string, e: RunEvent): void {
    for (const l of this.live.get(id)?.listeners ?? []) l(e);
  }

  private setState(id: string, state: RunState, fields: RunStateFields = {}): void {
    this.ctx.db.update(id, { state, ...fields });
    this.emit(id, { type: "state", state, ...fields });
  }

  /** Execute a queued run to its end; never throws (the outcome is in the database and the events). */
  private async execute(id: string, request: RunRequest | EvaluationRequest): Promise<void> {
    const rlog = this.ctx.log.child({ run: id });
    await this.ctx.lock.acquire("run");
    const started = performance.now();
    try {
      if (isEvaluationRequest(request)) await this.evaluate(id, request, rlog);
      else await this.measureCertifyRegister(id, request, rlog);
    } catch (e) {
      const err = errorBody(e);
      this.setState(id, "failed", { errorCode: err.code, errorMessage: err.message });
      rlog.warn("run failed", { code: err.code, error: err.message });
    } finally {
      this.ctx.lock.release();
      const row = this.ctx.db.get(id)!;
      const error = row.errorCode ? { error: { code: row.errorCode, message: row.errorMessage ?? "" } } : {};
      this.emit(id, { type: "done", state: row.state, ...error, ms: Math.round(performance.now() - started) });
      this.live.delete(id);
    }
  }

  private async measureCertifyRegister(id: string, request: RunRequest, rlog: Logger): Promise<void> {
    const { db, tpm, store, sandbox, chain, addresses } = this.ctx;
    if (this.live.get(id)?.abort.signal.aborted) throw new AttestorError("RUN_FAILED", "the run was cancelled while queued");
    this.setState(id, "measuring");
    rlog.info("run started");
    const conn = await chain.connection();
    const { signer, registrant } = await registrantOf(conn, request);
    const { identity } = await chain.identity();
    const result = await runMeasuredTraining({
      request: { ...request, registrant },
      identity,
      tpm,
      chain: connectRunChain(conn, addresses),
      store,
      sandbox,
      ...(this.ctx.boot ? { boot: this.ctx.boot } : {}),
      hooks: this.hooks(id),
    });
    const certificateCid = await this.storeCertificate(id, result, rlog);
    const { registration } = await certifyRun({
      conn,
      certificate: result.certificate,
      certificateCid,
      ...(addresses ? { addresses } : {}),
      ...(request.register ? { register: { signer, onChecked: () => this.setState(id, "registering"), onSent: (txHash: string) => db.update(id, { txHash }) } } : {}),
    });
    if (!registration) {
      this.setState(id, "certified");
      return;
    }
    const registered = { modelId: registration.modelId.toString(), txHash: registration.txHash, gasUsed: registration.gasUsed.toString() };
    this.setState(id, "registered", registered);
    this.emit(id, { type: "registered", ...registered });
    rlog.info("model registered", { modelId: registered.modelId, txHash: registered.txHash, gasUsed: registration.gasUsed });
  }

  /** An evaluation run: measured, certified and registered by runEvaluationJob, reported as a run's. */
  private async evaluate(id: string, request: EvaluationRequest, rlog: Logger): Promise<void> {
    const { db, tpm, store, sandbox, chain, addresses } = this.ctx;
    if (this.live.get(id)?.abort.signal.aborted) throw new AttestorError("RUN_FAILED", "the evaluation was cancelled while queued");
    this.setState(id, "measuring");
    rlog.info("evaluation started");
    const conn = await chain.connection();
    const { signer, registrant } = await registrantOf(conn, request);
    const { identity } = await chain.identity();
    await runEvaluationJob({
      id,
      request,
      registrant,
      identity,
      chain: connectRunChain(conn, addresses),
      conn,
      signer,
      tpm,
      store,
      sandbox,
      ...(this.ctx.boot ? { boot: this.ctx.boot } : {}),
      hooks: this.hooks(id),
      log: rlog,
      onSent: (txHash) => db.update(id, { txHash }),
      setState: (state, fields) => this.setState(id, state, fields),
      emit: (e) => this.emit(id, e),
    });
  }

  /** The run's hooks: its stages and output as events, its command's pid in the database, its cancellation. */
  private hooks(id: string): RunHooks {
    const decoders = { stdout: new StringDecoder("utf8"), stderr: new StringDecoder("utf8") };
    return {
      signal: this.live.get(id)!.abort.signal,
      onStage: (stage, detail) => {
        if (stage === "running") this.setState(id, "running");
        this.emit(id, { type: "stage", stage, ...(detail ?? {}) });
      },
      onSpawn: (pid) => this.ctx.db.update(id, { pid }),
      onOutput: (stream, chunk) => this.emit(id, { type: "output", stream, data: decoders[stream].write(chunk) }),
    };
  }

  /** Store the certificate (the run is then certifying) and announce it. */
  private async storeCertificate(id: string, result: RunResult, rlog: Logger): Promise<string> {
    const cert = result.certificate;
    const certificateCid = await this.ctx.store.put(encodeCertificate(cert), { name: "training-certificate.json" });
    const made = { certificateDigest: cert.certificateDigest, certificateCid, timings: result.timings };
    this.setState(id, "certifying", made);
    this.emit(id, { type: "certificate", ...made });
    rlog.info("certificate made", made);
    return certificateCid;
  }
}
