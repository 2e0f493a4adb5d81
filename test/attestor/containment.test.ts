// The training command is the adversary: it runs on the attestor's machine and would like a certificate for
// weights nothing trained. These attacks run a command through the real service (real swtpm, local chain)
// and check that it cannot reach the TPM, cannot use the AK without its authorization, cannot read the
// attestor's state, and leaves no process behind when the service is killed.
import { expect } from "chai";
import { execFile } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { AttestorClient } from "../../core/attestor/client.ts";
import type { RunEvent } from "../../core/attestor/run-events.ts";
import { decodeCertificate } from "../../core/attestor/certificate-loader.ts";
import { openStore } from "../../core/config.ts";
import { DEFAULT_AK_HANDLE } from "../../core/tpm/transport.ts";
import { checkquote, makeDataset, startServiceProcess, startWorld } from "./world.ts";
import type { ServiceProcess, World } from "./world.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Every file below `dir`, recursively. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name));
}

/** Live (not zombie) processes whose command line contains `marker`. */
function processesWith(marker: string): string[] {
  const out: string[] = [];
  for (const pid of readdirSync("/proc").filter((n) => /^\d+$/.test(n))) {
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ");
      const state = readFileSync(`/proc/${pid}/stat`, "utf8").replace(/^.*\) /, "")[0];
      if (cmdline.includes(marker) && state !== "Z") out.push(`${pid} ${cmdline.trim()}`);
    } catch {
      // gone while we looked
    }
  }
  return out;
}

function run(file: string, args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) =>
    execFile(file, args, { env: { ...process.env, ...env } }, (error, stdout, stderr) =>
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    ),
  );
}

