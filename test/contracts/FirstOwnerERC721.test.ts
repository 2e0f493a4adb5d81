/**
 * Both registries write no owner slot at mint (contracts/tokens/FirstOwnerERC721.sol): the record's publisher or
 * registrant owns the token until its first transfer. These tests hold the ERC-721 behaviour a wallet or
 * marketplace relies on to what OpenZeppelin's own mint gives: owner, balance, approvals, transfers and back,
 * and unknown ids refused.
 */
import { expect } from "chai";
import { CID } from "multiformats/cid";
import { network } from "hardhat";

const { ethers, networkHelpers } = await network.create({ override: { hardfork: "cancun" } });
const { loadFixture } = networkHelpers;

const MANIFEST_CID_BYTES = CID.parse("bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi").bytes;

async function deployRegistries() {
  const [minter, other, third] = await ethers.getSigners();
  const datasets = await ethers.deployContract("DatasetRegistry");
  const attestors = await ethers.deployContract("AttestorRegistry", [minter.address]);
  const models = await ethers.deployContract("ModelRegistry", [await datasets.getAddress(), await attestors.getAddress()]);
  return { datasets, models, minter, other, third };
}

type Registries = Awaited<ReturnType<typeof deployRegistries>>;
/** Each registry's token contract and a mint of token `i` (1, 2, …) by `minter`. */
const REGISTRIES = {
  DatasetRegistry: {
    token: (r: Registries) => r.datasets,
    mint: (r: Registries, i: number) =>
      r.datasets.mint({
        root: ethers.id(`root ${i}`),
        n: 1n,
        totalSamples: 1n,
        previousVersion: 0n,
        encoding: "files",
        manifestCid: MANIFEST_CID_BYTES,
        license: "CC0-1.0",
      }),
  },
  ModelRegistry: {
    token: (r: Registries) => r.models,
    mint: (r: Registries, i: number) =>
      r.models.register({ weightsDigest: ethers.id(`weights ${i}`), manifestCid: MANIFEST_CID_BYTES, license: "MIT", parents: [], datasets: [] }),
  },
};

for (const [name, registry] of Object.entries(REGISTRIES)) {
  describe(`${name}: the minter owns a token until its first transfer`, function () {
    async function twoMinted() {
      const r = await deployRegistries();
      await registry.mint(r, 1);
      await registry.mint(r, 2);
      const token = registry.token(r) as any;
      return { ...r, token, as: (signer: unknown) => token.connect(signer) };
    }

    it("gives the minter as owner, with a balance, and refuses ids never minted with ERC721NonexistentToken", async function () {
      const { token, minter } = await loadFixture(twoMinted);
      for (const id of [1n, 2n]) expect(await token.ownerOf(id)).to.equal(minter.address);
      expect(await token.balanceOf(minter.address)).to.equal(2n);
      for (const id of [0n, 3n]) await expect(token.ownerOf(id)).to.be.revertedWithCustomError(token, "ERC721NonexistentToken").withArgs(id);
      await expect(token.approve(ethers.ZeroAddress, 3n)).to.be.revertedWithCustomError(token, "ERC721NonexistentToken");
    });

    it("lets only the minter or its approved spender move a fresh token, then follows the new owner and back", async function () {
      const { token, as, minter, other, third } = await loadFixture(twoMinted);
      await expect(as(other).transferFrom(minter.address, other.address, 1n)).to.be.revertedWithCustomError(token, "ERC721InsufficientApproval");
      await expect(as(other).approve(other.address, 1n)).to.be.revertedWithCustomError(token, "ERC721InvalidApprover");

      await token.approve(third.address, 1n);
      expect(await token.getApproved(1n)).to.equal(third.address);
      await expect(as(third).transferFrom(minter.address, other.address, 1n))
        .to.emit(token, "Transfer")
        .withArgs(minter.address, other.address, 1n);
      expect(await token.ownerOf(1n)).to.equal(other.address);
      expect(await token.getApproved(1n)).to.equal(ethers.ZeroAddress);
      expect([await token.balanceOf(minter.address), await token.balanceOf(other.address)]).to.deep.equal([1n, 1n]);
      // The record still names the minter; ownership no longer follows it.
      await expect(token.transferFrom(minter.address, third.address, 1n)).to.be.revertedWithCustomError(token, "ERC721InsufficientApproval");
      await expect(as(other).transferFrom(minter.address, third.address, 1n)).to.be.revertedWithCustomError(token, "ERC721IncorrectOwner");

      await as(other).transferFrom(other.address, minter.address, 1n);
      expect(await token.ownerOf(1n)).to.equal(minter.address);
      await token.transferFrom(minter.address, third.address, 1n);
      expect(await token.ownerOf(1n)).to.equal(third.address);
      expect(await token.ownerOf(2n)).to.equal(minter.address);
      expect([await token.balanceOf(minter.address), await token.balanceOf(third.address)]).to.deep.equal([1n, 1n]);
    });

    it("refuses a transfer to the zero address, so no token's owner slot is ever zero again", async function () {
      const { token, as, minter, other } = await loadFixture(twoMinted);
      await token.transferFrom(minter.address, other.address, 2n);
      await expect(as(other).transferFrom(other.address, ethers.ZeroAddress, 2n)).to.be.revertedWithCustomError(token, "ERC721InvalidReceiver");
      expect(await token.ownerOf(2n)).to.equal(other.address);
    });
  });
}
