import { writeFile } from "node:fs/promises";
import { expect } from "chai";
import type { EventLog, Log } from "ethers";
import { CID } from "multiformats/cid";
import { network } from "hardhat";

// Cancun, like the compiler target and FEVM (see gas.test.ts): the gas figures below are Cancun's.
const { ethers, networkHelpers } = await network.create({ override: { hardfork: "cancun" } });
const { loadFixture, time } = networkHelpers;

// The contracts take a manifest CID in binary and give the text back (rebuilt from the digest they keep).
const MANIFEST_CID = "bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi";
const MANIFEST_CID_BYTES = CID.parse(MANIFEST_CID).bytes;
const GAS_REPORT_URL = new URL("../../gas-report-models.json", import.meta.url);

const Relation = { Finetune: 0, Adapter: 1, Merge: 2, Quantized: 3, Distillation: 4 } as const;
const Role = { Training: 0, FineTuning: 1, Evaluation: 2 } as const;
const Provenance = { SelfDeclared: 0, Attested: 1 } as const;

/** IModelRegistry.RegisterParams, as ethers takes it. */
interface Params {
  weightsDigest: string;
  manifestCid: Uint8Array;
  license: string;
  parents: { modelId: bigint; relation: number }[];
  datasets: { datasetId: bigint; role: number }[];
}
/** The edges as ethers returns them. */
type ParentEdge = { modelId: bigint; relation: bigint; toObject(): object };
type DatasetEdge = { datasetId: bigint; role: bigint; toObject(): object };

/** `contract` with `signer` as the sender, keeping the method typing (connect() is typed as a bare BaseContract). */
const as = <C extends { connect(runner: never): unknown }>(contract: C, signer: unknown): C => contract.connect(signer as never) as C;
const parent = (modelId: number, relation: number = Relation.Finetune) => ({ modelId: BigInt(modelId), relation });
const dataset = (datasetId: number, role: number = Role.Training) => ({ datasetId: BigInt(datasetId), role });

function params(overrides: Partial<Params> = {}): Params {
  return {
    weightsDigest: ethers.id("weights"),
    manifestCid: MANIFEST_CID_BYTES,
    license: "Apache-2.0",
    parents: [],
    datasets: [],
    ...overrides,
  };
}

/** Both registries, and three datasets (ids 1..3) minted by `publisher`. */
async function deployRegistries() {
  const [registrant, other, publisher] = await ethers.getSigners();
  const datasets = await ethers.deployContract("DatasetRegistry");
  const attestors = await ethers.deployContract("AttestorRegistry", [registrant.address]);
  const registry = await ethers.deployContract("ModelRegistry", [await datasets.getAddress(), await attestors.getAddress()]);
  for (const name of ["a", "b", "c"]) {
    await as(datasets, publisher).mint({
      root: ethers.id(`dataset ${name}`),
      n: 1n,
      totalSamples: 1n,
      previousVersion: 0n,
      encoding: "files",
      manifestCid: MANIFEST_CID_BYTES,
      license: "CC0-1.0",
    });
  }
  return { registry, datasets, attestors, registrant, other, publisher };
}

/** Model 1 (a base on dataset 1) and model 2 (its fine-tune on dataset 2, evaluated on dataset 1). */
async function deployWithTwoGenerations() {
  const base = await deployRegistries();
  await base.registry.register(params({ weightsDigest: ethers.id("base"), datasets: [dataset(1)] }));
  await base.registry.register(
    params({
      weightsDigest: ethers.id("child"),
      parents: [parent(1)],
      datasets: [dataset(2, Role.FineTuning), dataset(1, Role.Evaluation)],
    }),
  );
  return base;
}

