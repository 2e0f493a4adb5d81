import { expect } from "chai";
import { createHash } from "node:crypto";
import { DatasetRegistryClient } from "../../core/chain/dataset-registry.ts";
import { DatasetProver, type InclusionProof } from "../../core/dataset/prover.ts";
import { eventAtBlock } from "../../core/chain/registry-client.ts";
import { toHex } from "../../core/hex.ts";
import { leafAt, mintDirectly, sortedHashes, storeLeavesAsGiven, swapped } from "../helpers/misordered.ts";
import { failure, storedDataset, testChain, type TestChain } from "./helpers.ts";

describe("DatasetRegistryClient against a Hardhat node", function () {
  this.timeout(300_000);
  let chain: TestChain;
  let registry: DatasetRegistryClient;

  before(async function () {
    this.timeout(600_000); // the shared node starts in the first suite's hook
    chain = await testChain();
    registry = (await DatasetRegistryClient.connect(chain.conn)).withSigner(await chain.provider.getSigner(0));
  });

  const mintRequest = (stored: Awaited<ReturnType<typeof storedDataset>>, license = "CC0-1.0") => ({
    root: stored.root,
    n: stored.manifest.n,
    totalSamples: stored.manifest.totalSamples,
    encoding: stored.manifest.encoding,
    manifestCid: stored.manifestCid,
    license,
  });

  it("mints once per root: a repeat returns the token without a transaction, other fields fail MINT_CONFLICT naming it", async () => {
    const stored = await storedDataset(chain.store, "mint-once");
    let sent = "";
    const first = await registry.mint(mintRequest(stored), { onSent: (h) => (sent = h) });
    expect(first.existing).to.equal(false);
    expect(first.txHash)
      .to.match(/^0x[0-9a-f]{64}$/)
      .and.to.equal(sent);
    const again = await registry.mint(mintRequest(stored));
    expect(again).to.deep.equal({ id: first.id, existing: true, txHash: null, gasUsed: null });
    const conflict = await failure(registry.mint(mintRequest(stored, "MIT")));
    expect(conflict.code).to.equal("MINT_CONFLICT");
    expect(conflict.message).to.contain(`as dataset #${first.id}`);
  });

  it("reads a record back as minted, and names a token that does not exist", async () => {
    const stored = await storedDataset(chain.store, "record");
    const { id } = await registry.mint(mintRequest(stored));
    const r = await registry.record(id);
    expect(r).to.include({
      id,
      n: stored.manifest.n,
      totalSamples: stored.manifest.totalSamples,
      encoding: "jsonl",
      manifestCid: stored.manifestCid,
      license: "CC0-1.0",
      misordered: false,
      previousVersion: 0n,
    });
    expect(r.root.toLowerCase()).to.equal(toHex(stored.root));
    expect(r.publisher).to.equal(await (await chain.provider.getSigner(0)).getAddress());
    for (const read of [registry.record(9_999n), registry.storedRecord(9_999n)]) {
      const missing = await failure(read);
      expect(missing.code).to.equal("TOKEN_NOT_FOUND");
      expect(missing.message).to.equal("dataset #9999 does not exist on chain 31337");
    }
  });

  it("reads the event-only fields from DatasetMinted at the mint block, and fails closed where that event is not", async () => {
    const stored = await storedDataset(chain.store, "event-at-block");
    const { id, txHash } = await registry.mint(mintRequest(stored, "Apache-2.0"));
    const minedIn = (await chain.provider.getTransactionReceipt(txHash!))!.blockNumber;
    const r = await registry.record(id);
    expect(r.mintedAt).to.equal((await chain.provider.getBlock(minedIn))!.timestamp);
    // Storage's part alone (one call, no log query: what the browser reads) names the block to look in.
    const { mintBlock, ...inStorage } = await registry.storedRecord(id);
    expect(mintBlock).to.equal(minedIn);
    expect(r).to.include(inStorage);
    expect(r).to.include({ license: "Apache-2.0", encoding: "jsonl", previousVersion: 0n });
    expect((await eventAtBlock(registry.contract, "DatasetMinted", id, minedIn, `dataset #${id}`)).args.license).to.equal("Apache-2.0");
    // Another block, or another token at this block: no event, and no record read with empty fields.
    for (const [tokenId, at] of [
      [id, minedIn - 1],
      [id + 1_000n, minedIn],
    ] as const) {
      const missing = await failure(eventAtBlock(registry.contract, "DatasetMinted", tokenId, at, `dataset #${tokenId}`));
      expect(missing.code).to.equal("TX_REVERTED");
      expect(missing.message).to.equal(`dataset #${tokenId}: its DatasetMinted event is missing from block ${at}`);
    }
  });

  it("gets the contract's verdict on proofs: a member and an absent sample hold, a proof with one flipped byte does not", async () => {
    const stored = await storedDataset(chain.store, "verify");
    const { id } = await registry.mint(mintRequest(stored));
    const prover = await DatasetProver.openMinted(await registry.record(id), chain.store);
    const inside = (await prover.prove(createHash("sha256").update("verify/7").digest())) as InclusionProof;
    expect(inside.kind).to.equal("inclusion");
    expect(await registry.verify(id, inside)).to.equal(true);
    const outside = await prover.prove(createHash("sha256").update("not a member").digest());
    expect(outside.kind).to.equal("exclusion");
    expect(await registry.verify(id, outside)).to.equal(true);
    const sibling = inside.siblings[0].slice();
    sibling[5] ^= 1;
    expect(await registry.verify(id, { ...inside, siblings: [sibling, ...inside.siblings.slice(1)] })).to.equal(false);
  });

  it("records a proof in a transaction, citable by hash and block", async () => {
    const stored = await storedDataset(chain.store, "record-proof");
    const { id } = await registry.mint(mintRequest(stored));
    const prover = await DatasetProver.openMinted(await registry.record(id), chain.store);
    const sent = await registry.recordProof(id, await prover.prove(createHash("sha256").update("record-proof/1").digest()));
    expect(sent.txHash).to.match(/^0x[0-9a-f]{64}$/);
    expect((await chain.provider.getTransactionReceipt(sent.txHash))!.blockNumber).to.equal(sent.blockNumber);
    expect(sent.gasUsed > 0n).to.equal(true);
  });

  it("decodes the contract's refusals: a fraud proof of leaves in order, then recording an exclusion from a dataset reported misordered", async () => {
    const sorted = sortedHashes(8, "client-misordered");
    const stored = await storeLeavesAsGiven(chain.store, swapped(sorted, 2, 3));
    const raw = registry.contract.connect(await chain.provider.getSigner(1)) as typeof registry.contract;
    const id = await mintDirectly(raw, stored);
    const prover = await DatasetProver.openMinted(await registry.record(id), chain.store);
    const inOrder = await failure(registry.reportMisordered(id, await prover.leafProof(0), await prover.leafProof(1)));
    expect(inOrder.code).to.equal("TX_REVERTED");
    expect(inOrder.message).to.match(/^report dataset #\d+ misordered: the contract refused with DatasetRegistryLeavesInOrder\(/);
    const reported = await registry.reportMisordered(id, await prover.leafProof(2), await prover.leafProof(3));
    expect(reported.txHash).to.match(/^0x[0-9a-f]{64}$/);
    expect((await registry.record(id)).misordered).to.equal(true);
    const absent = { kind: "exclusion" as const, root: prover.root, n: 8, x: new Uint8Array(32), left: null, right: await prover.leafProof(0) };
    expect(await registry.verify(id, absent)).to.equal(false);
    const refused = await failure(registry.recordProof(id, absent));
    expect(refused.code).to.equal("DATASET_MISORDERED");
    // An inclusion proof still holds.
    expect(await registry.verify(id, { kind: "inclusion", root: prover.root, n: 8, ...(await prover.leafProof(5)) })).to.equal(true);
    expect(toHex((await prover.leafProof(5)).sampleHash)).to.equal(toHex(leafAt(sorted, 5)));
  });
});
