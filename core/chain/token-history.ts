import { ZeroAddress, type Contract, type Log, type Provider } from "ethers";
import { ChainError } from "../errors.ts";
import type { Hex32 } from "../hex.ts";
import type { DatasetRegistryClient } from "./dataset-registry.ts";
import { getLogsPaged } from "./logs.ts";
import type { ModelRegistryClient } from "./model-registry.ts";
import { logPageBlocksOf } from "./networks.ts";
import { PARENT_RELATIONS, type ParentRelation } from "./roles.ts";

/**
 * A token's history as a block explorer shows it, read from the registries' events: the mint transaction and
 * block, every ERC-721 Transfer, the current owner; a dataset's newer versions and the proofs recorded against
 * it; the parent links that name a model. Every scan starts at the token's mint block (storage keeps it), so a
 * long chain's history before it is never read, and is paged (core/chain/logs.ts) for RPCs that cap log ranges.
 */

/** Where an event is: its block and transaction. */
export interface EventPlace {
  blockNumber: number;
  txHash: string;
}

export interface TokenTransfer extends EventPlace {
  from: string;
  to: string;
}

export interface TokenHistory {
  /** The Transfer from the zero address, in the mint (DatasetMinted / ModelRegistered) transaction. */
  mint: EventPlace & { timestamp: number };
  owner: string;
  /** Oldest first, the mint included. */
  transfers: TokenTransfer[];
}

type Registry = DatasetRegistryClient | ModelRegistryClient;

/** Reads from `fromBlock` to the head: the range every query here scans. */
export interface ScanRange {
  fromBlock: number;
  /** The head when absent (read once). */
  toBlock?: number;
}

function providerOf(client: Registry): Provider {
  const provider = client.contract.runner?.provider;
  if (!provider) throw new ChainError("CHAIN_UNREACHABLE", `${client.address} on chain ${client.chainId}: the client's runner has no provider`);
  return provider;
}

const idTopic = (id: bigint) => `0x${id.toString(16).padStart(64, "0")}`;

/** The head's number, asked afresh: ethers answers getBlockNumber from a cache for a moment (cacheTimeout), which would miss a block just mined. */
async function headOf(provider: Provider): Promise<number> {
  const head = await provider.getBlock("latest");
  if (!head) throw new ChainError("CHAIN_UNREACHABLE", "the node did not return its latest block");
  return head.number;
}

async function scan(client: Registry, topics: (string | string[] | null)[], range: ScanRange): Promise<Log[]> {
  const provider = providerOf(client);
  const toBlock = range.toBlock ?? (await headOf(provider));
  return getLogsPaged(provider, { address: client.address, topics }, { fromBlock: range.fromBlock, toBlock, pageBlocks: logPageBlocksOf(client.chainId) });
}

function topicOf(contract: Contract, event: string): string {
  return contract.interface.getEvent(event)!.topicHash;
}

const place = (log: Log): EventPlace => ({ blockNumber: log.blockNumber, txHash: log.transactionHash });

/** The block a token was minted in, as storage records it (DatasetRegistry.datasetOf / ModelRegistry.modelOf). */
export async function mintBlockOf(client: Registry, id: bigint): Promise<number> {
  if (client.contract.interface.getFunction("datasetOf")) return Number((await client.contract.datasetOf(id)).mintBlock);
  return Number((await client.contract.modelOf(id)).registrationBlock);
}

/**
 * The mint, the transfers and the owner of token `id`. Fails closed: a token whose mint block holds no
 * Transfer from the zero address is not shown with an invented mint.
 */
export async function tokenHistory(client: Registry, id: bigint, mintBlock: number, toBlock?: number): Promise<TokenHistory> {
  const provider = providerOf(client);
  const head = toBlock ?? (await headOf(provider));
  const [logs, owner, block] = await Promise.all([
    scan(client, [topicOf(client.contract, "Transfer"), null, null, idTopic(id)], { fromBlock: mintBlock, toBlock: head }),
    client.contract.ownerOf(id) as Promise<string>,
    provider.getBlock(mintBlock),
  ]);
  const transfers = logs.map((log) => {
    const a = client.contract.interface.parseLog(log)!.args;
    return { ...place(log), from: String(a.from), to: String(a.to) };
  });
  const mint = transfers.find((t) => t.from === ZeroAddress && t.blockNumber === mintBlock);
  const what = `${client.chainId}:${client.address} token #${id}`;
  if (!mint || !block) throw new ChainError("TX_REVERTED", `${what}: its mint (a Transfer from the zero address) is missing from block ${mintBlock}`);
  return { mint: { blockNumber: mint.blockNumber, txHash: mint.txHash, timestamp: block.timestamp }, owner: String(owner), transfers };
}

export interface DatasetVersion extends EventPlace {
  id: bigint;
  publisher: string;
}

/**
 * The datasets minted as newer versions of dataset `id`: DatasetMinted events whose previousVersion is `id`
 * (not an indexed field, so every DatasetMinted since the dataset's mint is read and filtered here).
 */
export async function newerVersions(client: DatasetRegistryClient, id: bigint, range: ScanRange): Promise<DatasetVersion[]> {
  const logs = await scan(client, [topicOf(client.contract, "DatasetMinted")], range);
  return logs.flatMap((log) => {
    const a = client.contract.interface.parseLog(log)!.args;
    return a.previousVersion === id ? [{ ...place(log), id: BigInt(a.id), publisher: String(a.publisher) }] : [];
  });
}

export interface RecordedProof extends EventPlace {
  kind: "inclusion" | "exclusion";
  /** The proven leaf (inclusion) or the hash proven absent (exclusion). */
  sampleHash: Hex32;
  /** The leaf's position, for an inclusion. */
  index: number | null;
  recorder: string;
}

/** The proofs recorded on-chain for dataset `id` (InclusionRecorded, ExclusionRecorded), oldest first. */
export async function recordedProofs(client: DatasetRegistryClient, id: bigint, range: ScanRange): Promise<RecordedProof[]> {
  const kinds = [topicOf(client.contract, "InclusionRecorded"), topicOf(client.contract, "ExclusionRecorded")];
  const logs = await scan(client, [kinds, idTopic(id)], range);
  return logs.map((log) => {
    const parsed = client.contract.interface.parseLog(log)!;
    const a = parsed.args;
    const inclusion = parsed.name === "InclusionRecorded";
    return {
      ...place(log),
      kind: inclusion ? "inclusion" : "exclusion",
      sampleHash: String(inclusion ? a.sampleHash : a.x).toLowerCase() as Hex32,
      index: inclusion ? Number(a.index) : null,
      recorder: String(a.recorder),
    };
  });
}

export interface ParentLink extends EventPlace {
  childId: bigint;
  parentId: bigint;
  relation: ParentRelation;
}

/**
 * ParentLinked events in `range`, oldest first; with `parentId`, only the links naming that parent (the
 * event indexes it).
 */
export async function parentLinks(client: ModelRegistryClient, range: ScanRange, parentId?: bigint): Promise<ParentLink[]> {
  const topics = [topicOf(client.contract, "ParentLinked"), null, parentId === undefined ? null : idTopic(parentId)];
  const logs = await scan(client, topics, range);
  return logs.map((log) => {
    const a = client.contract.interface.parseLog(log)!.args;
    const relation = PARENT_RELATIONS[Number(a.relation)];
    if (relation === undefined) throw new ChainError("LINEAGE_INVALID", `the registry logged parent relation ${a.relation}, which this version does not know`);
    return { ...place(log), childId: BigInt(a.id), parentId: BigInt(a.parentId), relation };
  });
}
