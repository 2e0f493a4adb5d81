// Attested evaluations end to end, for real: a software TPM, a local chain, the attestor service as a process and
// the CLI as a user types it. Evaluates a registered model on a minted dataset under the attestor, verifies the
// evaluation (verify certificate --evaluation, verify model), and mounts each attack on an evaluation: metrics
// swapped after the quote, weights that are not the model's, data that is not the dataset's, a certificate
// presented for another model, a quote from a TPM that was never enrolled.
import { expect } from "chai";
import { cpSync, existsSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { Contract, JsonRpcProvider, Network } from "ethers";
import { openStore } from "../../core/config.ts";
import { networkConfig } from "../../core/chain/networks.ts";
import type { ChainConnection } from "../../core/chain/connect.ts";
import { EvaluationRegistryClient } from "../../core/chain/evaluation-registry.ts";
import { AttestorRegistryClient } from "../../core/chain/attestor-registry.ts";
import { readEvaluationFacts } from "../../core/attestor/evaluation-results.ts";
import { deployedAddress } from "../../core/chain/deployments.ts";
import { decodeEvaluationCertificate, computeEvaluationCertificateDigest } from "../../core/attestor/evaluation-certificate.ts";
import type { EvaluationCertificate } from "../../core/attestor/evaluation-certificate.ts";
import { metricsDigestOf } from "../../core/attestor/evaluation-metrics.ts";
import { EVALUATION_CHECKS, verifyEvaluationCertificate } from "../../core/attestor/evaluation-verify.ts";
import type { EvaluationChainFacts, EvaluationVerification } from "../../core/attestor/evaluation-verify.ts";
import { loadEkRoots } from "../../core/attestor/model-certificate-check.ts";
import { AttestorClient } from "../../core/attestor/client.ts";
import { modelRegistryAbi } from "../../core/chain/abi.generated.ts";
import { manifestCidBytes } from "../../core/chain/manifest-cid.ts";
import { REPO } from "../helpers/local-chain.ts";
import { runCli } from "../../scripts/lib/cli.ts";
import { makeDataset, startServiceProcess, startWorld } from "./world.ts";
import type { World } from "./world.ts";
import { startSwtpm } from "../../core/tpm/swtpm.ts";
import { randomHex32, sha } from "./helpers.ts";

const EVALUATE = join(REPO, "test", "attestor", "fixtures", "evaluate.ts");

describe("attested evaluations end to end (real swtpm, local chain, service and CLI)", function () {
  this.timeout(600_000);
  let w: World;
  let conn: ChainConnection;
  let dataDir: string;
  let weightsDir: string;
  let codeDir: string;
  let evaluation: { evaluationId: string; certificateCid: string; accuracy: number };
  let certificate: EvaluationCertificate;
  let facts: EvaluationChainFacts;

  const evaluateArgs = (p: { weights?: string; data?: string; out?: string; model?: string; extra?: string[] } = {}) => [
    "evaluate",
    "--model",
    p.model ?? "1",
    "--weights",
    p.weights ?? weightsDir,
    "--dataset",
    "1",
    "--data",
    p.data ?? dataDir,
    "--code",
    codeDir,
    ...(p.out ? ["--out", p.out] : []),
    "--",
    process.execPath,
    join(codeDir, "evaluate.ts"),
    "--data",
    p.data ?? dataDir,
    "--weights",
    p.weights ?? weightsDir,
    ...(p.extra ?? []),
  ];
  const roots = () => loadEkRoots([w.env.PROVENANT_EK_ROOTS!]);
  const verify = (cert: unknown, f: EvaluationChainFacts = facts): EvaluationVerification => verifyEvaluationCertificate({ certificate: cert, facts: f, roots: roots() });
  const failedChecks = (v: EvaluationVerification) => v.checks.filter((c) => !c.ok).map((c) => c.name);

  before(async function () {
    w = await startWorld("evaluation");
    const provider = new JsonRpcProvider(w.chain.url, 31337, { staticNetwork: Network.from(31337) });
    conn = { network: networkConfig("localhost"), chainId: 31337, provider, signer: async () => provider.getSigner(0) };
    dataDir = makeDataset(join(w.work, "test-digits"), 20, "test digit");
    weightsDir = join(w.work, "weights");
    mkdirSync(weightsDir, { recursive: true });
    writeFileSync(join(weightsDir, "model.bin"), Buffer.alloc(1024, 7));
    codeDir = join(w.work, "eval-code");
    mkdirSync(codeDir, { recursive: true });
    cpSync(EVALUATE, join(codeDir, "evaluate.ts"));
    const enrolled = await w.cli(["attestor", "enroll", "--service", w.service.url]);
    expect(enrolled.code, enrolled.stderr + enrolled.stdout).to.equal(0);
    const minted = await w.cli(["dataset", "mint", dataDir, "--name", "Test digits", "--license", "CC0-1.0"]);
    expect(minted.code, minted.stderr).to.equal(0);
    const model = await w.cli(["model", "register", weightsDir, "--name", "net", "--version", "1.0.0"]);
    expect(model.code, model.stderr).to.equal(0);
    expect(model.json.modelId).to.equal("1");
    // Model #2: the same weights, registered by another account. Only the token id tells the two apart.
    const other = new Contract(w.modelRegistry, modelRegistryAbi as never, await provider.getSigner(1));
    const record = await new Contract(w.modelRegistry, modelRegistryAbi as never, provider).modelOf(1n);
    await (
      await other.register({ weightsDigest: record.weightsDigest, manifestCid: manifestCidBytes(record.manifestCid), license: "", parents: [], datasets: [] })
    ).wait();
  });

  after(async function () {
    (conn?.provider as JsonRpcProvider | undefined)?.destroy();
    await w?.stop();
  });

  it("evaluates model #1 on dataset #1 under the attestor and registers the evaluation with the metrics the command wrote", async function () {
    const r = await w.cli(evaluateArgs());
    expect(r.code, r.stderr + r.stdout).to.equal(0);
    expect(r.json).to.include({ ok: true, state: "registered", evaluationId: "1", modelId: "1", datasetId: "1" });
    expect(r.stderr).to.match(/scored 20 samples: accuracy 0\.\d{4}/);
    const accuracy = Number(/accuracy (0\.\d{4})/.exec(r.stderr)![1]);
    expect(r.json.metrics).to.deep.equal([{ name: "accuracy", value: accuracy, split: "test" }]);
    evaluation = { evaluationId: r.json.evaluationId, certificateCid: r.json.certificateCid, accuracy };
    certificate = decodeEvaluationCertificate(await openStore("local", w.home).get(evaluation.certificateCid));
    expect(certificate.payload.inputs.model.modelId).to.equal("1");
    expect(certificate.payload.inputs.datasets[0]).to.include({ datasetId: "1", role: "evaluation", n: 20 });
    expect(certificate.payload.eventLog.map((e) => e.type)).to.deep.equal(["evaluation", "model", "dataset", "code", "command", "config", "environment", "metrics"]);
    expect(certificate.payload.inputs.environment.variables.PROVENANT_METRICS_FILE).to.match(/\/metrics\.json$/);
    facts = await readEvaluationFacts(conn, certificate, { evaluationId: "1", evaluationRegistry: evaluationRegistryOf(w) });
    expect(verify(certificate).ok).to.equal(true);
  });

  it("verify certificate --evaluation passes every named check and prints the attested metric", async function () {
    const r = await w.cli(["verify", "certificate", "--evaluation", evaluation.evaluationId]);
    expect(r.code, r.stderr + r.stdout).to.equal(0);
    expect(r.json.checks.map((c: { name: string }) => c.name)).to.deep.equal([...EVALUATION_CHECKS, "contractVerdict"]);
    for (const c of r.json.checks) expect(c.ok, `${c.name}: ${c.detail}`).to.equal(true);
    expect(r.json.metrics).to.deep.equal([{ name: "accuracy", value: evaluation.accuracy, split: "test" }]);
    expect(r.json).to.include({ modelId: "1", datasetId: "1", trustLevel: "software-tpm-pcr23" });
  });

  it("verify model has one passing check per evaluation and prints the attested accuracy under the model", async function () {
    const r = await w.cli(["verify", "model", "1"]);
    expect(r.code, r.stderr + r.stdout).to.equal(0);
    const check = r.json.checks.find((c: { check: string }) => c.check === "model.evaluation.1");
    expect(check).to.include({ node: "model:1", status: "pass" });
    expect(check.reason).to.contain(`accuracy ${evaluation.accuracy} (test) on dataset #1 Test digits`);
    expect(r.json.evaluations["model:1"][0].attestation.state).to.equal("verified");
    const text = await runText(["verify", "model", "1"]);
    expect(text).to.contain(`✓ attested evaluation #1: accuracy ${evaluation.accuracy} (test) on dataset #1 Test digits (software-tpm-pcr23)`);
    // Model #2 has the same weights but no evaluation of its own.
    const two = await w.cli(["verify", "model", "2"]);
    expect(two.json.checks.some((c: { check: string }) => c.check.startsWith("model.evaluation."))).to.equal(false);
  });

  describe("attacks", function () {
    it("metrics swapped after the quote: better numbers in a copy of the certificate fail its digest and the metrics check", function () {
      const forged = structuredClone(certificate);
      forged.payload.outputs.metrics.text = forged.payload.outputs.metrics.text.replace(/"value": [0-9.]+/, '"value": 0.9999');
      const v = verify(forged);
      expect(v.ok).to.equal(false);
      expect(failedChecks(v)).to.include.members(["certificateDigest", "metrics"]);
    });

    it("metrics swapped after the quote, consistently re-digested: the quote's nonce, the event log and the on-chain record refuse it", function () {
      const forged = structuredClone(certificate);
      forged.payload.outputs.metrics.text = forged.payload.outputs.metrics.text.replace(/"value": [0-9.]+/, '"value": 0.9999');
      forged.payload.outputs.metrics.digest = metricsDigestOf(new TextEncoder().encode(forged.payload.outputs.metrics.text));
      forged.certificateDigest = computeEvaluationCertificateDigest(forged.payload);
      const v = verify(forged);
      expect(v.ok).to.equal(false);
      expect(failedChecks(v)).to.include.members(["nonce", "eventLog", "evaluationRecord"]);
    });

    it("metrics swapped before the attestor reads them: the file is in a directory the attestor made for the run, which only it and the command can write", async function () {
      const r = await w.cli(evaluateArgs({ extra: ["--show-metrics-dir"] }));
      expect(r.code, r.stderr + r.stdout).to.equal(0);
      // Owned by the attestor (root), nothing for others (the group bits are the ACL mask of the command's grant):
      // the request's owner can neither replace the file nor plant one.
      expect(r.stderr).to.match(/^metrics dir mode 7[0-7]0 owner 0$/m);
      const cert = decodeEvaluationCertificate(await openStore("local", w.home).get(r.json.certificateCid));
      const path = cert.payload.inputs.environment.variables.PROVENANT_METRICS_FILE!;
      expect(path.startsWith(w.home)).to.equal(false);
      expect(existsSync(dirname(path)), "removed after the run").to.equal(false);
    });

    it("a request cannot choose where the metrics file is written", async function () {
      const args = evaluateArgs();
      args.splice(args.indexOf("--"), 0, "--env", `PROVENANT_METRICS_FILE=${join(w.work, "mine.json")}`);
      const r = await w.cli(args);
      expect(r.code).to.equal(1);
      expect(r.json.error.code).to.equal("INPUT_INVALID");
      expect(r.json.error.message).to.contain("PROVENANT_METRICS_FILE");
      // The service refuses it too, from any client, before anything is queued.
      const client = new AttestorClient({ url: w.service.url, token: w.token });
      const request = {
        model: { modelId: "1", path: weightsDir },
        dataset: { datasetId: "1", path: dataDir },
        code: codeDir,
        command: [process.execPath, join(codeDir, "evaluate.ts")],
        cwd: w.work,
        env: { PROVENANT_METRICS_FILE: join(w.work, "mine.json") },
        configFiles: [],
      };
      let refused: unknown;
      await client.evaluate(request).catch((e: unknown) => (refused = e));
      expect((refused as { code?: string }).code).to.equal("INPUT_INVALID");
      expect((refused as Error).message).to.contain("PROVENANT_METRICS_FILE is set by the attestor");
    });

    it("a metrics file that is a link, missing, or not provenant-metrics-v1 fails the run by name; nothing is registered", async function () {
      const before = await totalEvaluations();
      const cases: [string[], RegExp][] = [
        [["--link", "/etc/hostname"], /cannot be read as a regular file \(ELOOP\)/],
        [["--write-nothing"], /the evaluation command wrote no metrics: it must write them to \$PROVENANT_METRICS_FILE/],
        [["--write", '{"format":"provenant-metrics-v1","metrics":[{"name":"accuracy","value":"high","split":"test"}]}'], /metrics\[0\]\.value must be a finite number/],
      ];
      for (const [extra, message] of cases) {
        const r = await w.cli(evaluateArgs({ extra }));
        expect(r.code, r.stdout).to.equal(1);
        expect(r.json.state).to.equal("failed");
        expect(r.json.error.code).to.equal("METRICS_INVALID");
        expect(r.json.error.message).to.match(message);
      }
      expect(await totalEvaluations()).to.equal(before);
    });

    it("weights that are not the model's on-chain digest: the attestor refuses before the run, and the verifier's modelWeights check fails", async function () {
      const better = join(w.work, "better-weights");
      mkdirSync(better, { recursive: true });
      writeFileSync(join(better, "model.bin"), Buffer.alloc(1024, 8));
      const r = await w.cli(evaluateArgs({ weights: better }));
      expect(r.code).to.equal(1);
      expect(r.json.error.code).to.equal("WEIGHTS_MISMATCH");
      expect(r.json.error.message).to.contain("refusing to evaluate");
      const v = verify(certificate, { ...facts, weightsDigest: `0x${"ab".repeat(32)}` });
      expect(failedChecks(v)).to.deep.equal(["modelWeights"]);
    });

    it("data that is not the dataset's root: the attestor refuses before the run, and the verifier's datasetRoot check fails", async function () {
      const easier = makeDataset(join(w.work, "easier-digits"), 20, "easy digit");
      const r = await w.cli(evaluateArgs({ data: easier }));
      expect(r.code).to.equal(1);
      expect(r.json.error.code).to.equal("ROOT_MISMATCH");
      expect(r.json.error.message).to.contain("refusing to evaluate");
      const v = verify(certificate, { ...facts, datasetRoot: `0x${"cd".repeat(32)}` });
      expect(failedChecks(v)).to.deep.equal(["datasetRoot"]);
    });

    it("an evaluation certificate presented for another model with the same weights fails evaluationRecord", function () {
      const v = verify(certificate, { ...facts, evaluation: { ...facts.evaluation!, modelId: "2" } });
      expect(failedChecks(v)).to.deep.equal(["evaluationRecord"]);
      expect(v.checks.find((c) => c.name === "evaluationRecord")!.detail).to.contain("it is of model #2, the certificate of model #1");
    });

    it("a quote from a TPM that was never enrolled: the service refuses to evaluate, and the verifier's attestorRegistered check fails", async function () {
      const rogueTpm = await startSwtpm({ stateDir: join(w.work, "rogue-swtpm") });
      const rogue = await startServiceProcess(w.env, join(w.work, "rogue-state"), rogueTpm.tcti);
      try {
        const r = await w.cli(evaluateArgs(), { PROVENANT_ATTESTOR_URL: rogue.url });
        expect(r.code).to.equal(1);
        expect(r.json.error.code).to.equal("NOT_ENROLLED");
      } finally {
        await rogue.stop();
        await rogueTpm.stop();
      }
      const v = verify(certificate, { ...facts, attestor: undefined });
      // Without a record there is no level to hold it to: that check fails too, never passes unchecked.
      expect(failedChecks(v)).to.deep.equal(["attestorRegistered", "trustLevel"]);
    });

    // Last: from here on the attestor's word counts only with a boot state, which this service does not quote.
    it("an attestor enrolled at the boot level evaluating at PCR 23 alone: trustLevel fails in the verifier and on-chain, boot state approved or withdrawn", async function () {
      const attestor = certificate.payload.attestor.address;
      const attestors = new AttestorRegistryClient(certificate.payload.chain.attestorRegistry, await conn.signer(), 31337);
      const state = randomHex32();
      await attestors.approveBootState(attestor, state, 0xff, sha("the owner's boot policy"));
      const approved = await readEvaluationFacts(conn, certificate, { evaluationId: "1", evaluationRegistry: evaluationRegistryOf(w) });
      expect(failedChecks(verify(certificate, approved))).to.deep.equal(["trustLevel"]);
      const cli = await w.cli(["verify", "certificate", "--evaluation", evaluation.evaluationId]);
      expect(cli.code, cli.stdout).to.equal(1);
      expect(failedChecks(cli.json)).to.deep.equal(["trustLevel", "contractVerdict"]);
      expect(cli.json.checks.find((c: { name: string }) => c.name === "contractVerdict").detail).to.contain("AttestorRegistryBootStateRequired(");
      // The service quotes PCR 23 alone: a new evaluation is refused before it costs a transaction.
      const before = await totalEvaluations();
      const again = await w.cli(evaluateArgs());
      expect(again.code).to.equal(1);
      expect(again.json.error.message).to.match(/^EvaluationRegistry refuses: AttestorRegistryBootStateRequired\(/);
      expect(await totalEvaluations()).to.equal(before);
      await attestors.withdrawBootState(attestor, state);
      const withdrawn = await readEvaluationFacts(conn, certificate, { evaluationId: "1", evaluationRegistry: evaluationRegistryOf(w) });
      expect(failedChecks(verify(certificate, withdrawn))).to.deep.equal(["trustLevel"]);
    });
  });

  /** The CLI's human output. */
  async function runText(args: string[]): Promise<string> {
    return (await runCli(args, { ...w.env, PROVENANT_ATTESTOR_URL: w.service.url }, { json: false })).stdout;
  }

  async function totalEvaluations(): Promise<bigint> {
    return new EvaluationRegistryClient(evaluationRegistryOf(w), conn.provider, 31337).contract.totalRegistered();
  }
});

/** The world's EvaluationRegistry address (its Ignition deployment). */
function evaluationRegistryOf(w: World): string {
  const saved = process.env.PROVENANT_DEPLOYMENT_ID;
  process.env.PROVENANT_DEPLOYMENT_ID = w.chain.deploymentId;
  try {
    return deployedAddress(31337, "EvaluationRegistry");
  } finally {
    if (saved === undefined) delete process.env.PROVENANT_DEPLOYMENT_ID;
    else process.env.PROVENANT_DEPLOYMENT_ID = saved;
  }
}
