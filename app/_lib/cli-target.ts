import { networkFlag } from "../../core/chain/networks.ts";

/**
 * What a "re-check it yourself" command needs to reach the chain and deployment this app reads, so it works as
 * copied: `--network` for the networks the CLI knows by name; otherwise the RPC URL and the Ignition deployment
 * id in the environment (and, on a local development chain, the data directory the app's gateway serves).
 * An RPC URL that could carry a key (user info, a query, a path) is never shown: a placeholder stands in.
 */
export interface CliTarget {
  /** Environment assignments to put before `provenant` ("PROVENANT_RPC_URL=… "), or "". */
  prefix: string;
  /** Options to put after the command (" --network filecoinCalibration"), or "". */
  flags: string;
}

const DEFAULT_RPC = "http://127.0.0.1:8545";

/** Single-quoted for a POSIX shell when it holds anything but plain characters. */
export function shellWord(s: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** The RPC URL when it is safe to print (no user info, no query, no path beyond "/"), else null. */
export function printableRpcUrl(url: string): string | null {
  try {
    const u = new URL(url);
    if (u.username || u.password || u.search || u.hash || (u.pathname !== "/" && u.pathname !== "")) return null;
    if (u.protocol !== "http:" && u.protocol !== "https:") return null;
    return `${u.protocol}//${u.host}`;
  } catch {
    return null;
  }
}

const isLoopback = (url: string | null) => url !== null && /^https?:\/\/(127\.\d+\.\d+\.\d+|localhost|\[::1\])(:\d+)?$/.test(url);

/** What the app reads, as cliTarget needs it (app/_lib/server/cli-target.ts passes the environment's). */
export interface CliSetting {
  chainId: number;
  rpcUrl: string;
  deploymentId: string | undefined;
  home: string | undefined;
}

export function cliTargetFor({ chainId, rpcUrl, deploymentId, home }: CliSetting): CliTarget {
  // A network the CLI knows by name (the one network table): --network reaches it.
  const flag = networkFlag(chainId);
  if (flag) return { prefix: "", flags: flag };
  const shown = printableRpcUrl(rpcUrl);
  const vars: string[] = [];
  if (shown === null) vars.push(`PROVENANT_RPC_URL='<your RPC URL for chain ${chainId}>'`);
  else if (shown !== DEFAULT_RPC) vars.push(`PROVENANT_RPC_URL=${shellWord(shown)}`);
  if (deploymentId && deploymentId !== `chain-${chainId}`) vars.push(`PROVENANT_DEPLOYMENT_ID=${shellWord(deploymentId)}`);
  // On a local chain the CLI and the app share a machine: point the CLI at the store the app's gateway serves.
  if (chainId === 31337 && isLoopback(shown) && home) vars.push(`PROVENANT_HOME=${shellWord(home)}`);
  return { prefix: vars.length ? `${vars.join(" ")} ` : "", flags: "" };
}
