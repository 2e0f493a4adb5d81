import { join } from "node:path";
import { packageRoot } from "../package-root.ts";
import { contractAddress, type ContractName, type Deployment } from "./addresses.ts";
import { generatedDeployment } from "./generated-deployment.ts";
import { readIgnitionDeployment } from "./ignition-record.ts";

/**
 * Which deployment a Node process (CLI, attestor, app server, scripts, tests) uses: the generated file's, or one
 * made at run time and recorded by Ignition on disk (a local node, a test's chain). The chain clients never read
 * the disk: connect() hands them this Deployment, and the browser gets addresses from the app's server.
 */

export type { ContractName };

/** Where Hardhat Ignition records deployments: ignition/deployments/<deployment id>/deployed_addresses.json. */
export function deploymentsDir(): string {
  return process.env.PROVENANT_DEPLOYMENTS ?? join(packageRoot(), "ignition", "deployments");
}

/** Ignition's deployment id: chain-<id> by default; tests and parallel local chains set their own. */
export function deploymentId(chainId: number): string {
  return process.env.PROVENANT_DEPLOYMENT_ID ?? `chain-${chainId}`;
}

/**
 * The deployment made at run time on `chainId`, when there is one to use: the one PROVENANT_DEPLOYMENT_ID (or
 * PROVENANT_DEPLOYMENTS) names, or chain-<id> for a chain the generated file does not know (a local node).
 * Undefined when the generated file's addresses hold.
 */
export function runtimeDeployment(chainId: number): Deployment | undefined {
  const chosen = process.env.PROVENANT_DEPLOYMENT_ID !== undefined || process.env.PROVENANT_DEPLOYMENTS !== undefined;
  if (!chosen && !generatedDeployment(chainId).missing) return undefined;
  return readIgnitionDeployment(join(deploymentsDir(), deploymentId(chainId)), chainId);
}

/** The deployment this process uses on `chainId`: the run-time one, else the generated file's. */
export function nodeDeployment(chainId: number): Deployment {
  return runtimeDeployment(chainId) ?? generatedDeployment(chainId);
}

/** The address `contract` has on `chainId` for this process (module "Provenant"). */
export function deployedAddress(chainId: number, contract: ContractName): string {
  return contractAddress(nodeDeployment(chainId), contract);
}
