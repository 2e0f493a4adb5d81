/**
 * The service's routes: each parses its request, calls the library (or the run queue), and answers JSON.
 *
 *   GET  /v1/health                  TPM, chain, enrollment, queue
 *   GET  /v1/identity                the attestor's address, AK, EK certificate hash, TPM kind, registration
 *   GET  /v1/enrollment-request      provenant-attestor-enrollment-v1 (creates the AK if there is none)
 *   POST /v1/activate-credential     {credentialBlob, encryptedSecret} -> {secret}   (enrollment)
 *   POST /v1/quote                   {nonce} -> a quote over PCR 23 reset to the liveness event
 *   POST /v1/boot-state              {nonce} -> the boot log, policy, boot PCR values and a quote over them
 *   POST /v1/runs                    a run request -> NDJSON run events until the run ends
 *   POST /v1/evaluations             an evaluation request (./evaluation.ts) -> the same, as a run
 *   GET  /v1/runs, /v1/runs/:id      run records
 *   POST /v1/runs/:id/cancel         kill the run's command
 */
import { createHash } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { ModelRegistryAddresses } from "../core/chain/model-registry.ts";
import { createEnrollmentRequest } from "../core/attestor/enrollment.ts";
import { readBootState } from "../core/attestor/boot-state.ts";
import type { BootSource } from "../core/attestor/boot-state.ts";
import { TRAINING_PCR } from "../core/attestor/pcr-events.ts";
import type { RunEvent } from "../core/attestor/run-events.ts";
import { bytesToHex, hexToBytes } from "../core/hex.ts";
import type { TpmTransport } from "../core/tpm/transport.ts";
import type { ServiceChain } from "./chain.ts";
import type { RunsDb } from "./db.ts";
import { HttpError, errorBody, readJson, readJsonObject, sendJson } from "./http.ts";
import { LIVENESS_PCR, livenessQuote } from "./liveness.ts";
import type { Logger } from "./log.ts";
import { parseRunRequest } from "./request.ts";
import { EVALUATIONS_PATH, parseEvaluationRequest } from "./evaluation.ts";
import type { Runs } from "./runs.ts";
import type { TpmLock } from "./tpm-lock.ts";

export const SERVICE_VERSION = "provenant-attestor/1";

/** What the routes work with: the service's parts, made once at start. */
export type ServiceContext = {
  tcti: string;
  ekIntermediates: string[];
  addresses?: Partial<ModelRegistryAddresses>;
  log: Logger;
  db: RunsDb;
  tpm: TpmTransport;
  lock: TpmLock;
  chain: ServiceChain;
  runs: Runs;
  /** The boot+pcr23 level's policy and log; absent: certificates quote PCR 23 alone. */
  boot?: BootSource;
};

type Request = { req: IncomingMessage; res: ServerResponse; url: URL; params: string[] };
type Route = { method: "GET" | "POST"; path: string | RegExp; handle: (ctx: ServiceContext, r: Request) => Promise<void> };

async function health(ctx: ServiceContext, { res }: Request): Promise<void> {
  const out: Record<string, unknown> = { service: SERVICE_VERSION, tcti: ctx.tcti };
  let ok = true;
  let tpmOk = true;
  try {
    const values = await ctx.tpm.pcrRead([TRAINING_PCR]);
    out.tpm = { ok: true, pcr23: values[TRAINING_PCR] };
  } catch (e) {
    ok = tpmOk = false;
    out.tpm = { ok: false, error: errorBody(e) };
  }
  try {
    const conn = await ctx.chain.connection();
    out.chain = { ok: true, chainId: conn.chainId, ...(await ctx.chain.addresses()) };
    if (tpmOk) out.attestor = await enrollment(ctx);
  } catch (e) {
    ok = false;
    out.chain = { ok: false, error: errorBody(e) };
  }
  out.queue = { running: ctx.lock.running, waiting: ctx.lock.runsWaiting() };
  sendJson(res, ok ? 200 : 503, { ok, ...out });
}

