import "server-only";
import { cache } from "react";
import { getBytes, type Log } from "ethers";
import { cidFromBytes } from "../../../core/storage/cid.ts";
import { contractAddress, type ContractName } from "../../../core/chain/addresses.ts";
import { connect, type ChainConnection } from "../../../core/chain/connect.ts";
import { DatasetRegistryClient, type DatasetRecord } from "../../../core/chain/dataset-registry.ts";
import { generatedDeployment } from "../../../core/chain/generated-deployment.ts";
import { logPageBlocksOf } from "../../../core/chain/networks.ts";
import { isProvenantError } from "../../../core/errors.ts";
import { scanLogsBackward } from "../../../core/chain/logs.ts";

export interface AppChain {
  conn: ChainConnection;
  chainId: number;
  registry: DatasetRegistryClient;
  /** Block the DatasetRegistry was deployed in (from the deployment record), 0 when unknown. */
  deploymentBlock: number;
  pageBlocks: number;
}

/** The chain and the DatasetRegistry, once per request. Throws CHAIN_UNREACHABLE or CHAIN_NOT_DEPLOYED. */
export const appChain = cache(async (): Promise<AppChain> => {
  const conn = await connect("localhost"); // the "localhost" profile takes PROVENANT_RPC_URL and any chain id
  const registry = await DatasetRegistryClient.connect(conn);
  return {
    conn,
    chainId: conn.chainId,
    registry,
    // Scanning logs from the deployment's block skips the chain's history.
    deploymentBlock: conn.deployment?.contracts.DatasetRegistry?.deployedOnBlock ?? 0,
    pageBlocks: logPageBlocksOf(conn.chainId),
  };
});

/** Where another registry is deployed on the app's chain, or null: the model pages use it when it lands. */
export function optionalAddress(chain: AppChain, contract: ContractName): string | null {
  try {
    return contractAddress(chain.conn.deployment ?? generatedDeployment(chain.chainId), contract);
  } catch (e) {
    if (isProvenantError(e) && e.code === "CHAIN_NOT_DEPLOYED") return null;
    throw e;
  }
}

/** A DatasetMinted event, as the lists show it. */
export interface MintedDataset {
  id: string;
  root: string;
  n: number;
  totalSamples: number;
  encoding: string;
  manifestCid: string;
  license: string;
  publisher: string;
  previousVersion: string | null;
  blockNumber: number;
  txHash: string;
}

function toMinted(chain: AppChain, log: Log): MintedDataset | null {
  const parsed = chain.registry.contract.interface.parseLog(log);
  if (!parsed || parsed.name !== "DatasetMinted") return null;
  const a = parsed.args;
  return {
    id: String(a.id),
    root: String(a.root),
    n: Number(a.n),
    totalSamples: Number(a.totalSamples),
    encoding: String(a.encoding),
    manifestCid: cidFromBytes(getBytes(a.manifestCid)),
    license: String(a.license),
    publisher: String(a.publisher),
    previousVersion: a.previousVersion === 0n ? null : String(a.previousVersion),
    blockNumber: log.blockNumber,
    txHash: log.transactionHash,
  };
}

export interface DatasetPage {
  items: MintedDataset[];
  total: number;
  /** `before` for the next, older page; null when this page reaches the first dataset. */
  older: number | null;
}

/**
 * The newest datasets minted below block `before` (the head when absent), from DatasetMinted events read in
 * windows of `pageBlocks`. A page ends on a block boundary so the next page starts cleanly below it.
 */
export async function recentDatasets(options: { before?: number; limit?: number; topics?: (string | null)[] } = {}): Promise<DatasetPage> {
  const chain = await appChain();
  const limit = options.limit ?? 12;
  const total = Number(await chain.registry.totalMinted());
  if (total === 0) return { items: [], total, older: null };
  const head = await chain.conn.provider.getBlockNumber();
  const toBlock = options.before !== undefined ? Math.min(head, options.before - 1) : head;
  const topic = chain.registry.contract.interface.getEvent("DatasetMinted")!.topicHash;
  const scan = await scanLogsBackward(
    chain.conn.provider,
    { address: chain.registry.address, topics: [topic, ...(options.topics ?? [])] },
    {
      toBlock,
      floor: chain.deploymentBlock,
      pageBlocks: chain.pageBlocks,
      want: limit + 1,
      done: (logs) => !options.topics && logs.some((l) => BigInt(l.topics[1]) === 1n),
    },
  );
  let items = scan.logs.map((l) => toMinted(chain, l)).filter((d): d is MintedDataset => d !== null);
  let older: number | null = scan.exhausted ? null : scan.scannedFrom;
  if (items.length > limit) {
    const cut = items[limit - 1].blockNumber;
    const kept = items.filter((d) => d.blockNumber >= cut);
    if (kept.length < items.length) {
      items = kept;
      older = cut;
    }
  }
  return { items, total, older };
}

/** Datasets whose root is `root` (DatasetMinted indexes the root). */
export async function datasetsWithRoot(root: string): Promise<MintedDataset[]> {
  const page = await recentDatasets({ topics: [null, null, root.toLowerCase()], limit: 50 });
  return page.items;
}

export async function datasetRecord(id: bigint): Promise<{ record: DatasetRecord; owner: string }> {
  const chain = await appChain();
  const record = await chain.registry.record(id);
  const owner = String(await chain.registry.contract.ownerOf(id));
  return { record, owner };
}
