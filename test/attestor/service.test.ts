// The attestor service as a process: token authentication, health and identity, quotes (and their latency),
// concurrent runs queued and run one at a time, a killed training command, a service killed mid-run and
// restarted, a TPM that is not there. Each ends in a clear state, with nothing half-registered on-chain.
import { expect } from "chai";
import { copyFileSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { JsonRpcProvider, Network } from "ethers";
import { AttestorClient } from "../../core/attestor/client.ts";
import type { RunEvent } from "../../core/attestor/client.ts";
import { attestedModelRegistry } from "../../core/chain/attestor-registry.ts";
import { freePort } from "../../scripts/lib/local-chain.ts";
import { TRAIN, checkquote, makeDataset, startWorld } from "./world.ts";
import type { ServiceProcess, World } from "./world.ts";

const isAlive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("attestor service (a process, real swtpm, local chain)", function () {
  this.timeout(600_000);
  let w: World;
  let provider: JsonRpcProvider;
  let dataset: string;
  const client = (s: ServiceProcess = w.service, token = w.token) => new AttestorClient({ url: s.url, token });
  const totalModels = async () => attestedModelRegistry(w.modelRegistry, provider).totalRegistered() as Promise<bigint>;

  const request = (name: string, train: string[] = [], extra: Record<string, unknown> = {}) => {
    const out = join(w.work, "out", name);
    return {
      datasets: [{ datasetId: "1", role: "training", path: dataset }],
      parents: [],
      code: join(w.work, "code"),
      command: [process.execPath, TRAIN, "--data", dataset, "--out", out, ...train],
      cwd: w.work,
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin" },
      configFiles: [],
      outputDir: out,
      record: { name, version: "1.0.0" },
      license: "MIT",
      ...extra,
    };
  };

  /** Poll a run until `pred` holds. */
  async function waitRun(s: ServiceProcess, id: string, pred: (r: Record<string, any>) => boolean): Promise<Record<string, any>> {
    for (let i = 0; i < 600; i++) {
      const r = await client(s).run(id);
      if (pred(r)) return r;
      await sleep(100);
    }
    throw new Error(`run ${id} never reached the expected state`);
  }

  before(async function () {
    w = await startWorld("service");
    provider = new JsonRpcProvider(w.chain.url, 31337, { staticNetwork: Network.from(31337) });
    dataset = makeDataset(join(w.work, "data"), 30);
    mkdirSync(join(w.work, "code"), { recursive: true });
    copyFileSync(TRAIN, join(w.work, "code", "train.ts"));
    const minted = await w.cli(["dataset", "mint", dataset, "--name", "Samples", "--license", "CC0-1.0"]);
    expect(minted.code, minted.stderr).to.equal(0);
    const enrolled = await w.cli(["attestor", "enroll", "--service", w.service.url]);
    expect(enrolled.code, enrolled.stdout + enrolled.stderr).to.equal(0);
  });

  after(async function () {
    provider?.destroy();
    await w?.stop();
  });

  it("refuses every request without the right bearer token", async function () {
    for (const [method, path] of [
      ["GET", "/v1/health"],
      ["GET", "/v1/identity"],
      ["POST", "/v1/quote"],
      ["POST", "/v1/runs"],
      ["GET", "/v1/runs"],
    ]) {
      const none = await fetch(`${w.service.url}${path}`, { method });
      expect(none.status, `${method} ${path}`).to.equal(401);
      const wrong = await fetch(`${w.service.url}${path}`, { method, headers: { authorization: `Bearer ${"0".repeat(48)}` } });
      expect(wrong.status, `${method} ${path}`).to.equal(401);
      expect((await wrong.json()).error.code).to.equal("UNAUTHORIZED");
    }
  });

  it("is bound to 127.0.0.1 and reports health and identity", async function () {
    expect(new URL(w.service.url).hostname).to.equal("127.0.0.1");
    const h = await client().health();
    expect(h.ok).to.equal(true);
    expect((h.tpm as { ok: boolean }).ok).to.equal(true);
    expect((h.attestor as { enrolled: boolean }).enrolled).to.equal(true);
    const id = await client().identity();
    expect(id.tpmKind).to.equal("software");
    expect(id.address).to.match(/^0x[0-9a-fA-F]{40}$/);
    // Structured logs: one JSON object per line.
    expect(w.service.entries().some((e) => e.msg === "request" && e.path === "/v1/identity")).to.equal(true);
  });

  it("answers quotes over PCR 23 that tpm2_checkquote accepts, and measures their latency", async function () {
    const times: number[] = [];
    let last: { attest: string; signature: string } | undefined;
    const nonce = Buffer.alloc(32, 7);
    for (let i = 0; i < 20; i++) {
      const t0 = performance.now();
      last = await client().quote(nonce);
      times.push(performance.now() - t0);
    }
    times.sort((a, b) => a - b);
    console.log(`      quote through the service: median ${times[10]!.toFixed(1)} ms, min ${times[0]!.toFixed(1)}, max ${times[19]!.toFixed(1)} (n = 20)`);
    const id = await client().identity();
    const dir = join(w.work, "quote");
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "ak.pem"), id.akPublicKeyPem as string);
    writeFileSync(join(dir, "msg"), Buffer.from(last!.attest, "hex"));
    writeFileSync(join(dir, "sig"), Buffer.from(last!.signature, "hex"));
    const pcr23 = ((await client().health()).tpm as { pcr23: string }).pcr23;
    writeFileSync(join(dir, "pcrs"), Buffer.from(pcr23, "hex"));
    const r = await checkquote(["-u", join(dir, "ak.pem"), "-m", join(dir, "msg"), "-s", join(dir, "sig"), "-f", join(dir, "pcrs"), "-l", "sha256:23", "-g", "sha256", "-q", nonce.toString("hex")]);
    expect(r.code, r.stderr).to.equal(0);
  });

  it("queues concurrent runs and runs them one at a time, both ending registered", async function () {
    const before = await totalModels();
    const stamps: Record<string, { type: string; state?: string; t: number }[]> = { a: [], b: [] };
    const follow = (k: "a" | "b") => (e: RunEvent) => stamps[k]!.push({ type: e.type, state: e.state as string | undefined, t: performance.now() });
    const [a, b] = await Promise.all([
      client().train(request("concurrent-a", ["--sleep", "1500"]), follow("a")),
      (async () => {
        await sleep(50);
        return client().train(request("concurrent-b", ["--sleep", "200"]), follow("b"));
      })(),
    ]);
    expect([a.state, b.state]).to.deep.equal(["registered", "registered"]);
    expect(stamps.a!.some((e) => e.type === "queued")).to.equal(true);
    expect(stamps.b!.some((e) => e.type === "queued")).to.equal(true);
    const aDone = stamps.a!.find((e) => e.type === "done")!.t;
    const bStarted = stamps.b!.find((e) => e.type === "state" && e.state === "measuring")!.t;
    expect(bStarted, "b started measuring before a was done").to.be.greaterThanOrEqual(aDone);
    expect(await totalModels()).to.equal(before + 2n);
  });

  it("certifies without registering when asked, and keeps the certificate", async function () {
    const before = await totalModels();
    const last = await client().train(request("certify-only", [], { register: false }));
    expect(last.state).to.equal("certified");
    const runs = (await (await fetch(`${w.service.url}/v1/runs`, { headers: { authorization: `Bearer ${w.token}` } })).json()).runs;
    const row = runs.find((r: { state: string }) => r.state === "certified");
    expect(row.certificateCid).to.match(/^bafkrei/);
    expect(row.modelId).to.equal(null);
    expect(await totalModels()).to.equal(before);
  });

  it("fails a run whose training command is killed, and registers nothing", async function () {
    const before = await totalModels();
    let id = "";
    const done = client().train(request("killed", ["--sleep", "60000"]), (e) => {
      if (e.type === "queued") id = e.id as string;
    });
    while (!id) await sleep(20);
    const running = await waitRun(w.service, id, (r) => r.state === "running" && r.pid);
    process.kill(running.pid, "SIGKILL");
    const last = await done;
    expect(last.state).to.equal("failed");
    expect(last.error).to.deep.include({ code: "RUN_FAILED" });
    expect((last.error as { message: string }).message).to.contain("killed by SIGKILL");
    const row = await client().run(id);
    expect(row).to.include({ state: "failed", certificateCid: null, txHash: null, modelId: null });
    expect(await totalModels()).to.equal(before);
  });

  it("fails a run whose training command exits non-zero, and registers nothing", async function () {
    const before = await totalModels();
    const last = await client().train(request("exit3", ["--exit", "3"]));
    expect(last.state).to.equal("failed");
    expect((last.error as { message: string }).message).to.contain("exited with code 3");
    expect(await totalModels()).to.equal(before);
  });

  it("survives a restart mid-run: the run is interrupted, its command gone, nothing registered, the next run fine", async function () {
    const before = await totalModels();
    let id = "";
    const stream = client()
      .train(request("restart", ["--sleep", "60000"]), (e) => {
        if (e.type === "queued") id = e.id as string;
      })
      .catch((e) => e);
    while (!id) await sleep(20);
    const running = await waitRun(w.service, id, (r) => r.state === "running" && r.pid);
    await w.service.stop("SIGKILL");
    await stream;
    for (let i = 0; i < 50 && isAlive(running.pid); i++) await sleep(100);
    expect(isAlive(running.pid), "the training command outlived the service").to.equal(false);

    w.service = await w.startService();
    const row = await client().run(id);
    expect(row).to.include({ state: "interrupted", errorCode: "RUN_INTERRUPTED", txHash: null, modelId: null });
    expect(await totalModels()).to.equal(before);
    const next = await client().train(request("after-restart"));
    expect(next.state).to.equal("registered");
    expect(await totalModels()).to.equal(before + 1n);
  });

  it("with no TPM there: health says so, runs fail TPM_UNAVAILABLE, nothing is registered", async function () {
    const before = await totalModels();
    const state = join(w.work, "no-tpm-state");
    mkdirSync(state, { recursive: true });
    // The same enrolled AK record, but the TPM it lives in does not answer.
    copyFileSync(join(w.stateDir, "ak.json"), join(state, "ak.json"));
    const dead = await freePort();
    const s = await w.startService({ stateDir: state, tcti: `swtpm:host=127.0.0.1,port=${dead}` });
    try {
      const h = await client(s).health();
      expect(h.ok).to.equal(false);
      expect(h.tpm).to.deep.include({ ok: false });
      expect((h.tpm as { error: { code: string } }).error.code).to.equal("TPM_UNAVAILABLE");
      const last = await client(s).train(request("no-tpm"));
      expect(last.state).to.equal("failed");
      expect(last.error).to.deep.include({ code: "TPM_UNAVAILABLE" });
      expect(await totalModels()).to.equal(before);
    } finally {
      await s.stop();
    }
  });
});
