import { BrowserProvider, Contract, JsonRpcProvider, Network, type ContractRunner, type Eip1193Provider, type Signer } from "ethers";
import { datasetRegistryAbi } from "../../core/chain/abi.generated.ts";
import { chainError } from "../../core/chain/chain-error.ts";
import { toHex } from "../../core/hex.ts";
import { manifestCidBytes } from "../../core/chain/manifest-cid.ts";
import type { Proof } from "../../core/dataset/prover.ts";
import type { LeafProof } from "../../core/merkle/verify.ts";

/**
 * DatasetRegistry from the browser: the contract's own verdict on a proof (a free view call), and minting
 * with the user's wallet. core/chain/dataset-registry.ts holds the same calls for Node, but its module also
 * reads Ignition's files (node:fs), which a browser bundle cannot load; the argument shapes here follow it.
 */

/** JSON-RPC through the app's /api/rpc (the RPC URL and any key in it stay on the server). */
let rpc: { chainId: number; provider: JsonRpcProvider } | null = null;

export function appRpc(chainId: number): JsonRpcProvider {
  if (rpc?.chainId !== chainId) {
    const provider = new JsonRpcProvider(`${window.location.origin}/api/rpc`, chainId, {
      staticNetwork: Network.from(chainId),
      batchMaxCount: 1,
      batchStallTime: 0,
    });
    rpc = { chainId, provider };
  }
  return rpc.provider;
}

export function registryAt(address: string, runner: ContractRunner): Contract {
  return new Contract(address, datasetRegistryAbi as never, runner);
}

const toSolLeaf = (p: LeafProof) => ({ sampleHash: toHex(p.sampleHash), index: p.index, siblings: p.siblings.map(toHex) });

/** verifyInclusion / verifyExclusion as a view call: the chain's verdict, no transaction. */
export async function verifyOnChain(registry: Contract, datasetId: bigint, p: Proof): Promise<boolean> {
  if (p.kind === "inclusion") {
    return registry.verifyInclusion(datasetId, toHex(p.sampleHash), p.index, p.siblings.map(toHex));
  }
  const neighbors = [p.left, p.right].filter((x): x is LeafProof => x !== null).map(toSolLeaf);
  return registry.verifyExclusion(datasetId, toHex(p.x), neighbors);
}

export interface MintArgs {
  root: string;
  n: number;
  totalSamples: number;
  encoding: string;
  manifestCid: string;
  license: string;
  previousVersion: bigint;
}

export interface MintOutcome {
  id: bigint;
  existing: boolean;
  txHash: string | null;
}

/**
 * Mints once per (publisher, root), as the contract does: an identical repeat returns the publisher's existing
 * token; a repeat with other fields is refused by the contract (DatasetRegistryRootAlreadyMinted), asked in a call.
 */
export async function mintDataset(registry: Contract, signer: Signer, args: MintArgs, onSent?: (txHash: string) => void): Promise<MintOutcome> {
  const publisher = await signer.getAddress();
  const params = {
    root: args.root,
    n: args.n,
    totalSamples: args.totalSamples,
    previousVersion: args.previousVersion,
    encoding: args.encoding,
    manifestCid: manifestCidBytes(args.manifestCid),
    license: args.license,
  };
  const signed = registry.connect(signer) as Contract;
  const existing: bigint = await registry.tokenOfPublisherRoot(publisher, args.root);
  if (existing !== 0n) {
    try {
      await signed.mint.staticCall(params);
    } catch (e) {
      throw chainError(e, "mint");
    }
    return { id: existing, existing: true, txHash: null };
  }
  const tx = await signed.mint(params);
  onSent?.(tx.hash);
  const receipt = await tx.wait();
  for (const log of receipt.logs as { topics: string[]; data: string }[]) {
    const parsed = registry.interface.parseLog(log);
    if (parsed?.name === "DatasetMinted") return { id: parsed.args.id as bigint, existing: false, txHash: receipt.hash };
  }
  throw new Error("the mint transaction has no DatasetMinted event");
}

/** A signer from an EIP-1193 provider (a wallet, or the app's local-node bridge). */
export async function signerOf(eip1193: Eip1193Provider, account: string): Promise<Signer> {
  return new BrowserProvider(eip1193).getSigner(account);
}
