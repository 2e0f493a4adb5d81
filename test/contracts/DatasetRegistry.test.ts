import { expect } from "chai";
import type { EventLog } from "ethers";
import { network } from "hardhat";
import { MerkleTree } from "merkletreejs";
import { CID } from "multiformats/cid";
import { foldProof, fromHex, hashPair, sha256, toHex, type Hex } from "./helpers/merkleV1.js";

const { ethers, networkHelpers } = await network.create();
const { loadFixture, time } = networkHelpers;

/** IDatasetRegistry.MintParams and .LeafProof as ethers takes them. */
interface MintParams {
  root: string;
  n: bigint;
  totalSamples: bigint;
  previousVersion: bigint;
  encoding: string;
  /** binary CIDv1, as the contract takes it */
  manifestCid: Uint8Array | string;
  license: string;
}
interface LeafProof {
  sampleHash: string;
  index: bigint | number;
  siblings: string[];
}

// dag-pb; RAW_CID is a raw-codec CID. The contract keeps the digest and rebuilds the text on read.
const MANIFEST_CID = "bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi";
const RAW_CID = "bafkreig7ievyzvsa5ratazjhp5hacymwuxj6n5ks7dij6m4dsshwxd2zki";
const cidBytes = (cid: string) => CID.parse(cid).bytes;
const cidHex = (cid: string) => ethers.hexlify(cidBytes(cid));

/** `n` distinct sample hashes, sorted ascending: the leaves of a merkle-v1 tree. */
function sortedLeaves(n: number, salt = "samples"): Hex[] {
  return Array.from({ length: n }, (_, i) => sha256(Buffer.from(`${salt}/${i}`))).sort();
}

/** The tree as merkletreejs builds it: no leaf hashing, no pair sorting, odd last node moved up unchanged. */
function merkletreejs(leaves: readonly Hex[]): MerkleTree {
  return new MerkleTree(
    leaves.map((leaf) => fromHex(leaf)),
    (data: Buffer) => fromHex(sha256(data)),
  );
}

function proofOf(tree: MerkleTree, leaves: readonly Hex[], index: number): Hex[] {
  return tree.getHexProof(fromHex(leaves[index]), index) as Hex[];
}

function leafProof(tree: MerkleTree, leaves: readonly Hex[], index: number): LeafProof {
  return { sampleHash: leaves[index], index, siblings: proofOf(tree, leaves, index) };
}

function plus(value: Hex, delta: bigint): Hex {
  return toHex(ethers.getBytes(ethers.toBeHex(BigInt(value) + delta, 32)));
}

function params(overrides: Partial<MintParams> = {}): MintParams {
  return {
    root: ethers.id("root"),
    n: 5n,
    totalSamples: 7n,
    previousVersion: 0n,
    encoding: "raw-v1",
    manifestCid: cidBytes(MANIFEST_CID),
    license: "CC-BY-4.0",
    ...overrides,
  };
}

async function deployRegistry() {
  const [publisher, other] = await ethers.getSigners();
  const registry = await ethers.deployContract("DatasetRegistry");
  // The same contract with `other` as the sender. (The cast keeps the method typing: without the typechain
  // augmentation, which tsconfig does not include, connect() is typed as returning a bare BaseContract.)
  const asOther = registry.connect(other) as typeof registry;
  return { registry, asOther, publisher, other };
}

/** A registry holding one dataset (id 1) over five sorted leaves, minted by `publisher`. */
async function deployWithDataset() {
  const base = await deployRegistry();
  const leaves = sortedLeaves(5);
  const tree = merkletreejs(leaves);
  const root = tree.getHexRoot() as Hex;
  await base.registry.mint(params({ root, n: 5n, totalSamples: 5n }));
  return { ...base, leaves, tree, root, id: 1n };
}

/**
 * The attack of a publisher who calls mint directly: a root over the leaves [a, c, b] (a < b < c), out of
 * order. Leaf b is in the tree, yet a (index 0) and c (index 1) are adjacent leaves around it.
 */
async function deployWithMisordered() {
  const base = await deployRegistry();
  const [a, b, c] = sortedLeaves(3, "misordered");
  const leaves = [a, c, b];
  const tree = merkletreejs(leaves);
  const root = tree.getHexRoot() as Hex;
  await base.registry.mint(params({ root, n: 3n, totalSamples: 3n }));
  return { ...base, a, b, c, leaves, tree, root, id: 1n };
}