/** Whether this TPM's AK is enrolled, for health: the answer, never a failure. */
async function enrollment(ctx: ServiceContext): Promise<Record<string, unknown>> {
  try {
    const { identity: who } = await ctx.chain.identity();
    return { enrolled: true, address: who.address, tpmKind: who.tpmKind };
  } catch (e) {
    return { enrolled: false, error: errorBody(e) };
  }
}

async function identity(ctx: ServiceContext, { res }: Request): Promise<void> {
  const conn = await ctx.chain.connection();
  const { identity: who, record } = await ctx.chain.identity();
  sendJson(res, 200, {
    address: who.address,
    tpmKind: who.tpmKind,
    akName: bytesToHex(who.ak.name),
    akQualifiedName: bytesToHex(who.akQualifiedName),
    akPublicKeyPem: who.ak.publicKeyPem,
    ekCertificateSha256: `0x${createHash("sha256").update(who.ekCertificate).digest("hex")}`,
    registeredAt: new Date(record.registeredAt * 1000).toISOString(),
    attestorRegistry: (await ctx.chain.addresses()).attestorRegistry,
    chainId: conn.chainId,
  });
}

async function enrollmentRequest(ctx: ServiceContext, { res, url }: Request): Promise<void> {
  const address = url.searchParams.get("address");
  if (!address) throw new HttpError(400, "INPUT_INVALID", "address query parameter is required");
  const newAk = url.searchParams.get("newAk") === "true";
  const { request, created } = await ctx.lock.whenIdle("enrollment", () => createEnrollmentRequest(ctx.tpm, { address, ekIntermediates: ctx.ekIntermediates, newAk }));
  ctx.log.info("enrollment request made", { address, akCreated: created });
  sendJson(res, 200, request);
}

async function activateCredential(ctx: ServiceContext, { req, res }: Request): Promise<void> {
  const body = await readJsonObject(req);
  if (typeof body.credentialBlob !== "string" || typeof body.encryptedSecret !== "string") {
    throw new HttpError(400, "INPUT_INVALID", "credentialBlob and encryptedSecret (hex) are required");
  }
  const blob = hexToBytes(body.credentialBlob, "credentialBlob");
  const encryptedSecret = hexToBytes(body.encryptedSecret, "encryptedSecret");
  const secret = await ctx.lock.whenIdle("credential activation", () => ctx.tpm.activateCredential(blob, encryptedSecret));
  ctx.log.info("credential activated");
  sendJson(res, 200, { secret: bytesToHex(secret) });
}

async function quote(ctx: ServiceContext, { req, res }: Request): Promise<void> {
  const body = await readJsonObject(req);
  if (typeof body.nonce !== "string") throw new HttpError(400, "INPUT_INVALID", "nonce (hex) is required");
  const nonce = hexToBytes(body.nonce, "nonce");
  const t0 = performance.now();
  const q = await ctx.lock.whenIdle("a liveness quote", () => livenessQuote(ctx.tpm, nonce));
  const ms = performance.now() - t0;
  sendJson(res, 200, {
    pcrs: [TRAINING_PCR],
    pcr23: LIVENESS_PCR,
    attest: bytesToHex(q.attest),
    signature: bytesToHex(q.signature),
    tpmMs: Math.round(ms * 10) / 10,
  });
}

/** What the registry owner appraises before approving this machine's boot state: the log, the values, a quote. */
async function bootState(ctx: ServiceContext, { req, res }: Request): Promise<void> {
  const body = await readJsonObject(req);
  if (typeof body.nonce !== "string") throw new HttpError(400, "INPUT_INVALID", "nonce (hex) is required");
  const nonce = hexToBytes(body.nonce, "nonce");
  const source = ctx.boot;
  if (!source) throw new HttpError(409, "CONFIG_INVALID", "this attestor has no boot policy (start it with --boot-policy): it certifies at a PCR-23-only level");
  const out = await ctx.lock.whenIdle("a boot-state quote", async () => {
    const boot = await readBootState(ctx.tpm, source);
    return { boot, quote: await ctx.tpm.quote(boot.pcrs, nonce) };
  });
  sendJson(res, 200, { boot: out.boot, attest: bytesToHex(out.quote.attest), signature: bytesToHex(out.quote.signature) });
}

