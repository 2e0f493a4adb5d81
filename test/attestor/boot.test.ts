// The boot+pcr23 trust level end to end, for real: a software TPM "booted" with a synthetic UEFI log extended
// into its PCRs 0-7, the attestor service reading that log, the registry owner appraising and approving the
// boot state through the CLI, a model trained and registered at the boot level, and every certificate check
// (boot checks included) through `verify certificate` and `verify model`. Then the attacks, each as a malicious
// attestor operator would mount it (holding the TPM and the AK's authorization), each a named failure in
// `verify certificate --file` and on-chain: one event altered to hide an unapproved kernel, a PCR extended
// outside the log, Secure Boot off, an unapproved kernel, and a boot state withdrawn after enrollment.
import { execFile } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { expect } from "chai";
import { JsonRpcProvider, Network } from "ethers";
import { openStore } from "../../core/config.ts";
import { networkConfig } from "../../core/chain/networks.ts";
import type { ChainConnection } from "../../core/chain/connect.ts";
import { deployedAddress } from "../../core/chain/deployments.ts";
import { attestedModelRegistry } from "../../core/chain/model-registry.ts";
import type { ModelRegistryAddresses } from "../../core/chain/model-registry.ts";
import { registerAttestedModel } from "../../core/attestor/registration.ts";
import { CERTIFICATE_FORMAT, TRUST_LEVEL_DESCRIPTIONS, computeCertificateDigest, encodeCertificate } from "../../core/attestor/certificate.ts";
import { decodeCertificate } from "../../core/attestor/certificate-loader.ts";
import type { TrainingCertificate, TrainingCertificatePayload } from "../../core/attestor/certificate.ts";
import { CERTIFICATE_CHECKS } from "../../core/attestor/certificate-check.ts";
import { BOOT_CHECKS } from "../../core/attestor/verify-boot.ts";
import { bootPolicyFromLog } from "../../core/attestor/boot-policy.ts";
import { bootStateId } from "../../core/attestor/boot-state.ts";
import type { CertificateBoot } from "../../core/attestor/boot-state.ts";
import { closingEvent, trainingEvents } from "../../core/attestor/pcr-events.ts";
import { bytesToHex, hexToBytes } from "../../core/hex.ts";
import { startSwtpm } from "../../core/tpm/swtpm.ts";
import { createTpm2ToolsTransport } from "../../core/tpm/transport.ts";
import type { TpmTransport } from "../../core/tpm/transport.ts";
import { extendIntoTpm, syntheticBootLog } from "../../scripts/tpm/synthetic-boot-log.ts";
import type { SyntheticBootOptions } from "../../scripts/tpm/synthetic-boot-log.ts";
import { TRAIN, makeDataset, startWorld } from "./world.ts";
import type { World } from "./world.ts";
import { randomHex32 } from "./helpers.ts";

const BOOT_PCRS = [0, 1, 2, 3, 4, 5, 6, 7];
const ALL_CHECKS = [...CERTIFICATE_CHECKS, ...BOOT_CHECKS, "contractVerdict"];

