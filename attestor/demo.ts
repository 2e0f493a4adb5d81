/**
 * The attested part of the demo: the MNIST models of the model demo trained under the attestor, so the
 * two-generation lineage (dataset -> generation 1 -> generation 2) is attested end to end, and both
 * certificates verified, check by check.
 *
 *   node attestor/demo.ts            a local chain, a software-TPM attestor service, the 10,000 MNIST digits
 *
 * Also exported as `attestedDemo` for scripts/demo.ts, given a running chain. Prints the quote latency
 * through the service, the attestor's overhead on the training run, and the gas of the attested registrations.
 */
import { execFile, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { ContractFactory, JsonRpcProvider, Network } from "ethers";
import { AttestorClient } from "../core/attestor/client.ts";
import type { RunEvent } from "../core/attestor/client.ts";
import { verifyEnrollmentRequest } from "../core/attestor/enrollment.ts";
import { verifyModelCertificate } from "../core/attestor/verify-model.ts";
import { AttestorRegistryClient, attestedModelRegistry } from "../core/chain/attestor-registry.ts";
import type { ChainConnection } from "../core/chain/connect.ts";
import { deployedAddress } from "../core/chain/deployments.ts";
import { networkConfig } from "../core/chain/networks.ts";
import { openStore } from "../core/config.ts";
import { freePort, REPO, startLocalChain } from "../scripts/lib/local-chain.ts";
import type { LocalChain } from "../scripts/lib/local-chain.ts";
import { writeMnistPngs } from "../scripts/demo/mnist-png.ts";

const exec = promisify(execFile);
const TRAIN_MNIST = join(REPO, "scripts", "demo", "train-mnist.ts");

export type AttestedDemoOptions = {
  chain: LocalChain;
  /** Data directory (PROVENANT_HOME) of the demo. */
  home: string;
  /** The MNIST PNG directory; written when missing. */
  digits: string;
  say?: (line: string) => void;
};

export type AttestedDemoResult = {
  ok: boolean;
  models: { id: string; certificateCid: string; gasUsed: string; commandMs: number; overheadMs: number; wallMs: number }[];
  directMs: number;
  quoteMs: { median: number; min: number; max: number };
};

async function provenant(env: Record<string, string>, ...args: string[]): Promise<any> {
  const { stdout } = await exec(process.execPath, [join(REPO, "cli", "provenant.ts"), ...args, "--json"], {
    cwd: REPO,
    env: { ...process.env, ...env },
    maxBuffer: 64 << 20,
  });
  return JSON.parse(stdout);
}

/** The model registry that takes attested registrations: the module's once it has registerAttested, else AttestedModelRegistry beside it. */
async function attestedRegistryAddress(conn: ChainConnection, chain: LocalChain): Promise<string> {
  const saved = process.env.PROVENANT_DEPLOYMENT_ID;
  process.env.PROVENANT_DEPLOYMENT_ID = chain.deploymentId;
  try {
    const module = deployedAddress(conn.chainId, "ModelRegistry");
    const contract = attestedModelRegistry(module, conn.provider);
    const selector = contract.interface.getFunction("registerAttested")!.selector.slice(2);
    if ((await conn.provider.getCode(module)).includes(selector)) return module;
    const artifact = JSON.parse(
      readFileSync(join(REPO, "artifacts", "contracts", "test-utils", "AttestedModelRegistry.sol", "AttestedModelRegistry.json"), "utf8")
    );
    const factory = new ContractFactory(artifact.abi, artifact.bytecode, await conn.signer());
    const deployed = await factory.deploy(deployedAddress(conn.chainId, "DatasetRegistry"), deployedAddress(conn.chainId, "AttestorRegistry"));
    await deployed.waitForDeployment();
    return deployed.getAddress();
  } finally {
    if (saved === undefined) delete process.env.PROVENANT_DEPLOYMENT_ID;
    else process.env.PROVENANT_DEPLOYMENT_ID = saved;
  }
}

async function startService(env: Record<string, string>, stateDir: string): Promise<{ url: string; stop(): Promise<void> }> {
  const info = join(stateDir, "attestor.json");
  rmSync(info, { force: true });
  const child = spawn(process.execPath, [join(REPO, "attestor", "main.ts"), "--swtpm", "--port", "0", "--state-dir", stateDir], {
    cwd: REPO,
    env: { ...process.env, ...env },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let logs = "";
  child.stderr!.on("data", (c: Buffer) => (logs += c.toString()));
  for (let i = 0; !existsSync(info); i++) {
    if (child.exitCode !== null || i > 600) throw new Error(`the attestor did not start:\n${logs}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url: JSON.parse(readFileSync(info, "utf8")).url,
    async stop() {
      const done = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      await done;
    },
  };
}

export async function attestedDemo(o: AttestedDemoOptions): Promise<AttestedDemoResult> {
  const say = o.say ?? ((l: string) => console.log(l));
  const provider = new JsonRpcProvider(o.chain.url, 31337, { staticNetwork: Network.from(31337) });
  const conn: ChainConnection = { network: networkConfig("localhost"), chainId: 31337, provider, signer: async () => provider.getSigner(0) };
  const modelRegistry = await attestedRegistryAddress(conn, o.chain);
  const token = randomBytes(24).toString("hex");
  const stateDir = join(o.home, "attestor");
  mkdirSync(stateDir, { recursive: true });
  const env: Record<string, string> = {
    ...o.chain.env,
    PROVENANT_HOME: o.home,
    PROVENANT_MODEL_REGISTRY: modelRegistry,
    PROVENANT_ATTESTOR_TOKEN: token,
    PROVENANT_ATTESTOR_STATE: stateDir,
  };
  const service = await startService(env, stateDir);
  const client = new AttestorClient({ url: service.url, token });
  const saved = { ...process.env };
  Object.assign(process.env, env);
  try {
    say(`attestor service at ${service.url} on a software TPM (swtpm, EK certificate from its local CA)`);
    if (!existsSync(o.digits)) say(`wrote ${writeMnistPngs(o.digits)} MNIST digits to ${o.digits}`);
    const minted = await provenant(env, "dataset", "mint", o.digits, "--name", "MNIST 10k", "--license", "CC-BY-SA-3.0");
    say(`dataset #${minted.datasetId}: root ${minted.root}`);

    // Enrollment: the registry (this process) checks the EK chain and the AK, and has the attestor activate a credential.
    const signer = await conn.signer();
    const request = await client.enrollmentRequest(await signer.getAddress());
    const root = readFileSync(join(stateDir, "swtpm", "ca", "swtpm-localca-rootca-cert.pem"), "utf8");
    const enrollment = await verifyEnrollmentRequest(request, { roots: [root], activate: (c) => client.activateCredential(c) });
    say(`enrollment of ${request.address}: ${enrollment.checks.map((c) => `${c.name} ${c.ok ? "ok" : "FAILED"}`).join(", ")}`);
    if (!enrollment.registration) throw new Error("enrollment refused");
    const attestors = new AttestorRegistryClient(deployedAddress(31337, "AttestorRegistry"), signer, 31337);
    const reg = await attestors.register(enrollment.registration);
    say(`registered attestor ${request.address} (${enrollment.registration.kind} TPM), ${reg.gasUsed} gas`);

    // Quote latency through the service.
    const times: number[] = [];
    for (let i = 0; i < 20; i++) {
      const t0 = performance.now();
      await client.quote(randomBytes(32));
      times.push(performance.now() - t0);
    }
    times.sort((a, b) => a - b);
    const quoteMs = { median: times[10]!, min: times[0]!, max: times[19]! };
    say(`quote through the service: median ${quoteMs.median.toFixed(1)} ms (min ${quoteMs.min.toFixed(1)}, max ${quoteMs.max.toFixed(1)}, n = 20)`);

    // The same training command without the attestor, for the overhead.
    const direct = join(o.home, "direct-gen1");
    const t0 = performance.now();
    await exec(process.execPath, [TRAIN_MNIST, "--data", o.digits, "--out", direct], { cwd: REPO });
    const directMs = performance.now() - t0;
    say(`generation 1 trained directly (no attestor): ${(directMs / 1000).toFixed(2)} s`);

    const models: AttestedDemoResult["models"] = [];
    const generations = [
      { name: "mnist-mlp", version: "1.0.0", out: join(o.home, "gen1"), parent: undefined as string | undefined, extra: [] as string[] },
      { name: "mnist-mlp", version: "2.0.0", out: join(o.home, "gen2"), parent: "gen1", extra: ["--digits", "3,5,8"] },
    ];
    for (const g of generations) {
      const parentModel = g.parent ? models[0]! : undefined;
      const argv = [process.execPath, TRAIN_MNIST, "--data", o.digits, "--out", g.out, ...(parentModel ? ["--init", join(o.home, "gen1")] : []), ...g.extra];
      const t1 = performance.now();
      const events: RunEvent[] = [];
      const last = await client.train(
        {
          datasets: [{ datasetId: String(minted.datasetId), role: parentModel ? "fine-tuning" : "training", path: o.digits }],
          parents: parentModel ? [{ modelId: parentModel.id, relation: "finetune", path: join(o.home, "gen1") }] : [],
          code: join(REPO, "scripts", "demo"),
          command: argv,
          cwd: REPO,
          env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: process.env.HOME ?? "/" },
          configFiles: [],
          outputDir: g.out,
          record: { name: g.name, version: g.version, ...(parentModel ? {} : { task: "image-classification", architecture: "MLP 784-64-10" }) },
          license: "MIT",
        },
        (e) => {
          events.push(e);
          if (e.type === "output") process.stdout.write(`    | ${String(e.data).trimEnd().split("\n").join("\n    | ")}\n`);
        }
      );
      const wallMs = performance.now() - t1;
      if (last.state !== "registered") throw new Error(`generation ${g.version} ended ${String(last.state)}: ${JSON.stringify(last.error)}`);
      const cert = events.find((e) => e.type === "certificate")!;
      const registered = events.find((e) => e.type === "registered")!;
      const t = cert.timings as { commandMs: number; overheadMs: number; measureMs: number; tpmBeforeMs: number; outputMs: number; tpmAfterMs: number };
      models.push({ id: String(registered.modelId), certificateCid: String(cert.certificateCid), gasUsed: String(registered.gasUsed), commandMs: t.commandMs, overheadMs: t.overheadMs, wallMs });
      say(
        `attested model #${registered.modelId} (${g.name} ${g.version}${parentModel ? `, finetuned from #${parentModel.id}` : ""}): registered in one transaction, ${registered.gasUsed} gas`
      );
      say(
        `  command ${(t.commandMs / 1000).toFixed(2)} s; attestor overhead ${(t.overheadMs / 1000).toFixed(2)} s (measure inputs ${(t.measureMs / 1000).toFixed(2)}, TPM before ${(t.tpmBeforeMs / 1000).toFixed(2)}, hash output ${(t.outputMs / 1000).toFixed(2)}, TPM after ${(t.tpmAfterMs / 1000).toFixed(2)}); wall ${(wallMs / 1000).toFixed(2)} s`
      );
    }

    let ok = true;
    for (const m of models) {
      const v = await verifyModelCertificate({ conn, store: openStore("local", o.home), modelId: m.id, roots: [root] });
      ok &&= v.ok;
      say(`verify certificate #${m.id} (ipfs://${m.certificateCid}), trust level ${v.certificate?.payload.attestor.trustLevel}:`);
      for (const c of v.checks) say(`  ${c.ok ? "ok  " : "FAIL"} ${c.name.padEnd(18)} ${c.detail}`);
      say(v.ok ? "  VERIFIED" : "  FAILED");
    }
    return { ok, models, directMs, quoteMs };
  } finally {
    for (const k of Object.keys(env)) {
      if (saved[k] === undefined) delete process.env[k];
      else process.env[k] = saved[k];
    }
    await service.stop();
    provider.destroy();
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === resolve(process.argv[1])) {
  const home = join(REPO, ".provenant", "demo-attested");
  rmSync(home, { recursive: true, force: true });
  mkdirSync(home, { recursive: true });
  const port = await freePort();
  const chain = await startLocalChain({ port, deploymentId: `demo-attested-${port}` });
  try {
    const r = await attestedDemo({ chain, home, digits: join(home, "mnist-png") });
    if (!r.ok) process.exitCode = 1;
  } finally {
    await chain.stop();
    rmSync(join(REPO, "ignition", "deployments", chain.deploymentId), { recursive: true, force: true });
  }
}
