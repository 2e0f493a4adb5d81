/**
 * Runs a previous process left unfinished, settled before the service listens: before registration they
 * become `interrupted` (nothing was sent to the chain); during registration, the chain says whether the
 * one transaction went through. Whatever is left of their commands is killed (the PID namespace and
 * parent-death chain should have done it already) and the folders handed to the last one are taken back.
 */
import type { ModelRegistryAddresses } from "../core/chain/model-registry.ts";
import { findAttestedModel } from "../core/attestor/registration.ts";
import { decodeCertificate } from "../core/attestor/certificate-loader.ts";
import { killLeftover } from "../core/attestor/sandbox.ts";
import { isEvaluationRequest, settleEvaluation } from "./evaluation.ts";
import type { CommandSandbox } from "../core/attestor/sandbox.ts";
import type { ContentStore } from "../core/storage/store.ts";
import type { ServiceChain } from "./chain.ts";
import type { RunRow, RunsDb } from "./db.ts";
import type { Logger } from "./log.ts";

type SettleContext = {
  db: RunsDb;
  log: Logger;
  sandbox: CommandSandbox;
  store: ContentStore;
  chain: ServiceChain;
  addresses?: Partial<ModelRegistryAddresses>;
};

export async function settleUnfinished(ctx: SettleContext): Promise<void> {
  const { db, log } = ctx;
  for (const row of db.unfinished()) {
    if (row.pid !== null && killLeftover(row.pid)) log.warn("killed what was left of an interrupted run's command", { run: row.id, pid: row.pid });
  }
  await ctx.sandbox.recover();
  for (const row of db.unfinished()) {
    if (row.state === "registering") await settleRegistration(ctx, row);
    else {
      db.update(row.id, {
        state: "interrupted",
        errorCode: "RUN_INTERRUPTED",
        errorMessage: `the attestor stopped while the run was ${row.state}; nothing was registered`,
      });
      log.warn("run interrupted by a restart", { run: row.id, was: row.state });
    }
  }
}

/** A run stopped during registration: registered if the chain has a model for its certificate, else failed (the certificate is kept). */
async function settleRegistration(ctx: SettleContext, row: RunRow): Promise<void> {
  try {
    const conn = await ctx.chain.connection();
    if (isEvaluationRequest(row.request)) {
      ctx.db.update(row.id, await settleEvaluation(conn, ctx.store, row));
      return;
    }
    const cert = decodeCertificate(await ctx.store.get(row.certificateCid!));
    const modelId = await findAttestedModel(conn, cert, { addresses: ctx.addresses });
    if (modelId !== undefined) {
      ctx.db.update(row.id, { state: "registered", modelId: modelId.toString() });
      ctx.log.info("registration found after a restart", { run: row.id, modelId });
    } else {
      ctx.db.update(row.id, {
        state: "failed",
        errorCode: "RUN_INTERRUPTED",
        errorMessage: "the attestor stopped during registration and the chain has no such model; the certificate is stored and can be registered again",
      });
    }
  } catch (e) {
    ctx.log.warn("could not settle a run interrupted during registration", { run: row.id, error: e });
  }
}
