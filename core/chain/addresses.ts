import { ChainError } from "../errors.ts";

/**
 * Where the Provenant contracts are on a chain. Browser-safe: the networks deployed for good are in the
 * generated file (generated-deployment.ts reads core/chain/abi.generated.ts, which scripts/export-abi.ts writes
 * from Ignition's records, as Scaffold-ETH 2's deployedContracts); a chain deployed at run time (a local node, a
 * test's chain) comes as a Deployment read by the caller (core/chain/deployments.ts, in Node only). This module
 * does not import the generated file, so the script that writes it can use it.
 */
export const CONTRACT_NAMES = ["DatasetRegistry", "ModelRegistry", "AttestorRegistry", "EvaluationRegistry"] as const;
export type ContractName = (typeof CONTRACT_NAMES)[number];

export interface DeployedContract {
  address: string;
  /** Block of the deployment transaction, where event scans can start; absent when unknown. */
  deployedOnBlock?: number;
}

export interface Deployment {
  chainId: number;
  /** Where the addresses were read, for messages. */
  source: string;
  contracts: Partial<Record<ContractName, DeployedContract>>;
  /** Why there are no addresses at all (no record for this chain): said when one is asked for. */
  missing?: string;
}

/** The contract's entry in `deployment`, or CHAIN_NOT_DEPLOYED naming where it was looked for. */
export function deployedContract(deployment: Deployment, contract: ContractName): DeployedContract {
  if (deployment.missing) throw new ChainError("CHAIN_NOT_DEPLOYED", deployment.missing);
  const entry = deployment.contracts[contract];
  if (!entry) throw new ChainError("CHAIN_NOT_DEPLOYED", `${contract} is not deployed on chain ${deployment.chainId} (${deployment.source})`);
  return entry;
}

/** The address of `contract` in `deployment`, or CHAIN_NOT_DEPLOYED. */
export function contractAddress(deployment: Deployment, contract: ContractName): string {
  return deployedContract(deployment, contract).address;
}

/**
 * `address`, refused when it holds no code: the deployment record outlived its chain (a restarted local node)
 * and every call would fail obscurely.
 */
export async function liveAddress(provider: { getCode(address: string): Promise<string> }, chainId: number, contract: ContractName, address: string): Promise<string> {
  if ((await provider.getCode(address)) === "0x") {
    throw new ChainError(
      "CHAIN_NOT_DEPLOYED",
      `no ${contract} code at ${address} on chain ${chainId}: the chain was restarted or not deployed; run npm run chain (or npm run deploy) again`,
    );
  }
  return address;
}
