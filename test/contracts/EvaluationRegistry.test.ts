// EvaluationRegistry as the Provenant Ignition module deploys it, against real quotes from a software TPM:
// registration and listing, the attacks an evaluation certificate must withstand (each refused with the error
// naming the check), the domain separation from training certificates, and the gas (gas-report-evaluations.json).
import { writeFile } from "node:fs/promises";
import { expect } from "chai";
import { network } from "hardhat";
import { evaluationEvents } from "../../core/attestor/evaluation-events.ts";
import { manifestCidBytes } from "../../core/chain/manifest-cid.ts";
import { cidOf } from "../../core/storage/cid.ts";
import { replayTrainingPcr } from "../../core/attestor/pcr-events.ts";
import { bootStateId } from "../../core/attestor/boot-state.ts";
import type { Hex32 } from "../../core/attestor/pcr-events.ts";
import { ensureTpmToolsInstalled, quotedRun, randomHex32, registrationFor, sha, startTestTpm } from "../attestor/helpers.ts";
import type { TestTpm } from "../attestor/helpers.ts";
import { quotedEvaluation } from "../attestor/evaluation-helpers.ts";
import type { QuotedEvaluation, QuotedEvaluationInput } from "../attestor/evaluation-helpers.ts";
import ProvenantModule from "../../ignition/modules/Provenant.ts";

const { ethers, networkHelpers, ignition } = await network.create();
const { loadFixture } = networkHelpers;

const REPORT_URL = new URL("../../gas-report-evaluations.json", import.meta.url);
const ROOT = sha("mnist test digits");
const WEIGHTS = sha("mnist-mlp weights");
const METRICS = sha('{"format":"provenant-metrics-v1","metrics":[{"name":"accuracy","value":0.97,"split":"test"}]}');
const CID = "bafkreievaluationcertificate";

