import { readFileSync } from "node:fs";
import { join } from "node:path";
import { CONTRACT_NAMES, type ContractName, type Deployment, type DeployedContract } from "./addresses.ts";

/**
 * One Hardhat Ignition deployment folder (<deployments>/<deployment id>/), read in Node: the addresses of the
 * Provenant module and the block each was deployed in. scripts/export-abi.ts writes the networks deployed for
 * good into the generated file with it; core/chain/deployments.ts reads the chains deployed at run time.
 */

/** Ignition's journal records each deployment's receipt: its block is where event scans can start. */
function deploymentBlocks(dir: string): Partial<Record<ContractName, number>> {
  const blocks: Partial<Record<ContractName, number>> = {};
  let journal: string;
  try {
    journal = readFileSync(join(dir, "journal.jsonl"), "utf8");
  } catch {
    return blocks;
  }
  for (const line of journal.split("\n")) {
    if (!line.includes("TRANSACTION_CONFIRM")) continue;
    const contract = CONTRACT_NAMES.find((c) => line.includes(`"Provenant#${c}"`));
    if (!contract || blocks[contract] !== undefined) continue;
    try {
      const entry = JSON.parse(line) as { receipt?: { blockNumber?: number } };
      if (typeof entry.receipt?.blockNumber === "number") blocks[contract] = entry.receipt.blockNumber;
    } catch {}
  }
  return blocks;
}

/** The Provenant module's contracts in one Ignition deployment folder; `missing` says so when it has no record. */
export function readIgnitionDeployment(dir: string, chainId: number): Deployment {
  const file = join(dir, "deployed_addresses.json");
  let addresses: Record<string, unknown>;
  try {
    addresses = JSON.parse(readFileSync(file, "utf8"));
  } catch {
    return {
      chainId,
      source: file,
      contracts: {},
      missing: `no Provenant deployment for chain ${chainId} (${file} is missing): run npm run chain, or deploy it with npm run deploy`,
    };
  }
  const blocks = deploymentBlocks(dir);
  const contracts: Deployment["contracts"] = {};
  for (const name of CONTRACT_NAMES) {
    const address = addresses[`Provenant#${name}`];
    if (typeof address !== "string") continue;
    const entry: DeployedContract = { address };
    if (blocks[name] !== undefined) entry.deployedOnBlock = blocks[name];
    contracts[name] = entry;
  }
  return { chainId, source: file, contracts };
}
