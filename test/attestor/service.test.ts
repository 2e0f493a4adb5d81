// The attestor service as a process: token authentication, health and identity, quotes (and their latency),
// concurrent runs queued and run one at a time, a killed training command, a service killed mid-run and
// restarted, a TPM that is not there. Each ends in a clear state, with nothing half-registered on-chain.
// Then the attacks on the service itself: re-certifying a finished run through the liveness quote (also
// after a crash), secrets in the published environment, malformed and oversized requests, and enrollment
// swapping the AK under a running run.
import { expect } from "chai";
import { createHash } from "node:crypto";
import { copyFileSync, mkdirSync, writeFileSync } from "node:fs";
import { Agent, request as httpRequest } from "node:http";
import { join } from "node:path";
import { JsonRpcProvider, Network } from "ethers";
import { AttestorClient } from "../../core/attestor/client.ts";
import type { RunEvent } from "../../core/attestor/run-events.ts";
import { CERTIFICATE_FORMAT, computeCertificateDigest, encodeCertificate } from "../../core/attestor/certificate.ts";
import { decodeCertificate } from "../../core/attestor/certificate-loader.ts";
import type { TrainingCertificate } from "../../core/attestor/certificate.ts";
import { TRAINING_PCR, closingEvent, livenessEvent, replayTrainingPcr } from "../../core/attestor/pcr-events.ts";
import { verifyTrainingCertificate } from "../../core/attestor/certificate-check.ts";
import { certifyRun } from "../../core/attestor/certify.ts";
import { describeRevert } from "../../core/chain/attestor-registry.ts";
import { attestedModelRegistry } from "../../core/chain/model-registry.ts";
import { readCertificateFacts, registerAttestedModel } from "../../core/attestor/registration.ts";
import type { ChainConnection } from "../../core/chain/connect.ts";
import { networkConfig } from "../../core/chain/networks.ts";
import { openStore } from "../../core/config.ts";
import { bytesToHex, hexToBytes } from "../../core/hex.ts";
import { parseAttest } from "../../core/tpm/quote.ts";
import { createTpm2ToolsTransport } from "../../core/tpm/transport.ts";
import { freePort } from "../helpers/local-chain.ts";
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
    const r = await checkquote([
      "-u",
      join(dir, "ak.pem"),
      "-m",
      join(dir, "msg"),
      "-s",
      join(dir, "sig"),
      "-f",
      join(dir, "pcrs"),
      "-l",
      "sha256:23",
      "-g",
      "sha256",
      "-q",
      nonce.toString("hex"),
    ]);
    expect(r.code, r.stderr).to.equal(0);
  });

  it("queues concurrent runs and runs them one at a time, both ending registered", async function () {
    const before = await totalModels();
    const stamps: Record<string, { type: string; state?: string; t: number }[]> = { a: [], b: [] };
    const follow = (k: "a" | "b") => (e: RunEvent) => stamps[k]!.push({ type: e.type, state: "state" in e ? e.state : undefined, t: performance.now() });
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
  describe("attacks on the service", function () {
    const conn = (): ChainConnection => ({ network: networkConfig("localhost"), chainId: 31337, provider, signer: async () => provider.getSigner(0) });
    const store = () => openStore("local", w.home);

    /** A registered run's certificate, from its `certificate` event. */
    async function registeredRun(name: string): Promise<TrainingCertificate> {
      let cid = "";
      const last = await client().train(request(name), (e) => {
        if (e.type === "certificate") cid = e.certificateCid as string;
      });
      expect(last.state, JSON.stringify(last)).to.equal("registered");
      return decodeCertificate(await store().get(cid));
    }

    /**
     * The attack of finding 2: the same run with another license (and finish time), its digest quoted through
     * POST /v1/quote, then verified and registered as a second attested model. Returns what stopped it.
     */
    async function recertify(
      cert: TrainingCertificate,
    ): Promise<{ pcrReplay: { ok: boolean; detail: string }; registration: string; certification: { code: string; message: string }[] }> {
      const payload = {
        ...cert.payload,
        run: { ...cert.payload.run, finishedAt: new Date().toISOString() },
        outputs: { ...cert.payload.outputs, license: "LicenseRef-relicensed" },
      };
      const certificateDigest = computeCertificateDigest(payload);
      const q = await client().quote(hexToBytes(certificateDigest));
      const forged: TrainingCertificate = {
        format: CERTIFICATE_FORMAT,
        payload,
        certificateDigest,
        quote: { pcrs: [TRAINING_PCR], attest: q.attest, signature: q.signature },
      };
      const addresses = payload.chain;
      const facts = await readCertificateFacts(conn(), forged, { addresses });
      const v = verifyTrainingCertificate({ certificate: forged, facts, roots: [w.swtpm.caCertPem], stage: "pre-registration" });
      const forgedCid = await store().put(encodeCertificate(forged), { name: "training-certificate.json" });
      let registration = "registered";
      try {
        // The service's own account: the run event binds the registrant.
        await registerAttestedModel(conn(), await provider.getSigner(payload.run.registrant), forged, forgedCid, { addresses });
      } catch (e) {
        registration = `${(e as Error).message} ${describeRevert(e)}`;
      }
      // And through the service's own certification step, certifying only and registering.
      const signer = await provider.getSigner(payload.run.registrant);
      const certification = [];
      for (const register of [undefined, { signer }]) {
        const refused = await certifyRun({ conn: conn(), certificate: forged, certificateCid: forgedCid, addresses, ...(register ? { register } : {}) }).then(
          () => ({ code: "CERTIFIED", message: "" }),
          (e: { code: string; message: string }) => ({ code: e.code, message: e.message }),
        );
        certification.push(refused);
      }
      return { pcrReplay: v.checks.find((c) => c.name === "pcrReplay")!, registration, certification };
    }

    it("quotes nothing over a finished run's PCR 23: a re-certified copy with another license neither verifies nor registers", async function () {
      const cert = await registeredRun("recertified");
      // The run closed PCR 23 behind its final quote.
      const pcr23 = ((await client().health()).tpm as { pcr23: string }).pcr23;
      expect(pcr23).to.not.equal(replayTrainingPcr(cert.payload.eventLog).pcr);
      expect(pcr23).to.equal(replayTrainingPcr([...cert.payload.eventLog, closingEvent(cert.payload.run.id)]).pcr);
      const before = await totalModels();
      const r = await recertify(cert);
      expect(r.registration, "the re-certified copy was registered as a second model").to.not.equal("registered");
      expect(r.registration).to.contain("AttestorRegistryPcrDigestMismatch");
      expect(r.pcrReplay.ok, r.pcrReplay.detail).to.equal(false);
      for (const c of r.certification) {
        expect(c.code, c.message).to.equal("CERTIFICATE_INVALID");
        expect(c.message).to.contain("AttestorRegistryPcrDigestMismatch");
      }
      expect(await totalModels()).to.equal(before);
    });

    it("after a crash between the final quote and the closing event, a restarted service quotes nothing over that value", async function () {
      const cert = await registeredRun("crashed");
      await w.service.stop("SIGKILL");
      // What the crash leaves: PCR 23 holding the certified run's value, as at its final quote.
      const tpm = createTpm2ToolsTransport({ tcti: w.swtpm.tcti, stateDir: w.stateDir });
      await tpm.pcrReset(TRAINING_PCR);
      for (const e of cert.payload.eventLog) await tpm.pcrExtend(TRAINING_PCR, e.digest);
      const certified = replayTrainingPcr(cert.payload.eventLog);
      expect((await tpm.pcrRead([TRAINING_PCR]))[TRAINING_PCR]).to.equal(certified.pcr);
      w.service = await w.startService();
      expect((await tpm.pcrRead([TRAINING_PCR]))[TRAINING_PCR], "the service closed PCR 23 at start").to.not.equal(certified.pcr);
      const q = await client().quote(Buffer.alloc(32, 1));
      const quoted = bytesToHex(parseAttest(hexToBytes(q.attest)).pcrDigest);
      expect(quoted).to.not.equal(certified.pcrDigest);
      expect(quoted, "a liveness quote is over the liveness event alone").to.equal(replayTrainingPcr([livenessEvent()]).pcrDigest);
      const before = await totalModels();
      const r = await recertify(cert);
      expect(r.registration).to.contain("AttestorRegistryPcrDigestMismatch");
      expect(await totalModels()).to.equal(before);
    });

    it("refuses to publish a secret-looking --env value, and records --secret-env only as a salted hash the command still sees", async function () {
      const token = `hf_${createHash("sha256").update(w.token).digest("hex").slice(0, 34)}`;
      const out = join(w.work, "out", "secret");
      const args = (flags: string[]) => [
        "train",
        "--dataset",
        "1:training",
        "--data",
        dataset,
        "--code",
        join(w.work, "code"),
        "--out",
        out,
        "--name",
        "secret",
        "--version",
        "1.0.0",
        ...flags,
        "--",
        process.execPath,
        TRAIN,
        "--data",
        dataset,
        "--out",
        out,
        "--show-env",
        "HF_TOKEN",
      ];
      const before = await totalModels();
      const plain = await w.cli(args(["--env", `HF_TOKEN=${token}`]));
      expect(plain.code, plain.stdout).to.equal(1);
      expect(plain.stdout + plain.stderr).to.contain("--secret-env HF_TOKEN");
      expect(plain.stdout + plain.stderr).to.not.contain(token);
      expect(await totalModels()).to.equal(before);

      const secret = await w.cli(args(["--secret-env", "HF_TOKEN"]), { HF_TOKEN: token });
      expect(secret.code, secret.stdout + secret.stderr).to.equal(0);
      expect(secret.stderr, "the command did not see the value").to.contain(`HF_TOKEN sha256 ${createHash("sha256").update(token).digest("hex")}`);
      const bytes = await store().get(secret.json.certificateCid);
      expect(Buffer.from(bytes).toString("utf8")).to.not.contain(token);
      const env = decodeCertificate(bytes).payload.inputs.environment;
      expect(env.variables).to.not.have.property("HF_TOKEN");
      // As docs/formats/training-certificate-v1.md says to check it: printf '%s:%s' "$salt" "$HF_TOKEN" | sha256sum
      const recorded = (env as { secrets?: Record<string, { salt: string; sha256: string }> }).secrets!.HF_TOKEN!;
      expect(recorded.salt).to.match(/^[0-9a-f]{64}$/);
      expect(recorded.sha256).to.equal(createHash("sha256").update(`${recorded.salt}:${token}`).digest("hex"));
      expect(await totalModels()).to.equal(before + 1n);

      // Published on purpose: the clearly named override.
      const published = await w.cli(args(["--env", "HF_TOKEN=not-really-secret", "--publish-env", "HF_TOKEN", "--no-register"]));
      expect(published.code, published.stdout + published.stderr).to.equal(0);
      const pub = decodeCertificate(await store().get(published.json.certificateCid)).payload.inputs.environment;
      expect(pub.variables.HF_TOKEN).to.equal("not-really-secret");
    });

    it("answers 400, not 500, to a run request whose parents is not a list", async function () {
      for (const parents of ["x", 5, { modelId: "1" }, true]) {
        const res = await fetch(`${w.service.url}/v1/runs`, {
          method: "POST",
          headers: { authorization: `Bearer ${w.token}`, "content-type": "application/json" },
          body: JSON.stringify({ ...request("bad-parents"), parents }),
        });
        const body = await res.json();
        expect(res.status, JSON.stringify(body)).to.equal(400);
        expect(body.error).to.deep.include({ code: "INPUT_INVALID" });
        expect(body.error.message).to.contain("parents must be a list");
      }
    });

    it("answers 413 to an oversized body, and the same keep-alive client's next request gets its answer", async function () {
      const agent = new Agent({ keepAlive: true, maxSockets: 1 });
      const post = (body: string | Buffer[], chunked = false) =>
        new Promise<{ status: number; body: string }>((resolve, reject) => {
          const req = httpRequest(
            `${w.service.url}/v1/quote`,
            { agent, method: "POST", headers: { authorization: `Bearer ${w.token}`, "content-type": "application/json" } },
            (res) => {
              let text = "";
              res.setEncoding("utf8");
              res.on("data", (c: string) => (text += c));
              res.on("end", () => resolve({ status: res.statusCode!, body: text }));
              res.on("error", reject);
            },
          );
          req.on("error", reject);
          if (chunked) {
            for (const c of body as Buffer[]) req.write(c);
            req.end();
          } else req.end(body as string);
        });
      const nonce = JSON.stringify({ nonce: "07".repeat(32) });
      try {
        for (const chunked of [false, true]) {
          const big = chunked ? Array.from({ length: 40 }, () => Buffer.alloc(64 << 10, 0x20)) : JSON.stringify({ nonce: "00".repeat(1 << 20) });
          const refused = await post(big, chunked);
          expect(refused.status, refused.body).to.equal(413);
          expect(JSON.parse(refused.body).error.code).to.equal("INPUT_INVALID");
          const next = await post(nonce);
          expect(next.status, next.body).to.equal(200);
          expect(JSON.parse(next.body).attest).to.match(/^ff544347/);
        }
      } finally {
        agent.destroy();
      }
    });

    it("serves concurrent liveness quotes one after another, each over the liveness event alone, none refused", async function () {
      const liveness = replayTrainingPcr([livenessEvent()]);
      const quotes = await Promise.all(Array.from({ length: 6 }, (_, i) => client().quote(Buffer.alloc(32, i + 1))));
      for (const [i, q] of quotes.entries()) {
        const attest = parseAttest(hexToBytes(q.attest));
        expect(bytesToHex(attest.extraData)).to.equal(Buffer.alloc(32, i + 1).toString("hex"));
        expect(bytesToHex(attest.pcrDigest)).to.equal(liveness.pcrDigest);
        expect(q.pcr23).to.equal(liveness.pcr);
      }
    });

    it("refuses enrollment (a new AK, credential activation) and liveness quotes while a run holds the TPM", async function () {
      const idBefore = await client().identity();
      let id = "";
      const done = client().train(request("holds-the-tpm", ["--sleep", "60000"]), (e) => {
        if (e.type === "queued") id = e.id as string;
      });
      while (!id) await sleep(20);
      await waitRun(w.service, id, (r) => r.state === "running");
      const call = async (method: string, path: string, body?: unknown) => {
        const res = await fetch(`${w.service.url}${path}`, {
          method,
          headers: { authorization: `Bearer ${w.token}`, "content-type": "application/json" },
          ...(body ? { body: JSON.stringify(body) } : {}),
        });
        return { status: res.status, body: (await res.json()) as { error?: { code: string; message: string } } };
      };
      try {
        for (const [method, path, body] of [
          ["GET", `/v1/enrollment-request?address=${idBefore.address as string}&newAk=true`],
          ["GET", `/v1/enrollment-request?address=${idBefore.address as string}`],
          ["POST", "/v1/activate-credential", { credentialBlob: "00".repeat(68), encryptedSecret: "00".repeat(258) }],
          ["POST", "/v1/quote", { nonce: "07".repeat(32) }],
        ] as const) {
          const r = await call(method, path, body);
          expect(r.status, `${method} ${path}: ${JSON.stringify(r.body)}`).to.equal(409);
          expect(r.body.error).to.deep.include({ code: "ATTESTOR_BUSY" });
        }
        expect((await client().identity()).akName, "the AK was replaced mid-run").to.equal(idBefore.akName);
      } finally {
        await client().cancel(id);
        await done;
      }
      const after = await client().train(request("after-busy"));
      expect(after.state).to.equal("registered");
    });
  });
});
