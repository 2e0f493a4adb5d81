import { BrowserProvider, JsonRpcProvider, Network, type Eip1193Provider, type Signer } from "ethers";

/**
 * The browser's way to the chain: reads through the app's /api/rpc (the RPC URL and any key in it stay on the
 * server), transactions through the user's wallet. The contracts themselves are core/chain's clients.
 */
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

/** A signer from an EIP-1193 provider (a wallet, or the app's local-node bridge). */
export async function signerOf(eip1193: Eip1193Provider, account: string): Promise<Signer> {
  return new BrowserProvider(eip1193).getSigner(account);
}