describe("DatasetRegistry", function () {
  describe("metadata", function () {
    it("is the ERC-721 collection Provenant Dataset (PVDS)", async function () {
      const { registry } = await loadFixture(deployRegistry);
      expect(await registry.name()).to.equal("Provenant Dataset");
      expect(await registry.symbol()).to.equal("PVDS");
    });

    it("advertises ERC-165, ERC-721, ERC-721 metadata and IDatasetRegistry", async function () {
      const { registry } = await loadFixture(deployRegistry);
      // ERC-165 id of IDatasetRegistry: XOR of the selectors it declares itself (inherited ones excluded).
      const own = [
        "mint((bytes32,uint64,uint64,uint256,string,bytes,string))",
        "datasetOf(uint256)",
        "rootOf(uint256)",
        "tokenOfPublisherRoot(address,bytes32)",
        "totalMinted()",
        "verifyInclusion(uint256,bytes32,uint256,bytes32[])",
        "verifyExclusion(uint256,bytes32,(bytes32,uint256,bytes32[])[])",
        "recordInclusion(uint256,bytes32,uint256,bytes32[])",
        "recordExclusion(uint256,bytes32,(bytes32,uint256,bytes32[])[])",
        "reportMisordered(uint256,(bytes32,uint256,bytes32[]),(bytes32,uint256,bytes32[]))",
      ];
      const interfaceId = own.map((signature) => BigInt(ethers.id(signature).slice(0, 10))).reduce((a, b) => a ^ b);
      for (const id of ["0x01ffc9a7", "0x80ac58cd", "0x5b5e139f", ethers.toBeHex(interfaceId, 4)]) {
        expect(await registry.supportsInterface(id), id).to.equal(true);
      }
      expect(await registry.supportsInterface("0xffffffff")).to.equal(false);
    });
  });

  describe("mint", function () {
    it("mints token 1 to the caller and stores the record", async function () {
      const { registry, publisher } = await loadFixture(deployRegistry);
      const p = params();
      expect(await registry.mint.staticCall(p)).to.equal(1n);
      const receipt = await (await registry.mint(p)).wait();

      expect(await registry.ownerOf(1n)).to.equal(publisher.address);
      expect(await registry.totalMinted()).to.equal(1n);
      expect(await registry.tokenOfPublisherRoot(publisher.address, p.root)).to.equal(1n);
      const record = await registry.datasetOf(1n);
      expect(record.toObject()).to.deep.equal({
        root: p.root,
        n: 5n,
        totalSamples: 7n,
        misordered: false,
        publisher: publisher.address,
        mintBlock: BigInt(receipt!.blockNumber),
        manifestCid: MANIFEST_CID,
      });
    });

    it("numbers tokens from 1 upward, one per new root", async function () {
      const { registry } = await loadFixture(deployRegistry);
      for (const [i, name] of ["a", "b", "c"].entries()) {
        const p = params({ root: ethers.id(name) });
        expect(await registry.mint.staticCall(p)).to.equal(BigInt(i + 1));
        await registry.mint(p);
      }
      expect(await registry.totalMinted()).to.equal(3n);
    });

    it("emits Transfer from zero and DatasetMinted with every field an indexer needs", async function () {
      const { registry, publisher } = await loadFixture(deployRegistry);
      const p = params({ license: "" });
      await expect(registry.mint(p))
        .to.emit(registry, "Transfer")
        .withArgs(ethers.ZeroAddress, publisher.address, 1n)
        .and.to.emit(registry, "DatasetMinted")
        .withArgs(1n, publisher.address, p.root, 5n, 7n, 0n, "raw-v1", cidHex(MANIFEST_CID), "");
    });

    it("names the minting block, whose DatasetMinted event holds the fields storage does not keep", async function () {
      const { registry, publisher } = await loadFixture(deployRegistry);
      await registry.mint(params({ root: ethers.id("first") }));
      const at = (await time.latest()) + 1000;
      await time.setNextBlockTimestamp(at);
      await registry.mint(params());
      const { mintBlock } = await registry.datasetOf(2n);
      const [event] = (await registry.queryFilter(registry.filters.DatasetMinted(2n), Number(mintBlock), Number(mintBlock))) as EventLog[];
      expect(event.args.toObject()).to.include({ publisher: publisher.address, encoding: "raw-v1", license: "CC-BY-4.0", previousVersion: 0n });
      expect((await event.getBlock()).timestamp).to.equal(at);
    });

    it("keeps a raw-codec manifest CID and gives it back as text, in datasetOf and tokenURI", async function () {
      const { registry } = await loadFixture(deployRegistry);
      await registry.mint(params({ manifestCid: cidBytes(RAW_CID) }));
      expect((await registry.datasetOf(1n)).manifestCid).to.equal(RAW_CID);
      expect(await registry.tokenURI(1n)).to.equal(`ipfs://${RAW_CID}`);
    });

    it("returns the existing id and mints nothing when the same publisher mints the same record again", async function () {
      const { registry, publisher } = await loadFixture(deployRegistry);
      await registry.mint(params());
      await registry.mint(params({ root: ethers.id("another") }));
      const before = (await registry.datasetOf(1n)).toObject();

      const again = params();
      expect(await registry.mint.staticCall(again)).to.equal(1n);
      const tx = registry.mint(again);
      await expect(tx).to.not.emit(registry, "DatasetMinted");
      await expect(tx).to.not.emit(registry, "Transfer");

      expect(await registry.totalMinted()).to.equal(2n);
      expect(await registry.balanceOf(publisher.address)).to.equal(2n);
      expect((await registry.datasetOf(1n)).toObject()).to.deep.equal(before);
    });

    it("answers a repeated mint with the existing id even after the token was transferred away", async function () {
      const { registry, publisher, other } = await loadFixture(deployRegistry);
      await registry.mint(params());
      await registry.transferFrom(publisher.address, other.address, 1n);
      expect(await registry.mint.staticCall(params())).to.equal(1n);
      await expect(registry.mint(params())).to.not.emit(registry, "DatasetMinted");
      expect(await registry.ownerOf(1n)).to.equal(other.address);
    });

    it("refuses the same root with any other field with DatasetRegistryRootAlreadyMinted, naming the existing token", async function () {
      const { registry, publisher } = await loadFixture(deployRegistry);
      await registry.mint(params({ root: ethers.id("v1") }));
      await registry.mint(params());
      const before = (await registry.datasetOf(2n)).toObject();
      // The attack on a reader of the CLI's "already minted" answer: it must not silently keep other values.
      const changes: Partial<MintParams>[] = [
        { n: 4n },
        { totalSamples: 8n },
        { encoding: "jsonl" },
        { manifestCid: cidBytes(RAW_CID) },
        { license: "MIT" },
        { license: "" },
        { previousVersion: 1n },
      ];
      for (const change of changes) {
        await expect(
          registry.mint(params(change)),
          JSON.stringify(change, (_, v) => (typeof v === "bigint" ? String(v) : v)),
        )
          .to.be.revertedWithCustomError(registry, "DatasetRegistryRootAlreadyMinted")
          .withArgs(params().root, 2n);
      }
      expect((await registry.datasetOf(2n)).toObject()).to.deep.equal(before);
      expect(await registry.totalMinted()).to.equal(2n);
      expect(await registry.balanceOf(publisher.address)).to.equal(2n);
    });

    it("mints a new token when another publisher mints the same root", async function () {
      const { registry, asOther, publisher, other } = await loadFixture(deployRegistry);
      await registry.mint(params());
      await expect(asOther.mint(params()))
        .to.emit(registry, "DatasetMinted")
        .withArgs(2n, other.address, params().root, 5n, 7n, 0n, "raw-v1", cidHex(MANIFEST_CID), "CC-BY-4.0");
      expect(await registry.tokenOfPublisherRoot(publisher.address, params().root)).to.equal(1n);
      expect(await registry.tokenOfPublisherRoot(other.address, params().root)).to.equal(2n);
    });

    it("accepts totalSamples equal to n, and an empty license", async function () {
      const { registry } = await loadFixture(deployRegistry);
      await expect(registry.mint(params({ n: 1n, totalSamples: 1n, license: "" }))).to.emit(registry, "DatasetMinted");
    });

    it("rejects a zero root with DatasetRegistryZeroRoot", async function () {
      const { registry } = await loadFixture(deployRegistry);
      await expect(registry.mint(params({ root: ethers.ZeroHash })))
        .to.be.revertedWithCustomError(registry, "DatasetRegistryZeroRoot")
        .withArgs();
    });

    it("rejects n = 0 with DatasetRegistryZeroLeafCount", async function () {
      const { registry } = await loadFixture(deployRegistry);
      await expect(registry.mint(params({ n: 0n, totalSamples: 0n })))
        .to.be.revertedWithCustomError(registry, "DatasetRegistryZeroLeafCount")
        .withArgs();
    });

    it("rejects totalSamples below n with DatasetRegistryTotalSamplesBelowLeafCount", async function () {
      const { registry } = await loadFixture(deployRegistry);
      await expect(registry.mint(params({ n: 5n, totalSamples: 4n })))
        .to.be.revertedWithCustomError(registry, "DatasetRegistryTotalSamplesBelowLeafCount")
        .withArgs(4n, 5n);
    });

    it("rejects an empty encoding with DatasetRegistryEmptyEncoding", async function () {
      const { registry } = await loadFixture(deployRegistry);
      await expect(registry.mint(params({ encoding: "" })))
        .to.be.revertedWithCustomError(registry, "DatasetRegistryEmptyEncoding")
        .withArgs();
    });

    it("rejects a manifest CID it could not give back exactly with DatasetRegistryUnsupportedManifestCid", async function () {
      const { registry } = await loadFixture(deployRegistry);
      const good = cidBytes(MANIFEST_CID);
      const withByte = (at: number, value: number) => Uint8Array.from(good, (b, i) => (i === at ? value : b));
      const bad: Array<[string, Uint8Array]> = [
        ["empty", new Uint8Array()],
        ["CIDv0 (bare multihash)", good.subarray(2)],
        ["version 2", withByte(0, 0x02)],
        ["dag-cbor codec", withByte(1, 0x71)],
        ["sha2-512 multihash code", withByte(2, 0x13)],
        ["31-byte digest length", withByte(3, 0x1f)],
        ["a trailing byte", Uint8Array.from([...good, 0])],
        ["a byte short", good.subarray(0, 35)],
      ];
      for (const [what, cid] of bad) {
        await expect(registry.mint(params({ manifestCid: cid })), what)
          .to.be.revertedWithCustomError(registry, "DatasetRegistryUnsupportedManifestCid")
          .withArgs();
      }
    });

    it("rejects counts of 2^40 or more with DatasetRegistryCountTooLarge, and mints 2^40 - 1", async function () {
      const { registry } = await loadFixture(deployRegistry);
      const max = 2n ** 40n - 1n;
      await expect(registry.mint(params({ n: 1n, totalSamples: max + 1n })))
        .to.be.revertedWithCustomError(registry, "DatasetRegistryCountTooLarge")
        .withArgs(max + 1n);
      await expect(registry.mint(params({ n: max + 1n, totalSamples: max + 1n })))
        .to.be.revertedWithCustomError(registry, "DatasetRegistryCountTooLarge")
        .withArgs(max + 1n);
      await registry.mint(params({ n: max, totalSamples: max }));
      expect((await registry.datasetOf(1n)).toObject()).to.include({ n: max, totalSamples: max });
    });

    it("rejects an unknown previous version with DatasetRegistryUnknownPreviousVersion", async function () {
      const { registry } = await loadFixture(deployRegistry);
      await expect(registry.mint(params({ previousVersion: 1n })))
        .to.be.revertedWithCustomError(registry, "DatasetRegistryUnknownPreviousVersion")
        .withArgs(1n);
      await registry.mint(params({ root: ethers.id("v1") }));
      await expect(registry.mint(params({ previousVersion: 2n })))
        .to.be.revertedWithCustomError(registry, "DatasetRegistryUnknownPreviousVersion")
        .withArgs(2n);
    });

    it("rejects a previous version owned by someone else with DatasetRegistryPreviousVersionNotOwned", async function () {
      const { registry, asOther, publisher, other } = await loadFixture(deployRegistry);
      await registry.mint(params({ root: ethers.id("v1") }));
      await expect(asOther.mint(params({ previousVersion: 1n })))
        .to.be.revertedWithCustomError(registry, "DatasetRegistryPreviousVersionNotOwned")
        .withArgs(1n, other.address, publisher.address);
    });

    it("rejects a previous version the caller minted but no longer owns", async function () {
      const { registry, publisher, other } = await loadFixture(deployRegistry);
      await registry.mint(params({ root: ethers.id("v1") }));
      await registry.transferFrom(publisher.address, other.address, 1n);
      await expect(registry.mint(params({ previousVersion: 1n })))
        .to.be.revertedWithCustomError(registry, "DatasetRegistryPreviousVersionNotOwned")
        .withArgs(1n, publisher.address, other.address);
    });

    it("accepts a previous version the caller owns, also one received by transfer", async function () {
      const { registry, asOther, publisher, other } = await loadFixture(deployRegistry);
      await registry.mint(params({ root: ethers.id("v1") }));
      await expect(registry.mint(params({ root: ethers.id("v2"), previousVersion: 1n })))
        .to.emit(registry, "DatasetMinted")
        .withArgs(2n, publisher.address, ethers.id("v2"), 5n, 7n, 1n, "raw-v1", cidHex(MANIFEST_CID), "CC-BY-4.0");
      await registry.transferFrom(publisher.address, other.address, 2n);
      await expect(asOther.mint(params({ root: ethers.id("v3"), previousVersion: 2n })))
        .to.emit(registry, "DatasetMinted")
        .withArgs(3n, other.address, ethers.id("v3"), 5n, 7n, 2n, "raw-v1", cidHex(MANIFEST_CID), "CC-BY-4.0");
      expect((await registry.datasetOf(3n)).publisher).to.equal(other.address);
    });
  });

  describe("records", function () {
    it("reverts datasetOf with DatasetRegistryUnknownToken for id 0 and ids above totalMinted", async function () {
      const { registry } = await loadFixture(deployWithDataset);
      for (const id of [0n, 2n, ethers.MaxUint256]) {
        await expect(registry.datasetOf(id)).to.be.revertedWithCustomError(registry, "DatasetRegistryUnknownToken").withArgs(id);
      }
    });

    it("keeps a record unchanged through transfers, re-mints and later versions", async function () {
      const { registry, asOther, publisher, other, root } = await loadFixture(deployWithDataset);
      const before = (await registry.datasetOf(1n)).toObject();
      await registry.mint(params({ root, n: 5n, totalSamples: 5n }));
      await registry.mint(params({ root: ethers.id("v2"), previousVersion: 1n }));
      await registry.transferFrom(publisher.address, other.address, 1n);
      await asOther.mint(params({ root: ethers.id("v3"), previousVersion: 1n }));
      expect((await registry.datasetOf(1n)).toObject()).to.deep.equal(before);
      expect(before.publisher).to.equal(publisher.address);
    });

    it("answers rootOf with the record's root, and zero for id 0 and ids above totalMinted", async function () {
      const { registry, root } = await loadFixture(deployWithDataset);
      expect(await registry.rootOf(1n)).to.equal(root);
      expect(await registry.rootOf(1n)).to.equal((await registry.datasetOf(1n)).root);
      await registry.mint(params({ root: ethers.id("second") }));
      expect(await registry.rootOf(2n)).to.equal(ethers.id("second"));
      for (const id of [0n, 3n, 2n ** 256n - 1n]) expect(await registry.rootOf(id), String(id)).to.equal(ethers.ZeroHash);
    });

    it("returns 0 from tokenOfPublisherRoot for a root the publisher never minted", async function () {
      const { registry, other, root } = await loadFixture(deployWithDataset);
      expect(await registry.tokenOfPublisherRoot(other.address, root)).to.equal(0n);
    });

    it("points tokenURI at the manifest on IPFS", async function () {
      const { registry } = await loadFixture(deployWithDataset);
      expect(await registry.tokenURI(1n)).to.equal(`ipfs://${MANIFEST_CID}`);
    });

    it("reverts tokenURI with DatasetRegistryUnknownToken for an unknown id", async function () {
      const { registry } = await loadFixture(deployWithDataset);
      await expect(registry.tokenURI(2n)).to.be.revertedWithCustomError(registry, "DatasetRegistryUnknownToken").withArgs(2n);
    });
  });

  describe("inclusion", function () {
    it("verifies every leaf of trees built by merkletreejs, for n from 1 to 33", async function () {
      const { registry } = await loadFixture(deployRegistry);
      for (let n = 1; n <= 33; n++) {
        const leaves = sortedLeaves(n, `n=${n}`);
        const tree = merkletreejs(leaves);
        const root = tree.getHexRoot() as Hex;
        const id = await registry.mint.staticCall(params({ root, n: BigInt(n), totalSamples: BigInt(n) }));
        await registry.mint(params({ root, n: BigInt(n), totalSamples: BigInt(n) }));
        for (let i = 0; i < n; i++) {
          const siblings = proofOf(tree, leaves, i);
          expect(foldProof(leaves[i], i, n, siblings), `fold n=${n} i=${i}`).to.equal(root);
          expect(await registry.verifyInclusion(id, leaves[i], i, siblings), `n=${n} i=${i}`).to.equal(true);
        }
      }
    });

    it("matches a hand-computed three-leaf tree in which the odd leaf moves up unchanged", async function () {
      const { registry } = await loadFixture(deployRegistry);
      const [a, b, c] = sortedLeaves(3);
      const root = hashPair(hashPair(a, b), c);
      await registry.mint(params({ root, n: 3n, totalSamples: 3n }));
      expect(await registry.verifyInclusion(1n, c, 2n, [hashPair(a, b)])).to.equal(true);
      expect(await registry.verifyInclusion(1n, a, 0n, [b, c])).to.equal(true);
      expect(await registry.verifyInclusion(1n, b, 1n, [a, c])).to.equal(true);
    });

    it("returns false for a wrong leaf, a wrong index, an index >= n, and a short or long proof", async function () {
      const { registry, leaves, tree, id } = await loadFixture(deployWithDataset);
      const siblings = proofOf(tree, leaves, 1);
      expect(await registry.verifyInclusion(id, leaves[1], 1n, siblings)).to.equal(true);
      expect(await registry.verifyInclusion(id, leaves[2], 1n, siblings)).to.equal(false);
      expect(await registry.verifyInclusion(id, leaves[1], 0n, siblings)).to.equal(false);
      expect(await registry.verifyInclusion(id, leaves[1], 5n, siblings)).to.equal(false);
      expect(await registry.verifyInclusion(id, leaves[1], ethers.MaxUint256, siblings)).to.equal(false);
      expect(await registry.verifyInclusion(id, leaves[1], 1n, siblings.slice(0, -1))).to.equal(false);
      expect(await registry.verifyInclusion(id, leaves[1], 1n, [...siblings, ethers.ZeroHash])).to.equal(false);
    });

    it("proves a one-leaf dataset's leaf with an empty proof at index 0 only", async function () {
      const { registry } = await loadFixture(deployRegistry);
      const [leaf] = sortedLeaves(1);
      await registry.mint(params({ root: leaf, n: 1n, totalSamples: 1n }));
      expect(await registry.verifyInclusion(1n, leaf, 0n, [])).to.equal(true);
      expect(await registry.verifyInclusion(1n, leaf, 1n, [])).to.equal(false);
      expect(await registry.verifyInclusion(1n, leaf, 0n, [leaf])).to.equal(false);
    });

    it("does not accept an inner node as a leaf", async function () {
      const { registry, leaves, tree, id } = await loadFixture(deployWithDataset);
      // Level 1 node 0 = H(l0 ‖ l1); its path to the root is the upper part of leaf 0's proof.
      const inner = hashPair(leaves[0], leaves[1]);
      const upper = proofOf(tree, leaves, 0).slice(1);
      for (let i = 0; i < leaves.length; i++) {
        expect(await registry.verifyInclusion(id, inner, i, upper), `index ${i}`).to.equal(false);
      }
    });

    it("reverts verifyInclusion with DatasetRegistryUnknownToken for an unknown dataset", async function () {
      const { registry, leaves, tree } = await loadFixture(deployWithDataset);
      await expect(registry.verifyInclusion(2n, leaves[0], 0n, proofOf(tree, leaves, 0)))
        .to.be.revertedWithCustomError(registry, "DatasetRegistryUnknownToken")
        .withArgs(2n);
    });

    it("records a valid inclusion proof as InclusionRecorded by the caller", async function () {
      const { registry, asOther, other, leaves, tree, id } = await loadFixture(deployWithDataset);
      await expect(asOther.recordInclusion(id, leaves[3], 3n, proofOf(tree, leaves, 3)))
        .to.emit(registry, "InclusionRecorded")
        .withArgs(id, leaves[3], 3n, other.address);
    });

    it("reverts recordInclusion with DatasetRegistryInvalidProof for a bad proof", async function () {
      const { registry, leaves, tree, id } = await loadFixture(deployWithDataset);
      await expect(registry.recordInclusion(id, leaves[3], 2n, proofOf(tree, leaves, 3)))
        .to.be.revertedWithCustomError(registry, "DatasetRegistryInvalidProof")
        .withArgs(id);
    });

    it("reverts recordInclusion with DatasetRegistryUnknownToken for an unknown dataset", async function () {
      const { registry, leaves } = await loadFixture(deployWithDataset);
      await expect(registry.recordInclusion(7n, leaves[0], 0n, []))
        .to.be.revertedWithCustomError(registry, "DatasetRegistryUnknownToken")
        .withArgs(7n);
    });
  });

  describe("exclusion", function () {
    it("verifies x between two adjacent leaves", async function () {
      const { registry, leaves, tree, id } = await loadFixture(deployWithDataset);
      const x = plus(leaves[2], 1n);
      const neighbors = [leafProof(tree, leaves, 2), leafProof(tree, leaves, 3)];
      expect(await registry.verifyExclusion(id, x, neighbors)).to.equal(true);
    });

    it("verifies x before the first leaf and after the last", async function () {
      const { registry, leaves, tree, id } = await loadFixture(deployWithDataset);
      expect(await registry.verifyExclusion(id, plus(leaves[0], -1n), [leafProof(tree, leaves, 0)])).to.equal(true);
      expect(await registry.verifyExclusion(id, plus(leaves[4], 1n), [leafProof(tree, leaves, 4)])).to.equal(true);
    });

    it("excludes values on both sides of a one-leaf dataset, but not the leaf", async function () {
      const { registry } = await loadFixture(deployRegistry);
      const [leaf] = sortedLeaves(1);
      await registry.mint(params({ root: leaf, n: 1n, totalSamples: 1n }));
      const only = [{ sampleHash: leaf, index: 0n, siblings: [] }];
      expect(await registry.verifyExclusion(1n, plus(leaf, -1n), only)).to.equal(true);
      expect(await registry.verifyExclusion(1n, plus(leaf, 1n), only)).to.equal(true);
      expect(await registry.verifyExclusion(1n, leaf, only)).to.equal(false);
    });

    it("returns false for a leaf, swapped or non-adjacent neighbours, a single middle leaf, or 0 or 3 entries", async function () {
      const { registry, leaves, tree, id } = await loadFixture(deployWithDataset);
      const p = (i: number) => leafProof(tree, leaves, i);
      const between = plus(leaves[1], 1n);
      expect(await registry.verifyExclusion(id, leaves[2], [p(1), p(2)])).to.equal(false);
      expect(await registry.verifyExclusion(id, leaves[2], [p(2), p(3)])).to.equal(false);
      expect(await registry.verifyExclusion(id, between, [p(2), p(1)])).to.equal(false);
      expect(await registry.verifyExclusion(id, between, [p(1), p(3)])).to.equal(false);
      expect(await registry.verifyExclusion(id, between, [p(1), p(1)])).to.equal(false);
      expect(await registry.verifyExclusion(id, between, [p(1)])).to.equal(false);
      expect(await registry.verifyExclusion(id, plus(leaves[0], 1n), [p(0)])).to.equal(false);
      expect(await registry.verifyExclusion(id, plus(leaves[4], -1n), [p(4)])).to.equal(false);
      expect(await registry.verifyExclusion(id, between, [])).to.equal(false);
      expect(await registry.verifyExclusion(id, between, [p(1), p(2), p(3)])).to.equal(false);
    });

    it("returns false when a neighbour's inclusion proof is bad", async function () {
      const { registry, leaves, tree, id } = await loadFixture(deployWithDataset);
      const x = plus(leaves[2], 1n);
      const right = leafProof(tree, leaves, 3);
      const broken = { ...right, siblings: [...right.siblings].reverse() };
      expect(await registry.verifyExclusion(id, x, [leafProof(tree, leaves, 2), broken])).to.equal(false);
    });

    it("reverts verifyExclusion with DatasetRegistryUnknownToken for an unknown dataset", async function () {
      const { registry } = await loadFixture(deployWithDataset);
      await expect(registry.verifyExclusion(0n, ethers.ZeroHash, []))
        .to.be.revertedWithCustomError(registry, "DatasetRegistryUnknownToken")
        .withArgs(0n);
    });

    it("records a valid exclusion proof as ExclusionRecorded by the caller", async function () {
      const { registry, asOther, other, leaves, tree, id } = await loadFixture(deployWithDataset);
      const x = plus(leaves[4], 1n);
      await expect(asOther.recordExclusion(id, x, [leafProof(tree, leaves, 4)]))
        .to.emit(registry, "ExclusionRecorded")
        .withArgs(id, x, other.address);
    });

    it("reverts recordExclusion with DatasetRegistryInvalidProof when x is a leaf", async function () {
      const { registry, leaves, tree, id } = await loadFixture(deployWithDataset);
      await expect(registry.recordExclusion(id, leaves[3], [leafProof(tree, leaves, 3), leafProof(tree, leaves, 4)]))
        .to.be.revertedWithCustomError(registry, "DatasetRegistryInvalidProof")
        .withArgs(id);
    });

    it("reverts recordExclusion with DatasetRegistryUnknownToken for an unknown dataset", async function () {
      const { registry } = await loadFixture(deployWithDataset);
      await expect(registry.recordExclusion(3n, ethers.ZeroHash, []))
        .to.be.revertedWithCustomError(registry, "DatasetRegistryUnknownToken")
        .withArgs(3n);
    });
  });

  describe("misordered commitments (attack: exclusion of a leaf)", function () {
    it("lets a root over [a, c, b] prove b both in and out while nobody has reported it", async function () {
      const { registry, asOther, other, b, leaves, tree, id } = await loadFixture(deployWithMisordered);
      expect(await registry.verifyInclusion(id, b, 2n, proofOf(tree, leaves, 2))).to.equal(true);
      const forged = [leafProof(tree, leaves, 0), leafProof(tree, leaves, 1)];
      expect(await registry.verifyExclusion(id, b, forged)).to.equal(true);
      await expect(asOther.recordExclusion(id, b, forged))
        .to.emit(registry, "ExclusionRecorded")
        .withArgs(id, b, other.address);
    });

    it("refuses that exclusion for good once anyone reports the out-of-order pair (c, b)", async function () {
      const { registry, asOther, other, b, leaves, tree, id } = await loadFixture(deployWithMisordered);
      await expect(asOther.reportMisordered(id, leafProof(tree, leaves, 1), leafProof(tree, leaves, 2)))
        .to.emit(registry, "DatasetMisordered")
        .withArgs(id, 1n, other.address);
      const forged = [leafProof(tree, leaves, 0), leafProof(tree, leaves, 1)];
      expect(await registry.verifyExclusion(id, b, forged)).to.equal(false);
      await expect(registry.recordExclusion(id, b, forged))
        .to.be.revertedWithCustomError(registry, "DatasetRegistryMisordered")
        .withArgs(id);
      expect((await registry.datasetOf(id)).misordered).to.equal(true);
    });
  });

  describe("reportMisordered", function () {
    it("keeps inclusion proofs of a misordered dataset valid: the leaves are still committed", async function () {
      const { registry, leaves, tree, id } = await loadFixture(deployWithMisordered);
      await registry.reportMisordered(id, leafProof(tree, leaves, 1), leafProof(tree, leaves, 2));
      for (let i = 0; i < 3; i++) expect(await registry.verifyInclusion(id, leaves[i], i, proofOf(tree, leaves, i))).to.equal(true);
      await expect(registry.recordInclusion(id, leaves[2], 2n, proofOf(tree, leaves, 2))).to.emit(registry, "InclusionRecorded");
    });

    it("makes every exclusion false, also before the first and after the last leaf", async function () {
      const { registry, a, b, leaves, tree, id } = await loadFixture(deployWithMisordered);
      const first = [leafProof(tree, leaves, 0)];
      const last = [leafProof(tree, leaves, 2)];
      expect(await registry.verifyExclusion(id, plus(a, -1n), first)).to.equal(true);
      expect(await registry.verifyExclusion(id, plus(b, 1n), last)).to.equal(true);
      await registry.reportMisordered(id, leafProof(tree, leaves, 1), leafProof(tree, leaves, 2));
      expect(await registry.verifyExclusion(id, plus(a, -1n), first)).to.equal(false);
      expect(await registry.verifyExclusion(id, plus(b, 1n), last)).to.equal(false);
      await expect(registry.recordExclusion(id, plus(a, -1n), first))
        .to.be.revertedWithCustomError(registry, "DatasetRegistryMisordered")
        .withArgs(id);
    });

    it("accepts equal adjacent leaves: leaves must be strictly increasing", async function () {
      const { registry, other } = await loadFixture(deployRegistry);
      const [a, b] = sortedLeaves(2, "duplicate");
      const leaves = [a, a, b];
      const tree = merkletreejs(leaves);
      await registry.mint(params({ root: tree.getHexRoot(), n: 3n, totalSamples: 3n }));
      await expect((registry.connect(other) as typeof registry).reportMisordered(1n, leafProof(tree, leaves, 0), leafProof(tree, leaves, 1)))
        .to.emit(registry, "DatasetMisordered")
        .withArgs(1n, 0n, other.address);
      expect((await registry.datasetOf(1n)).misordered).to.equal(true);
    });

    it("leaves every other field of the record as it was", async function () {
      const { registry, leaves, tree, id } = await loadFixture(deployWithMisordered);
      const before = (await registry.datasetOf(id)).toObject();
      await registry.reportMisordered(id, leafProof(tree, leaves, 1), leafProof(tree, leaves, 2));
      expect((await registry.datasetOf(id)).toObject()).to.deep.equal({ ...before, misordered: true });
    });

    it("reverts DatasetRegistryLeavesInOrder for every adjacent pair of a sound dataset", async function () {
      const { registry, leaves, tree, id } = await loadFixture(deployWithDataset);
      for (let i = 0; i + 1 < leaves.length; i++) {
        await expect(registry.reportMisordered(id, leafProof(tree, leaves, i), leafProof(tree, leaves, i + 1)))
          .to.be.revertedWithCustomError(registry, "DatasetRegistryLeavesInOrder")
          .withArgs(id, BigInt(i));
      }
      expect((await registry.datasetOf(id)).misordered).to.equal(false);
    });

    it("reverts DatasetRegistryInvalidProof when a sound dataset's leaves are claimed at each other's index", async function () {
      const { registry, leaves, tree, id } = await loadFixture(deployWithDataset);
      const swapped = (at: number, from: number) => ({ ...leafProof(tree, leaves, from), index: at });
      await expect(registry.reportMisordered(id, swapped(1, 2), swapped(2, 1)))
        .to.be.revertedWithCustomError(registry, "DatasetRegistryInvalidProof")
        .withArgs(id);
    });

    it("reverts DatasetRegistryInvalidProof for a tampered sibling, and for a left index >= n", async function () {
      const { registry, leaves, tree, id } = await loadFixture(deployWithMisordered);
      const left = leafProof(tree, leaves, 1);
      const right = leafProof(tree, leaves, 2);
      for (const bad of [
        [{ ...left, siblings: [ethers.ZeroHash, ...left.siblings.slice(1)] }, right],
        [left, { ...right, siblings: [...right.siblings, ethers.ZeroHash] }],
        [
          { ...left, index: 3n },
          { ...right, index: 4n },
        ],
        [
          { ...left, index: ethers.MaxUint256 },
          { ...right, index: 0n },
        ],
      ]) {
        await expect(registry.reportMisordered(id, bad[0], bad[1]))
          .to.be.revertedWithCustomError(registry, "DatasetRegistryInvalidProof")
          .withArgs(id);
      }
      expect((await registry.datasetOf(id)).misordered).to.equal(false);
    });

    it("reverts DatasetRegistryLeavesNotAdjacent unless the right leaf is at the left index + 1", async function () {
      const { registry, leaves, tree, id } = await loadFixture(deployWithMisordered);
      // Leaves 1 (c) and 2 (b) are the misordered pair; 0 (a) and 2 (b) are out of order too, but not adjacent.
      await expect(registry.reportMisordered(id, leafProof(tree, leaves, 2), leafProof(tree, leaves, 1)))
        .to.be.revertedWithCustomError(registry, "DatasetRegistryLeavesNotAdjacent")
        .withArgs(2n, 1n);
      await expect(registry.reportMisordered(id, leafProof(tree, leaves, 1), leafProof(tree, leaves, 1)))
        .to.be.revertedWithCustomError(registry, "DatasetRegistryLeavesNotAdjacent")
        .withArgs(1n, 1n);
    });

    it("reverts DatasetRegistryAlreadyMisordered on a second report", async function () {
      const { registry, asOther, leaves, tree, id } = await loadFixture(deployWithMisordered);
      await registry.reportMisordered(id, leafProof(tree, leaves, 1), leafProof(tree, leaves, 2));
      await expect(asOther.reportMisordered(id, leafProof(tree, leaves, 1), leafProof(tree, leaves, 2)))
        .to.be.revertedWithCustomError(registry, "DatasetRegistryAlreadyMisordered")
        .withArgs(id);
    });

    it("reverts DatasetRegistryUnknownToken for an unknown dataset", async function () {
      const { registry, leaves, tree } = await loadFixture(deployWithMisordered);
      await expect(registry.reportMisordered(2n, leafProof(tree, leaves, 1), leafProof(tree, leaves, 2)))
        .to.be.revertedWithCustomError(registry, "DatasetRegistryUnknownToken")
        .withArgs(2n);
    });
  });
});
