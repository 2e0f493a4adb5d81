import { spawn, execFile, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";
import { promisify } from "node:util";
import { fileURLToPath } from "node:url";
import { delimiter, dirname, join } from "node:path";

const exec = promisify(execFile);

// Tools in node_modules/.bin (hardhat, next) start with `#!/usr/bin/env node`: put this process's Node (22,
// from the npm package) first on PATH so they never pick up an older system Node when run outside npm.
const nodeDir = dirname(process.execPath);
if (!(process.env.PATH ?? "").split(delimiter).includes(nodeDir)) process.env.PATH = `${nodeDir}${delimiter}${process.env.PATH ?? ""}`;
export const REPO = join(fileURLToPath(import.meta.url), "..", "..", "..");
const HARDHAT = join(REPO, "node_modules", ".bin", "hardhat");

export interface LocalChain {
  url: string;
  port: number;
  deploymentId: string;
  /** Environment for child processes (CLI, app) that should use this chain and deployment. */
  env: Record<string, string>;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
    srv.on("error", reject);
  });
}

async function rpcAnswers(url: string): Promise<boolean> {
  try {
    const res = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] }),
      signal: AbortSignal.timeout(1000),
    });
    return res.ok;
  } catch {
    return false;
  }
}

/**
 * Starts `hardhat node` on 127.0.0.1 (never 0.0.0.0) and deploys the Provenant Ignition module to it.
 * `deploymentId` keeps parallel chains' Ignition records apart; the default matches what the CLI reads.
 */
export async function startLocalChain(options: { port?: number; deploymentId?: string; quiet?: boolean } = {}): Promise<LocalChain> {
  const port = options.port ?? (await freePort());
  const url = `http://127.0.0.1:${port}`;
  if (await rpcAnswers(url)) throw new Error(`something already answers at ${url}: stop it or choose another port`);
  const deploymentId = options.deploymentId ?? "chain-31337";
  const env = { PROVENANT_RPC_URL: url, PROVENANT_DEPLOYMENT_ID: deploymentId };
  const node: ChildProcess = spawn(HARDHAT, ["node", "--hostname", "127.0.0.1", "--port", String(port)], {
    cwd: REPO,
    env: { ...process.env, ...env },
    stdio: ["ignore", "ignore", "pipe"],
  });
  // Keep the node's last words: when it dies early they are the only explanation.
  let stderrTail = "";
  node.stderr?.on("data", (d: Buffer) => {
    if (options.quiet === false) process.stderr.write(d);
    stderrTail = (stderrTail + d.toString()).slice(-2000);
  });
  let exited = false;
  node.on("exit", () => (exited = true));
  const stop = async () => {
    if (exited) return;
    const done = new Promise((r) => node.once("exit", r));
    node.kill("SIGTERM");
    await done;
  };
  try {
    for (let i = 0; !(await rpcAnswers(url)); i++) {
      if (exited) throw new Error(`hardhat node exited before it answered:\n${stderrTail.trim()}`);
      if (i > 600) throw new Error(`hardhat node did not answer at ${url} within 60 s`);
      await new Promise((r) => setTimeout(r, 100));
    }
    await exec(HARDHAT, ["ignition", "deploy", "ignition/modules/Provenant.ts", "--network", "localhost", "--reset", "--deployment-id", deploymentId], {
      cwd: REPO,
      env: { ...process.env, ...env, HARDHAT_IGNITION_CONFIRM_RESET: "true" },
    });
  } catch (e) {
    await stop();
    throw e;
  }
  return { url, port, deploymentId, env, stop };
}