/** A run (training, or at EVALUATIONS_PATH an evaluation): answered 202 at once with its events as NDJSON, one a line, until it is done. */
async function submitRun(ctx: ServiceContext, { req, res, url }: Request): Promise<void> {
  const body = await readJson(req);
  const request = url.pathname === EVALUATIONS_PATH ? parseEvaluationRequest(body) : parseRunRequest(body);
  const id = ctx.runs.admit(request);
  res.writeHead(202, { "content-type": "application/x-ndjson", "cache-control": "no-store", "x-run-id": id });
  const write = (e: RunEvent) => {
    if (!res.writableEnded && !res.destroyed) res.write(`${JSON.stringify(e)}\n`);
    if (e.type === "done") res.end();
  };
  // The run outlives the connection: a client that goes away can poll GET /v1/runs/:id.
  res.on("close", ctx.runs.follow(id, write));
  ctx.runs.start(id, request);
}

async function listRuns(ctx: ServiceContext, { res }: Request): Promise<void> {
  sendJson(res, 200, { runs: ctx.db.list() });
}

/** The run named in the path; 404 when there is none. */
function runOf(ctx: ServiceContext, id: string) {
  const row = ctx.db.get(id);
  if (!row) throw new HttpError(404, "INPUT_NOT_FOUND", `no run ${id}`);
  return row;
}

async function getRun(ctx: ServiceContext, { res, params }: Request): Promise<void> {
  sendJson(res, 200, runOf(ctx, params[0]!));
}

async function cancelRun(ctx: ServiceContext, { res, params }: Request): Promise<void> {
  const row = runOf(ctx, params[0]!);
  if (!ctx.runs.cancel(row.id)) throw new HttpError(409, "INPUT_INVALID", `run ${row.id} is ${row.state}, not in progress`);
  ctx.log.info("run cancelled", { run: row.id });
  sendJson(res, 202, { id: row.id, cancelled: true });
}

const RUN_ID = "([0-9a-f-]{36})";

const ROUTES: readonly Route[] = [
  { method: "GET", path: "/v1/health", handle: health },
  { method: "GET", path: "/v1/identity", handle: identity },
  { method: "GET", path: "/v1/enrollment-request", handle: enrollmentRequest },
  { method: "POST", path: "/v1/activate-credential", handle: activateCredential },
  { method: "POST", path: "/v1/quote", handle: quote },
  { method: "POST", path: "/v1/boot-state", handle: bootState },
  { method: "POST", path: "/v1/runs", handle: submitRun },
  { method: "POST", path: EVALUATIONS_PATH, handle: submitRun },
  { method: "GET", path: "/v1/runs", handle: listRuns },
  { method: "GET", path: new RegExp(`^/v1/runs/${RUN_ID}$`), handle: getRun },
  { method: "POST", path: new RegExp(`^/v1/runs/${RUN_ID}/cancel$`), handle: cancelRun },
];

/** Answer one authenticated request; throws for the caller to answer as an error. */
export async function route(ctx: ServiceContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? "/", "http://attestor");
  const method = req.method ?? "GET";
  for (const r of ROUTES) {
    if (r.method !== method) continue;
    const params = typeof r.path === "string" ? (r.path === url.pathname ? [] : undefined) : r.path.exec(url.pathname)?.slice(1);
    if (params) return r.handle(ctx, { req, res, url, params });
  }
  throw new HttpError(404, "INPUT_NOT_FOUND", `no route ${method} ${url.pathname}`);
}
