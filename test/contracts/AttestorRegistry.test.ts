// AttestorRegistry against real quotes from a software TPM: registration and revocation, the quote check,
// every field of the evidence and lineage tampered with (each rejected with the error naming the check),
// every byte of the quote flipped; ModelRegistry.registerAttested as the Provenant Ignition module deploys it;
// and the gas of the attested registration path (gas-report-attestor.json).
import { createHash } from "node:crypto";
import { writeFile } from "node:fs/promises";
import { expect } from "chai";
import type { EventLog } from "ethers";
import { network } from "hardhat";
import { cidOf } from "../../core/storage/cid.ts";
import { manifestCidBytes } from "../../core/chain/manifest-cid.ts";
import { bytesToHex } from "../../core/hex.ts";
import { replayTrainingPcr } from "../../core/attestor/pcr-events.ts";
import type { TrainingEvidenceStruct, TrainingLineageStruct } from "../../core/chain/attestor-registry.ts";
import { ensureTpmToolsInstalled, highS, quotedRun, randomHex32, registrationFor, sha, startTestTpm } from "../attestor/helpers.ts";
import type { QuotedRun, TestTpm } from "../attestor/helpers.ts";
import type { AkInfo } from "../../core/tpm/transport.ts";
import ProvenantModule from "../../ignition/modules/Provenant.ts";

const { ethers, networkHelpers, ignition } = await network.create();
const { loadFixture } = networkHelpers;

const REPORT_URL = new URL("../../gas-report-attestor.json", import.meta.url);

async function deploy() {
  const [owner, attestor, other, registrant] = await ethers.getSigners();
  const registry: any = await ethers.deployContract("AttestorRegistry", [owner.address]);
  return { registry, owner, attestor, other, registrant, address: (await registry.getAddress()) as string };
}

/** The Provenant module as Ignition deploys it: AttestorRegistry owned by signer 0, ModelRegistry bound to both registries. */
async function deployProvenant() {
  const deployed = await ignition.deploy(ProvenantModule);
  return { datasets: deployed.datasetRegistry as any, attestors: deployed.attestorRegistry as any, models: deployed.modelRegistry as any };
}

