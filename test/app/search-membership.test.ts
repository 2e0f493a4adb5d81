import { expect } from "chai";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { JsonRpcProvider, Network } from "ethers";
import { DatasetRegistryClient } from "../../core/chain/dataset-registry.ts";
import { readIgnitionDeployment } from "../../core/chain/ignition-record.ts";
import { compareBytes, concatBytes, toHex } from "../../core/hex.ts";
import { REPO } from "../helpers/local-chain.ts";
import { storeLeavesAsGiven } from "../helpers/misordered.ts";
import { startStack, type Stack } from "./helpers/stack.ts";

const sha = (b: Uint8Array | string) => new Uint8Array(createHash("sha256").update(b).digest());

/**
 * Three samples a < b < c whose merkle-v1 tree is H(H(a, b), c): the odd last node moves up unhashed, so the
 * two "leaves" [H(a, b), c] have the same root. Returned with the forged pair in ascending order.
 */
function collidingTrees(): { members: Uint8Array[]; forged: Uint8Array[] } {
  for (let i = 0; ; i++) {
    const members = [sha(`a${i}`), sha(`b${i}`), sha(`c${i}`)].sort(compareBytes);
    const ab = sha(concatBytes(members.slice(0, 2)));
    if (compareBytes(ab, members[2]) < 0) return { members, forged: [ab, members[2]] };
  }
}

/** The search page's verdicts for `hash`, as text: "in", "not in" and "unknown" lines. */
async function searchText(stack: Stack, hash: Uint8Array): Promise<string> {
  const res = await fetch(`${stack.app!.url}/search?q=${toHex(hash)}`);
  expect(res.status).to.equal(200);
  const text = (await res.text()).replace(/<[^>]+>/g, "").replace(/&#x27;|&apos;/g, "'");
  // The part that speaks of sample hashes (the rest is the page's frame).
  return text.slice(text.indexOf("As a sample hash"));
}

describe("search reports membership only from the commitment the chain records", function () {
  this.timeout(900_000);
  let stack: Stack;
  let provider: JsonRpcProvider;

  before(async function () {
    stack = await startStack({ name: "search-membership", withApp: true });
    provider = new JsonRpcProvider(stack.chain.url, 31337, { staticNetwork: Network.from(31337) });
  });

  after(async () => {
    provider?.destroy();
    await stack?.stop();
  });

  it("attack: a manifest claiming another leaf count under the minted root is not believed (no false 'not in', no inner node 'in')", async () => {
    const { members, forged } = collidingTrees();
    // The publisher mints root H(H(a, b), c) with n = 3, but stores a two-leaf commitment with that root.
    const stored = await storeLeavesAsGiven(stack.store, concatBytes(forged), "forged leaf count");
    const deployment = readIgnitionDeployment(join(REPO, "ignition", "deployments", stack.chain.deploymentId), 31337);
    const registry = (await DatasetRegistryClient.connect({ chainId: 31337, provider, deployment })).withSigner(await provider.getSigner(1));
    const { id } = await registry.mint({ root: stored.root, n: 3, totalSamples: 3, encoding: "jsonl", manifestCid: stored.manifestCid, license: "CC0-1.0" });
    expect(await registry.verify(id, { kind: "inclusion", root: stored.root, n: 3, sampleHash: members[0], index: 0, siblings: [members[1], members[2]] })).to.equal(
      true,
      "a is a member of the minted dataset",
    );

    const forMember = await searchText(stack, members[0]);
    expect(forMember, `search says a member of the minted dataset is not in it: ${forMember}`).to.not.match(new RegExp(`not in\\s*(#\\d+,\\s*)*#${id}(?!\\d)`));
    expect(forMember, forMember).to.match(new RegExp(`unknown dataset #${id}: storage and chain disagree`));
    const forInnerNode = await searchText(stack, forged[0]);
    expect(forInnerNode, `search says an inner node of the tree is a sample: ${forInnerNode}`).to.not.match(new RegExp(`in dataset #${id}, leaf`));
    expect(forInnerNode, forInnerNode).to.match(new RegExp(`unknown dataset #${id}: storage and chain disagree`));
  });
});
