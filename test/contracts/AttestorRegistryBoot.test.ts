// AttestorRegistry boot states against real quotes from a software TPM that "booted" a synthetic UEFI log into
// its PCRs 0-7: approval and withdrawal by the owner, the boot+pcr23 quote check, PCR-23-only attestors beside
// it, and each way a machine's boot can differ from the approved one refused by the error naming it. The gas of
// the boot-state path goes to gas-report-boot.json.
import { writeFile } from "node:fs/promises";
import { expect } from "chai";
import { network } from "hardhat";
import { bootStateId } from "../../core/attestor/boot-state.ts";
import { manifestCidBytes } from "../../core/chain/manifest-cid.ts";
import { cidOf } from "../../core/storage/cid.ts";
import { bootPolicyDigest, bootPolicyFromLog } from "../../core/attestor/boot-policy.ts";
import type { AkInfo } from "../../core/tpm/transport.ts";
import { quotedRun, randomHex32, registrationFor, sha, startBootedTpm, startTestTpm } from "../attestor/helpers.ts";
import type { BootedTpm, QuotedRun, QuotedRunInput, TestTpm } from "../attestor/helpers.ts";
import ProvenantModule from "../../ignition/modules/Provenant.ts";

const { ethers, networkHelpers, ignition } = await network.create();
const { loadFixture } = networkHelpers;

const REPORT_URL = new URL("../../gas-report-boot.json", import.meta.url);
const BOOT_PCRS = [0, 1, 2, 3, 4, 5, 6, 7];
const SELECT_0_7 = 0xff;

async function deploy() {
  const [owner, attestor, other, registrant, plain] = await ethers.getSigners();
  const registry: any = await ethers.deployContract("AttestorRegistry", [owner.address]);
  return { registry, owner, attestor, other, registrant, plain, address: (await registry.getAddress()) as string };
}