describe("boot+pcr23 trust level end to end (booted swtpm, local chain, service and CLI)", function () {
  this.timeout(900_000);
  let w: World;
  let conn: ChainConnection;
  let addresses: ModelRegistryAddresses;
  let datasetDir: string;
  let codeDir: string;
  let logFile: string;
  let policyFile: string;
  let gen1: { modelId: string; certificateCid: string };
  let cert1: TrainingCertificate;
  let approvedState: string;

  const store = () => openStore("local", w.home);
  const certificateOf = async (cid: string) => decodeCertificate(await store().get(cid));
  const trainArgs = (out: string, name = "boot-net") => [
    "train",
    "--dataset",
    "1:training",
    "--data",
    datasetDir,
    "--code",
    codeDir,
    "--out",
    out,
    "--name",
    name,
    "--version",
    "1.0.0",
    "--license",
    "MIT",
    "--",
    process.execPath,
    TRAIN,
    "--data",
    datasetDir,
    "--out",
    out,
  ];
  const failedNames = (json: { checks: { name: string; ok: boolean }[] }) => json.checks.filter((c) => !c.ok).map((c) => c.name);
  const detailOf = (json: { checks: { name: string; detail: string }[] }, name: string) => json.checks.find((c) => c.name === name)!.detail;

  /** Restart the software TPM on its state (PCRs back to zero, the AK kept), boot it with `options`, restart the service on it. */
  async function reboot(options: SyntheticBootOptions = {}): Promise<void> {
    await w.service.stop();
    await w.swtpm.stop({ removeState: false });
    w.swtpm = await startSwtpm({ stateDir: w.swtpm.stateDir });
    const log = syntheticBootLog(options);
    await extendIntoTpm(w.swtpm.tcti, log.events);
    writeFileSync(logFile, log.bytes);
    await clockSafe(w.swtpm.tcti);
    w.service = await w.startService({ tcti: w.swtpm.tcti });
  }

  /**
   * Wait until the TPM calls its clock safe again: restarted without TPM2_Shutdown, it reports it unsafe until it
   * next saves the clock (libtpms: every few seconds), which would fail a quickly forged certificate's clock check
   * for the restart rather than for what the test changed.
   */
  async function clockSafe(tcti: string): Promise<void> {
    for (;;) {
      const out = await new Promise<string>((resolve, reject) => execFile("tpm2_readclock", ["-T", tcti], (e, o) => (e ? reject(e) : resolve(o))));
      if (/safe:\s*yes/.test(out)) return;
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  /** The TPM with the service's AK, as the machine's root can use it. */
  const operatorTpm = (): TpmTransport => createTpm2ToolsTransport({ tcti: w.swtpm.tcti, stateDir: w.stateDir });

  /**
   * What a malicious operator can make: a certificate for a new model, quoted by the attestor's own AK over the
   * TPM's real PCRs, its boot section as `alter` leaves it (given the values the TPM holds); `bootPcrs: false`
   * quotes PCR 23 alone.
   */
  async function forge(alter: (boot: CertificateBoot) => CertificateBoot = (b) => b, options: { boot?: boolean } = {}): Promise<TrainingCertificate> {
    const tpm = operatorTpm();
    const pl = structuredClone(cert1.payload) as TrainingCertificatePayload;
    pl.run.id = randomHex32();
    pl.outputs.weightsDigest = randomHex32();
    const events = trainingEvents({
      run: {
        chainId: pl.chain.chainId,
        attestorRegistry: pl.chain.attestorRegistry,
        modelRegistry: pl.chain.modelRegistry,
        registrant: pl.run.registrant,
        attestor: pl.attestor.address,
        runId: pl.run.id,
      },
      datasets: pl.inputs.datasets,
      parents: pl.inputs.parents,
      codeDigest: pl.inputs.code.digest,
      commandDigest: pl.inputs.command.digest,
      configDigest: pl.inputs.config.digest,
      environmentDigest: pl.inputs.environment.digest,
      outputDigest: pl.outputs.weightsDigest,
    });
    await tpm.pcrReset(23);
    await tpm.pcrExtend(23, events[0]!.digest);
    pl.run.startedAt = new Date().toISOString();
    const start = await tpm.quote([23], hexToBytes(pl.run.id));
    for (const e of events.slice(1)) await tpm.pcrExtend(23, e.digest);
    pl.eventLog = events;
    pl.run.startQuote = { attest: bytesToHex(start.attest), signature: bytesToHex(start.signature) };
    pl.run.durationMs = 0;
    if (options.boot === false) {
      delete pl.boot;
      pl.attestor.trustLevel = "software-tpm-pcr23";
    } else {
      const held = await tpm.pcrRead(BOOT_PCRS);
      pl.boot = alter({ ...pl.boot!, pcrValues: BOOT_PCRS.map((p) => held[p]!) });
    }
    pl.run.finishedAt = new Date().toISOString();
    const digest = computeCertificateDigest(pl);
    const pcrs = [...(pl.boot?.pcrs ?? []), 23];
    const q = await tpm.quote(pcrs, hexToBytes(digest));
    await tpm.pcrExtend(23, closingEvent(pl.run.id).digest);
    return { format: CERTIFICATE_FORMAT, payload: pl, certificateDigest: digest, quote: { pcrs, attest: bytesToHex(q.attest), signature: bytesToHex(q.signature) } };
  }

  /** `provenant verify certificate --file` of a certificate, and the chain's answer to registering it. */
  async function judge(cert: TrainingCertificate): Promise<{ cli: any; onChain: string }> {
    const file = join(w.work, `forged-${cert.certificateDigest.slice(2, 10)}.json`);
    writeFileSync(file, encodeCertificate(cert));
    const cli = await w.cli(["verify", "certificate", "--file", file]);
    expect(cli.code, cli.stderr).to.equal(1);
    let onChain = "registered";
    try {
      await registerAttestedModel(conn, await conn.signer(), cert, "bafkreiforgedcertificate", { addresses });
    } catch (e) {
      onChain = (e as Error).message;
    }
    return { cli: cli.json, onChain };
  }

  before(async function () {
    w = await startWorld("boot", {
      async beforeService(swtpm, work) {
        const log = syntheticBootLog();
        await extendIntoTpm(swtpm.tcti, log.events);
        logFile = join(work, "binary_bios_measurements");
        policyFile = join(work, "boot-policy.json");
        writeFileSync(logFile, log.bytes);
        writeFileSync(policyFile, `${JSON.stringify(bootPolicyFromLog(log.bytes, "synthetic-debian-12"), null, 2)}\n`);
        return { PROVENANT_BOOT_POLICY: policyFile, PROVENANT_BOOT_LOG: logFile };
      },
    });
    const provider = new JsonRpcProvider(w.chain.url, 31337, { staticNetwork: Network.from(31337) });
    conn = { network: networkConfig("localhost"), chainId: 31337, provider, signer: async () => provider.getSigner(0) };
    const saved = process.env.PROVENANT_DEPLOYMENT_ID;
    process.env.PROVENANT_DEPLOYMENT_ID = w.chain.deploymentId;
    addresses = {
      modelRegistry: w.modelRegistry,
      datasetRegistry: deployedAddress(31337, "DatasetRegistry"),
      attestorRegistry: deployedAddress(31337, "AttestorRegistry"),
    };
    if (saved === undefined) delete process.env.PROVENANT_DEPLOYMENT_ID;
    else process.env.PROVENANT_DEPLOYMENT_ID = saved;
    datasetDir = makeDataset(join(w.work, "data"), 20);
    codeDir = join(w.work, "code");
    mkdirSync(codeDir, { recursive: true });
    writeFileSync(join(codeDir, "train.ts"), readFileSync(TRAIN));
    const minted = await w.cli(["dataset", "mint", datasetDir, "--name", "Samples", "--license", "CC0-1.0"]);
    expect(minted.code, minted.stderr).to.equal(0);
  });

  after(async function () {
    (conn?.provider as JsonRpcProvider | undefined)?.destroy();
    await w?.stop();
  });

  it("enrolls the booted software TPM, and refuses to train before the owner approved its boot state", async function () {
    const r = await w.cli(["attestor", "enroll", "--service", w.service.url]);
    expect(r.code, r.stderr + r.stdout).to.equal(0);
    // A PCR-23-only attestor so far: the contract accepts the boot quote only for an approved state.
    const t = await w.cli(trainArgs(join(w.work, "never-unapproved")));
    expect(t.code).to.equal(1);
    expect(t.json.error.code).to.equal("CERTIFICATE_INVALID");
    expect(t.json.error.message).to.match(/^AttestorRegistry refuses: AttestorRegistryUnknownBootState\(/);
  });

  it("approve-boot: the owner appraises the attestor's log, values and quote against the owner's policy, then approves on-chain", async function () {
    const dry = await w.cli(["attestor", "approve-boot", "--policy", policyFile, "--no-approve"]);
    expect(dry.code, dry.stderr + dry.stdout).to.equal(0);
    expect(dry.json.checks.map((c: { name: string; ok: boolean }) => [c.name, c.ok])).to.deep.equal(
      ["bootEvidence", "bootQuote", "bootPolicy", "bootLog", "bootLogReplay", ...BOOT_CHECKS.slice(4)].map((n) => [n, true]),
    );
    expect(dry.json.approved).to.equal(false);
    const r = await w.cli(["attestor", "approve-boot", "--policy", policyFile]);
    expect(r.code, r.stderr + r.stdout).to.equal(0);
    expect(r.json).to.include({ approved: true, pcrSelect: 0xff });
    approvedState = r.json.bootState;
    const status = await w.cli(["attestor", "status"]);
    expect(status.json.bootStateRequired).to.equal(true);
  });

  it("trains at the boot+pcr23 level: the certificate carries the boot log and policy, the quote covers PCRs 0-7 and 23", async function () {
    const r = await w.cli(trainArgs(join(w.work, "gen1")));
    expect(r.code, r.stderr + r.stdout).to.equal(0);
    expect(r.json).to.include({ ok: true, state: "registered" });
    gen1 = { modelId: r.json.modelId, certificateCid: r.json.certificateCid };
    cert1 = await certificateOf(gen1.certificateCid);
    expect(cert1.payload.attestor.trustLevel).to.equal("software-tpm-boot+pcr23");
    expect(cert1.quote.pcrs).to.deep.equal([...BOOT_PCRS, 23]);
    expect(cert1.payload.boot!.policy.name).to.equal("synthetic-debian-12");
    expect(bootStateId(cert1.payload.boot!.pcrValues)).to.equal(approvedState);
    expect(Buffer.from(cert1.payload.boot!.eventLog, "base64")).to.deep.equal(readFileSync(logFile));
  });

  it("verify certificate passes every check, the boot checks included, and says what the level is worth", async function () {
    const r = await w.cli(["verify", "certificate", gen1.modelId]);
    expect(r.code, r.stdout).to.equal(0);
    expect(r.json.checks.map((c: { name: string }) => c.name)).to.deep.equal(ALL_CHECKS);
    for (const c of r.json.checks) expect(c.ok, `${c.name}: ${c.detail}`).to.equal(true);
    expect(r.json.trust).to.deep.equal(TRUST_LEVEL_DESCRIPTIONS["software-tpm-boot+pcr23"]);
    expect(detailOf(r.json, "bootPolicy")).to.contain('boot policy "synthetic-debian-12"');
    const text = await new Promise<string>((resolve) =>
      execFile(process.execPath, [join(process.cwd(), "cli", "provenant.ts"), "verify", "certificate", gen1.modelId], { env: { ...process.env, ...w.env } }, (_e, out) =>
        resolve(out),
      ),
    );
    expect(text).to.contain("VERIFIED, at trust level software-tpm-boot+pcr23");
    expect(text).to.contain('boot policy "synthetic-debian-12", boot PCRs 0, 1, 2, 3, 4, 5, 6, 7');
  });

  it("verify model runs the boot checks for the attested model, and verify certificate --file agrees before registration", async function () {
    const r = await w.cli(["verify", "model", gen1.modelId]);
    expect(r.code, r.stdout).to.equal(0);
    const names = r.json.checks.filter((c: { node: string }) => c.node === `model:${gen1.modelId}`).map((c: { check: string }) => c.check);
    expect(names).to.include.members(BOOT_CHECKS.map((n) => `model.certificate.${n}`));
    expect(r.json.certificates[`model:${gen1.modelId}`]).to.include({ ok: true, trustLevel: "software-tpm-boot+pcr23" });
    // The same file, checked against the chain as a certificate not yet registered.
    const file = join(w.work, "gen1-certificate.json");
    writeFileSync(file, encodeCertificate(cert1));
    const f = await w.cli(["verify", "certificate", "--file", file]);
    expect(f.code, f.stdout).to.equal(0);
    expect(f.json.checks.map((c: { name: string }) => c.name)).to.deep.equal(ALL_CHECKS);
  });

  describe("attacks, each a named failure in the CLI and on-chain", function () {
    it("a PCR extended outside the log: the attestor refuses to train; a forged certificate fails bootLogReplay and bootStateApproved, and the chain says AttestorRegistryUnknownBootState", async function () {
      await operatorTpm().pcrExtend(7, "ab".repeat(32));
      const t = await w.cli(trainArgs(join(w.work, "never-extended")));
      expect(t.code).to.equal(1);
      expect(t.json.error.message).to.match(/PCR 7 is [0-9a-f]{64}, but the boot event log replays to [0-9a-f]{64}: something was extended outside the log/);
      const { cli, onChain } = await judge(await forge());
      expect(failedNames(cli)).to.deep.equal(["bootStateApproved", "bootPolicy", "bootLogReplay", "contractVerdict"]);
      expect(detailOf(cli, "bootLogReplay")).to.match(/^PCR 7 was [0-9a-f]{64} when quoted, but the boot event log replays to/);
      expect(onChain).to.contain("the contract refused with AttestorRegistryUnknownBootState(");
    });

    it("one event altered (the log shows the approved kernel, the TPM measured another): bootLogReplay; claiming the approved values instead fails pcrReplay; on-chain UnknownBootState or PcrDigestMismatch", async function () {
      await reboot({ kernel: "vmlinuz 6.1.0-rootkit" });
      const goodLog = syntheticBootLog().bytes;
      const hidden = await forge((b) => ({ ...b, eventLog: Buffer.from(goodLog).toString("base64") }));
      const a = await judge(hidden);
      expect(failedNames(a.cli)).to.deep.equal(["bootStateApproved", "bootPolicy", "bootLogReplay", "contractVerdict"]);
      expect(detailOf(a.cli, "bootLogReplay")).to.match(/^PCR 4 was [0-9a-f]{64} when quoted, but the boot event log replays to/);
      expect(a.onChain).to.contain("AttestorRegistryUnknownBootState(");
      // The same, with the approved values claimed: every boot check passes, but the quote is not over them.
      const claimed = await forge((b) => ({ ...b, eventLog: Buffer.from(goodLog).toString("base64"), pcrValues: cert1.payload.boot!.pcrValues }));
      const c = await judge(claimed);
      expect(failedNames(c.cli)).to.deep.equal(["pcrReplay", "contractVerdict"]);
      expect(c.onChain).to.contain("AttestorRegistryPcrDigestMismatch(");
    });

    it("an unapproved kernel, logged honestly: the attestor refuses; a forged certificate fails bootApplications; on-chain UnknownBootState", async function () {
      // Still booted with the rootkit kernel from the test before.
      const t = await w.cli(trainArgs(join(w.work, "never-kernel")));
      expect(t.code).to.equal(1);
      expect(t.json.error.message).to.match(
        /the boot does not pass boot policy "synthetic-debian-12": bootApplications: the kernel \(Authenticode SHA-256 [0-9a-f]{64}\) is not one the policy allows/,
      );
      const { cli, onChain } = await judge(await forge((b) => ({ ...b, eventLog: readFileSync(logFile).toString("base64") })));
      expect(failedNames(cli)).to.deep.equal(["bootStateApproved", "bootPolicy", "bootApplications", "contractVerdict"]);
      expect(onChain).to.contain("AttestorRegistryUnknownBootState(");
    });

    it("Secure Boot off: approve-boot refuses it, the attestor refuses; a forged certificate fails bootSecureBoot; on-chain UnknownBootState", async function () {
      await reboot({ secureBoot: false });
      const approve = await w.cli(["attestor", "approve-boot", "--policy", policyFile]);
      expect(approve.code).to.equal(1);
      expect(failedNames(approve.json)).to.deep.equal(["bootSecureBoot"]);
      const t = await w.cli(trainArgs(join(w.work, "never-sb")));
      expect(t.code).to.equal(1);
      expect(t.json.error.message).to.contain("bootSecureBoot: Secure Boot was off; the policy requires it on");
      const { cli, onChain } = await judge(await forge((b) => ({ ...b, eventLog: readFileSync(logFile).toString("base64") })));
      expect(failedNames(cli)).to.deep.equal(["bootStateApproved", "bootPolicy", "bootSecureBoot", "contractVerdict"]);
      expect(onChain).to.contain("AttestorRegistryUnknownBootState(");
    });

    it("a boot state withdrawn after enrollment: the registered model fails bootStateApproved, new runs are refused on-chain, and PCR 23 alone is no way around it", async function () {
      await reboot();
      const before = await w.cli(["verify", "certificate", gen1.modelId]);
      expect(before.code, before.stdout).to.equal(0);
      const withdraw = await w.cli(["attestor", "withdraw-boot", cert1.payload.attestor.address, approvedState]);
      expect(withdraw.code, withdraw.stderr).to.equal(0);
      const after = await w.cli(["verify", "certificate", gen1.modelId]);
      expect(after.code).to.equal(1);
      expect(failedNames(after.json)).to.deep.equal(["bootStateApproved", "contractVerdict"]);
      expect(detailOf(after.json, "bootStateApproved")).to.match(new RegExp(`^boot state ${approvedState}: withdrawn at \\d{4}-`));
      expect(detailOf(after.json, "contractVerdict")).to.contain("AttestorRegistryBootStateWithdrawn(");
      const t = await w.cli(trainArgs(join(w.work, "never-withdrawn")));
      expect(t.code).to.equal(1);
      expect(t.json.error.message).to.match(/^AttestorRegistry refuses: AttestorRegistryBootStateWithdrawn\(/);
      const fallback = await judge(await forge(undefined, { boot: false }));
      expect(failedNames(fallback.cli)).to.deep.equal(["trustLevel", "contractVerdict"]);
      expect(fallback.onChain).to.contain("AttestorRegistryBootStateRequired(");
      expect(await attestedModelRegistry(addresses.modelRegistry, conn.provider).totalRegistered()).to.equal(1n);
    });
  });
});
