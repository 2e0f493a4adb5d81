// The attestor end to end, for real: a software TPM with an EK certificate from its local CA, a local chain,
// the service as a process, the CLI as a user types it. Enrolls the TPM, trains two generations under the
// attestor, verifies both certificates, has tpm2_checkquote accept the quotes, tampers with every field of
// a real certificate, and writes the golden certificate (UPDATE_GOLDEN=1).
import { expect } from "chai";
import { cpSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { JsonRpcProvider, Network } from "ethers";
import { openStore } from "../../core/config.ts";
import { networkConfig } from "../../core/chain/networks.ts";
import type { ChainConnection } from "../../core/chain/connect.ts";
import { deployedAddress } from "../../core/chain/deployments.ts";
import { AttestorRegistryClient } from "../../core/chain/attestor-registry.ts";
import { attestedModelRegistry, readModelRecord, type ModelRegistryAddresses } from "../../core/chain/model-registry.ts";
import { lineageFromFacts, readCertificateFacts } from "../../core/attestor/registration.ts";
import { TRUST_LEVEL_DESCRIPTIONS } from "../../core/attestor/certificate.ts";
import { certificateEvidence } from "../../core/attestor/certificate-onchain.ts";
import { decodeCertificate, parseCertificate } from "../../core/attestor/certificate-loader.ts";
import type { TrainingCertificate } from "../../core/attestor/certificate.ts";
import { CERTIFICATE_CHECKS, verifyTrainingCertificate } from "../../core/attestor/certificate-check.ts";
import type { ChainFacts } from "../../core/attestor/chain-facts.ts";
import { replayTrainingPcr } from "../../core/attestor/pcr-events.ts";
import { hexToBytes } from "../../core/hex.ts";
import { parseTpm2bPublic } from "../../core/tpm/public.ts";
import { ecPublicKeyFromTpmtPublic, publicKeyToPem } from "../../core/tpm/quote-check.ts";
import { REPO } from "../helpers/local-chain.ts";
import { runCli } from "../../scripts/lib/cli.ts";
import { TRAIN, checkquote, makeDataset, startWorld, trainArgs as worldTrainArgs } from "./world.ts";
import type { World } from "./world.ts";
import { GOLDEN_PATH, leafTampers } from "./tamper.ts";
import type { GoldenCertificate } from "./tamper.ts";

describe("attestor end to end (real swtpm, local chain, service and CLI)", function () {
  this.timeout(600_000);
  let w: World;
  let conn: ChainConnection;
  let addresses: ModelRegistryAddresses;
  let datasetDir: string;
  let gen1Dir: string;
  let gen2Dir: string;
  let codeDir: string;
  let gen1: { modelId: string; certificateCid: string };
  let gen2: { modelId: string; certificateCid: string };

  const trainArgs = (p: Omit<Parameters<typeof worldTrainArgs>[0], "code"> & { code?: string }) => worldTrainArgs({ ...p, code: p.code ?? codeDir });

  const store = () => openStore("local", w.home);
  const certificateOf = async (cid: string) => decodeCertificate(await store().get(cid));

  before(async function () {
    w = await startWorld("e2e");
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
    datasetDir = makeDataset(join(w.work, "data"), 40);
    gen1Dir = join(w.work, "gen1");
    gen2Dir = join(w.work, "gen2");
    codeDir = join(w.work, "code");
    mkdirSync(codeDir, { recursive: true });
    cpSync(TRAIN, join(codeDir, "train.ts"));
    const minted = await w.cli(["dataset", "mint", datasetDir, "--name", "Samples", "--license", "CC0-1.0"]);
    expect(minted.code, minted.stderr).to.equal(0);
    expect(minted.json.datasetId).to.equal("1");
  });

  after(async function () {
    (conn?.provider as JsonRpcProvider | undefined)?.destroy();
    await w?.stop();
  });

  it("refuses to enroll a TPM whose EK certificate does not chain to the configured root, and registers nothing", async function () {
    const otherRoot = join(w.work, "other-root.pem");
    // Another swtpm local CA's root (same subject, other key): it did not sign this TPM's EK chain.
    writeFileSync(otherRoot, JSON.parse(readFileSync(join(REPO, "test", "tpm", "vectors", "quote-pcr23.json"), "utf8")).caRootPem);
    const r = await w.cli(["attestor", "enroll", "--service", w.service.url, "--ek-root", otherRoot]);
    expect(r.code).to.equal(1);
    const chainCheck = r.json.checks.find((c: { name: string }) => c.name === "ekCertificateChain");
    expect(chainCheck.ok).to.equal(false);
    expect(r.json.checks.find((c: { name: string }) => c.name === "credentialActivated").ok).to.equal(false);
    const registry = new AttestorRegistryClient(addresses.attestorRegistry, conn.provider, 31337);
    expect(await registry.contract.totalRegistered()).to.equal(0n);
  });

  it("enrolls the software TPM through the service: EK chain, AK attributes, credential activation, then on-chain", async function () {
    const r = await w.cli(["attestor", "enroll", "--service", w.service.url]);
    expect(r.code, r.stderr + r.stdout).to.equal(0);
    expect(r.json.checks.map((c: { name: string; ok: boolean }) => [c.name, c.ok])).to.deep.equal([
      ["ekCertificateParsed", true],
      ["ekCertificateChain", true],
      ["ekCertificateValidity", true],
      ["ekPublicKey", true],
      ["akPublicParsed", true],
      ["akAlgorithm", true],
      ["akAttributes", true],
      ["akName", true],
      ["akPublicKeyMatches", true],
      ["credentialActivated", true],
    ]);
    expect(r.json.registration.kind).to.equal("software");
    const status = await w.cli(["attestor", "status"]);
    expect(status.code, status.stderr).to.equal(0);
    expect(status.json).to.include({ ok: true, kind: "software", revokedAt: 0 });
    expect(status.json.health.attestor.enrolled).to.equal(true);
  });

  it("enrolls in two steps too: the attestor writes a request, the registry verifies it (service or local TPM)", async function () {
    const file = join(w.work, "enrollment-request.json");
    const made = await w.cli(["attestor", "enroll", "--service", w.service.url, "--request-only", "--request-out", file]);
    expect(made.code, made.stderr).to.equal(0);
    expect(JSON.parse(readFileSync(file, "utf8")).format).to.equal("provenant-attestor-enrollment-v1");
    const viaService = await w.cli(["attestor", "enroll", "--request", file, "--service", w.service.url, "--no-register"]);
    expect(viaService.code, viaService.stdout).to.equal(0);
    expect(viaService.json).to.include({ ok: true, registered: false });
    // The same TPM driven directly with tpm2-tools (the service is idle): the AK record is the service's.
    const local = await w.cli(["attestor", "enroll", "--tcti", w.swtpm.tcti, "--state-dir", w.stateDir, "--no-register"]);
    expect(local.code, local.stdout).to.equal(0);
    expect(local.json.checks.every((c: { ok: boolean }) => c.ok)).to.equal(true);
  });

  it("trains generation 1 under the attestor, streams its output, and registers it attested in one transaction", async function () {
    const r = await w.cli(trainArgs({ data: datasetDir, out: gen1Dir, name: "samples-net", version: "1.0.0" }));
    expect(r.code, r.stderr + r.stdout).to.equal(0);
    expect(r.json).to.include({ ok: true, state: "registered", modelId: "1" });
    expect(r.stderr).to.contain("epoch 3/3");
    gen1 = { modelId: r.json.modelId, certificateCid: r.json.certificateCid };
    const models = attestedModelRegistry(addresses.modelRegistry, conn.provider);
    const record = await models.modelOf(1n);
    expect(record.provenance).to.equal(1n);
    expect((await readModelRecord(models, 1n)).registered.certificateCid).to.equal(gen1.certificateCid);
    expect(record.certificateDigest).to.equal(r.json.certificateDigest);
    const cert = await certificateOf(gen1.certificateCid);
    expect(cert.payload.inputs.code.kind).to.equal("directory");
    expect(cert.payload.attestor.trustLevel).to.equal("software-tpm-pcr23");
  });

  it("verify certificate passes every named check of generation 1", async function () {
    const r = await w.cli(["verify", "certificate", gen1.modelId]);
    expect(r.code, r.stderr + r.stdout).to.equal(0);
    expect(r.json.checks.map((c: { name: string }) => c.name)).to.deep.equal([...CERTIFICATE_CHECKS, "contractVerdict"]);
    for (const c of r.json.checks) expect(c.ok, `${c.name}: ${c.detail}`).to.equal(true);
    expect(r.json.trust).to.deep.equal(TRUST_LEVEL_DESCRIPTIONS["software-tpm-pcr23"]);
    // In text, "VERIFIED" comes with what a software TPM's certificate is worth.
    const text = await runCli(["verify", "certificate", gen1.modelId], w.env, { json: false });
    expect(text.code, text.stdout).to.equal(0);
    expect(text.stdout).to.contain("VERIFIED, at trust level software-tpm-pcr23: software TPM, for development and demos only");
    expect(text.stdout).to.contain(`What that is worth: ${TRUST_LEVEL_DESCRIPTIONS["software-tpm-pcr23"].meaning}`);
  });

  it("has tpm2_checkquote accept the quotes the attestor makes (final and start)", async function () {
    const cert = await certificateOf(gen1.certificateCid);
    const dir = join(w.work, "checkquote");
    mkdirSync(dir, { recursive: true });
    const akPem = join(dir, "ak.pem");
    writeFileSync(akPem, akPemOf(cert));
    const check = async (attest: string, signature: string, events: number, nonce: string) => {
      writeFileSync(join(dir, "quote.msg"), Buffer.from(attest, "hex"));
      writeFileSync(join(dir, "quote.sig"), Buffer.from(signature, "hex"));
      writeFileSync(join(dir, "pcrs.bin"), Buffer.from(replayTrainingPcr(cert.payload.eventLog.slice(0, events)).pcr, "hex"));
      return checkquote([
        "-u",
        akPem,
        "-m",
        join(dir, "quote.msg"),
        "-s",
        join(dir, "quote.sig"),
        "-f",
        join(dir, "pcrs.bin"),
        "-l",
        "sha256:23",
        "-g",
        "sha256",
        "-q",
        nonce,
      ]);
    };
    const final = await check(cert.quote.attest, cert.quote.signature, cert.payload.eventLog.length, cert.certificateDigest.slice(2));
    expect(final.code, final.stderr).to.equal(0);
    const start = await check(cert.payload.run.startQuote.attest, cert.payload.run.startQuote.signature, 1, cert.payload.run.id.slice(2));
    expect(start.code, start.stderr).to.equal(0);
    const wrongNonce = await check(cert.quote.attest, cert.quote.signature, cert.payload.eventLog.length, "00".repeat(32));
    expect(wrongNonce.code).to.not.equal(0);
  });

  it("trains generation 2 from generation 1 and the dataset, in a git work tree, and both lineage edges are attested", async function () {
    const r = await w.cli(
      trainArgs({
        data: datasetDir,
        out: gen2Dir,
        name: "samples-net",
        version: "2.0.0",
        parent: gen1.modelId,
        parentWeights: gen1Dir,
        code: join(REPO, "test", "attestor", "fixtures"),
      }),
    );
    expect(r.code, r.stderr + r.stdout).to.equal(0);
    expect(r.json).to.include({ ok: true, state: "registered", modelId: "2" });
    gen2 = { modelId: r.json.modelId, certificateCid: r.json.certificateCid };
    const cert = await certificateOf(gen2.certificateCid);
    expect(cert.payload.inputs.code.kind).to.equal("git");
    expect(cert.payload.inputs.parents).to.deep.equal([
      { modelId: "1", relation: "finetune", weightsDigest: (await attestedModelRegistry(addresses.modelRegistry, conn.provider).modelOf(1n)).weightsDigest },
    ]);
    const v = await w.cli(["verify", "certificate", gen2.modelId]);
    expect(v.code, v.stdout).to.equal(0);
    expect(v.json.checks.every((c: { ok: boolean }) => c.ok)).to.equal(true);
  });

  it("verify model includes both certificates' checks for the attested generations, in its tree and --json", async function () {
    const r = await w.cli(["verify", "model", gen2.modelId, "--weights", gen2Dir]);
    expect(r.code, r.stderr + r.stdout).to.equal(0);
    expect(r.json).to.include({ format: "provenant-verify-v1", ok: true });
    expect(r.json.summary).to.include({ failed: 0, skipped: 0 });
    for (const node of ["model:1", "model:2"]) {
      const names = r.json.checks.filter((c: { node: string }) => c.node === node).map((c: { check: string }) => c.check);
      expect(names).to.include.members([...CERTIFICATE_CHECKS, "contractVerdict"].map((n) => `model.certificate.${n}`));
      expect(r.json.certificates[node]).to.include({ ok: true, failed: 0, trustLevel: "software-tpm-pcr23" });
    }
    expect(r.json.certificates["model:2"].certificateCid).to.equal(gen2.certificateCid);
    const text = await runCli(["verify", "model", gen2.modelId], w.env, { json: false });
    expect(text.code, text.stdout).to.equal(0);
    const software = TRUST_LEVEL_DESCRIPTIONS["software-tpm-pcr23"];
    expect(text.stdout).to.contain(
      `✓ training certificate ipfs://${gen2.certificateCid} (software-tpm-pcr23: ${software.summary}): ${CERTIFICATE_CHECKS.length + 1} checks passed`,
    );
    expect(text.stdout).to.contain(
      `✓ training certificate ipfs://${gen1.certificateCid} (software-tpm-pcr23: ${software.summary}): ${CERTIFICATE_CHECKS.length + 1} checks passed`,
    );
    // What a PCR-23-only certificate is worth, said once below the tree, in words.
    expect(text.stdout.split(software.meaning)).to.have.length(2);
    expect(software.meaning).to.match(/could have made this certificate for a run that never happened/);
  });

  it("refuses to train when the local dataset is not the on-chain one, before extending a PCR or sending a transaction", async function () {
    const altered = makeDataset(join(w.work, "altered"), 40);
    writeFileSync(join(altered, "s0000.txt"), "changed\n");
    const before = (await w.cli(["attestor", "status"])).json;
    const r = await w.cli(trainArgs({ data: altered, out: join(w.work, "never"), name: "x", version: "1.0.0" }));
    expect(r.code).to.equal(1);
    expect(r.json.state).to.equal("failed");
    expect(r.json.error.code).to.equal("ROOT_MISMATCH");
    expect(before.ok).to.equal(true);
    expect(await attestedModelRegistry(addresses.modelRegistry, conn.provider).totalRegistered()).to.equal(2n);
  });

  it("refuses to train when the parent's weights are not the on-chain ones", async function () {
    const fake = join(w.work, "fake-parent");
    mkdirSync(fake, { recursive: true });
    writeFileSync(join(fake, "model.bin"), "not the weights");
    const r = await w.cli(trainArgs({ data: datasetDir, out: join(w.work, "never2"), name: "x", version: "1.0.0", parent: "1", parentWeights: fake }));
    expect(r.code).to.equal(1);
    expect(r.json.error.code).to.equal("WEIGHTS_MISMATCH");
  });

  it("refuses a data folder holding entries the root does not commit to, and certifies it once they are accepted, listing them", async function () {
    // The dataset's files plus a link out of the folder and a hidden file: the same root, but the command reads more.
    const extended = join(w.work, "data-extended");
    cpSync(datasetDir, extended, { recursive: true });
    symlinkSync("/etc/hostname", join(extended, "outside"));
    writeFileSync(join(extended, ".notes"), "uncommitted training data\n");
    const args = (accept: string[], out: string) => ["train", ...accept, ...trainArgs({ data: extended, out, name: "skips-net", version: "1.0.0" }).slice(1)];
    const refused = await w.cli(args([], join(w.work, "never-skips")));
    expect(refused.code).to.equal(1);
    expect(refused.json.error.code).to.equal("DATASET_SKIPPED_ENTRIES");
    expect(refused.json.error.message).to.match(/\.notes \(hidden\), outside \(symlink\)/);
    const partly = await w.cli(args(["--accept-skipped", "1:symlink:outside"], join(w.work, "never-skips")));
    expect(partly.json.error.code).to.equal("DATASET_SKIPPED_ENTRIES");
    const r = await w.cli(args(["--accept-skipped", "1:symlink:outside", "--accept-skipped", "1:hidden"], join(w.work, "skips")));
    expect(r.code, r.stderr + r.stdout).to.equal(0);
    expect(r.json).to.include({ ok: true, state: "registered" });
    const cert = await certificateOf(r.json.certificateCid);
    expect(cert.payload.inputs.datasets[0]!.acceptedSkips).to.deep.equal([
      { path: ".notes", reason: "hidden" },
      { path: "outside", reason: "symlink" },
    ]);
    const v = await w.cli(["verify", "certificate", r.json.modelId]);
    expect(v.code, v.stdout).to.equal(0);
    const roots = v.json.checks.find((c: { name: string }) => c.name === "datasetRoots");
    expect(roots).to.include({ ok: true });
    expect(roots.detail).to.match(/2 accepted entries that are not samples: \.notes \(hidden\), outside \(symlink\)/);
    // The certificate of a clean folder has no such field: older certificates keep their digest.
    expect(Object.keys((await certificateOf(gen1.certificateCid)).payload.inputs.datasets[0]!)).to.not.include("acceptedSkips");
  });

  describe("every field of a real certificate tampered with", function () {
    let cert: TrainingCertificate;
    let facts: ChainFacts;
    let roots: string[];

    before(async function () {
      cert = await certificateOf(gen2.certificateCid);
      facts = await readCertificateFacts(conn, cert, { modelId: gen2.modelId, addresses });
      roots = [w.swtpm.caCertPem];
      const v = verifyTrainingCertificate({ certificate: cert, facts, roots });
      expect(v.ok, JSON.stringify(v.checks.filter((c) => !c.ok))).to.equal(true);
      if (process.env.UPDATE_GOLDEN) {
        const golden: GoldenCertificate = {
          format: "provenant-training-certificate-golden-v1",
          description: "A training certificate from a real swtpm run (generation 2: one dataset, one parent), the chain facts it was verified against, and the EK root",
          createdAt: new Date().toISOString(),
          certificate: cert,
          facts,
          roots,
        };
        writeFileSync(GOLDEN_PATH, `${JSON.stringify(golden, null, 2)}\n`);
      }
    });

    it("is rejected by the library, one failed check or more for each tamper", async function () {
      const tampers = leafTampers(cert);
      expect(tampers.length).to.be.greaterThan(100);
      for (const t of tampers) {
        const v = verifyTrainingCertificate({ certificate: t.value, facts, roots });
        expect(v.ok, `tamper ${t.path} was accepted`).to.equal(false);
      }
      console.log(`      ${tampers.length} tampers, every one refused`);
    });

    it("and by the contract for every tamper that reaches what it checks", async function () {
      const registry = new AttestorRegistryClient(addresses.attestorRegistry, conn.provider, 31337);
      const input = (c: unknown) => {
        const parsed = parseCertificate(c);
        return {
          lineage: { ...lineageFromFacts(parsed, facts, facts.model!.registrant), weightsDigest: parsed.payload.outputs.weightsDigest },
          evidence: certificateEvidence(parsed),
        };
      };
      const original = input(cert);
      expect((await registry.checkTrainingCertificate(original.lineage, original.evidence)).ok).to.equal(true);
      const key = (x: unknown) => JSON.stringify(x, (_k, v) => (typeof v === "bigint" ? v.toString() : v));
      let checked = 0;
      for (const t of leafTampers(cert)) {
        let i;
        try {
          i = input(t.value);
        } catch {
          continue; // not even a certificate: nothing reaches the contract
        }
        if (key(i) === key(original)) continue;
        checked++;
        const verdict = await registry.checkTrainingCertificate(i.lineage, i.evidence);
        expect(verdict.ok, `tamper ${t.path} was accepted by the contract`).to.equal(false);
      }
      // The ones that change the on-chain inputs: run id, the four input digests, output digest, certificate
      // digest, quote bytes and signature, the attestor, the dataset and parent ids, role and relation.
      expect(checked).to.be.greaterThanOrEqual(12);
      console.log(`      ${checked} tampers reached the contract's inputs; every one was refused`);
    });
  });

  describe("revocation", function () {
    it("revokes the attestor: its certificates stop verifying and its runs are refused", async function () {
      const status = await w.cli(["attestor", "status"]);
      const revoked = await w.cli(["attestor", "revoke", status.json.address]);
      expect(revoked.code, revoked.stderr).to.equal(0);
      const v = await w.cli(["verify", "certificate", gen1.modelId]);
      expect(v.code).to.equal(1);
      const failed = v.json.checks.filter((c: { ok: boolean }) => !c.ok).map((c: { name: string }) => c.name);
      expect(failed).to.deep.equal(["attestorRegistered", "contractVerdict"]);
      const tree = await w.cli(["verify", "model", gen1.modelId]);
      expect(tree.code).to.equal(1);
      expect(tree.json.checks.filter((c: { status: string }) => c.status === "fail").map((c: { node: string; check: string }) => `${c.node} ${c.check}`)).to.deep.equal([
        "model:1 model.certificate.attestorRegistered",
        "model:1 model.certificate.contractVerdict",
      ]);
      const r = await w.cli(trainArgs({ data: datasetDir, out: join(w.work, "never3"), name: "x", version: "1.0.0" }));
      expect(r.code).to.equal(1);
      expect(r.json.error.code).to.equal("NOT_ENROLLED");
      const again = await w.cli(["attestor", "status", status.json.address]);
      expect(again.code).to.equal(1);
      expect(again.json.revokedAt).to.be.greaterThan(0);
    });
  });
});

/** The AK's SubjectPublicKeyInfo PEM from the certificate's TPM2B_PUBLIC, as a verifier derives it. */
function akPemOf(cert: TrainingCertificate): string {
  return publicKeyToPem(ecPublicKeyFromTpmtPublic(parseTpm2bPublic(hexToBytes(cert.payload.attestor.akPublic))));
}