describe("ModelRegistry", function () {
  describe("deployment and metadata", function () {
    it("is the ERC-721 collection Provenant Model (PVML) bound to a dataset registry and an attestor registry", async function () {
      const { registry, datasets, attestors } = await loadFixture(deployRegistries);
      expect(await registry.name()).to.equal("Provenant Model");
      expect(await registry.symbol()).to.equal("PVML");
      expect(await registry.datasetRegistry()).to.equal(await datasets.getAddress());
      expect(await registry.attestorRegistry()).to.equal(await attestors.getAddress());
      expect(await registry.MAX_EDGES()).to.equal(32n);
    });

    it("refuses a zero dataset or attestor registry with ModelRegistryZeroDatasetRegistry / ModelRegistryZeroAttestorRegistry", async function () {
      const { datasets, attestors } = await loadFixture(deployRegistries);
      const factory = await ethers.getContractFactory("ModelRegistry");
      await expect(ethers.deployContract("ModelRegistry", [ethers.ZeroAddress, await attestors.getAddress()])).to.be.revertedWithCustomError(
        factory,
        "ModelRegistryZeroDatasetRegistry",
      );
      await expect(ethers.deployContract("ModelRegistry", [await datasets.getAddress(), ethers.ZeroAddress])).to.be.revertedWithCustomError(
        factory,
        "ModelRegistryZeroAttestorRegistry",
      );
    });

    it("advertises ERC-165, ERC-721, ERC-721 metadata and IModelRegistry", async function () {
      const { registry } = await loadFixture(deployRegistries);
      const own = [
        "MAX_EDGES()",
        "datasetRegistry()",
        "attestorRegistry()",
        "register((bytes32,bytes,string,(uint256,uint8)[],(uint256,uint8)[]))",
        "registerAttested((bytes32,bytes,string,(uint256,uint8)[],(uint256,uint8)[]),(address,bytes32,bytes32,bytes32,bytes32,bytes32,bytes32,bytes32[],bytes,bytes32,bytes32),string)",
        "modelOfCertificate(bytes32)",
        "modelOf(uint256)",
        "weightsDigestOf(uint256)",
        "parentsOf(uint256)",
        "datasetsOf(uint256)",
        "tokenOfRegistrantDigest(address,bytes32)",
        "totalRegistered()",
      ];
      const interfaceId = own.map((signature) => BigInt(ethers.id(signature).slice(0, 10))).reduce((a, b) => a ^ b);
      for (const id of ["0x01ffc9a7", "0x80ac58cd", "0x5b5e139f", ethers.toBeHex(interfaceId, 4)]) {
        expect(await registry.supportsInterface(id), id).to.equal(true);
      }
      expect(await registry.supportsInterface("0xffffffff")).to.equal(false);
    });
  });

  describe("register", function () {
    it("mints token 1 to the caller and stores a self-declared record with no certificate", async function () {
      const { registry, registrant } = await loadFixture(deployRegistries);
      const p = params({ datasets: [dataset(1)] });
      expect(await registry.register.staticCall(p)).to.equal(1n);
      const receipt = (await (await registry.register(p)).wait())!;
      const registeredAt = BigInt(await time.latest());

      expect(await registry.ownerOf(1n)).to.equal(registrant.address);
      expect(await registry.totalRegistered()).to.equal(1n);
      expect(await registry.tokenOfRegistrantDigest(registrant.address, p.weightsDigest)).to.equal(1n);
      expect((await registry.modelOf(1n)).toObject()).to.deep.equal({
        weightsDigest: p.weightsDigest,
        registeredAt,
        provenance: BigInt(Provenance.SelfDeclared),
        parentCount: 0n,
        datasetCount: 1n,
        registrant: registrant.address,
        attestor: ethers.ZeroAddress,
        certificateDigest: ethers.ZeroHash,
        registrationBlock: BigInt(receipt.blockNumber),
        manifestCid: MANIFEST_CID,
      });
      expect(await registry.tokenURI(1n)).to.equal(`ipfs://${MANIFEST_CID}`);
    });

    it("stores parents and datasets in order, each readable in one call", async function () {
      const { registry } = await loadFixture(deployWithTwoGenerations);
      await registry.register(
        params({
          weightsDigest: ethers.id("merge"),
          parents: [parent(2, Relation.Merge), parent(1, Relation.Merge)],
          datasets: [dataset(3, Role.Evaluation)],
        }),
      );
      const parents = (await registry.parentsOf(3n)).map((e: ParentEdge) => [e.modelId, e.relation]);
      expect(parents).to.deep.equal([
        [2n, BigInt(Relation.Merge)],
        [1n, BigInt(Relation.Merge)],
      ]);
      const ds = (await registry.datasetsOf(2n)).map((e: DatasetEdge) => [e.datasetId, e.role]);
      expect(ds).to.deep.equal([
        [2n, BigInt(Role.FineTuning)],
        [1n, BigInt(Role.Evaluation)],
      ]);
      expect(await registry.parentsOf(1n)).to.deep.equal([]);
    });

    it("accepts every relation and every role", async function () {
      const { registry } = await loadFixture(deployWithTwoGenerations);
      for (const [name, relation] of Object.entries(Relation)) {
        await registry.register(params({ weightsDigest: ethers.id(name), parents: [parent(1, relation)] }));
      }
      await registry.register(params({ weightsDigest: ethers.id("roles"), datasets: Object.values(Role).map((role) => dataset(1, role)) }));
      expect((await registry.datasetsOf(await registry.totalRegistered())).map((e: DatasetEdge) => Number(e.role))).to.deep.equal([0, 1, 2]);
    });

    it("accepts a model with no edges, no license, and edges from another registrant's models", async function () {
      const { registry, other } = await loadFixture(deployWithTwoGenerations);
      await expect(as(registry, other).register(params({ weightsDigest: ethers.id("x"), license: "" }))).to.emit(registry, "ModelRegistered");
      await expect(as(registry, other).register(params({ weightsDigest: ethers.id("y"), parents: [parent(2)] })))
        .to.emit(registry, "ParentLinked")
        .withArgs(4n, 2n, Relation.Finetune);
    });

    it("emits Transfer, ModelRegistered, then one ParentLinked per parent and one DatasetLinked per dataset", async function () {
      const { registry, registrant } = await loadFixture(deployWithTwoGenerations);
      const p = params({
        weightsDigest: ethers.id("events"),
        parents: [parent(1, Relation.Distillation), parent(2, Relation.Quantized)],
        datasets: [dataset(3, Role.Training)],
      });
      const tx = await registry.register(p);
      const receipt = (await tx.wait())!;
      const names = receipt.logs.map((l: Log) => registry.interface.parseLog(l)?.name);
      expect(names).to.deep.equal(["Transfer", "ModelRegistered", "ParentLinked", "ParentLinked", "DatasetLinked"]);
      await expect(tx)
        .to.emit(registry, "ModelRegistered")
        .withArgs(3n, registrant.address, p.weightsDigest, Provenance.SelfDeclared, ethers.hexlify(MANIFEST_CID_BYTES), "Apache-2.0", "")
        .and.to.emit(registry, "DatasetLinked")
        .withArgs(3n, 3n, Role.Training);
    });

    it("returns the existing id and writes nothing when the same registrant registers the same weights again", async function () {
      const { registry } = await loadFixture(deployWithTwoGenerations);
      const again = params({ weightsDigest: ethers.id("child"), parents: [parent(99)], license: "MIT" });
      expect(await registry.register.staticCall(again)).to.equal(2n);
      await expect(registry.register(again)).to.not.emit(registry, "ModelRegistered");
      expect(await registry.totalRegistered()).to.equal(2n);
      const { registrationBlock } = await registry.modelOf(2n);
      const [registered] = (await registry.queryFilter(registry.filters.ModelRegistered(2n), Number(registrationBlock), Number(registrationBlock))) as EventLog[];
      expect(registered.args.license).to.equal("Apache-2.0");
    });

    it("registers the same weights as a new token for another registrant", async function () {
      const { registry, other } = await loadFixture(deployWithTwoGenerations);
      await as(registry, other).register(params({ weightsDigest: ethers.id("child") }));
      expect(await registry.ownerOf(3n)).to.equal(other.address);
    });
  });

  describe("refused registrations", function () {
    it("rejects a zero weights digest, and a manifest CID it could not give back exactly", async function () {
      const { registry } = await loadFixture(deployRegistries);
      await expect(registry.register(params({ weightsDigest: ethers.ZeroHash }))).to.be.revertedWithCustomError(registry, "ModelRegistryZeroWeightsDigest");
      const v0 = MANIFEST_CID_BYTES.subarray(2);
      const cbor = Uint8Array.from(MANIFEST_CID_BYTES, (b, i) => (i === 1 ? 0x71 : b));
      for (const cid of [new Uint8Array(), v0, cbor, Uint8Array.from([...MANIFEST_CID_BYTES, 0])]) {
        await expect(registry.register(params({ manifestCid: cid }))).to.be.revertedWithCustomError(registry, "ModelRegistryUnsupportedManifestCid");
      }
    });

    it("rejects a parent that does not exist with ModelRegistryUnknownParent", async function () {
      const { registry } = await loadFixture(deployWithTwoGenerations);
      for (const bad of [0, 7, 2 ** 40]) {
        await expect(registry.register(params({ weightsDigest: ethers.id("new"), parents: [parent(1), parent(bad)] })))
          .to.be.revertedWithCustomError(registry, "ModelRegistryUnknownParent")
          .withArgs(bad);
      }
    });

    it("rejects a self-reference: the model's own id does not exist until it is registered", async function () {
      const { registry } = await loadFixture(deployWithTwoGenerations);
      // The next id is 3: naming it as a parent is a cycle of length one.
      await expect(registry.register(params({ weightsDigest: ethers.id("self"), parents: [parent(3)] })))
        .to.be.revertedWithCustomError(registry, "ModelRegistryUnknownParent")
        .withArgs(3n);
    });

    it("rejects a forward reference, so no cycle can ever be closed", async function () {
      const { registry } = await loadFixture(deployWithTwoGenerations);
      // Model 3 naming a future model 4 as parent, so that 4 could later name 3: refused at the first step.
      await expect(registry.register(params({ weightsDigest: ethers.id("a"), parents: [parent(4)] })))
        .to.be.revertedWithCustomError(registry, "ModelRegistryUnknownParent")
        .withArgs(4n);
      // Every stored parent edge points to a lower id.
      for (let id = 1n; id <= (await registry.totalRegistered()); id++) {
        for (const e of await registry.parentsOf(id)) expect(e.modelId < id).to.equal(true);
      }
    });

    it("rejects a dataset that does not exist with ModelRegistryUnknownDataset", async function () {
      const { registry } = await loadFixture(deployRegistries);
      for (const bad of [0, 4, 1000]) {
        await expect(registry.register(params({ datasets: [dataset(1), dataset(bad)] })))
          .to.be.revertedWithCustomError(registry, "ModelRegistryUnknownDataset")
          .withArgs(bad);
      }
    });

    it("rejects a repeated parent, and a repeated (dataset, role) pair, but not a dataset in two roles", async function () {
      const { registry } = await loadFixture(deployWithTwoGenerations);
      await expect(registry.register(params({ weightsDigest: ethers.id("d"), parents: [parent(1), parent(2), parent(1, Relation.Merge)] })))
        .to.be.revertedWithCustomError(registry, "ModelRegistryDuplicateParent")
        .withArgs(1n);
      await expect(registry.register(params({ weightsDigest: ethers.id("d"), datasets: [dataset(1), dataset(2), dataset(1)] })))
        .to.be.revertedWithCustomError(registry, "ModelRegistryDuplicateDataset")
        .withArgs(1n, Role.Training);
      await expect(registry.register(params({ weightsDigest: ethers.id("d"), datasets: [dataset(1), dataset(1, Role.Evaluation)] }))).to.emit(
        registry,
        "ModelRegistered",
      );
    });

    it("rejects more than 32 edges with ModelRegistryTooManyEdges, and accepts exactly 32", async function () {
      const { registry } = await loadFixture(deployRegistries);
      for (let i = 0; i < 30; i++) await registry.register(params({ weightsDigest: ethers.id(`m${i}`) }));
      const parents = Array.from({ length: 30 }, (_, i) => parent(i + 1));
      await expect(registry.register(params({ weightsDigest: ethers.id("many"), parents, datasets: [dataset(1), dataset(2), dataset(3)] })))
        .to.be.revertedWithCustomError(registry, "ModelRegistryTooManyEdges")
        .withArgs(33n, 32n);
      await registry.register(params({ weightsDigest: ethers.id("many"), parents, datasets: [dataset(1), dataset(2)] }));
      expect((await registry.parentsOf(31n)).length + (await registry.datasetsOf(31n)).length).to.equal(32);
    });

    it("rejects a relation or role outside its enum", async function () {
      const { registry } = await loadFixture(deployWithTwoGenerations);
      await expect(registry.register(params({ weightsDigest: ethers.id("r"), parents: [parent(1, 5)] }))).to.be.revert(ethers);
      await expect(registry.register(params({ weightsDigest: ethers.id("r"), datasets: [dataset(1, 3)] }))).to.be.revert(ethers);
    });
  });

  describe("records", function () {
    it("reverts modelOf, parentsOf, datasetsOf and tokenURI with ModelRegistryUnknownToken for unknown ids", async function () {
      const { registry } = await loadFixture(deployWithTwoGenerations);
      for (const id of [0n, 3n, 2n ** 200n]) {
        for (const call of [registry.modelOf, registry.parentsOf, registry.datasetsOf, registry.tokenURI]) {
          await expect(call(id)).to.be.revertedWithCustomError(registry, "ModelRegistryUnknownToken").withArgs(id);
        }
      }
    });

    it("answers weightsDigestOf with the record's digest, and zero for unknown ids", async function () {
      const { registry } = await loadFixture(deployWithTwoGenerations);
      for (const id of [1n, 2n]) expect(await registry.weightsDigestOf(id)).to.equal((await registry.modelOf(id)).weightsDigest);
      for (const id of [0n, 3n, 2n ** 200n]) expect(await registry.weightsDigestOf(id)).to.equal(ethers.ZeroHash);
    });

    it("keeps records and edges unchanged through transfers and later registrations", async function () {
      const { registry, registrant, other } = await loadFixture(deployWithTwoGenerations);
      const snapshot = async () => [
        (await registry.modelOf(2n)).toObject(),
        (await registry.parentsOf(2n)).map((e: ParentEdge) => e.toObject()),
        (await registry.datasetsOf(2n)).map((e: DatasetEdge) => e.toObject()),
      ];
      const before = await snapshot();
      await registry.transferFrom(registrant.address, other.address, 2n);
      await as(registry, other).register(params({ weightsDigest: ethers.id("grandchild"), parents: [parent(2)] }));
      expect(await snapshot()).to.deep.equal(before);
      expect(await registry.ownerOf(2n)).to.equal(other.address);
    });
  });
});

