/**
 * `npm run deploy -- --network <name> [--deployment-id <id>] [--json]`: deploys ignition/modules/Provenant.ts through
 * Hardhat Ignition with ignition/parameters/<network>.json and the network's deployment settings from
 * core/chain/networks.ts (on Filecoin: fee bumping off, few confirmations, slow polling). Ignition records the
 * addresses in ignition/deployments/<deployment id>/deployed_addresses.json; the deployment id is chain-<chain id>
 * unless --deployment-id or PROVENANT_DEPLOYMENT_ID says otherwise. A chain-<id> deployment on a real network is then
 * written into core/chain/abi.generated.ts (scripts/export-abi.ts), where the library, CLI and app read addresses;
 * other ids are read at run time (core/chain/deployments.ts). Re-running resumes an interrupted deployment and
 * deploys nothing twice.
 *
 * The RPC URL and key come from Hardhat's configuration variables (environment or `npx hardhat keystore set`).
 * A failure is one line on stderr and exit code 1. See docs/deploy-filecoin.md.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { isDevChain, networkFacts, NETWORK_NAMES } from "../core/chain/networks.ts";
import { REPO } from "./lib/local-chain.ts";

function fail(message: string): never {
  process.stderr.write(`deploy: ${message.split("\n")[0]}\n`);
  process.exit(1);
}

let args: { network?: string; "deployment-id"?: string; json?: boolean };
try {
  args = parseArgs({
    options: { network: { type: "string" }, "deployment-id": { type: "string" }, json: { type: "boolean" } },
    allowPositionals: false,
  }).values;
} catch (e) {
  fail(`${(e as Error).message}: usage npm run deploy -- --network <${NETWORK_NAMES.join("|")}> [--deployment-id <id>] [--json]`);
}
const networkName = args.network ?? fail(`--network is required: one of ${NETWORK_NAMES.join(", ")}`);
let facts: ReturnType<typeof networkFacts>;
try {
  facts = networkFacts(networkName);
} catch (e) {
  fail((e as Error).message);
}
const parametersPath = join(REPO, "ignition", "parameters", `${facts.name}.json`);
if (!existsSync(parametersPath)) fail(`no Ignition parameters for ${facts.name}: create ${parametersPath}`);
try {
  const parameters = JSON.parse(readFileSync(parametersPath, "utf8"));
  if (typeof parameters !== "object" || parameters === null || Array.isArray(parameters)) throw new Error("not an object");
} catch (e) {
  fail(`${parametersPath} is not an Ignition parameters file (${(e as Error).message})`);
}

// Hardhat finds its configuration from the working directory.
process.chdir(REPO);
const { default: hre } = await import("hardhat");
const { default: ProvenantModule } = await import("../ignition/modules/Provenant.ts");

try {
  const connection = await hre.network.create(facts.name);
  const chainId = Number(await connection.provider.request({ method: "eth_chainId" }));
  if (facts.name !== "localhost" && chainId !== facts.chainId) {
    fail(`the RPC URL for ${facts.name} serves chain ${chainId}, not ${facts.chainId}`);
  }
  const deploymentId = args["deployment-id"] ?? process.env.PROVENANT_DEPLOYMENT_ID ?? `chain-${chainId}`;
  if (!args.json) console.error(`deploying Provenant to ${facts.name} (chain ${chainId}) as deployment ${deploymentId}...`);
  await connection.ignition.deploy(ProvenantModule, {
    parameters: parametersPath,
    deploymentId,
    displayUi: !args.json,
    config: {
      requiredConfirmations: facts.deploy.requiredConfirmations,
      blockPollingInterval: facts.deploy.blockPollingInterval,
      disableFeeBumping: facts.deploy.disableFeeBumping,
      timeBeforeBumpingFees: facts.deploy.timeBeforeBumpingFees,
      maxFeeBumps: facts.deploy.maxFeeBumps,
    },
  });
  const recordPath = join(REPO, "ignition", "deployments", deploymentId, "deployed_addresses.json");
  const addresses = JSON.parse(readFileSync(recordPath, "utf8")) as Record<string, string>;
  for (const [name, address] of Object.entries(addresses)) {
    const code = await connection.provider.request({ method: "eth_getCode", params: [address, "latest"] });
    if (code === "0x") fail(`${name} has no code at ${address} on chain ${chainId}: the record ${recordPath} is stale; deploy again with another --deployment-id`);
  }
  await connection.close();
  // Addresses are never copied by hand: the generated file gets them from the record.
  let generated: string | null = null;
  if (!isDevChain(chainId) && deploymentId === `chain-${chainId}`) {
    const { ABI_MODULE_PATH, writeAbiModule } = await import("./export-abi.ts");
    if (writeAbiModule()) generated = ABI_MODULE_PATH;
  }
  if (args.json) {
    process.stdout.write(`${JSON.stringify({ ok: true, network: facts.name, chainId, deploymentId, record: recordPath, addresses, generated }, null, 2)}\n`);
  } else {
    console.log(`deployed on ${facts.name} (chain ${chainId}); addresses recorded in ${recordPath}:`);
    for (const [name, address] of Object.entries(addresses)) {
      console.log(`  ${name.replace("Provenant#", "").padEnd(18)} ${address}${facts.explorerAddressUrl ? `  ${facts.explorerAddressUrl}${address}` : ""}`);
    }
    if (generated) console.log(`addresses written to ${generated}: commit it with ${recordPath}`);
  }
} catch (e) {
  const message = ((e as Error).message ?? String(e)).split("\n")[0];
  const variable = /Configuration Variable "([A-Z0-9_]+)" not found/i.exec(message)?.[1];
  fail(variable ? `${message} Set it in the environment or with: npx hardhat keystore set ${variable}` : message);
}
