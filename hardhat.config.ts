import { createRequire } from "node:module";
import hardhatToolboxMochaEthers from "@nomicfoundation/hardhat-toolbox-mocha-ethers";
import { configVariable, defineConfig } from "hardhat/config";

// Hardhat cannot download compilers on this network: compile with the npm package `solc`.
// Its version must equal `version` below; package.json pins it exactly.
const require = createRequire(import.meta.url);
const SOLC_VERSION = "0.8.30";
const soljsonPath = require.resolve("solc/soljson.js");

export default defineConfig({
  plugins: [hardhatToolboxMochaEthers],
  solidity: {
    profiles: {
      default: {
        version: SOLC_VERSION,
        path: soljsonPath,
        // OpenZeppelin 5 uses mcopy (cancun); FEVM runs cancun since nv25. Newer targets are not safe there.
        settings: { evmVersion: "cancun", optimizer: { enabled: true, runs: 200 } },
      },
      production: {
        version: SOLC_VERSION,
        path: soljsonPath,
        settings: { evmVersion: "cancun", optimizer: { enabled: true, runs: 200 } },
      },
    },
  },
  paths: { tests: { mocha: "test", solidity: "contracts" } },
  networks: {
    hardhatMainnet: { type: "edr-simulated", chainType: "l1" },
    // `npm run chain` and the tests start a node here; tests pick their own port through PROVENANT_RPC_URL.
    localhost: { type: "http", chainType: "l1", url: process.env.PROVENANT_RPC_URL ?? "http://127.0.0.1:8545" },
    // Filecoin's EVM (docs/deploy-filecoin.md). URL and key only through configuration variables: the environment
    // or `npx hardhat keystore set <NAME>`. No gas or gasPrice here: FEVM gas is Filecoin gas, estimated per
    // transaction, never hard-coded. Fee bumping is off: Lotus wants a premium more than 10% higher to replace a
    // pending message and Ignition bumps by exactly 10%. Confirmations and polling, which Ignition only takes
    // globally, come per network from core/chain/networks.ts through `npm run deploy`.
    filecoinCalibration: {
      type: "http",
      chainType: "l1",
      chainId: 314159,
      url: configVariable("FILECOIN_CALIBRATION_RPC_URL"),
      accounts: [configVariable("FILECOIN_CALIBRATION_PRIVATE_KEY")],
      ignition: { disableFeeBumping: true },
    },
    filecoin: {
      type: "http",
      chainType: "l1",
      chainId: 314,
      url: configVariable("FILECOIN_RPC_URL"),
      accounts: [configVariable("FILECOIN_PRIVATE_KEY")],
      ignition: { disableFeeBumping: true },
    },
  },
});