describe("EvaluationRegistry (the Provenant module, real swtpm quotes)", function () {
  this.timeout(300_000);
  let tpm: TestTpm;
  let reg: ReturnType<typeof registrationFor>;
  let chainId: number;
  let base: Omit<QuotedEvaluationInput, "certificateDigest">;
  let good: QuotedEvaluation;

  /**
   * The module deployed; this TPM's attestor registered; dataset #1 minted; model #1 registered by the
   * registrant, and model #2 with the same weights by someone else (so that only the model id tells them apart).
   */
  async function world() {
    const [owner, attestor, other, registrant] = await ethers.getSigners();
    const d = await ignition.deploy(ProvenantModule);
    const attestors = d.attestorRegistry as any;
    const models = d.modelRegistry as any;
    const datasets = d.datasetRegistry as any;
    const evaluations = d.evaluationRegistry as any;
    await attestors.register({
      attestor: reg.attestor,
      akX: reg.akX,
      akY: reg.akY,
      akQualifiedName: reg.akQualifiedName,
      ekCertificateHash: reg.ekCertificateHash,
      kind: 0,
    });
    await datasets.connect(registrant).mint({
      root: ROOT,
      n: 10n,
      totalSamples: 10n,
      previousVersion: 0n,
      encoding: "files",
      manifestCid: manifestCidBytes(await cidOf(new TextEncoder().encode("dataset manifest"))),
      license: "CC0-1.0",
    });
    const model = {
      weightsDigest: WEIGHTS,
      manifestCid: manifestCidBytes(await cidOf(new TextEncoder().encode("model manifest"))),
      license: "MIT",
      parents: [],
      datasets: [],
    };
    await models.connect(registrant).register(model);
    await models.connect(other).register(model);
    return { owner, attestor, other, registrant, attestors, models, datasets, evaluations };
  }

  before(async function () {
    ensureTpmToolsInstalled();
    tpm = await startTestTpm();
    const ak = await tpm.transport.createAk();
    const ekCert = await tpm.transport.readEkCertificate();
    const [, attestor, , registrant] = await ethers.getSigners();
    reg = registrationFor(attestor.address, ak, ekCert, tpm.swtpm.caCertPem, tpm.swtpm.issuerCertPem);
    chainId = Number((await ethers.provider.getNetwork()).chainId);
    const { attestors, evaluations } = await loadFixture(world);
    base = {
      chainId,
      attestorRegistry: attestors.target,
      evaluationRegistry: evaluations.target,
      registrant: registrant.address,
      attestor: reg.attestor,
      modelId: "1",
      weightsDigest: WEIGHTS,
      datasetId: "1",
      root: ROOT,
      metricsDigest: METRICS,
    };
    good = await quotedEvaluation(tpm.transport, base);
  });

  after(async function () {
    await tpm?.stop();
  });

  it("is bound to the module's model registry and reads the other two registries from it", async function () {
    const { evaluations, models, datasets, attestors } = await loadFixture(world);
    expect(await evaluations.modelRegistry()).to.equal(models.target);
    expect(await evaluations.datasetRegistry()).to.equal(datasets.target);
    expect(await evaluations.attestorRegistry()).to.equal(attestors.target);
  });

  it("refuses a zero model registry at deployment", async function () {
    const { evaluations } = await loadFixture(world);
    await expect(ethers.deployContract("EvaluationRegistry", [ethers.ZeroAddress])).to.be.revertedWithCustomError(evaluations, "EvaluationRegistryZeroAddress");
  });

  it("recomputes the same events, PCR and pcrDigest as the TypeScript library", async function () {
    const { evaluations, registrant } = await loadFixture(world);
    const [events, pcr, pcrDigest] = await evaluations.evaluationEvents(good.params, good.evidence, registrant.address);
    expect(events.map((e: string) => e.slice(2))).to.deep.equal(good.events.map((e) => e.digest));
    const replay = replayTrainingPcr(good.events);
    expect([pcr, pcrDigest]).to.deep.equal([`0x${replay.pcr}`, `0x${replay.pcrDigest}`]);
  });

  it("registers an attested evaluation: its record, the event, the model's list and the certificate's evaluation", async function () {
    const { evaluations, registrant } = await loadFixture(world);
    expect(await evaluations.checkEvaluationCertificate(good.params, good.evidence, registrant.address)).to.equal(true);
    await expect(evaluations.connect(registrant).registerEvaluation(good.params, good.evidence, CID))
      .to.emit(evaluations, "EvaluationRegistered")
      .withArgs(1n, 1n, 1n, reg.attestor, registrant.address, good.evidence.certificateDigest, METRICS, CID);
    const r = await evaluations.evaluationOf(1n);
    expect([r.modelId, r.datasetId, r.metricsDigest, r.certificateDigest, r.attestor, r.registrant, r.certificateCid]).to.deep.equal([
      1n,
      1n,
      METRICS,
      good.evidence.certificateDigest,
      reg.attestor,
      registrant.address,
      CID,
    ]);
    expect(r.registeredAt).to.be.greaterThan(0n);
    expect(await evaluations.evaluationsOf(1n)).to.deep.equal([1n]);
    expect(await evaluations.evaluationCountOf(1n)).to.equal(1n);
    expect(await evaluations.evaluationsOf(2n)).to.deep.equal([]);
    expect(await evaluations.evaluationOfCertificate(good.evidence.certificateDigest)).to.equal(1n);
    expect(await evaluations.totalRegistered()).to.equal(1n);
  });

  it("lists a model's evaluations oldest first, apart from another model's", async function () {
    const { evaluations, registrant } = await loadFixture(world);
    const second = await quotedEvaluation(tpm.transport, { ...base, metricsDigest: sha("second metrics") });
    const other = await quotedEvaluation(tpm.transport, { ...base, modelId: "2" });
    await evaluations.connect(registrant).registerEvaluation(good.params, good.evidence, CID);
    await evaluations.connect(registrant).registerEvaluation(other.params, other.evidence, CID);
    await evaluations.connect(registrant).registerEvaluation(second.params, second.evidence, CID);
    expect(await evaluations.evaluationsOf(1n)).to.deep.equal([1n, 3n]);
    expect(await evaluations.evaluationsOf(2n)).to.deep.equal([2n]);
    expect(await evaluations.evaluationCountOf(1n)).to.equal(2n);
  });

  it("refuses an unknown evaluation id", async function () {
    const { evaluations } = await loadFixture(world);
    await expect(evaluations.evaluationOf(1n)).to.be.revertedWithCustomError(evaluations, "EvaluationRegistryUnknownEvaluation").withArgs(1n);
  });

  describe("attacks", function () {
    it("refuses an evaluation certificate replayed for another model with the same weights (PCR replay mismatch)", async function () {
      const { evaluations, attestors, registrant } = await loadFixture(world);
      await expect(evaluations.connect(registrant).registerEvaluation({ ...good.params, modelId: 2n }, good.evidence, CID)).to.be.revertedWithCustomError(
        attestors,
        "AttestorRegistryPcrDigestMismatch",
      );
    });

    it("refuses an evaluation of weights that are not the model's on-chain digest", async function () {
      const { evaluations, attestors, registrant } = await loadFixture(world);
      const q = await quotedEvaluation(tpm.transport, { ...base, weightsDigest: sha("better weights") });
      await expect(evaluations.connect(registrant).registerEvaluation(q.params, q.evidence, CID)).to.be.revertedWithCustomError(
        attestors,
        "AttestorRegistryPcrDigestMismatch",
      );
    });

    it("refuses an evaluation on data that is not the dataset's on-chain root", async function () {
      const { evaluations, attestors, registrant } = await loadFixture(world);
      const q = await quotedEvaluation(tpm.transport, { ...base, root: sha("easier digits") });
      await expect(evaluations.connect(registrant).registerEvaluation(q.params, q.evidence, CID)).to.be.revertedWithCustomError(
        attestors,
        "AttestorRegistryPcrDigestMismatch",
      );
    });

    it("refuses other metrics than the ones quoted (the metrics file swapped after the quote)", async function () {
      const { evaluations, attestors, registrant } = await loadFixture(world);
      await expect(
        evaluations.connect(registrant).registerEvaluation({ ...good.params, metricsDigest: sha("better metrics") }, good.evidence, CID),
      ).to.be.revertedWithCustomError(attestors, "AttestorRegistryPcrDigestMismatch");
    });

    it("refuses a quote from a TPM that was never enrolled, under its own address or an enrolled attestor's", async function () {
      const { evaluations, attestors, other, registrant } = await loadFixture(world);
      const rogue = await startTestTpm({ caDir: tpm.swtpm.caDir });
      try {
        await rogue.transport.createAk();
        const own = await quotedEvaluation(rogue.transport, { ...base, attestor: other.address });
        await expect(evaluations.connect(registrant).registerEvaluation(own.params, own.evidence, CID))
          .to.be.revertedWithCustomError(attestors, "AttestorRegistryUnknownAttestor")
          .withArgs(other.address);
        const borrowed = await quotedEvaluation(rogue.transport, base);
        await expect(evaluations.connect(registrant).registerEvaluation(borrowed.params, borrowed.evidence, CID)).to.be.revertedWithCustomError(
          attestors,
          "AttestorRegistryWrongSigner",
        );
      } finally {
        await rogue.stop();
      }
    });

    it("refuses a revoked attestor's evaluation", async function () {
      const { evaluations, attestors, registrant } = await loadFixture(world);
      await attestors.revoke(reg.attestor);
      await expect(evaluations.connect(registrant).registerEvaluation(good.params, good.evidence, CID)).to.be.revertedWithCustomError(
        attestors,
        "AttestorRegistryAttestorRevoked",
      );
    });

    it("refuses a certificate registered by someone other than its registrant (front-running)", async function () {
      const { evaluations, attestors, other } = await loadFixture(world);
      await expect(evaluations.connect(other).registerEvaluation(good.params, good.evidence, CID)).to.be.revertedWithCustomError(
        attestors,
        "AttestorRegistryPcrDigestMismatch",
      );
    });

    it("refuses a certificate used before with EvaluationRegistryCertificateUsed(digest, id)", async function () {
      const { evaluations, registrant } = await loadFixture(world);
      await evaluations.connect(registrant).registerEvaluation(good.params, good.evidence, CID);
      await expect(evaluations.connect(registrant).registerEvaluation(good.params, good.evidence, CID))
        .to.be.revertedWithCustomError(evaluations, "EvaluationRegistryCertificateUsed")
        .withArgs(good.evidence.certificateDigest, 1n);
    });

    it("refuses a training certificate's quote as an evaluation's, and an evaluation's as a training certificate's", async function () {
      const { evaluations, attestors, models, registrant } = await loadFixture(world);
      // A training run over the same registries, registrant and run id: only the event log's kind differs.
      const training = await quotedRun(tpm.transport, {
        chainId,
        attestorRegistry: attestors.target,
        modelRegistry: evaluations.target,
        registrant: registrant.address,
        attestor: reg.attestor,
        datasets: [{ datasetId: "1", role: "evaluation", root: ROOT }],
        parents: [{ modelId: "1", relation: "finetune", weightsDigest: WEIGHTS }],
        weightsDigest: METRICS,
        runId: good.evidence.runId as Hex32,
      });
      await expect(evaluations.connect(registrant).registerEvaluation(good.params, { ...good.evidence, ...training.evidence }, CID)).to.be.revertedWithCustomError(
        attestors,
        "AttestorRegistryPcrDigestMismatch",
      );
      const asTraining = {
        ...training.evidence,
        certificateDigest: good.evidence.certificateDigest,
        attest: good.evidence.attest,
        r: good.evidence.r,
        s: good.evidence.s,
      };
      await expect(attestors.checkTrainingCertificate(training.lineage, asTraining)).to.be.revertedWithCustomError(attestors, "AttestorRegistryPcrDigestMismatch");
      expect(models.target).to.not.equal(evaluations.target);
    });

    const evidenceTampers = ["runId", "codeDigest", "commandDigest", "configDigest", "environmentDigest"] as const;
    for (const field of evidenceTampers) {
      it(`refuses the quote with another ${field} in the evidence (PCR replay mismatch)`, async function () {
        const { evaluations, attestors, registrant } = await loadFixture(world);
        await expect(evaluations.connect(registrant).registerEvaluation(good.params, { ...good.evidence, [field]: randomHex32() }, CID)).to.be.revertedWithCustomError(
          attestors,
          "AttestorRegistryPcrDigestMismatch",
        );
      });
    }

    it("refuses a certificate digest that is not the quote's nonce", async function () {
      const { evaluations, attestors, registrant } = await loadFixture(world);
      const digest = randomHex32();
      await expect(evaluations.connect(registrant).registerEvaluation(good.params, { ...good.evidence, certificateDigest: digest }, CID))
        .to.be.revertedWithCustomError(attestors, "AttestorRegistryNonceMismatch")
        .withArgs(digest, good.evidence.certificateDigest);
    });
  });

  const BOOT_PCRS = [0, 1, 2, 3, 4, 5, 6, 7];
  const POLICY = sha("the owner's boot policy");

  /** The world with a boot state approved for the attestor (PCRs 0-7 as its TPM holds them): its word counts only with it from now on. */
  async function bootLevelWorld() {
    const w = await world();
    const held = await tpm.transport.pcrRead(BOOT_PCRS);
    const state = bootStateId(BOOT_PCRS.map((p) => held[p]!));
    await w.attestors.approveBootState(reg.attestor, state, 0xff, POLICY);
    // This world's own deployment: the quotes bind its registries.
    const input = { ...base, attestorRegistry: w.attestors.target, evaluationRegistry: w.evaluations.target };
    return { ...w, state, input };
  }

  describe("attestors enrolled at the boot+pcr23 level (attack: an evaluation below the attestor's trust level)", function () {
    it("refuses an evaluation that quotes PCR 23 alone from an attestor with an approved boot state: AttestorRegistryBootStateRequired", async function () {
      const { evaluations, attestors, registrant, input } = await loadFixture(bootLevelWorld);
      const q = await quotedEvaluation(tpm.transport, input);
      await expect(evaluations.checkEvaluationCertificate(q.params, q.evidence, registrant.address))
        .to.be.revertedWithCustomError(attestors, "AttestorRegistryBootStateRequired")
        .withArgs(reg.attestor);
      await expect(evaluations.connect(registrant).registerEvaluation(q.params, q.evidence, CID))
        .to.be.revertedWithCustomError(attestors, "AttestorRegistryBootStateRequired")
        .withArgs(reg.attestor);
      expect(await evaluations.totalRegistered()).to.equal(0n);
    });

    it("still refuses it once the boot state is withdrawn: withdrawing an approval does not lower the attestor's level", async function () {
      const { evaluations, attestors, registrant, state, input } = await loadFixture(bootLevelWorld);
      await attestors.withdrawBootState(reg.attestor, state);
      const q = await quotedEvaluation(tpm.transport, input);
      await expect(evaluations.connect(registrant).registerEvaluation(q.params, q.evidence, CID))
        .to.be.revertedWithCustomError(attestors, "AttestorRegistryBootStateRequired")
        .withArgs(reg.attestor);
    });

    it("registers an evaluation that quotes the approved boot state with PCR 23", async function () {
      const { evaluations, registrant, input } = await loadFixture(bootLevelWorld);
      const q = await quotedEvaluation(tpm.transport, { ...input, bootPcrs: BOOT_PCRS });
      expect(await evaluations.checkEvaluationCertificate(q.params, q.evidence, registrant.address)).to.equal(true);
      await expect(evaluations.connect(registrant).registerEvaluation(q.params, q.evidence, CID)).to.emit(evaluations, "EvaluationRegistered");
    });

    it("refuses that boot state once withdrawn, and boot values that were never approved, by name", async function () {
      const { evaluations, attestors, registrant, state, input } = await loadFixture(bootLevelWorld);
      const q = await quotedEvaluation(tpm.transport, { ...input, bootPcrs: BOOT_PCRS });
      const other = { ...q.evidence, bootPcrs: q.evidence.bootPcrs.map((v, i) => (i === 4 ? sha("another kernel") : v)) };
      const otherState = bootStateId(other.bootPcrs);
      await expect(evaluations.checkEvaluationCertificate(q.params, other, registrant.address))
        .to.be.revertedWithCustomError(attestors, "AttestorRegistryUnknownBootState")
        .withArgs(reg.attestor, otherState);
      await attestors.withdrawBootState(reg.attestor, state);
      await expect(evaluations.connect(registrant).registerEvaluation(q.params, q.evidence, CID)).to.be.revertedWithCustomError(
        attestors,
        "AttestorRegistryBootStateWithdrawn",
      );
    });
  });

  describe("input checks before the quote", function () {
    it("refuses an unknown model, an unknown dataset, zero metrics and an empty CID by name", async function () {
      const { evaluations, registrant } = await loadFixture(world);
      const as = evaluations.connect(registrant);
      for (const modelId of [0n, 3n, 1n << 200n]) {
        await expect(as.registerEvaluation({ ...good.params, modelId }, good.evidence, CID))
          .to.be.revertedWithCustomError(evaluations, "EvaluationRegistryUnknownModel")
          .withArgs(modelId);
      }
      for (const datasetId of [0n, 2n, 1n << 200n]) {
        await expect(as.registerEvaluation({ ...good.params, datasetId }, good.evidence, CID))
          .to.be.revertedWithCustomError(evaluations, "EvaluationRegistryUnknownDataset")
          .withArgs(datasetId);
      }
      await expect(as.registerEvaluation({ ...good.params, metricsDigest: ethers.ZeroHash }, good.evidence, CID)).to.be.revertedWithCustomError(
        evaluations,
        "EvaluationRegistryZeroMetricsDigest",
      );
      await expect(as.registerEvaluation(good.params, good.evidence, "")).to.be.revertedWithCustomError(evaluations, "EvaluationRegistryEmptyCertificateCid");
    });
  });

  it("measures the gas of an attested evaluation (gas-report-evaluations.json)", async function () {
    const { evaluations, registrant } = await loadFixture(world);
    const realCid = "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku";
    const checkEstimate = await evaluations.checkEvaluationCertificate.estimateGas(good.params, good.evidence, registrant.address);
    const first = await (await evaluations.connect(registrant).registerEvaluation(good.params, good.evidence, realCid)).wait();
    const second = await quotedEvaluation(tpm.transport, { ...base, metricsDigest: sha("second metrics") });
    const again = await (await evaluations.connect(registrant).registerEvaluation(second.params, second.evidence, realCid)).wait();
    const events = evaluationEvents({
      run: {
        ...base,
        attestorRegistry: base.attestorRegistry as Hex32,
        evaluationRegistry: base.evaluationRegistry as Hex32,
        registrant: base.registrant as Hex32,
        attestor: base.attestor as Hex32,
        runId: randomHex32(),
      },
      model: { modelId: "1", weightsDigest: WEIGHTS },
      dataset: { datasetId: "1", root: ROOT },
      codeDigest: sha("c"),
      commandDigest: sha("c"),
      configDigest: sha("c"),
      environmentDigest: sha("c"),
      metricsDigest: METRICS,
    });
    // At the boot+pcr23 level: the quote also selects PCRs 0-7, and the boot state's approval is read.
    const boot = await loadFixture(bootLevelWorld);
    const bootGas: bigint[] = [];
    for (const metrics of ["boot metrics", "boot metrics again"]) {
      const q = await quotedEvaluation(tpm.transport, { ...boot.input, metricsDigest: sha(metrics), bootPcrs: BOOT_PCRS });
      bootGas.push((await (await boot.evaluations.connect(boot.registrant).registerEvaluation(q.params, q.evidence, realCid)).wait())!.gasUsed);
    }
    const report = {
      note: "Hardhat EDR (default hardfork), P-256 through the precompile at 0x100; receipts for transactions, estimateGas for views; 59-character CIDs",
      events: events.length,
      checkEvaluationCertificateEstimate: Number(checkEstimate),
      registerEvaluation: { firstOfModel: Number(first.gasUsed), laterOfModel: Number(again.gasUsed) },
      registerEvaluationAtBootLevel: { firstOfModel: Number(bootGas[0]), laterOfModel: Number(bootGas[1]) },
    };
    await writeFile(REPORT_URL, `${JSON.stringify(report, null, 2)}\n`);
    expect(report.registerEvaluation.firstOfModel).to.be.lessThan(500_000);
  });
});
