/**
 * Everything an attestor end-to-end test needs, for real: a software TPM (swtpm with its local EK CA), a
 * local chain with the Provenant module under its own deployment id, the attestor service as a child process
 * (scripts/lib/attestor-process.ts), and the CLI run as a user runs it (scripts/lib/cli.ts).
 */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startSwtpm } from "../../core/tpm/swtpm.ts";
import type { Swtpm } from "../../core/tpm/swtpm.ts";
import { deployedAddress } from "../../core/chain/deployments.ts";
import { startAttestor } from "../../scripts/lib/attestor-process.ts";
import type { AttestorProcess } from "../../scripts/lib/attestor-process.ts";
import { runCli } from "../../scripts/lib/cli.ts";
import type { CliResult } from "../../scripts/lib/cli.ts";
import { REPO, startTestChain } from "../helpers/local-chain.ts";
import type { LocalChain } from "../helpers/local-chain.ts";
import { ensureTpmToolsInstalled } from "../tpm/helpers.ts";

export const TRAIN = join(REPO, "test", "attestor", "fixtures", "train.ts");

export type ServiceProcess = AttestorProcess;

export type World = {
  swtpm: Swtpm;
  chain: LocalChain;
  work: string;
  home: string;
  stateDir: string;
  token: string;
  /** The module's ModelRegistry. */
  modelRegistry: string;
  /** Environment for the CLI and the service. */
  env: Record<string, string>;
  service: ServiceProcess;
  cli(args: string[], extraEnv?: Record<string, string>): Promise<CliResult>;
  startService(options?: { stateDir?: string; tcti?: string }): Promise<ServiceProcess>;
  stop(): Promise<void>;
};

/** The attestor service on the TPM at `tcti`, its state in `stateDir`. */
export function startServiceProcess(env: Record<string, string>, stateDir: string, tcti: string): Promise<ServiceProcess> {
  return startAttestor({ env, stateDir, tcti });
}

/** The address of `contract` in the chain's Ignition deployment. */
function moduleAddress(chain: LocalChain, contract: "ModelRegistry"): string {
  const previous = process.env.PROVENANT_DEPLOYMENT_ID;
  process.env.PROVENANT_DEPLOYMENT_ID = chain.deploymentId;
  try {
    return deployedAddress(31337, contract);
  } finally {
    if (previous === undefined) delete process.env.PROVENANT_DEPLOYMENT_ID;
    else process.env.PROVENANT_DEPLOYMENT_ID = previous;
  }
}

export type WorldOptions = {
  /** Runs on the fresh software TPM before the service starts (e.g. extending a boot log into PCRs 0-7). */
  beforeService?: (swtpm: Swtpm, work: string) => Promise<Record<string, string> | void>;
};

export async function startWorld(name: string, options: WorldOptions = {}): Promise<World> {
  ensureTpmToolsInstalled();
  const work = mkdtempSync(join(tmpdir(), `provenant-attestor-${name}-`));
  const home = join(work, "home");
  const stateDir = join(work, "attestor-state");
  const swtpm = await startSwtpm({ stateDir: join(work, "swtpm") });
  // Environment the hook asks for (the service's boot policy and log, say) goes to the service and the CLI.
  const extraEnv = (await options.beforeService?.(swtpm, work)) ?? {};
  let chain: LocalChain;
  try {
    chain = await startTestChain(`attestor-${name}`);
  } catch (e) {
    await swtpm.stop();
    throw e;
  }
  const modelRegistry = moduleAddress(chain, "ModelRegistry");
  const token = randomBytes(24).toString("hex");
  writeFileSync(join(work, "ek-root.pem"), swtpm.caCertPem);
  writeFileSync(join(work, "ek-intermediate.pem"), swtpm.issuerCertPem);
  const env: Record<string, string> = {
    ...chain.env,
    PROVENANT_HOME: home,
    PROVENANT_ATTESTOR_TOKEN: token,
    PROVENANT_ATTESTOR_STATE: stateDir,
    PROVENANT_EK_ROOTS: join(work, "ek-root.pem"),
    PROVENANT_EK_INTERMEDIATES: join(work, "ek-intermediate.pem"),
    ...extraEnv,
  };
  const services: ServiceProcess[] = [];
  const startService = async (o: { stateDir?: string; tcti?: string } = {}) => {
    const s = await startServiceProcess(env, o.stateDir ?? stateDir, o.tcti ?? swtpm.tcti);
    services.push(s);
    return s;
  };
  const service = await startService();
  const world: World = {
    swtpm,
    chain,
    work,
    home,
    stateDir,
    token,
    modelRegistry,
    env,
    service,
    startService,
    cli: (args, extraEnv = {}) => runCli(args, { ...env, PROVENANT_ATTESTOR_URL: world.service.url, ...extraEnv }),
    async stop() {
      for (const s of services) await s.stop("SIGKILL").catch(() => {});
      await chain.stop();
      await world.swtpm.stop();
      rmSync(join(REPO, "ignition", "deployments", chain.deploymentId), { recursive: true, force: true });
      rmSync(work, { recursive: true, force: true });
    },
  };
  return world;
}

/** A directory of `count` small sample files. */
export function makeDataset(dir: string, count: number, salt = "sample"): string {
  mkdirSync(dir, { recursive: true });
  for (let i = 0; i < count; i++) writeFileSync(join(dir, `s${String(i).padStart(4, "0")}.txt`), `${salt} number ${i}\n`);
  return dir;
}

/**
 * `provenant train` arguments for the fixture trainer (TRAIN) on dataset 1: `parent` fine-tunes that model id
 * from its weights in `parentWeights`.
 */
export function trainArgs(p: { data: string; out: string; code: string; name: string; version: string; parent?: string; parentWeights?: string }): string[] {
  return [
    "train",
    "--dataset",
    "1:training",
    "--data",
    p.data,
    ...(p.parent ? ["--parent", `${p.parent}:finetune`, "--parent-weights", p.parentWeights!] : []),
    "--code",
    p.code,
    "--out",
    p.out,
    "--name",
    p.name,
    "--version",
    p.version,
    "--license",
    "MIT",
    "--",
    process.execPath,
    TRAIN,
    "--data",
    p.data,
    "--out",
    p.out,
    ...(p.parentWeights ? ["--parent", p.parentWeights] : []),
  ];
}

export function checkquote(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) =>
    execFile("tpm2_checkquote", args, (error, stdout, stderr) => resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr })),
  );
}