describe("AttestorRegistry boot states (real swtpm quotes over a synthetic UEFI boot)", function () {
  this.timeout(300_000);
  let tpm: BootedTpm;
  let plainTpm: TestTpm;
  let ak: AkInfo;
  let reg: ReturnType<typeof registrationFor>;
  let plainReg: ReturnType<typeof registrationFor>;
  let chainId: number;
  let goodValues: string[];
  let goodState: string;
  /** The digest of the boot policy the owner appraised the booted TPM's log against. */
  let policy: string;

  before(async function () {
    tpm = await startBootedTpm();
    plainTpm = await startTestTpm();
    ak = await tpm.transport.createAk();
    const plainAk = await plainTpm.transport.createAk();
    const { attestor, plain } = await loadFixture(deploy);
    chainId = Number((await ethers.provider.getNetwork()).chainId);
    reg = registrationFor(attestor.address, ak, await tpm.transport.readEkCertificate(), tpm.swtpm.caCertPem, tpm.swtpm.issuerCertPem);
    plainReg = registrationFor(plain.address, plainAk, await plainTpm.transport.readEkCertificate(), plainTpm.swtpm.caCertPem, plainTpm.swtpm.issuerCertPem);
    const held = await tpm.transport.pcrRead(BOOT_PCRS);
    goodValues = BOOT_PCRS.map((p) => held[p]!);
    goodState = bootStateId(goodValues);
    policy = bootPolicyDigest(bootPolicyFromLog(tpm.log.bytes, "synthetic-debian"));
  });

  after(async function () {
    await tpm?.stop();
    await plainTpm?.stop();
  });

  const params = (r: typeof reg) => ({
    attestor: r.attestor,
    akX: r.akX,
    akY: r.akY,
    akQualifiedName: r.akQualifiedName,
    ekCertificateHash: r.ekCertificateHash,
    kind: 0,
  });

  /** The registry with the booted TPM's attestor (and a PCR-23-only one) registered. */
  async function registered() {
    const f = await loadFixture(deploy);
    await f.registry.register(params(reg));
    await f.registry.register(params(plainReg));
    return f;
  }

  /** The same, with the booted TPM's current boot state approved. */
  async function approved() {
    const f = await registered();
    await f.registry.approveBootState(reg.attestor, goodState, SELECT_0_7, policy);
    return f;
  }

  const run = async (address: string, t: { transport: TestTpm["transport"] } = tpm, extra: Partial<QuotedRunInput> = {}): Promise<QuotedRun> =>
    quotedRun(t.transport, {
      chainId,
      attestorRegistry: address,
      modelRegistry: "0x000000000000000000000000000000000000dEaD",
      registrant: (await ethers.getSigners())[3]!.address,
      attestor: reg.attestor,
      datasets: [{ datasetId: "1", role: "training", root: sha("dataset 1") }],
      parents: [],
      weightsDigest: sha("weights"),
      bootPcrs: BOOT_PCRS,
      ...extra,
    });

  describe("approval and withdrawal", function () {
    it("only the owner approves and withdraws boot states", async function () {
      const { registry, other } = await registered();
      await expect(registry.connect(other).approveBootState(reg.attestor, goodState, SELECT_0_7, policy))
        .to.be.revertedWithCustomError(registry, "OwnableUnauthorizedAccount")
        .withArgs(other.address);
      await registry.approveBootState(reg.attestor, goodState, SELECT_0_7, policy);
      await expect(registry.connect(other).withdrawBootState(reg.attestor, goodState))
        .to.be.revertedWithCustomError(registry, "OwnableUnauthorizedAccount")
        .withArgs(other.address);
    });

    it("records the PCRs, the policy and the time, emits BootStateApproved, and from then on requires a boot state", async function () {
      const { registry } = await registered();
      expect(await registry.requiresBootState(reg.attestor)).to.equal(false);
      await expect(registry.approveBootState(reg.attestor, goodState, SELECT_0_7, policy))
        .to.emit(registry, "BootStateApproved")
        .withArgs(reg.attestor, goodState, SELECT_0_7, policy);
      const b = await registry.bootStateOf(reg.attestor, goodState);
      expect([b.pcrSelect, b.withdrawnAt, b.policyDigest]).to.deep.equal([BigInt(SELECT_0_7), 0n, policy]);
      expect(b.approvedAt).to.be.greaterThan(0n);
      expect(await registry.requiresBootState(reg.attestor)).to.equal(true);
      expect(await registry.requiresBootState(plainReg.attestor)).to.equal(false);
      const unknown = await registry.bootStateOf(reg.attestor, randomHex32());
      expect(unknown.approvedAt).to.equal(0n);
    });

    it("withdraws with BootStateWithdrawn, refuses a second withdrawal or an unknown state, and approves a withdrawn state again", async function () {
      const { registry } = await approved();
      await expect(registry.withdrawBootState(reg.attestor, goodState)).to.emit(registry, "BootStateWithdrawn").withArgs(reg.attestor, goodState);
      const withdrawnAt = (await registry.bootStateOf(reg.attestor, goodState)).withdrawnAt;
      await expect(registry.withdrawBootState(reg.attestor, goodState))
        .to.be.revertedWithCustomError(registry, "AttestorRegistryBootStateWithdrawn")
        .withArgs(reg.attestor, goodState, withdrawnAt);
      const other = randomHex32();
      await expect(registry.withdrawBootState(reg.attestor, other))
        .to.be.revertedWithCustomError(registry, "AttestorRegistryUnknownBootState")
        .withArgs(reg.attestor, other);
      await expect(registry.approveBootState(reg.attestor, goodState, SELECT_0_7, policy)).to.emit(registry, "BootStateApproved");
      expect((await registry.bootStateOf(reg.attestor, goodState)).withdrawnAt).to.equal(0n);
    });

    it("refuses an approved state twice, an unknown or revoked attestor, a zero id or policy, and PCRs other than 0-7 (+ 8-15)", async function () {
      const { registry } = await approved();
      await expect(registry.approveBootState(reg.attestor, goodState, SELECT_0_7, policy))
        .to.be.revertedWithCustomError(registry, "AttestorRegistryBootStateAlreadyApproved")
        .withArgs(reg.attestor, goodState);
      const stranger = ethers.Wallet.createRandom().address;
      await expect(registry.approveBootState(stranger, goodState, SELECT_0_7, policy))
        .to.be.revertedWithCustomError(registry, "AttestorRegistryUnknownAttestor")
        .withArgs(stranger);
      const zero = ethers.ZeroHash;
      await expect(registry.approveBootState(reg.attestor, zero, SELECT_0_7, policy)).to.be.revertedWithCustomError(registry, "AttestorRegistryMissingBootState");
      await expect(registry.approveBootState(reg.attestor, randomHex32(), SELECT_0_7, zero)).to.be.revertedWithCustomError(registry, "AttestorRegistryMissingBootState");
      for (const select of [0x7f, 0xfe, 0x1ff | (1 << 16), 0xff | (1 << 23)]) {
        await expect(registry.approveBootState(reg.attestor, randomHex32(), select, policy))
          .to.be.revertedWithCustomError(registry, "AttestorRegistryInvalidBootPcrs")
          .withArgs(select);
      }
      await expect(registry.approveBootState(reg.attestor, randomHex32(), 0x3ff, policy)).to.emit(registry, "BootStateApproved");
      await registry.revoke(plainReg.attestor);
      await expect(registry.approveBootState(plainReg.attestor, goodState, SELECT_0_7, policy)).to.be.revertedWithCustomError(
        registry,
        "AttestorRegistryAttestorRevoked",
      );
    });
  });

  describe("the boot+pcr23 check", function () {
    it("accepts a quote over the boot PCRs and PCR 23 whose boot values are an approved state", async function () {
      const { registry, address } = await approved();
      const q = await run(address);
      expect(q.bootValues).to.deep.equal(goodValues);
      expect(await registry.checkTrainingCertificate(q.lineage, q.evidence)).to.equal(true);
    });

    it("keeps PCR-23-only attestors working at their own level", async function () {
      const { registry, address } = await approved();
      const q = await run(address, plainTpm, { attestor: plainReg.attestor, bootPcrs: [] });
      expect(await registry.checkTrainingCertificate(q.lineage, q.evidence)).to.equal(true);
    });

    it("refuses a PCR-23-only quote from an attestor with an approved boot state: AttestorRegistryBootStateRequired", async function () {
      const { registry, address } = await approved();
      const q = await run(address, tpm, { bootPcrs: [] });
      await expect(registry.checkTrainingCertificate(q.lineage, q.evidence))
        .to.be.revertedWithCustomError(registry, "AttestorRegistryBootStateRequired")
        .withArgs(reg.attestor);
    });

    it("checkQuote, which takes PCR 23 alone, refuses an attestor with an approved boot state: AttestorRegistryBootStateRequired", async function () {
      // Any contract building on checkQuote (as EvaluationRegistry did) would otherwise take the attestor's word below its level.
      const { registry, address } = await registered();
      const q = await run(address, tpm, { bootPcrs: [] });
      const [, , pcrDigest] = await registry.trainingEvents(q.lineage, q.evidence);
      const args = [reg.attestor, q.evidence.certificateDigest, pcrDigest, q.evidence.attest, q.evidence.r, q.evidence.s] as const;
      expect(await registry.checkQuote(...args)).to.equal(true);
      await registry.approveBootState(reg.attestor, goodState, SELECT_0_7, policy);
      await expect(registry.checkQuote(...args))
        .to.be.revertedWithCustomError(registry, "AttestorRegistryBootStateRequired")
        .withArgs(reg.attestor);
    });

    it("checkRunQuote holds any run's quote to the same rules as a training certificate's", async function () {
      const { registry, address } = await approved();
      const q = await run(address);
      const [, pcr] = await registry.trainingEvents(q.lineage, q.evidence);
      const quote = (bootPcrs: string[]) => [reg.attestor, q.evidence.certificateDigest, pcr, bootPcrs, q.evidence.attest, q.evidence.r, q.evidence.s] as const;
      expect(await registry.checkRunQuote(...quote(q.evidence.bootPcrs))).to.equal(true);
      await expect(registry.checkRunQuote(...quote([]))).to.be.revertedWithCustomError(registry, "AttestorRegistryBootStateRequired");
      await registry.withdrawBootState(reg.attestor, goodState);
      await expect(registry.checkRunQuote(...quote(q.evidence.bootPcrs))).to.be.revertedWithCustomError(registry, "AttestorRegistryBootStateWithdrawn");
    });

    it("refuses boot values given beside a quote of PCR 23 alone (the PCRs were never quoted): wrong selection", async function () {
      const { registry, address } = await approved();
      const q = await run(address, tpm, { bootPcrs: [] });
      const withValues = { ...q.evidence, bootPcrs: goodValues.map((v) => `0x${v}`) };
      await expect(registry.checkTrainingCertificate(q.lineage, withValues))
        .to.be.revertedWithCustomError(registry, "AttestorRegistryWrongPcrSelection")
        .withArgs(1n << 23n);
    });

    it("refuses a boot state that covers other PCRs than the quote: AttestorRegistryBootPcrCount or a wrong selection", async function () {
      const { registry, address } = await registered();
      await registry.approveBootState(reg.attestor, goodState, 0x1ff, policy);
      const q = await run(address);
      await expect(registry.checkTrainingCertificate(q.lineage, q.evidence)).to.be.revertedWithCustomError(registry, "AttestorRegistryBootPcrCount").withArgs(9, 8);
    });

    it("refuses boot values that are not what the TPM quoted, even when they are the approved ones: pcrDigest mismatch", async function () {
      const { registry, address } = await approved();
      // PCR 4 extended outside the log after the approval; the attester claims the approved values anyway.
      await tpm.transport.pcrExtend(4, sha("a driver loaded by root").slice(2));
      try {
        const q = await run(address);
        expect(q.bootValues).to.not.deep.equal(goodValues);
        const claimed = { ...q.evidence, bootPcrs: goodValues.map((v) => `0x${v}`) };
        await expect(registry.checkTrainingCertificate(q.lineage, claimed)).to.be.revertedWithCustomError(registry, "AttestorRegistryPcrDigestMismatch");
        // Honest values: a boot state nobody approved.
        await expect(registry.checkTrainingCertificate(q.lineage, q.evidence))
          .to.be.revertedWithCustomError(registry, "AttestorRegistryUnknownBootState")
          .withArgs(reg.attestor, bootStateId(q.bootValues));
      } finally {
        await tpm.reboot();
      }
    });
  });

  describe("tampered boots, each refused on-chain by name", function () {
    // Each boot differs from the approved one in one way; the TPM holds what that boot measured.
    const boots = [
      ["one event altered (another S-CRTM version)", { firmwareVersion: "synthetic firmware 1.0a" }],
      ["Secure Boot off", { secureBoot: false }],
      ["an unapproved kernel", { kernel: "vmlinuz 6.1.0-evil" }],
    ] as const;
    for (const [what, boot] of boots) {
      it(`refuses a quote of a boot with ${what}: AttestorRegistryUnknownBootState`, async function () {
        const { registry, address } = await approved();
        await tpm.reboot(boot);
        try {
          const q = await run(address);
          expect(bootStateId(q.bootValues)).to.not.equal(goodState);
          await expect(registry.checkTrainingCertificate(q.lineage, q.evidence))
            .to.be.revertedWithCustomError(registry, "AttestorRegistryUnknownBootState")
            .withArgs(reg.attestor, bootStateId(q.bootValues));
        } finally {
          await tpm.reboot();
        }
      });
    }

    it("refuses a quote of a PCR extended outside the log: AttestorRegistryUnknownBootState", async function () {
      const { registry, address } = await approved();
      await tpm.transport.pcrExtend(7, sha("extended outside the log").slice(2));
      try {
        const q = await run(address);
        await expect(registry.checkTrainingCertificate(q.lineage, q.evidence))
          .to.be.revertedWithCustomError(registry, "AttestorRegistryUnknownBootState")
          .withArgs(reg.attestor, bootStateId(q.bootValues));
      } finally {
        await tpm.reboot();
      }
    });

    it("refuses the approved boot once its state is withdrawn: AttestorRegistryBootStateWithdrawn", async function () {
      const { registry, address } = await approved();
      const q = await run(address);
      expect(await registry.checkTrainingCertificate(q.lineage, q.evidence)).to.equal(true);
      await registry.withdrawBootState(reg.attestor, goodState);
      const { withdrawnAt } = await registry.bootStateOf(reg.attestor, goodState);
      await expect(registry.checkTrainingCertificate(q.lineage, q.evidence))
        .to.be.revertedWithCustomError(registry, "AttestorRegistryBootStateWithdrawn")
        .withArgs(reg.attestor, goodState, withdrawnAt);
      // Nor can the attestor fall back to PCR 23 alone.
      const fallback = await run(address, tpm, { bootPcrs: [] });
      await expect(registry.checkTrainingCertificate(fallback.lineage, fallback.evidence)).to.be.revertedWithCustomError(registry, "AttestorRegistryBootStateRequired");
    });
  });

  it("measures approval, withdrawal, the boot+pcr23 check and an attested registration, written to gas-report-boot.json", async function () {
    const [, attestor, registrant] = await ethers.getSigners();
    const deployed = await ignition.deploy(ProvenantModule);
    const datasets = deployed.datasetRegistry as any;
    const attestors = deployed.attestorRegistry as any;
    const models = deployed.modelRegistry as any;
    await attestors.register({ ...params(reg), attestor: attestor.address });
    await datasets.connect(registrant).mint({
      root: sha("dataset 1"),
      n: 10n,
      totalSamples: 10n,
      previousVersion: 0n,
      encoding: "files",
      manifestCid: manifestCidBytes(await cidOf(new TextEncoder().encode("dataset manifest"))),
      license: "CC0-1.0",
    });
    const quote = (bootPcrs: number[]) =>
      quotedRun(tpm.transport, {
        chainId,
        attestorRegistry: attestors.target,
        modelRegistry: models.target,
        registrant: registrant.address,
        attestor: attestor.address,
        datasets: [{ datasetId: "1", role: "training", root: sha("dataset 1") }],
        parents: [],
        weightsDigest: randomHex32(),
        bootPcrs,
      });
    const pcr23 = await quote([]);
    const pcr23Check = Number(await attestors.checkTrainingCertificate.estimateGas(pcr23.lineage, pcr23.evidence));
    const approve = Number((await (await attestors.approveBootState(attestor.address, goodState, SELECT_0_7, policy)).wait()).gasUsed);
    const boot = await quote(BOOT_PCRS);
    const bootCheck = Number(await attestors.checkTrainingCertificate.estimateGas(boot.lineage, boot.evidence));
    const modelManifest = manifestCidBytes(await cidOf(new TextEncoder().encode("model manifest")));
    const registerParams = (q: QuotedRun) => ({
      weightsDigest: q.lineage.weightsDigest,
      manifestCid: modelManifest,
      license: "MIT",
      parents: [],
      datasets: q.lineage.datasets.map((d) => ({ datasetId: d.datasetId, role: d.role })),
    });
    const registered = Number((await (await models.connect(registrant).registerAttested(registerParams(boot), boot.evidence, "bafkreicertificate")).wait()).gasUsed);
    expect((await models.modelOf(1n)).provenance).to.equal(1n);
    const second = randomHex32();
    await attestors.approveBootState(attestor.address, second, SELECT_0_7, policy);
    const withdraw = Number((await (await attestors.withdrawBootState(attestor.address, second)).wait()).gasUsed);
    const report = {
      note: "Hardhat EDR (default hardfork), P-256 through the precompile at 0x100; receipts for transactions, estimateGas for views; boot state over PCRs 0-7",
      approveBootState: approve,
      withdrawBootState: withdraw,
      checkTrainingCertificateEstimate: { pcr23: pcr23Check, bootPcr23: bootCheck, bootShare: bootCheck - pcr23Check },
      registerAttestedBootPcr23: registered,
    };
    console.log(`\n    ${JSON.stringify(report)}`);
    await writeFile(REPORT_URL, `${JSON.stringify(report, null, 2)}\n`);
    expect(bootCheck).to.be.greaterThan(pcr23Check);
  });
});
