/**
 * Who is who in the demo: four parties with four keys, so that nobody seems to attest their own work.
 *
 *   registry owner  deploys the contracts (the chain's first account), enrolls the attestor, approves its boot state
 *   attestor        the TPM's on-chain identity: an address of its own (its signatures are the TPM's AK)
 *   publisher       mints the MNIST datasets
 *   registrant      the model builder: trains under the attestor, whose service registers the models in its name
 *
 * The last three are fresh random keys, funded by the owner on the local chain. Each party's environment sets
 * PROVENANT_PRIVATE_KEY, which the CLI and the attestor service sign with.
 */
import { JsonRpcProvider, Network, Wallet, parseEther } from "ethers";
import type { LocalChain } from "../lib/local-chain.ts";

export type DemoParty = {
  role: "registry owner" | "attestor" | "publisher" | "registrant";
  address: string;
  /** Environment for the CLI or service acting as this party (empty for the owner: the node's first account). */
  env: Record<string, string>;
  does: string;
};

export type DemoRoles = { owner: DemoParty; attestor: DemoParty; publisher: DemoParty; registrant: DemoParty };

export async function demoRoles(chain: LocalChain): Promise<DemoRoles> {
  const provider = new JsonRpcProvider(chain.url, 31337, { staticNetwork: Network.from(31337) });
  try {
    const owner = await provider.getSigner(0);
    const party = async (role: DemoParty["role"], does: string, fund: boolean): Promise<DemoParty> => {
      const key = Wallet.createRandom();
      if (fund) await (await owner.sendTransaction({ to: key.address, value: parseEther("10") })).wait();
      return { role, address: key.address, env: { PROVENANT_PRIVATE_KEY: key.privateKey }, does };
    };
    return {
      owner: { role: "registry owner", address: await owner.getAddress(), env: {}, does: "deployed the contracts; enrolls the attestor and approves its boot state" },
      attestor: await party("attestor", "the TPM's identity on-chain; it signs with the TPM's attestation key, never with an account", false),
      publisher: await party("publisher", "mints the datasets", true),
      registrant: await party("registrant", "builds the models: trains under the attestor, whose service registers them in its name", true),
    };
  } finally {
    provider.destroy();
  }
}

/** One line per party, for the demo's output. */
export function describeRoles(r: DemoRoles): string[] {
  return [r.owner, r.attestor, r.publisher, r.registrant].map((p) => `  ${p.role.padEnd(14)} ${p.address}  ${p.does}`);
}
