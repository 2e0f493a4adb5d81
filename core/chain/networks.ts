import { InputError } from "../errors.ts";

/**
 * The networks the CLI and app know by name. RPC URLs and keys come from the environment only,
 * the same variables Hardhat's configuration variables read.
 */
export interface NetworkConfig {
  name: string;
  chainId: number;
  rpcUrl: string;
  /** Environment variable holding the signer's private key; local networks sign with the node's own accounts. */
  keyEnv: string | null;
  /** FEVM limits eth_getLogs to about 2880 epochs (one day): readers page through blocks in this size. */
  logPageBlocks: number;
}

const env = (k: string) => process.env[k];

export function networkConfig(name: string): NetworkConfig {
  switch (name) {
    case "localhost":
    case "local":
      return {
        name: "localhost",
        chainId: 31337,
        rpcUrl: env("PROVENANT_RPC_URL") ?? "http://127.0.0.1:8545",
        keyEnv: env("PROVENANT_PRIVATE_KEY") ? "PROVENANT_PRIVATE_KEY" : null,
        logPageBlocks: 10_000,
      };
    case "filecoinCalibration":
      return {
        name,
        chainId: 314159,
        rpcUrl: requireEnv("FILECOIN_CALIBRATION_RPC_URL", name),
        keyEnv: "FILECOIN_CALIBRATION_PRIVATE_KEY",
        logPageBlocks: 2_000,
      };
    case "filecoin":
      return { name, chainId: 314, rpcUrl: requireEnv("FILECOIN_RPC_URL", name), keyEnv: "FILECOIN_PRIVATE_KEY", logPageBlocks: 2_000 };
    default:
      throw new InputError("INPUT_INVALID", `unknown network "${name}": use localhost, filecoinCalibration or filecoin`);
  }
}

function requireEnv(k: string, network: string): string {
  const v = env(k);
  if (!v) throw new InputError("CONFIG_INVALID", `network ${network} needs the RPC URL in the environment variable ${k}`);
  return v;
}
