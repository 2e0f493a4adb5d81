import "server-only";
import { dataDir } from "../../../core/config.ts";

/**
 * What the app reads from its environment, at request time (never inlined at build time).
 * app/README.md documents each variable.
 */
export interface AppConfig {
  /** JSON-RPC endpoint the server reads the chain from (and the browser reaches through /api/rpc). */
  rpcUrl: string;
  /** IPFS path gateway the server reads stored content from. */
  gatewayUrl: string;
  /** Gateway base the browser fetches from: "" means the app's own /ipfs/<cid> pass-through. */
  browserGatewayUrl: string;
  /** Data directory of the server-side store that the mint route writes to. */
  home: string;
  /** Storage kind for writes (core/config.ts openStore): "local", "lighthouse", or unset for the project default. */
  storage: string | undefined;
  /** Whether the app may sign with a development node's unlocked accounts (never on other chains). */
  nodeAccounts: boolean;
}

export function appConfig(): AppConfig {
  const env = process.env;
  return {
    rpcUrl: env.PROVENANT_RPC_URL ?? "http://127.0.0.1:8545",
    gatewayUrl: (env.PROVENANT_GATEWAY_URL ?? "http://127.0.0.1:8080").replace(/\/+$/, ""),
    browserGatewayUrl: (env.PROVENANT_BROWSER_GATEWAY_URL ?? "").replace(/\/+$/, ""),
    home: dataDir(),
    storage: env.PROVENANT_STORAGE || undefined,
    nodeAccounts: env.PROVENANT_NODE_ACCOUNTS !== "off",
  };
}
