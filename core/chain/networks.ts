import { InputError } from "../errors.ts";

/**
 * The networks the CLI and app know by name. RPC URLs and keys come from the environment only,
 * the same variables Hardhat's configuration variables read.
 *
 * What differs on Filecoin's EVM (FEVM), with sources in docs/deploy-filecoin.md:
 * - a block is a tipset, one per 30 s epoch, and a tipset's messages execute in the next one (deferred execution):
 *   a receipt appears a block after inclusion, so a transaction takes about a minute;
 * - gas is Filecoin gas, hundreds of times Ethereum's numbers for the same work and re-priced by network upgrades:
 *   never hard-coded, always estimated (eth_estimateGas), so nothing here sets a gas limit or price;
 * - Lotus replaces a pending message only if the new premium exceeds the old by more than 10%
 *   (ComputeMinRBF: old * 110/100 + 1), while Ignition bumps by exactly 10% (old * 110/100): its bump is refused.
 *   Fee bumping is off on Filecoin networks; a stuck deployment is resumed by running it again;
 * - eth_getLogs spans at most 2880 epochs on a default Lotus node (MaxFilterHeightRange): readers page by
 *   logPageBlocks (core/chain/logs.ts).
 */
export interface NetworkConfig {
  name: string;
  /** How people call the network, for pages and messages. */
  label: string;
  chainId: number;
  /** A development chain whose node holds unlocked accounts: the app may sign with them, no wallet needed. */
  devChain: boolean;
  rpcUrl: string;
  /** Environment variable holding the signer's private key; local networks sign with the node's own accounts. */
  keyEnv: string | null;
  /** FEVM limits eth_getLogs to about 2880 epochs (one day): readers page through blocks in this size. */
  logPageBlocks: number;
  /** Seconds between blocks: a Filecoin epoch is 30 s. */
  blockTimeSeconds: number;
  /** How Ignition deploys here (scripts/deploy.ts). */
  deploy: DeploySettings;
  /** Block explorer address page, for links printed after a deployment. */
  explorerAddressUrl: string | null;
}

/** Ignition's DeployConfig fields this project sets per network (ignition-core's defaults: 5, 1 s, 3 min, 4, false). */
export interface DeploySettings {
  /** Blocks after inclusion before Ignition counts a transaction as done. */
  requiredConfirmations: number;
  /** How often Ignition polls for new blocks, in milliseconds. */
  blockPollingInterval: number;
  disableFeeBumping: boolean;
  /** Wait before a fee bump, were bumping enabled. */
  timeBeforeBumpingFees: number;
  maxFeeBumps: number;
}

export const NETWORK_NAMES = ["localhost", "filecoinCalibration", "filecoin"] as const;

const FEVM_DEPLOY = {
  // Blocks come every 30 s: polling each second only spends the RPC provider's rate limit.
  blockPollingInterval: 5_000,
  // Lotus refuses Ignition's 10% bump (it wants more than 10%): never bump; re-run to resume instead.
  disableFeeBumping: true,
  // Were bumping re-enabled, wait 30 epochs: FEVM messages routinely take several epochs to land.
  timeBeforeBumpingFees: 15 * 60_000,
  maxFeeBumps: 2,
};

const STATIC: Record<(typeof NETWORK_NAMES)[number], Omit<NetworkConfig, "rpcUrl" | "keyEnv"> & { rpcEnv: string | null; keyEnv: string | null }> = {
  localhost: {
    name: "localhost",
    label: "Local Hardhat node",
    chainId: 31337,
    devChain: true,
    rpcEnv: null,
    keyEnv: null,
    logPageBlocks: 10_000,
    blockTimeSeconds: 0,
    deploy: { requiredConfirmations: 1, blockPollingInterval: 200, disableFeeBumping: false, timeBeforeBumpingFees: 180_000, maxFeeBumps: 4 },
    explorerAddressUrl: null,
  },
  filecoinCalibration: {
    name: "filecoinCalibration",
    label: "Filecoin Calibration",
    chainId: 314159,
    devChain: false,
    rpcEnv: "FILECOIN_CALIBRATION_RPC_URL",
    keyEnv: "FILECOIN_CALIBRATION_PRIVATE_KEY",
    logPageBlocks: 2_000,
    blockTimeSeconds: 30,
    // A test network: two epochs (about a minute) past the receipt's own.
    deploy: { requiredConfirmations: 2, ...FEVM_DEPLOY },
    explorerAddressUrl: "https://calibration.filfox.info/en/address/",
  },
  filecoin: {
    name: "filecoin",
    label: "Filecoin",
    chainId: 314,
    devChain: false,
    rpcEnv: "FILECOIN_RPC_URL",
    keyEnv: "FILECOIN_PRIVATE_KEY",
    logPageBlocks: 2_000,
    blockTimeSeconds: 30,
    // Five epochs (2.5 min); F3 finalizes within minutes once it is running, EC alone takes 900 epochs.
    deploy: { requiredConfirmations: 5, ...FEVM_DEPLOY },
    explorerAddressUrl: "https://filfox.info/en/address/",
  },
};

