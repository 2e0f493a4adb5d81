import type { ContractRunner, Signer } from "ethers";
import { ChainError, type ProvenantError } from "../errors.ts";
import { chainError } from "./chain-error.ts";
import { toHex, type Hex32 } from "../hex.ts";
import { manifestCidBytes } from "./manifest-cid.ts";
import type { LeafProof, Proof } from "../merkle/verify.ts";
import { datasetRegistryAbi } from "./abi.generated.ts";
import { eventAtBlock, RegistryClient, type TxResult } from "./registry-client.ts";

export interface DatasetRecord {
  id: bigint;
  root: Hex32;
  n: number;
  totalSamples: number;
  mintedAt: number;
  /** Two adjacent leaves were proven out of order on-chain (reportMisordered): the dataset proves no exclusion. */
  misordered: boolean;
  publisher: string;
  previousVersion: bigint;
  encoding: string;
  manifestCid: string;
  license: string;
}

/** What DatasetRegistry keeps in storage: the record without its event-only fields, and the block it was minted in. */
export type StoredDatasetRecord = Omit<DatasetRecord, "mintedAt" | "previousVersion" | "encoding" | "license"> & { mintBlock: number };

export interface MintRequest {
  root: Uint8Array;
  n: number;
  totalSamples: number;
  encoding: string;
  manifestCid: string;
  license: string;
  previousVersion?: bigint;
}

export interface MintResult {
  id: bigint;
  /** True when this publisher had already minted this root: nothing was sent. */
  existing: boolean;
  txHash: string | null;
  gasUsed: bigint | null;
}

export { chainError };

const toSolLeaf = (p: LeafProof) => ({ sampleHash: toHex(p.sampleHash), index: p.index, siblings: p.siblings.map(toHex) });

/** DatasetRegistry for Node and the browser alike: records, minting, proofs checked by the contract, fraud proofs. */
export class DatasetRegistryClient extends RegistryClient {
  static readonly contractName = "DatasetRegistry";

  constructor(address: string, runner: ContractRunner, chainId: number) {
    super(address, runner, chainId, datasetRegistryAbi as never);
  }

  /**
   * The part of the record storage keeps (datasetOf), in one call: all that proving and auditing need. The
   * browser reads this one: the app's RPC route passes no log queries, which record()'s event fields take.
   */
  async storedRecord(id: bigint): Promise<StoredDatasetRecord> {
    try {
      const r = await this.contract.datasetOf(id);
      return {
        id,
        root: r.root,
        n: Number(r.n),
        totalSamples: Number(r.totalSamples),
        misordered: r.misordered,
        publisher: r.publisher,
        manifestCid: r.manifestCid,
        mintBlock: Number(r.mintBlock),
      };
    } catch (e) {
      throw this.readFailure(e, id);
    }
  }

  /**
   * The whole record: storage's part (storedRecord), and the encoding, license, previous version and mint time
   * from the DatasetMinted event at the mint block storage names (one block's logs, so an RPC that caps log
   * ranges, as FEVM's do, still answers).
   */
  async record(id: bigint): Promise<DatasetRecord> {
    const { mintBlock, ...stored } = await this.storedRecord(id);
    try {
      const what = `dataset #${id} on chain ${this.chainId}`;
      const [event, block] = await Promise.all([eventAtBlock(this.contract, "DatasetMinted", id, mintBlock, what), this.provider.getBlock(mintBlock)]);
      if (!block) throw new ChainError("TX_REVERTED", `${what}: block ${mintBlock}, where it was minted, is missing`);
      return {
        ...stored,
        mintedAt: block.timestamp,
        previousVersion: event.args.previousVersion,
        encoding: event.args.encoding,
        license: event.args.license,
      };
    } catch (e) {
      throw this.readFailure(e, id);
    }
  }

  private readFailure(e: unknown, id: bigint): ProvenantError {
    const err = this.fail(e, `dataset #${id}`);
    if (err.code === "TOKEN_NOT_FOUND") return new ChainError("TOKEN_NOT_FOUND", `dataset #${id} does not exist on chain ${this.chainId}`, { cause: e });
    return err;
  }

  async totalMinted(): Promise<bigint> {
    return this.contract.totalMinted();
  }

  /**
   * Mints once per (publisher, root): an identical repeat returns the existing token without a transaction; a
   * repeat with any other field fails with MINT_CONFLICT naming that token (the contract's own answer, asked
   * in a call).
   */
  async mint(req: MintRequest, options: { onSent?: (txHash: string) => void } = {}): Promise<MintResult> {
    const runner = this.contract.runner as Signer;
    const publisher = await runner.getAddress();
    const params = {
      root: toHex(req.root),
      n: req.n,
      totalSamples: req.totalSamples,
      previousVersion: req.previousVersion ?? 0n,
      encoding: req.encoding,
      manifestCid: manifestCidBytes(req.manifestCid),
      license: req.license,
    };
    const existing: bigint = await this.contract.tokenOfPublisherRoot(publisher, params.root);
    if (existing !== 0n) {
      try {
        await this.contract.mint.staticCall(params);
      } catch (e) {
        throw this.fail(e, "mint");
      }
      return { id: existing, existing: true, txHash: null, gasUsed: null };
    }
    const { receipt, result } = await this.transact("mint", () => this.contract.mint(params), options.onSent);
    const event = this.eventIn(receipt, "DatasetMinted");
    if (!event) throw new ChainError("TX_REVERTED", `mint: transaction ${result.txHash} has no DatasetMinted event`);
    return { id: event.args.id, existing: false, txHash: result.txHash, gasUsed: result.gasUsed };
  }

  /**
   * Submits the fraud proof of two adjacent leaves out of order (`left.sampleHash >= right.sampleHash`,
   * `right.index == left.index + 1`): the dataset is misordered on-chain from then on.
   */
  async reportMisordered(id: bigint, left: LeafProof, right: LeafProof): Promise<TxResult> {
    const sent = await this.transact(`report dataset #${id} misordered`, () => this.contract.reportMisordered(id, toSolLeaf(left), toSolLeaf(right)));
    return sent.result;
  }

  private proofArgs(id: bigint, p: Proof): [string, unknown[]] {
    if (p.kind === "inclusion") return ["Inclusion", [id, toHex(p.sampleHash), p.index, p.siblings.map(toHex)]];
    const neighbors = [p.left, p.right].filter((x): x is LeafProof => x !== null).map(toSolLeaf);
    return ["Exclusion", [id, toHex(p.x), neighbors]];
  }

  /** The contract's own verdict (a view call: free, no transaction). */
  async verify(id: bigint, p: Proof): Promise<boolean> {
    const [kind, args] = this.proofArgs(id, p);
    try {
      return await this.contract[`verify${kind}`](...args);
    } catch (e) {
      throw this.fail(e, `verify on dataset #${id}`);
    }
  }

  /** Records a proof in a transaction, so it can be cited by block and transaction hash. */
  async recordProof(id: bigint, p: Proof): Promise<TxResult> {
    const [kind, args] = this.proofArgs(id, p);
    const sent = await this.transact(`record proof on dataset #${id}`, () => this.contract[`record${kind}`](...args));
    return sent.result;
  }
}