describe("ModelRegistry gas", function () {
  it("measures registration with 0, 1, 3, 10 and 32 edges, written to gas-report-models.json", async function () {
    const signers = await ethers.getSigners();
    const datasets = await ethers.deployContract("DatasetRegistry");
    const attestors = await ethers.deployContract("AttestorRegistry", [signers[0].address]);
    const registry = await ethers.deployContract("ModelRegistry", [await datasets.getAddress(), await attestors.getAddress()]);
    for (let i = 1; i <= 16; i++) {
      await datasets.mint({
        root: ethers.id(`dataset ${i}`),
        n: 1000n,
        totalSamples: 1000n,
        previousVersion: 0n,
        encoding: "files",
        manifestCid: MANIFEST_CID_BYTES,
        license: "CC0-1.0",
      });
    }
    // Sixteen parents to draw from; their registration also initialises the id counter.
    for (let i = 0; i < 16; i++) await registry.register(params({ weightsDigest: ethers.id(`parent ${i}`) }));

    /**
     * A realistic mix: the first edge is a dataset (training), then parents and datasets alternate; each
     * measured registration comes from a fresh account (its first token), so the figures include the
     * ERC-721 balance's first write.
     */
    const edges = (count: number) => {
      const ps: ReturnType<typeof parent>[] = [];
      const ds: ReturnType<typeof dataset>[] = [];
      for (let i = 0; i < count; i++) {
        if (i % 2 === 0) ds.push(dataset(ds.length + 1, [Role.Training, Role.FineTuning, Role.Evaluation][ds.length % 3]));
        else ps.push(parent(ps.length + 1, ps.length % 5));
      }
      return { parents: ps, datasets: ds };
    };
    const counts = [0, 1, 3, 10, 32] as const;
    const register: Record<string, number> = {};
    const split: Record<string, { parents: number; datasets: number }> = {};
    for (const [i, count] of counts.entries()) {
      const who = signers[3 + i];
      const e = edges(count);
      const tx = await as(registry, who).register(params({ weightsDigest: ethers.id(`measured ${count}`), ...e }));
      const receipt = (await tx.wait())!;
      register[count] = Number(receipt.gasUsed);
      split[count] = { parents: e.parents.length, datasets: e.datasets.length };
      const id = await registry.totalRegistered();
      expect((await registry.parentsOf(id)).length + (await registry.datasetsOf(id)).length).to.equal(count);
    }
    const perEdge = Math.round((register[32] - register[1]) / 31);
    const report = {
      hardfork: "cancun",
      note: "receipt gasUsed of register() by an account registering its first model; manifest CID of 59 characters, license Apache-2.0",
      register,
      edges: split,
      marginalPerEdge: perEdge,
    };
    console.log("\n    edges  register gas (receipt)");
    for (const count of counts) console.log(`    ${String(count).padStart(5)}  ${register[count]}`);
    console.log(`    about ${perEdge} gas per additional edge`);
    await writeFile(GAS_REPORT_URL, `${JSON.stringify(report, null, 2)}\n`);
  });
});
