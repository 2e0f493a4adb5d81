import { Contract, type ContractRunner, type Signer } from "ethers";
import { ChainError } from "../errors.ts";
import { chainError } from "./chain-error.ts";
import { toHex, type Hex32 } from "../hex.ts";
import { manifestCidBytes } from "./manifest-cid.ts";
import type { LeafProof, Proof } from "../merkle/verify.ts";
import { datasetRegistryAbi } from "./abi.generated.ts";
import type { ChainConnection } from "./connect.ts";
import { liveAddress } from "./deployments.ts";

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

export class DatasetRegistryClient {
  readonly address: string;
  readonly contract: Contract;
  readonly chainId: number;

  constructor(address: string, runner: ContractRunner, chainId: number) {
    this.address = address;
    this.chainId = chainId;
    this.contract = new Contract(address, datasetRegistryAbi as never, runner);
  }

  static async connect(conn: ChainConnection): Promise<DatasetRegistryClient> {
    const address = await liveAddress(conn.provider, conn.chainId, "DatasetRegistry");
    return new DatasetRegistryClient(address, conn.provider, conn.chainId);
  }

  withSigner(signer: Signer): DatasetRegistryClient {
    return new DatasetRegistryClient(this.address, signer, this.chainId);
  }

  /**
   * The whole record: storage's part from datasetOf, and the encoding, license, previous version and mint
   * time from the DatasetMinted event at the mint block storage names (one block's logs, so an RPC that
   * caps log ranges, as FEVM's do, still answers).
   */
  async record(id: bigint): Promise<DatasetRecord> {
    try {
      const r = await this.contract.datasetOf(id);
      const mintBlock = Number(r.mintBlock);
      const [event] = await this.contract.queryFilter(this.contract.filters.DatasetMinted(id), mintBlock, mintBlock);
      const block = event && (await event.getBlock());
      if (!event || !("args" in event) || !block) {
        throw new ChainError("TX_REVERTED", `dataset #${id}: its DatasetMinted event is missing from block ${mintBlock} on chain ${this.chainId}`);
      }
      return {
        id,
        root: r.root,
        n: Number(r.n),
        totalSamples: Number(r.totalSamples),
        mintedAt: block.timestamp,
        misordered: r.misordered,
        publisher: r.publisher,
        previousVersion: event.args.previousVersion,
        encoding: event.args.encoding,
        manifestCid: r.manifestCid,
        license: event.args.license,
      };
    } catch (e) {
      const err = chainError(e, `dataset #${id}`);
      if (err.code === "TOKEN_NOT_FOUND") {
        throw new ChainError("TOKEN_NOT_FOUND", `dataset #${id} does not exist on chain ${this.chainId}`, { cause: e });
      }
      throw err;
    }
  }

  async totalMinted(): Promise<bigint> {
    return this.contract.totalMinted();
  }

  /**
   * Mints once per (publisher, root): an identical repeat returns the existing token without a transaction; a
   * repeat with any other field fails with MINT_CONFLICT naming that token (the contract's own answer, asked
   * in a call).
   */
  async mint(req: MintRequest): Promise<MintResult> {
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
        throw chainError(e, "mint");
      }
      return { id: existing, existing: true, txHash: null, gasUsed: null };
    }
    try {
      const tx = await this.contract.mint(params);
      const receipt = await tx.wait();
      const event = receipt.logs
        .map((l: { topics: string[]; data: string }) => this.contract.interface.parseLog(l))
        .find((l: { name: string } | null) => l?.name === "DatasetMinted");
      return { id: event.args.id, existing: false, txHash: receipt.hash, gasUsed: receipt.gasUsed };
    } catch (e) {
      throw chainError(e, "mint");
    }
  }

  /**
   * Submits the fraud proof of two adjacent leaves out of order (`left.sampleHash >= right.sampleHash`,
   * `right.index == left.index + 1`): the dataset is misordered on-chain from then on.
   */
  async reportMisordered(id: bigint, left: LeafProof, right: LeafProof): Promise<{ txHash: string; blockNumber: number; gasUsed: bigint }> {
    try {
      const tx = await this.contract.reportMisordered(id, toSolLeaf(left), toSolLeaf(right));
      const receipt = await tx.wait();
      return { txHash: receipt.hash, blockNumber: receipt.blockNumber, gasUsed: receipt.gasUsed };
    } catch (e) {
      throw chainError(e, `report dataset #${id} misordered`);
    }
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
      throw chainError(e, `verify on dataset #${id}`);
    }
  }

  /** Records a proof in a transaction, so it can be cited by block and transaction hash. */
  async recordProof(id: bigint, p: Proof): Promise<{ txHash: string; blockNumber: number; gasUsed: bigint }> {
    const [kind, args] = this.proofArgs(id, p);
    try {
      const tx = await this.contract[`record${kind}`](...args);
      const receipt = await tx.wait();
      return { txHash: receipt.hash, blockNumber: receipt.blockNumber, gasUsed: receipt.gasUsed };
    } catch (e) {
      throw chainError(e, `record proof on dataset #${id}`);
    }
  }
}
