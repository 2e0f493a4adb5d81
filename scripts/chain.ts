/** `npm run chain`: a Hardhat node on 127.0.0.1:8545 with the Provenant contracts deployed by Ignition. Ctrl-C stops it. */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { REPO, startLocalChain } from "./lib/local-chain.ts";

const chain = await startLocalChain({ port: Number(process.env.PROVENANT_CHAIN_PORT ?? 8545), deploymentId: "chain-31337" });
const addresses = JSON.parse(readFileSync(join(REPO, "ignition", "deployments", chain.deploymentId, "deployed_addresses.json"), "utf8"));
console.log(`local chain at ${chain.url} (chain id 31337); contracts deployed by Ignition:`);
for (const [k, v] of Object.entries(addresses)) console.log(`  ${k.replace("Provenant#", "")}  ${v}`);
console.log("Ctrl-C to stop.");
const shutdown = async () => {
  await chain.stop();
  process.exit(0);
};
process.on("SIGINT", shutdown);
process.on("SIGTERM", shutdown);
setInterval(() => {}, 1 << 30);