describe("the training command cannot forge, read the attestor's secrets or outlive it (real swtpm, service)", function () {
  this.timeout(600_000);
  let w: World;
  let dataset: string;
  let code: string;
  const client = (s: ServiceProcess = w.service) => new AttestorClient({ url: s.url, token: w.token });

  const request = (name: string, command: string[], env: Record<string, string> = {}) => {
    const out = join(w.work, "out", name);
    return {
      datasets: [{ datasetId: "1", role: "training", path: dataset }],
      parents: [],
      code,
      command,
      cwd: code,
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin", OUT: out, ...env },
      configFiles: [],
      outputDir: out,
      record: { name, version: "1.0.0" },
      license: "MIT",
      register: false,
    };
  };

  before(async function () {
    w = await startWorld("containment");
    dataset = makeDataset(join(w.work, "data"), 5);
    code = join(w.work, "code");
    mkdirSync(code, { recursive: true });
    const minted = await w.cli(["dataset", "mint", dataset, "--name", "Samples", "--license", "CC0-1.0"]);
    expect(minted.code, minted.stderr).to.equal(0);
    const enrolled = await w.cli(["attestor", "enroll", "--service", w.service.url]);
    expect(enrolled.code, enrolled.stdout + enrolled.stderr).to.equal(0);
  });

  after(async function () {
    await w?.stop();
  });

  it("a command that resets PCR 23, extends a made-up event and quotes it with the AK gets no quote the AK signed", async function () {
    const fake = createHash("sha256").update("weights nothing trained").digest("hex");
    const nonce = randomBytes(32).toString("hex");
    writeFileSync(
      join(code, "forge.sh"),
      [
        'mkdir -p "$OUT" && touch "$OUT/tried"',
        `tpm2_pcrreset 23 && tpm2_pcrextend 23:sha256=${fake} && ` +
          `tpm2_quote -c 0x${DEFAULT_AK_HANDLE.toString(16)} -l sha256:23 -q ${nonce} -m "$OUT/forged.msg" -s "$OUT/forged.sig" -g sha256 ` +
          "|| echo 'could not use the TPM' >&2",
        "echo 'honest weights' > \"$OUT/model.bin\"",
        "",
      ].join("\n"),
    );
    const out = join(w.work, "out", "forge");
    let id = "";
    const last = await client().train(request("forge", ["sh", join(code, "forge.sh")], { TPM2TOOLS_TCTI: w.swtpm.tcti }), (e) => {
      if (e.type === "queued") id = e.id as string;
    });
    expect(existsSync(join(out, "tried")), `the command did not run: ${JSON.stringify(last.error)}`).to.equal(true);
    if (existsSync(join(out, "forged.msg"))) {
      const dir = join(w.work, "forge-check");
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, "ak.pem"), (await client().identity()).akPublicKeyPem as string);
      const pcr = createHash("sha256").update(Buffer.alloc(32)).update(Buffer.from(fake, "hex")).digest();
      writeFileSync(join(dir, "pcrs"), pcr);
      const check = await checkquote([
        "-u",
        join(dir, "ak.pem"),
        "-m",
        join(out, "forged.msg"),
        "-s",
        join(out, "forged.sig"),
        "-f",
        join(dir, "pcrs"),
        "-l",
        "sha256:23",
        "-g",
        "sha256",
        "-q",
        nonce,
      ]);
      expect(check.code, "the enrolled AK signed the command's made-up PCR 23 and nonce").to.not.equal(0);
    }
    // Not a forgery, so the run goes on and certifies what the command did write.
    expect(last.state, JSON.stringify(last.error)).to.equal("certified");
    {
      const row = await client().run(id);
      const cert = decodeCertificate(await openStore("local", w.home).get(row.certificateCid as string));
      expect(cert.payload.eventLog.map((e) => e.digest)).to.not.include(`0x${fake}`);
    }
  });

  it("a process that can talk to the TPM but lacks the AK's authorization cannot quote with the AK", async function () {
    const dir = join(w.work, "direct-quote");
    mkdirSync(dir, { recursive: true });
    const r = await run(
      "tpm2_quote",
      ["-c", `0x${DEFAULT_AK_HANDLE.toString(16)}`, "-l", "sha256:23", "-q", "00ff", "-m", join(dir, "msg"), "-s", join(dir, "sig"), "-g", "sha256"],
      { TPM2TOOLS_TCTI: w.swtpm.tcti },
    );
    expect(r.code, "tpm2_quote with the AK succeeded without its authorization").to.not.equal(0);
    expect(r.stderr).to.match(/authorization|0x9a2|0x98e/i);
    // The attestor itself still quotes with it.
    const q = await client().quote(Buffer.alloc(32, 3));
    expect(q.attest).to.match(/^ff544347/);
  });

  it("the command cannot read the attestor's state, the software TPM's state or the service's environment", async function () {
    const secrets = [...filesUnder(w.stateDir), ...filesUnder(w.swtpm.stateDir), `/proc/${w.service.pid}/environ`];
    expect(secrets.some((f) => f.endsWith("ak.json"))).to.equal(true);
    expect(secrets.some((f) => f.endsWith("tpm2-00.permall"))).to.equal(true);
    writeFileSync(
      join(code, "peek.sh"),
      ['mkdir -p "$OUT"', 'for f in "$@"; do if cat "$f" >/dev/null 2>&1; then echo "$f"; fi; done > "$OUT/leaked"', 'echo w > "$OUT/model.bin"', ""].join("\n"),
    );
    const out = join(w.work, "out", "peek");
    const last = await client().train(request("peek", ["sh", join(code, "peek.sh"), ...secrets]));
    expect(last.state, JSON.stringify(last.error)).to.equal("certified");
    const leaked = readFileSync(join(out, "leaked"), "utf8").split("\n").filter(Boolean);
    expect(leaked, "files the training command could read").to.deep.equal([]);
  });

  it("refuses to run when the command's user could read the attestor's state, and says what it could read", async function () {
    const akJson = join(w.stateDir, "ak.json");
    const mode = { dir: statSync(w.stateDir).mode & 0o777, ak: statSync(akJson).mode & 0o777 };
    chmodSync(w.work, 0o755);
    chmodSync(w.stateDir, 0o755);
    chmodSync(akJson, 0o644);
    try {
      writeFileSync(join(code, "never.sh"), 'mkdir -p "$OUT"; echo ran > "$OUT/ran"; echo w > "$OUT/model.bin"\n');
      const last = await client().train(request("exposed", ["sh", join(code, "never.sh")]));
      expect(last.state).to.equal("failed");
      expect(last.error).to.deep.include({ code: "SANDBOX_UNSAFE" });
      expect((last.error as { message: string }).message).to.contain("ak.json");
      expect(existsSync(join(w.work, "out", "exposed", "ran")), "the command ran").to.equal(false);
    } finally {
      chmodSync(akJson, mode.ak);
      chmodSync(w.stateDir, mode.dir);
      chmodSync(w.work, 0o700);
    }
  });

  it("leaves no process of a run behind when the service is SIGKILLed while the command has forked grandchildren", async function () {
    const marker = `300.${randomBytes(4).readUInt32BE(0)}`;
    let id = "";
    const stream = client()
      .train(request("orphans", ["sh", "-c", `sleep ${marker} & setsid sleep ${marker} & sh -c 'sleep ${marker} & wait' & wait`]), (e: RunEvent) => {
        if (e.type === "queued") id = e.id as string;
      })
      .catch((e) => e);
    while (!id) await sleep(20);
    // The shell, its three sleeps and the inner shell.
    for (let i = 0; i < 600 && processesWith(`sleep ${marker}`).length < 5; i++) await sleep(50);
    expect(processesWith(`sleep ${marker}`).length).to.be.greaterThanOrEqual(5);
    await w.service.stop("SIGKILL");
    await stream;
    w.service = await w.startService();
    const row = await client().run(id);
    expect(row).to.include({ state: "interrupted" });
    for (let i = 0; i < 100 && processesWith(`sleep ${marker}`).length > 0; i++) await sleep(50);
    expect(processesWith(`sleep ${marker}`), "processes of the run still alive after a restart").to.deep.equal([]);
  });

  it("will not start when it cannot run commands as the unprivileged user, and says so in one line", async function () {
    const state = join(w.work, "no-user-state");
    const err = await startServiceProcess({ ...w.env, PROVENANT_TRAIN_USER: "provenant-no-such-user" }, state, w.swtpm.tcti).then(
      (s) => s.stop().then(() => undefined),
      (e: Error) => e,
    );
    expect(err, "the service started").to.be.instanceOf(Error);
    expect(err!.message).to.contain("provenant-no-such-user");
  });
});
