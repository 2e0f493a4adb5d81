import { deployedContracts } from "./abi.generated.ts";
import type { Deployment } from "./addresses.ts";

/** The generated file's deployment of `chainId`; `missing` says so when the chain has none. */
export function generatedDeployment(chainId: number): Deployment {
  const contracts = (deployedContracts as Readonly<Record<number, Deployment["contracts"]>>)[chainId];
  return contracts
    ? { chainId, source: "core/chain/abi.generated.ts", contracts }
    : {
        chainId,
        source: "core/chain/abi.generated.ts",
        contracts: {},
        missing: `no Provenant deployment for chain ${chainId}: run npm run chain, or deploy it with npm run deploy`,
      };
}
