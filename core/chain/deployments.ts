import { readFileSync } from "node:fs";
import { join } from "node:path";
import { packageRoot } from "../package-root.ts";
import { ChainError } from "../errors.ts";

/** Where Hardhat Ignition records deployments: ignition/deployments/chain-<id>/deployed_addresses.json. */
export function deploymentsDir(): string {
  return process.env.PROVENANT_DEPLOYMENTS ?? join(packageRoot(), "ignition", "deployments");
}

export type ContractName = "DatasetRegistry" | "ModelRegistry" | "AttestorRegistry" | "EvaluationRegistry";

/** Ignition's deployment id: chain-<id> by default; tests and parallel local chains set their own. */
export function deploymentId(chainId: number): string {
  return process.env.PROVENANT_DEPLOYMENT_ID ?? `chain-${chainId}`;
}

/** The address Ignition deployed `contract` to on `chainId` (module "Provenant"). */
export function deployedAddress(chainId: number, contract: ContractName): string {
  const file = join(deploymentsDir(), deploymentId(chainId), "deployed_addresses.json");
  let addresses: Record<string, string>;
  try {
    addresses = JSON.parse(readFileSync(file, "utf8"));
  } catch (e) {
    throw new ChainError(
      "CHAIN_NOT_DEPLOYED",
      `no Provenant deployment for chain ${chainId} (${file} is missing): run npm run chain, or deploy it with npm run deploy`,
      { cause: e },
    );
  }
  const address = addresses[`Provenant#${contract}`];
  if (!address) throw new ChainError("CHAIN_NOT_DEPLOYED", `${contract} is not deployed on chain ${chainId} (${file})`);
  return address;
}

/**
 * The address of `contract` on the connected chain, refusing one that holds no code: the deployment record
 * outlived its chain (a restarted local node) and every call would fail obscurely.
 */
export async function liveAddress(
  provider: { getCode(address: string): Promise<string> },
  chainId: number,
  contract: ContractName,
  address = deployedAddress(chainId, contract),
): Promise<string> {
  if ((await provider.getCode(address)) === "0x") {
    throw new ChainError(
      "CHAIN_NOT_DEPLOYED",
      `no ${contract} code at ${address} on chain ${chainId}: the chain was restarted or not deployed; run npm run chain (or npm run deploy) again`,
    );
  }
  return address;
}
