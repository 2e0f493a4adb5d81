import "server-only";
import {
  mintBlockOf,
  newerVersions,
  recordedProofs,
  tokenHistory,
  type DatasetVersion,
  type RecordedProof,
  type TokenHistory,
} from "../../../core/chain/token-history.ts";
import { readDescendants, type Descendant } from "../../../core/lineage/descendants.ts";
import { appChain } from "./chain.ts";
import { modelRegistry } from "./models.ts";

/**
 * The token pages' explorer sections, read from the registries' events through core/chain/token-history.ts
 * (the CLI's reads): every scan from the token's mint block to one head read once, so the sections agree.
 */
export interface DatasetHistory {
  token: TokenHistory;
  newer: DatasetVersion[];
  proofs: RecordedProof[];
}

export async function datasetHistory(id: bigint): Promise<DatasetHistory> {
  const chain = await appChain();
  const [fromBlock, head] = await Promise.all([mintBlockOf(chain.registry, id), chain.conn.provider.getBlock("latest")]);
  const toBlock = head?.number;
  const [token, newer, proofs] = await Promise.all([
    tokenHistory(chain.registry, id, fromBlock, toBlock),
    newerVersions(chain.registry, id, { fromBlock, toBlock }),
    recordedProofs(chain.registry, id, { fromBlock, toBlock }),
  ]);
  return { token, newer, proofs };
}

export interface ModelHistory {
  token: TokenHistory;
  descendants: Descendant[];
}

/** Null when no ModelRegistry is deployed. */
export async function modelHistory(id: bigint): Promise<ModelHistory | null> {
  const [registry, chain] = await Promise.all([modelRegistry(), appChain()]);
  if (!registry) return null;
  const [fromBlock, head] = await Promise.all([mintBlockOf(registry, id), chain.conn.provider.getBlock("latest")]);
  const [token, descendants] = await Promise.all([tokenHistory(registry, id, fromBlock, head?.number), readDescendants(registry, id, head?.number)]);
  return { token, descendants };
}