/** Chains a wallet may be on that Provenant is not deployed to: named on pages, nothing more. */
const OTHER_CHAIN_NAMES: Record<number, string> = { 1: "Ethereum", 11155111: "Sepolia" };

/** The network of `chainId`, when it is one of ours. */
export function networkOfChain(chainId: number): Omit<NetworkConfig, "rpcUrl" | "keyEnv"> | undefined {
  const s = Object.values(STATIC).find((n) => n.chainId === chainId);
  if (!s) return undefined;
  const { rpcEnv: _rpcEnv, keyEnv: _keyEnv, ...facts } = s;
  return facts;
}

/** "Filecoin Calibration"; any other chain is shown by number. */
export function chainName(chainId: number): string {
  return networkOfChain(chainId)?.label ?? OTHER_CHAIN_NAMES[chainId] ?? `Chain ${chainId}`;
}

/** "Filecoin Calibration (chain 314159)", or just "chain 5" for a chain without a name. */
export function chainLabel(chainId: number): string {
  const name = chainName(chainId);
  return name === `Chain ${chainId}` ? `chain ${chainId}` : `${name} (chain ${chainId})`;
}

/** Development chains whose node holds unlocked accounts: the app may sign with them, no wallet needed. */
export function isDevChain(chainId: number): boolean {
  return networkOfChain(chainId)?.devChain ?? false;
}

/** Blocks per eth_getLogs page on `chainId` (FEVM answers about 2,880 epochs at most; other nodes take more). */
export function logPageBlocksOf(chainId: number): number {
  return networkOfChain(chainId)?.logPageBlocks ?? STATIC.localhost.logPageBlocks;
}

/** The `--network` a CLI command needs to reach `chainId` (" --network filecoin"); "" for the default network. */
export function networkFlag(chainId: number): string {
  const n = networkOfChain(chainId);
  return n && n.name !== "localhost" ? ` --network ${n.name}` : "";
}

const env = (k: string) => process.env[k];

function staticConfig(name: string) {
  const key = name === "local" ? "localhost" : name;
  if (!(NETWORK_NAMES as readonly string[]).includes(key)) {
    throw new InputError("INPUT_INVALID", `unknown network "${name}": use localhost, filecoinCalibration or filecoin`);
  }
  return STATIC[key as (typeof NETWORK_NAMES)[number]];
}

/** The settings that need no RPC URL (deployment, paging), for scripts whose RPC URL comes from Hardhat's config. */
export function networkFacts(name: string): Omit<NetworkConfig, "rpcUrl"> {
  const { rpcEnv: _rpcEnv, ...facts } = staticConfig(name);
  return facts;
}

export function networkConfig(name: string): NetworkConfig {
  const s = staticConfig(name);
  const { rpcEnv, ...facts } = s;
  if (rpcEnv === null) {
    return {
      ...facts,
      rpcUrl: env("PROVENANT_RPC_URL") ?? "http://127.0.0.1:8545",
      keyEnv: env("PROVENANT_PRIVATE_KEY") ? "PROVENANT_PRIVATE_KEY" : null,
    };
  }
  return { ...facts, rpcUrl: requireEnv(rpcEnv, s.name) };
}

function requireEnv(k: string, network: string): string {
  const v = env(k);
  if (!v) throw new InputError("CONFIG_INVALID", `network ${network} needs the RPC URL in the environment variable ${k}`);
  return v;
}
