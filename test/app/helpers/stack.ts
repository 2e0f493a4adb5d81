/**
 * The app's end-to-end stack: a local chain with its own Ignition deployment id, a gateway over a temporary
 * local store, a production build of the app (built once per run) and `next start` on a free 127.0.0.1 port
 * pointed at both. Used by test/app/*.test.ts and by test/app/serve.ts (the same stack, left running).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, REPO, startLocalChain, type LocalChain } from "../../helpers/local-chain.ts";
import { LocalStore } from "../../../core/storage/local-store.ts";
import { startGateway, type Gateway } from "../../../core/storage/gateway-server.ts";

/** The production build the tests use, apart from `npm run app:build`'s .next so the two never collide. */
export const E2E_DIST_DIR = "artifacts-e2e/next";
export const ARTIFACTS = join(REPO, "artifacts-e2e");
const NEXT = join(REPO, "node_modules", ".bin", "next");

export interface AppProcess {
  url: string;
  port: number;
  /** The `next start` process (its memory is read from /proc by tests). */
  pid: number;
  env: Record<string, string>;
  output(): string;
  stop(): Promise<void>;
}

export interface Stack {
  chain: LocalChain;
  gateway: Gateway;
  store: LocalStore;
  /** PROVENANT_HOME of the store (and of CLI runs against this stack). */
  home: string;
  work: string;
  /** Environment for the CLI: chain, deployment, store. */
  cliEnv: Record<string, string>;
  app: AppProcess | null;
  stop(): Promise<void>;
}

function run(cmd: string, args: string[], env: Record<string, string>): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: REPO, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (d) => (output += d));
    child.stderr.on("data", (d) => (output += d));
    child.on("close", (code) => resolve({ code: code ?? 1, output }));
  });
}

let built: Promise<void> | null = null;

/**
 * `next build` into `distDir` (the e2e build by default), once per process. PROVENANT_E2E_REUSE_BUILD=1 reuses
 * an existing build (handy while iterating on tests; never in CI).
 */
export function buildApp(distDir = E2E_DIST_DIR): Promise<void> {
  built ??= (async () => {
    if (process.env.PROVENANT_E2E_REUSE_BUILD === "1" && existsSync(join(REPO, distDir, "BUILD_ID"))) return;
    const { code, output } = await run(NEXT, ["build"], { PROVENANT_NEXT_DIST_DIR: distDir, NEXT_TELEMETRY_DISABLED: "1" });
    if (code !== 0) throw new Error(`next build failed:\n${output.slice(-6000)}`);
  })();
  return built;
}

async function answers(url: string): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
    await res.arrayBuffer();
    return true;
  } catch {
    return false;
  }
}

/** `next start` on 127.0.0.1 with the given environment; resolves once it serves pages. */
export async function startApp(env: Record<string, string>, port?: number, distDir = E2E_DIST_DIR): Promise<AppProcess> {
  const p = port ?? (await freePort());
  const fullEnv = { ...env, PROVENANT_NEXT_DIST_DIR: distDir, NEXT_TELEMETRY_DISABLED: "1" };
  const child: ChildProcess = spawn(NEXT, ["start", "--hostname", "127.0.0.1", "--port", String(p)], {
    cwd: REPO,
    env: { ...process.env, ...fullEnv },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout!.on("data", (d) => (output += d));
  child.stderr!.on("data", (d) => (output += d));
  let exited = false;
  child.on("exit", () => (exited = true));
  const stop = async () => {
    if (exited) return;
    const done = new Promise((r) => child.once("exit", r));
    child.kill("SIGTERM");
    await done;
  };
  const url = `http://127.0.0.1:${p}`;
  for (let i = 0; !(await answers(`${url}/models`)); i++) {
    if (exited || i > 300) {
      await stop();
      throw new Error(`next start did not serve ${url}:\n${output.slice(-3000)}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return { url, port: p, pid: child.pid!, env: fullEnv, output: () => output, stop };
}

/** Chain, store, gateway; the app when `withApp` (after buildApp()). */
export async function startStack(options: {
  name: string;
  withApp?: boolean;
  appPort?: number;
  gatewayPort?: number;
  chainPort?: number;
  home?: string;
}): Promise<Stack> {
  const chainPort = options.chainPort ?? (await freePort());
  const chain = await startLocalChain({ port: chainPort, deploymentId: `${options.name}-${chainPort}` });
  const work = mkdtempSync(join(tmpdir(), `provenant-${options.name}-`));
  const home = options.home ?? join(work, "home");
  mkdirSync(home, { recursive: true });
  const store = new LocalStore(home);
  let gateway: Gateway | null = null;
  let app: AppProcess | null = null;
  const stop = async () => {
    await app?.stop();
    await gateway?.close();
    await chain.stop();
    rmSync(join(REPO, "ignition", "deployments", chain.deploymentId), { recursive: true, force: true });
    rmSync(work, { recursive: true, force: true });
  };
  try {
    gateway = await startGateway(store, { port: options.gatewayPort ?? 0 });
    const cliEnv = { ...chain.env, PROVENANT_HOME: home };
    if (options.withApp) {
      await buildApp();
      // The browser tests mint with the local node's accounts, which the app offers only when opted in.
      app = await startApp({ ...chain.env, PROVENANT_GATEWAY_URL: gateway.url, PROVENANT_HOME: home, PROVENANT_NODE_ACCOUNTS: "on" }, options.appPort);
    }
    return { chain, gateway, store, home, work, cliEnv, app, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}

/** Mines one empty block on a Hardhat node: what the model page keeps per block is made again after it. */
export async function mineBlock(rpcUrl: string): Promise<void> {
  const res = await fetch(rpcUrl, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "evm_mine", params: [] }),
  });
  const body = (await res.json()) as { error?: { message: string } };
  if (body.error) throw new Error(`evm_mine: ${body.error.message}`);
}