describe("AttestorRegistry (real swtpm quotes)", function () {
  this.timeout(300_000);
  let tpm: TestTpm;
  let ak: AkInfo;
  let ekCert: Uint8Array;
  let reg: ReturnType<typeof registrationFor>;
  let run: QuotedRun;
  let chainId: number;

  before(async function () {
    ensureTpmToolsInstalled();
    tpm = await startTestTpm();
    ak = await tpm.transport.createAk();
    ekCert = await tpm.transport.readEkCertificate();
    const { address, attestor, registrant } = await loadFixture(deploy);
    chainId = Number((await ethers.provider.getNetwork()).chainId);
    reg = registrationFor(attestor.address, ak, ekCert, tpm.swtpm.caCertPem, tpm.swtpm.issuerCertPem);
    run = await quotedRun(tpm.transport, {
      chainId,
      attestorRegistry: address,
      modelRegistry: "0x000000000000000000000000000000000000dEaD",
      registrant: registrant.address,
      attestor: attestor.address,
      datasets: [
        { datasetId: "1", role: "training", root: sha("dataset 1") },
        { datasetId: "2", role: "evaluation", root: sha("dataset 2") },
      ],
      parents: [{ modelId: "3", relation: "finetune", weightsDigest: sha("parent 3") }],
      weightsDigest: sha("weights"),
    });
  });

  after(async function () {
    await tpm?.stop();
  });

  /** The registry with the test TPM's attestor registered. */
  async function registered() {
    const f = await loadFixture(deploy);
    await f.registry.register(params());
    return f;
  }

  const params = () => ({
    attestor: reg.attestor,
    akX: reg.akX,
    akY: reg.akY,
    akQualifiedName: reg.akQualifiedName,
    ekCertificateHash: reg.ekCertificateHash,
    kind: reg.kind === "hardware" ? 1 : 0,
  });

  const clone = <T>(v: T): T => structuredClone(v);

  describe("registration", function () {
    it("is owned by the deployer, and only the owner registers and revokes", async function () {
      const { registry, owner, other } = await loadFixture(deploy);
      expect(await registry.owner()).to.equal(owner.address);
      await expect(registry.connect(other).register(params())).to.be.revertedWithCustomError(registry, "OwnableUnauthorizedAccount").withArgs(other.address);
      await registry.register(params());
      await expect(registry.connect(other).revoke(reg.attestor)).to.be.revertedWithCustomError(registry, "OwnableUnauthorizedAccount").withArgs(other.address);
    });

    it("records the AK, its qualified name, the EK certificate hash and the TPM kind, and emits AttestorRegistered", async function () {
      const { registry } = await loadFixture(deploy);
      await expect(registry.register(params()))
        .to.emit(registry, "AttestorRegistered")
        .withArgs(reg.attestor, reg.akQualifiedName, 0, reg.akX, reg.akY, reg.ekCertificateHash);
      const a = await registry.attestorOf(reg.attestor);
      expect([a.akX, a.akY, a.akQualifiedName, a.ekCertificateHash, a.kind, a.revokedAt]).to.deep.equal([
        reg.akX,
        reg.akY,
        reg.akQualifiedName,
        reg.ekCertificateHash,
        0n,
        0n,
      ]);
      expect(a.registeredAt).to.be.greaterThan(0n);
      expect(await registry.isActive(reg.attestor)).to.equal(true);
      expect(await registry.attestorOfQualifiedName(reg.akQualifiedName)).to.equal(reg.attestor);
      expect(await registry.totalRegistered()).to.equal(1n);
      expect(reg.kind).to.equal("software");
    });

    it("refuses a zero address, a second registration, a point off the curve, a missing identity and a reused AK", async function () {
      const { registry, other } = await loadFixture(deploy);
      await expect(registry.register({ ...params(), attestor: ethers.ZeroAddress })).to.be.revertedWithCustomError(registry, "AttestorRegistryZeroAddress");
      await expect(registry.register({ ...params(), akY: reg.akX }))
        .to.be.revertedWithCustomError(registry, "AttestorRegistryInvalidPublicKey")
        .withArgs(reg.akX, reg.akX);
      await expect(registry.register({ ...params(), akQualifiedName: ethers.ZeroHash })).to.be.revertedWithCustomError(registry, "AttestorRegistryMissingIdentity");
      await expect(registry.register({ ...params(), ekCertificateHash: ethers.ZeroHash })).to.be.revertedWithCustomError(registry, "AttestorRegistryMissingIdentity");
      await registry.register(params());
      await expect(registry.register(params())).to.be.revertedWithCustomError(registry, "AttestorRegistryAlreadyRegistered").withArgs(reg.attestor);
      await expect(registry.register({ ...params(), attestor: other.address }))
        .to.be.revertedWithCustomError(registry, "AttestorRegistryKeyInUse")
        .withArgs(reg.attestor);
    });

    it("revokes once, after which the attestor's quotes are refused", async function () {
      const { registry, other } = await registered();
      expect(await registry.checkTrainingCertificate(run.lineage, run.evidence)).to.equal(true);
      await expect(registry.revoke(other.address)).to.be.revertedWithCustomError(registry, "AttestorRegistryUnknownAttestor").withArgs(other.address);
      await expect(registry.revoke(reg.attestor)).to.emit(registry, "AttestorRevoked").withArgs(reg.attestor);
      const revokedAt = (await registry.attestorOf(reg.attestor)).revokedAt;
      expect(revokedAt).to.be.greaterThan(0n);
      expect(await registry.isActive(reg.attestor)).to.equal(false);
      await expect(registry.revoke(reg.attestor)).to.be.revertedWithCustomError(registry, "AttestorRegistryAttestorRevoked").withArgs(reg.attestor, revokedAt);
      await expect(registry.checkTrainingCertificate(run.lineage, run.evidence))
        .to.be.revertedWithCustomError(registry, "AttestorRegistryAttestorRevoked")
        .withArgs(reg.attestor, revokedAt);
    });
  });

  describe("quote check", function () {
    it("accepts the real quote, and recomputes the same events and PCR as the TypeScript library", async function () {
      const { registry } = await registered();
      expect(await registry.checkTrainingCertificate(run.lineage, run.evidence)).to.equal(true);
      const [events, pcr, pcrDigest] = await registry.trainingEvents(run.lineage, run.evidence);
      expect(events).to.deep.equal(run.events.map((e) => `0x${e.digest}`));
      const replay = replayTrainingPcr(run.events);
      expect(pcr).to.equal(`0x${replay.pcr}`);
      expect(pcrDigest).to.equal(`0x${replay.pcrDigest}`);
      expect(await registry.checkQuote(reg.attestor, run.evidence.certificateDigest, pcrDigest, run.evidence.attest, run.evidence.r, run.evidence.s)).to.equal(true);
    });

    it("refuses an unknown attestor", async function () {
      const { registry, other } = await registered();
      const evidence = { ...run.evidence, attestor: other.address };
      await expect(registry.checkTrainingCertificate(run.lineage, evidence))
        .to.be.revertedWithCustomError(registry, "AttestorRegistryUnknownAttestor")
        .withArgs(other.address);
    });

    it("refuses a certificate digest that is not the quote's nonce", async function () {
      const { registry } = await registered();
      const other = randomHex32();
      await expect(registry.checkTrainingCertificate(run.lineage, { ...run.evidence, certificateDigest: other }))
        .to.be.revertedWithCustomError(registry, "AttestorRegistryNonceMismatch")
        .withArgs(other, run.evidence.certificateDigest);
    });

    // Each tamper changes one measured value, so the replayed PCR no longer matches the quote.
    const lineageTampers: [string, (l: TrainingLineageStruct) => void][] = [
      ["another model registry", (l) => (l.modelRegistry = "0x000000000000000000000000000000000000bEEF")],
      ["another registrant", (l) => (l.registrant = "0x000000000000000000000000000000000000bEEF")],
      ["another output weights digest", (l) => (l.weightsDigest = sha("other weights"))],
      ["another dataset id", (l) => (l.datasets[0]!.datasetId = 9n)],
      ["another dataset role", (l) => (l.datasets[0]!.role = 1)],
      ["another dataset root", (l) => (l.datasets[1]!.root = sha("other root"))],
      ["the datasets reordered", (l) => l.datasets.reverse()],
      ["a dataset dropped", (l) => l.datasets.pop()],
      ["a dataset added", (l) => l.datasets.push({ datasetId: 4n, role: 0, root: sha("dataset 4") })],
      ["another parent id", (l) => (l.parents[0]!.modelId = 2n)],
      ["another parent relation", (l) => (l.parents[0]!.relation = 2)],
      ["another parent digest", (l) => (l.parents[0]!.weightsDigest = sha("other parent"))],
      ["the parent dropped", (l) => l.parents.pop()],
      [
        "a dataset passed off as a parent",
        (l) => {
          const d = l.datasets.pop()!;
          l.parents.unshift({ modelId: d.datasetId, relation: d.role, weightsDigest: d.root });
        },
      ],
    ];
    for (const [what, tamper] of lineageTampers) {
      it(`refuses the quote for a lineage with ${what} (PCR replay mismatch)`, async function () {
        const { registry } = await registered();
        const lineage = clone(run.lineage);
        tamper(lineage);
        await expect(registry.checkTrainingCertificate(lineage, run.evidence)).to.be.revertedWithCustomError(registry, "AttestorRegistryPcrDigestMismatch");
      });
    }

    const evidenceTampers: [string, keyof TrainingEvidenceStruct][] = [
      ["another run id", "runId"],
      ["another code digest", "codeDigest"],
      ["another command digest", "commandDigest"],
      ["another config digest", "configDigest"],
      ["another environment digest", "environmentDigest"],
    ];
    for (const [what, field] of evidenceTampers) {
      it(`refuses the quote with ${what} in the evidence (PCR replay mismatch)`, async function () {
        const { registry } = await registered();
        await expect(registry.checkTrainingCertificate(run.lineage, { ...run.evidence, [field]: randomHex32() })).to.be.revertedWithCustomError(
          registry,
          "AttestorRegistryPcrDigestMismatch",
        );
      });
    }

    it("refuses a high-s signature by name, and a changed r or s as an invalid signature", async function () {
      const { registry } = await registered();
      const high = highS(run.evidence.s);
      await expect(registry.checkTrainingCertificate(run.lineage, { ...run.evidence, s: high }))
        .to.be.revertedWithCustomError(registry, "AttestorRegistryHighS")
        .withArgs(high);
      const bump = (h: string) => `0x${(BigInt(h) ^ 1n).toString(16).padStart(64, "0")}`;
      await expect(registry.checkTrainingCertificate(run.lineage, { ...run.evidence, r: bump(run.evidence.r) })).to.be.revertedWithCustomError(
        registry,
        "AttestorRegistryInvalidSignature",
      );
      await expect(registry.checkTrainingCertificate(run.lineage, { ...run.evidence, s: bump(run.evidence.s) })).to.be.revertedWithCustomError(
        registry,
        "AttestorRegistryInvalidSignature",
      );
    });

    it("refuses another TPM's quote of the same log (wrong signer)", async function () {
      const { registry } = await registered();
      const other = await startTestTpm({ caDir: tpm.swtpm.caDir });
      try {
        await other.transport.createAk();
        const otherRun = await quotedRun(other.transport, {
          chainId,
          attestorRegistry: await registry.getAddress(),
          modelRegistry: run.lineage.modelRegistry,
          registrant: run.lineage.registrant,
          attestor: reg.attestor,
          datasets: [],
          parents: [],
          weightsDigest: sha("weights"),
        });
        await expect(registry.checkTrainingCertificate(otherRun.lineage, otherRun.evidence)).to.be.revertedWithCustomError(registry, "AttestorRegistryWrongSigner");
      } finally {
        await other.stop();
      }
    });

    // Byte offsets in the 145-byte TPMS_ATTEST of one SHA-256 bank (see TpmQuote.sol).
    const attestTampers: [string, (b: Uint8Array) => Uint8Array, string][] = [
      ["magic", (b) => set(b, 0, 0x00), "TpmQuoteNotTpmGenerated"],
      ["type", (b) => set(b, 5, 0x17), "TpmQuoteNotAQuote"],
      ["qualifiedSigner size", (b) => set(b, 7, 33), "TpmQuoteUnsupportedSigner"],
      ["qualifiedSigner algorithm", (b) => set(b, 9, 0x04), "TpmQuoteUnsupportedSigner"],
      ["qualifiedSigner digest", (b) => flip(b, 20), "AttestorRegistryWrongSigner"],
      ["extraData size", (b) => set(b, 43, 31), "TpmQuoteUnsupportedNonceSize"],
      ["extraData", (b) => flip(b, 60), "AttestorRegistryNonceMismatch"],
      ["clock", (b) => flip(b, 83), "AttestorRegistryInvalidSignature"],
      ["resetCount", (b) => flip(b, 87), "AttestorRegistryInvalidSignature"],
      ["restartCount", (b) => flip(b, 91), "AttestorRegistryInvalidSignature"],
      ["safe", (b) => set(b, 92, 2), "TpmQuoteInvalidSafe"],
      ["firmwareVersion", (b) => flip(b, 100), "AttestorRegistryInvalidSignature"],
      ["bank count", (b) => set(b, 104, 2), "TpmQuoteUnsupportedBankCount"],
      ["bank algorithm", (b) => set(b, 106, 0x04), "TpmQuoteUnsupportedBank"],
      ["select size", (b) => set(b, 107, 0), "TpmQuoteUnsupportedSelectSize"],
      ["select bitmap", (b) => set(b, 110, 0x40), "AttestorRegistryWrongPcrSelection"],
      ["pcrDigest size", (b) => set(b, 112, 31), "TpmQuoteUnsupportedPcrDigestSize"],
      ["pcrDigest", (b) => flip(b, 130), "AttestorRegistryPcrDigestMismatch"],
      ["length (one byte short)", (b) => b.slice(0, 144), "TpmQuoteTruncated"],
      ["length (one byte more)", (b) => Uint8Array.from([...b, 0]), "TpmQuoteTrailingBytes"],
    ];
    for (const [field, tamper, error] of attestTampers) {
      it(`refuses a quote whose ${field} is changed: ${error}`, async function () {
        const { registry } = await registered();
        expect(run.attest.length).to.equal(145);
        const attest = `0x${bytesToHex(tamper(run.attest))}`;
        await expect(registry.checkTrainingCertificate(run.lineage, { ...run.evidence, attest })).to.be.revertedWithCustomError(registry, error);
      });
    }

    it("refuses the quote with any single byte flipped, at every offset", async function () {
      const { registry } = await registered();
      for (let i = 0; i < run.attest.length; i++) {
        const attest = `0x${bytesToHex(flip(run.attest, i))}`;
        let reverted = false;
        try {
          await registry.checkTrainingCertificate.staticCall(run.lineage, { ...run.evidence, attest });
        } catch {
          reverted = true;
        }
        expect(reverted, `byte ${i} flipped was accepted`).to.equal(true);
      }
    });
  });

  describe("ModelRegistry.registerAttested (the Provenant module, real quotes)", function () {
    const ROOT = sha("mnist a");
    const CID = "bafkreicertificate";
    let gen1: QuotedRun;
    let gen2: QuotedRun;

    /** The module deployed, this TPM's attestor registered, one dataset minted by the registrant. */
    async function attestedWorld() {
      const [, attestor, other, registrant] = await ethers.getSigners();
      const d = await deployProvenant();
      await d.attestors.register(params());
      await d.datasets.connect(registrant).mint({
        root: ROOT,
        n: 10n,
        totalSamples: 10n,
        previousVersion: 0n,
        encoding: "files",
        manifestCid: manifestCidBytes(await cidOf(new TextEncoder().encode("dataset manifest"))),
        license: "CC0-1.0",
      });
      return { ...d, attestor, other, registrant };
    }

    let modelManifest: Uint8Array;
    const registerParams = (q: QuotedRun) => ({
      weightsDigest: q.lineage.weightsDigest,
      manifestCid: modelManifest,
      license: "MIT",
      parents: q.lineage.parents.map((p) => ({ modelId: p.modelId, relation: p.relation })),
      datasets: q.lineage.datasets.map((d) => ({ datasetId: d.datasetId, role: d.role })),
    });

    before(async function () {
      modelManifest = manifestCidBytes(await cidOf(new TextEncoder().encode("model manifest")));
      const { models, attestors, registrant } = await loadFixture(attestedWorld);
      const run = (parents: { modelId: string; weightsDigest: `0x${string}` }[], weights: `0x${string}`) =>
        quotedRun(tpm.transport, {
          chainId,
          attestorRegistry: attestors.target,
          modelRegistry: models.target,
          registrant: registrant.address,
          attestor: reg.attestor,
          datasets: [{ datasetId: "1", role: "training", root: ROOT }],
          parents: parents.map((p) => ({ ...p, relation: "finetune" as const })),
          weightsDigest: weights,
        });
      gen1 = await run([], sha("gen1 weights"));
      gen2 = await run([{ modelId: "1", weightsDigest: sha("gen1 weights") }], sha("gen2 weights"));
    });

    it("registers a model whose certificate covers its lineage: provenance Attested, the certificate's attestor, digest and CID", async function () {
      const { models, registrant } = await loadFixture(attestedWorld);
      await expect(models.connect(registrant).registerAttested(registerParams(gen1), gen1.evidence, CID))
        .to.emit(models, "ModelRegistered")
        .withArgs(1n, registrant.address, gen1.lineage.weightsDigest, 1n, ethers.hexlify(modelManifest), "MIT", CID);
      await expect(models.connect(registrant).registerAttested(registerParams(gen2), gen2.evidence, `${CID}2`))
        .to.emit(models, "ParentLinked")
        .withArgs(2n, 1n, 0n);
      for (const [id, q, cid] of [
        [1n, gen1, CID],
        [2n, gen2, `${CID}2`],
      ] as const) {
        const r = await models.modelOf(id);
        expect(r.provenance).to.equal(1n);
        const at = Number(r.registrationBlock);
        const [registered] = (await models.queryFilter(models.filters.ModelRegistered(id), at, at)) as EventLog[];
        expect([r.registrant, r.attestor, r.certificateDigest, registered.args.certificateCid, r.weightsDigest]).to.deep.equal([
          registrant.address,
          reg.attestor,
          q.evidence.certificateDigest,
          cid,
          q.lineage.weightsDigest,
        ]);
        expect(await models.modelOfCertificate(q.evidence.certificateDigest)).to.equal(id);
        expect(await models.ownerOf(id)).to.equal(registrant.address);
      }
      expect((await models.datasetsOf(2n)).map((d: any) => [d.datasetId, d.role])).to.deep.equal([[1n, 0n]]);
    });

    it("refuses a certificate digest used before with ModelRegistryCertificateUsed(digest, id)", async function () {
      const { models, registrant } = await loadFixture(attestedWorld);
      await models.connect(registrant).registerAttested(registerParams(gen1), gen1.evidence, CID);
      await expect(models.connect(registrant).registerAttested(registerParams(gen1), gen1.evidence, CID))
        .to.be.revertedWithCustomError(models, "ModelRegistryCertificateUsed")
        .withArgs(gen1.evidence.certificateDigest, 1n);
      expect(await models.totalRegistered()).to.equal(1n);
    });

    it("refuses a revoked attestor's certificate with AttestorRegistryAttestorRevoked, registering nothing", async function () {
      const { models, attestors, registrant } = await loadFixture(attestedWorld);
      await attestors.revoke(reg.attestor);
      const revokedAt = (await attestors.attestorOf(reg.attestor)).revokedAt;
      await expect(models.connect(registrant).registerAttested(registerParams(gen1), gen1.evidence, CID))
        .to.be.revertedWithCustomError(attestors, "AttestorRegistryAttestorRevoked")
        .withArgs(reg.attestor, revokedAt);
      expect(await models.totalRegistered()).to.equal(0n);
      expect(await models.modelOfCertificate(gen1.evidence.certificateDigest)).to.equal(0n);
    });

    it("refuses a tampered quote or signature with the attestor registry's error naming the check", async function () {
      const { models, attestors, registrant } = await loadFixture(attestedWorld);
      const as = models.connect(registrant);
      const p = registerParams(gen1);
      await expect(as.registerAttested(p, { ...gen1.evidence, attest: `0x${bytesToHex(flip(gen1.attest, 83))}` }, CID)).to.be.revertedWithCustomError(
        attestors,
        "AttestorRegistryInvalidSignature",
      );
      await expect(as.registerAttested(p, { ...gen1.evidence, attest: `0x${bytesToHex(flip(gen1.attest, 130))}` }, CID)).to.be.revertedWithCustomError(
        attestors,
        "AttestorRegistryPcrDigestMismatch",
      );
      await expect(as.registerAttested(p, { ...gen1.evidence, s: highS(gen1.evidence.s) }, CID)).to.be.revertedWithCustomError(attestors, "AttestorRegistryHighS");
      const other = randomHex32();
      await expect(as.registerAttested(p, { ...gen1.evidence, certificateDigest: other }, CID))
        .to.be.revertedWithCustomError(attestors, "AttestorRegistryNonceMismatch")
        .withArgs(other, gen1.evidence.certificateDigest);
      expect(await models.totalRegistered()).to.equal(0n);
    });

    it("checks the lineage the chain holds, not the caller's: another registrant, role, output, parent or root is refused", async function () {
      const { models, datasets, attestors, registrant, other } = await loadFixture(attestedWorld);
      const mismatch = "AttestorRegistryPcrDigestMismatch";
      // Only the registrant the attestor measured can register its run.
      await expect(models.connect(other).registerAttested(registerParams(gen1), gen1.evidence, CID)).to.be.revertedWithCustomError(attestors, mismatch);
      const as = models.connect(registrant);
      await expect(as.registerAttested({ ...registerParams(gen1), datasets: [{ datasetId: 1n, role: 2 }] }, gen1.evidence, CID)).to.be.revertedWithCustomError(
        attestors,
        mismatch,
      );
      await expect(as.registerAttested({ ...registerParams(gen1), weightsDigest: sha("other") }, gen1.evidence, CID)).to.be.revertedWithCustomError(attestors, mismatch);
      // Generation 2 measured parent #1 with gen 1's digest; here #1 is a self-declared model with other weights.
      await as.register({ ...registerParams(gen1), weightsDigest: sha("not gen1") });
      await expect(as.registerAttested(registerParams(gen2), gen2.evidence, CID)).to.be.revertedWithCustomError(attestors, mismatch);
      // A dataset #2 whose on-chain root is not the measured one, even with the right root claimed off-chain.
      await datasets.connect(registrant).mint({
        root: sha("another root"),
        n: 1n,
        totalSamples: 1n,
        previousVersion: 0n,
        encoding: "files",
        manifestCid: manifestCidBytes(await cidOf(new TextEncoder().encode("dataset manifest"))),
        license: "",
      });
      await expect(as.registerAttested({ ...registerParams(gen1), datasets: [{ datasetId: 2n, role: 0 }] }, gen1.evidence, CID)).to.be.revertedWithCustomError(
        attestors,
        mismatch,
      );
      expect(await models.totalRegistered()).to.equal(1n);
    });
  });

  describe("gas", function () {
    it("measures registration, the quote check and an attested registration through the module's ModelRegistry", async function () {
      const [owner, attestor, registrant] = await ethers.getSigners();
      const { datasets, attestors, models } = await deployProvenant();
      const r2 = registrationFor(attestor.address, ak, ekCert, tpm.swtpm.caCertPem, tpm.swtpm.issuerCertPem);
      const registerTx = await attestors.register({ ...r2, kind: 0 });
      const registerGas = Number((await registerTx.wait()).gasUsed);
      const mint = async (root: string) =>
        datasets.connect(registrant).mint({
          root,
          n: 10n,
          totalSamples: 10n,
          previousVersion: 0n,
          encoding: "files",
          manifestCid: manifestCidBytes(await cidOf(new TextEncoder().encode("dataset manifest"))),
          license: "CC0-1.0",
        });
      const rootA = sha("mnist a");
      await mint(rootA);
      const chainRun = async (parents: { modelId: string; weightsDigest: `0x${string}` }[], weights: `0x${string}`) =>
        quotedRun(tpm.transport, {
          chainId,
          attestorRegistry: await attestors.getAddress(),
          modelRegistry: await models.getAddress(),
          registrant: registrant.address,
          attestor: attestor.address,
          datasets: [{ datasetId: "1", role: "training", root: rootA }],
          parents: parents.map((p) => ({ ...p, relation: "finetune" as const })),
          weightsDigest: weights,
        });
      const modelManifest = manifestCidBytes(await cidOf(new TextEncoder().encode("model manifest")));
      // Certificate CIDs of the real length (59 characters): the event carries them.
      const certificateCid = async (i: number) => cidOf(new TextEncoder().encode(`certificate ${i}`));
      const params = (q: QuotedRun) => ({
        weightsDigest: q.lineage.weightsDigest,
        manifestCid: modelManifest,
        license: "MIT",
        parents: q.lineage.parents.map((p) => ({ modelId: p.modelId, relation: p.relation })),
        datasets: q.lineage.datasets.map((d) => ({ datasetId: d.datasetId, role: d.role })),
      });

      const gen1 = await chainRun([], sha("gen1 weights"));
      const checkGas = Number(await attestors.checkTrainingCertificate.estimateGas(gen1.lineage, gen1.evidence));
      const [, , pcrDigest] = await attestors.trainingEvents(gen1.lineage, gen1.evidence);
      const quoteGas = Number(
        await attestors.checkQuote.estimateGas(attestor.address, gen1.evidence.certificateDigest, pcrDigest, gen1.evidence.attest, gen1.evidence.r, gen1.evidence.s),
      );
      const tx1 = await models.connect(registrant).registerAttested(params(gen1), gen1.evidence, await certificateCid(1));
      const attested1 = Number((await tx1.wait()).gasUsed);
      const gen2 = await chainRun([{ modelId: "1", weightsDigest: sha("gen1 weights") }], sha("gen2 weights"));
      const tx2 = await models.connect(registrant).registerAttested(params(gen2), gen2.evidence, await certificateCid(2));
      const attested2 = Number((await tx2.wait()).gasUsed);
      await expect(models.connect(registrant).registerAttested(params(gen2), gen2.evidence, await certificateCid(2))).to.be.revertedWithCustomError(
        models,
        "ModelRegistryCertificateUsed",
      );
      // The same registrations, self-declared, for the attestation's share of the cost.
      const self1 = Number((await (await models.connect(owner).register({ ...params(gen1), weightsDigest: sha("s1") })).wait()).gasUsed);
      const self2 = Number(
        (await (await models.connect(owner).register({ ...params(gen2), weightsDigest: sha("s2"), parents: [{ modelId: 3n, relation: 0 }] })).wait()).gasUsed,
      );
      expect((await models.modelOf(2n)).provenance).to.equal(1n);

      // Execution gas of the checks alone: the estimate less the intrinsic 21,000 and the calldata.
      const calldataGas = (data: string) => {
        let g = 0;
        for (let i = 2; i < data.length; i += 2) g += data.slice(i, i + 2) === "00" ? 4 : 16;
        return g;
      };
      const quoteData = attestors.interface.encodeFunctionData("checkQuote", [
        attestor.address,
        gen1.evidence.certificateDigest,
        pcrDigest,
        gen1.evidence.attest,
        gen1.evidence.r,
        gen1.evidence.s,
      ]);
      const checkData = attestors.interface.encodeFunctionData("checkTrainingCertificate", [gen1.lineage, gen1.evidence]);

      // P-256 alone: the precompile path and OpenZeppelin's Solidity verifier (chains without the precompile).
      const probe: any = await ethers.deployContract("P256Probe");
      const p256Args = [
        `0x${createHash("sha256")
          .update(Buffer.from(gen1.evidence.attest.slice(2), "hex"))
          .digest("hex")}`,
        gen1.evidence.r,
        gen1.evidence.s,
        r2.akX,
        r2.akY,
      ];
      expect(await probe.viaVerify(...p256Args)).to.equal(true);
      expect(await probe.viaSolidity(...p256Args)).to.equal(true);
      const p256Execution = async (fn: "viaVerify" | "viaSolidity") =>
        Number(await probe[fn].estimateGas(...p256Args)) - 21_000 - calldataGas(probe.interface.encodeFunctionData(fn, p256Args));
      const p256Precompile = await p256Execution("viaVerify");
      const p256Solidity = await p256Execution("viaSolidity");

      const report = {
        note: "Hardhat EDR (default hardfork), P-256 by OpenZeppelin P256.verify through the precompile at 0x100; receipts for transactions, estimateGas for views",
        registerAttestor: registerGas,
        checkQuoteEstimate: quoteGas,
        checkQuoteExecution: quoteGas - 21_000 - calldataGas(quoteData),
        p256VerifyExecution: { precompile: p256Precompile, solidity: p256Solidity },
        checkQuoteExecutionWithoutPrecompile: quoteGas - 21_000 - calldataGas(quoteData) - p256Precompile + p256Solidity,
        checkTrainingCertificateEstimate: checkGas,
        checkTrainingCertificateExecution: checkGas - 21_000 - calldataGas(checkData),
        registerAttested: { oneDataset: attested1, oneDatasetOneParent: attested2 },
        registerSelfDeclared: { oneDataset: self1, oneDatasetOneParent: self2 },
        attestationOverhead: { oneDataset: attested1 - self1, oneDatasetOneParent: attested2 - self2 },
      };
      console.log(`\n    ${JSON.stringify(report, null, 2).split("\n").join("\n    ")}`);
      await writeFile(REPORT_URL, `${JSON.stringify(report, null, 2)}\n`);
    });
  });
});

function set(b: Uint8Array, i: number, v: number): Uint8Array {
  const out = b.slice();
  out[i] = v;
  return out;
}

function flip(b: Uint8Array, i: number): Uint8Array {
  const out = b.slice();
  out[i] = out[i]! ^ 0x01;
  return out;
}
