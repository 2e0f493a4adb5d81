/** The chain as a measured run reads it (RunChain in run.ts): the deployment's addresses, a dataset's record, a model's. */
import { ChainError } from "../errors.ts";
import type { ChainConnection } from "../chain/connect.ts";
import { DatasetRegistryClient } from "../chain/dataset-registry.ts";
import { attestedModelRegistry, provenantAddresses } from "../chain/model-registry.ts";
import type { ModelRegistryAddresses } from "../chain/model-registry.ts";
import type { RunChain } from "./run.ts";
import type { Address } from "./pcr-events.ts";

export function connectRunChain(conn: ChainConnection, overrides?: Partial<ModelRegistryAddresses>): RunChain {
  const addr = provenantAddresses(conn, overrides);
  const datasets = new DatasetRegistryClient(addr.datasetRegistry, conn.provider, conn.chainId);
  const models = attestedModelRegistry(addr.modelRegistry, conn.provider);
  return {
    chainId: conn.chainId,
    attestorRegistry: addr.attestorRegistry as Address,
    modelRegistry: addr.modelRegistry as Address,
    datasetRegistry: addr.datasetRegistry as Address,
    async dataset(id) {
      const r = await datasets.record(BigInt(id));
      return { root: r.root, n: r.n, encoding: r.encoding };
    },
    async model(id) {
      try {
        const r = await models.modelOf(BigInt(id));
        return { weightsDigest: r.weightsDigest, manifestCid: r.manifestCid };
      } catch (e) {
        if ((e as { revert?: { name: string } }).revert?.name === "ModelRegistryUnknownToken") {
          throw new ChainError("TOKEN_NOT_FOUND", `model #${id} does not exist on chain ${conn.chainId}`, { cause: e });
        }
        throw e;
      }
    },
  };
}
