import "server-only";
import { cliTargetFor, type CliTarget } from "../cli-target.ts";
import { appConfig } from "./config.ts";

export type { CliTarget };

/** The CLI target of this app's chain and deployment, from its environment (app/_lib/cli-target.ts). */
export function cliTarget(chainId: number): CliTarget {
  return cliTargetFor({ chainId, rpcUrl: appConfig().rpcUrl, deploymentId: process.env.PROVENANT_DEPLOYMENT_ID, home: process.env.PROVENANT_HOME });
}
