import "server-only";
import { dataDir } from "../../../core/config.ts";
import { ProvenantError } from "../../../core/errors.ts";

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
  /** Whether the app may sign with a development node's unlocked accounts (opt-in; never on other chains). */
  nodeAccounts: boolean;
  /** Origins the app is served at besides loopback (PROVENANT_APP_ORIGIN, comma-separated); empty when local. */
  appOrigins: string[];
  /** Token that dataset uploads must carry (PROVENANT_APP_WRITE_TOKEN); null when unset. */
  writeToken: string | null;
}

function origins(value: string | undefined): string[] {
  return (value ?? "")
    .split(",")
    .map((v) => v.trim())
    .filter(Boolean)
    .map((v) => {
      try {
        return new URL(v).origin;
      } catch {
        throw new ProvenantError("CONFIG_INVALID", `PROVENANT_APP_ORIGIN holds "${v}", which is not an origin like https://provenant.example`);
      }
    });
}

export function appConfig(): AppConfig {
  const env = process.env;
  return {
    rpcUrl: env.PROVENANT_RPC_URL ?? "http://127.0.0.1:8545",
    gatewayUrl: (env.PROVENANT_GATEWAY_URL ?? "http://127.0.0.1:8080").replace(/\/+$/, ""),
    browserGatewayUrl: (env.PROVENANT_BROWSER_GATEWAY_URL ?? "").replace(/\/+$/, ""),
    home: dataDir(),
    storage: env.PROVENANT_STORAGE || undefined,
    nodeAccounts: env.PROVENANT_NODE_ACCOUNTS === "on",
    appOrigins: origins(env.PROVENANT_APP_ORIGIN),
    writeToken: env.PROVENANT_APP_WRITE_TOKEN || null,
  };
}
