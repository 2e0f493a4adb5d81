import { FetchRequest, JsonRpcProvider, Network, Wallet, type Signer } from "ethers";
import { ChainError, InputError } from "../errors.ts";
import type { Deployment } from "./addresses.ts";
import { nodeDeployment } from "./deployments.ts";
import { networkConfig, type NetworkConfig } from "./networks.ts";

export interface ChainConnection {
  network: NetworkConfig;
  chainId: number;
  provider: JsonRpcProvider;
  /**
   * Where the contracts are: the deployment made at run time when there is one (a local node, a test's chain;
   * core/chain/deployments.ts), else the generated file's. Absent on a hand-made connection: the generated file's.
   */
  deployment?: Deployment;
  /** Lazily made: read-only commands never need a key. */
  signer(): Promise<Signer>;
}

/**
 * Connects to a network by name, failing fast with one line when nothing answers
 * (ethers' provider would otherwise retry network detection forever). Node only: it reads the environment
 * and Ignition's records of run-time deployments.
 */
export async function connect(networkName = "localhost"): Promise<ChainConnection> {
  const network = networkConfig(networkName);
  const chainId = await probeChainId(network.rpcUrl, network.name);
  if (chainId !== network.chainId && network.name !== "localhost") {
    throw new ChainError("CHAIN_UNREACHABLE", `${network.rpcUrl} is chain ${chainId}, not ${network.name} (${network.chainId})`);
  }
  // No request cache: ethers keeps each answer 250 ms on a timer that holds the process open, a quarter of a short
  // command's run. No batch stall either: requests made together still go as one batch, without waiting 10 ms.
  const provider = new JsonRpcProvider(network.rpcUrl, chainId, { staticNetwork: Network.from(chainId), cacheTimeout: -1, batchStallTime: 0 });
  return {
    network,
    chainId,
    provider,
    deployment: nodeDeployment(chainId),
    async signer() {
      if (network.keyEnv) {
        const key = process.env[network.keyEnv];
        if (!key) throw new InputError("CONFIG_INVALID", `signing on ${network.name} needs a private key in ${network.keyEnv}`);
        return new Wallet(key, provider);
      }
      return provider.getSigner(0);
    },
  };
}

async function probeChainId(url: string, name: string): Promise<number> {
  let body: { result?: string };
  try {
    // ethers' request (node:http), not global fetch: loading fetch's undici costs a small command ~150 ms of CPU.
    const req = new FetchRequest(url);
    req.body = { jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] };
    req.timeout = 10_000;
    const res = await req.send();
    res.assertOk();
    body = res.bodyJson as { result?: string };
  } catch (e) {
    const hint = name === "localhost" ? ": start one with npm run chain" : "";
    throw new ChainError("CHAIN_UNREACHABLE", `no chain answers at ${url}${hint}`, { cause: e });
  }
  if (typeof body.result !== "string") throw new ChainError("CHAIN_UNREACHABLE", `${url} did not answer eth_chainId`);
  return Number(BigInt(body.result));
}
