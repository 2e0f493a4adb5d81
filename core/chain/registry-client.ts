import {
  Contract,
  EventLog,
  type ContractRunner,
  type ContractTransactionResponse,
  type Interface,
  type InterfaceAbi,
  type Provider,
  type Signer,
  type TransactionReceipt,
} from "ethers";
import { ChainError, type ProvenantError } from "../errors.ts";
import { contractAddress, liveAddress, type ContractName, type Deployment } from "./addresses.ts";
import { chainError } from "./chain-error.ts";
import { generatedDeployment } from "./generated-deployment.ts";

/**
 * The base of the chain clients (one per contract: dataset-registry.ts, model-registry.ts,
 * attestor-registry.ts): where the contract is, a view of it through a provider or a signer, transactions
 * waited for, and reverts decoded into the same ProvenantErrors for the CLI, the attestor and the browser.
 * Browser-safe: a client takes its address from the caller or a Deployment, never from disk.
 */

export type TxResult = { txHash: string; blockNumber: number; gasUsed: bigint };

/** What a client needs of a connection: the chain, a provider, and the deployment read for it (Node's connect). */
export interface ClientConnection {
  chainId: number;
  provider: Provider;
  /** Absent: the generated file's deployment of the chain. */
  deployment?: Deployment;
}

/** A client class: made from an address, a runner and a chain id; names its contract. */
export interface RegistryClientClass<T> {
  new (address: string, runner: ContractRunner, chainId: number): T;
  readonly contractName: ContractName;
}

/**
 * The `event` a registry emitted for token `id` in block `blockNumber`, where storage says it was minted: the
 * home of the fields kept only in events (license, encoding, certificate CID...). One block's logs, so an RPC
 * that caps log ranges (FEVM's) still answers. Fails closed: a record without its event is not read as empty.
 */
export async function eventAtBlock(contract: Contract, event: string, id: bigint, blockNumber: number, what: string): Promise<EventLog> {
  const logs = await contract.queryFilter(contract.filters[event]!(id), blockNumber, blockNumber);
  const found = logs.find((log): log is EventLog => log instanceof EventLog);
  if (!found) throw new ChainError("TX_REVERTED", `${what}: its ${event} event is missing from block ${blockNumber}`);
  return found;
}

export abstract class RegistryClient {
  readonly address: string;
  readonly contract: Contract;
  readonly chainId: number;

  constructor(address: string, runner: ContractRunner, chainId: number, abi: Interface | InterfaceAbi) {
    this.address = address;
    this.chainId = chainId;
    this.contract = new Contract(address, abi, runner);
  }

  /**
   * The client of this contract on the connection's chain, at `address` when given, else where the connection's
   * deployment (the generated file's when it has none) puts it; refused when no code is there.
   */
  static async connect<T>(this: RegistryClientClass<T>, conn: ClientConnection, address?: string): Promise<T> {
    const at = address ?? contractAddress(conn.deployment ?? generatedDeployment(conn.chainId), this.contractName);
    return new this(await liveAddress(conn.provider, conn.chainId, this.contractName, at), conn.provider, conn.chainId);
  }

  /**
   * connect and a first read in one round trip (ethers sends requests made together as one batch): the client,
   * and what `read` returns of it. The code check still comes first: with no contract at the address, that is
   * the failure, whatever the read made of the empty answer. For short commands on a distant RPC (`prove`).
   */
  static async connectReading<T, R>(this: RegistryClientClass<T>, conn: ClientConnection, read: (client: T) => Promise<R>): Promise<{ client: T; value: R }> {
    const at = contractAddress(conn.deployment ?? generatedDeployment(conn.chainId), this.contractName);
    const client = new this(at, conn.provider, conn.chainId);
    const [live, value] = await Promise.allSettled([liveAddress(conn.provider, conn.chainId, this.contractName, at), read(client)]);
    if (live.status === "rejected") throw live.reason;
    if (value.status === "rejected") throw value.reason;
    return { client, value: value.value };
  }

  /** The provider under the runner (a signer's own when this client sends transactions). */
  protected get provider(): Provider {
    const provider = this.contract.runner?.provider;
    if (!provider) throw new ChainError("CHAIN_UNREACHABLE", `${this.address} on chain ${this.chainId}: the client's runner has no provider`);
    return provider;
  }

  /** The same contract, sending transactions as `signer`. */
  withSigner(signer: Signer): this {
    const Client = this.constructor as new (address: string, runner: ContractRunner, chainId: number) => this;
    return new Client(this.address, signer, this.chainId);
  }

  /** A failed call or transaction as one readable ProvenantError; clients with their own errors widen it. */
  protected fail(e: unknown, what: string): ProvenantError {
    return chainError(e, what);
  }

  /** Sends a transaction and waits for its receipt; a refusal or a dead node fails as `fail` words it. */
  protected async transact(
    what: string,
    send: () => Promise<ContractTransactionResponse>,
    onSent?: (txHash: string) => void,
  ): Promise<{ receipt: TransactionReceipt; result: TxResult }> {
    try {
      const tx = await send();
      onSent?.(tx.hash);
      const receipt = (await tx.wait())!;
      return { receipt, result: { txHash: receipt.hash, blockNumber: receipt.blockNumber, gasUsed: receipt.gasUsed } };
    } catch (e) {
      throw this.fail(this.decodeRevert(e), what);
    }
  }

  /**
   * A refused transaction reaches ethers as raw revert data: only calls decode custom errors by the contract's
   * ABI. Refused at gas estimation, the data is on the error; refused when sent (the state changed after the
   * estimate, or ethers reused an estimate made moments before for the same call), it is in the node's JSON-RPC
   * error. Decoded here, a refused transaction names its error as a refused call does.
   */
  protected decodeRevert(e: unknown): unknown {
    const err = e as { revert?: unknown; data?: unknown; error?: { data?: unknown } } | null;
    if (!err || err.revert) return e;
    const data = typeof err.data === "string" ? err.data : err.error?.data;
    if (typeof data !== "string" || data.length < 10) return e;
    try {
      const parsed = this.contract.interface.parseError(data);
      if (parsed) err.revert = { name: parsed.name, signature: parsed.signature, args: [...parsed.args] };
    } catch {}
    return e;
  }

  /** The first `event` this contract emitted in `receipt`, parsed. */
  protected eventIn(receipt: TransactionReceipt, event: string) {
    for (const log of receipt.logs) {
      if (log.address.toLowerCase() !== this.address.toLowerCase()) continue;
      const parsed = this.contract.interface.parseLog(log);
      if (parsed?.name === event) return parsed;
    }
    return null;
  }
}
