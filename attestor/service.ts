/**
 * The attestor service: HTTP on 127.0.0.1, every request authenticated with a bearer token, runs queued and
 * executed one at a time (they share PCR 23), each run's state kept in SQLite so a restarted service knows
 * what every run came to, structured JSON logs. This file starts and stops it; the routes are in routes.ts,
 * the runs in runs.ts, the work itself in the library (runMeasuredTraining, certifyRun).
 *
 * Runs, enrollment steps and liveness quotes all take the one TPM lock (tpm-lock.ts): enrollment steps and
 * quotes are refused with 409 ATTESTOR_BUSY while a run holds it or waits for it (an AK must not change
 * under a run, and no quote may be made over a run's PCR 23), and a run waits for a step in progress.
 */
import { chmodSync, mkdirSync } from "node:fs";
import { createServer } from "node:http";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { ProvenantError } from "../core/errors.ts";
import { openStore } from "../core/config.ts";
import type { ModelRegistryAddresses } from "../core/chain/model-registry.ts";
import { openSandbox } from "../core/attestor/sandbox.ts";
import type { BootSource } from "../core/attestor/boot-state.ts";
import { createTpm2ToolsTransport } from "../core/tpm/transport.ts";
import type { TpmTransport } from "../core/tpm/transport.ts";
import { serviceChain } from "./chain.ts";
import { RunsDb } from "./db.ts";
import { bearerCheck, sendError, sendJson } from "./http.ts";
import { closeTrainingPcr } from "./liveness.ts";
import { createLogger } from "./log.ts";
import type { Logger } from "./log.ts";
import { route } from "./routes.ts";
import type { ServiceContext } from "./routes.ts";
import { Runs } from "./runs.ts";
import { settleUnfinished } from "./settle.ts";
import { TpmLock } from "./tpm-lock.ts";

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
  /** The boot+pcr23 level: the boot policy and event log; without it, certificates quote PCR 23 alone. */
  boot?: BootSource;
};

export type AttestorService = {
  url: string;
  port: number;
  server: Server;
  db: RunsDb;
  close(): Promise<void>;
};

/** The service's parts, opened in order; fails closed, before anything listens, when commands cannot be sandboxed. */
async function openService(config: ServiceConfig, log: Logger): Promise<ServiceContext & Parameters<typeof settleUnfinished>[0]> {
  // The state (AK and its authorization, runs, hand-over records) is the attestor's alone.
  mkdirSync(config.stateDir, { recursive: true, mode: 0o700 });
  chmodSync(config.stateDir, 0o700);
  const sandbox = await openSandbox({ tcti: config.tcti, stateDir: config.stateDir, ...(config.trainUser ? { user: config.trainUser } : {}) });
  const db = new RunsDb(join(config.stateDir, "runs.sqlite"));
  const tpm = config.tpm ?? createTpm2ToolsTransport({ tcti: config.tcti, stateDir: config.stateDir });
  const store = openStore("local", config.dataDir);
  const lock = new TpmLock();
  const chain = serviceChain(config, tpm);
  const boot = config.boot ? { boot: config.boot } : {};
  const runs = new Runs({ log, db, tpm, store, sandbox, lock, chain, addresses: config.addresses, maxQueue: config.maxQueue ?? 16, ...boot });
  return { tcti: config.tcti, ekIntermediates: config.ekIntermediates, addresses: config.addresses, log, db, tpm, lock, chain, runs, sandbox, store, ...boot };
}

/** Start the service. Unfinished runs from a previous process are settled first (settle.ts). */
export async function startAttestorService(config: ServiceConfig): Promise<AttestorService> {
  const log = config.log ?? createLogger();
  if (config.token.length < 16) throw new ProvenantError("CONFIG_INVALID", "the attestor token must be at least 16 characters");
  const authorized = bearerCheck(config.token);
  const ctx = await openService(config, log);

  const server = createServer((req, res) => {
    const t0 = performance.now();
    res.on("finish", () => log.info("request", { method: req.method, path: req.url, status: res.statusCode, ms: Math.round(performance.now() - t0) }));
    if (!authorized(req)) {
      req.resume();
      return sendJson(res, 401, { ok: false, error: { code: "UNAUTHORIZED", message: "missing or wrong bearer token" } });
    }
    route(ctx, req, res).catch((e) => sendError(req, res, e));
  });

  await settleUnfinished(ctx);
  await closeTrainingPcr(ctx.tpm, log);
  await ctx.sandbox.check();
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
    db: ctx.db,
    async close() {
      await ctx.runs.close();
      const closed = new Promise<void>((r) => server.close(() => r()));
      server.closeAllConnections();
      await closed;
      ctx.db.close();
    },
  };
}
