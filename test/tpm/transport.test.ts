import { expect } from "chai";
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { errorMessage } from "../../cli/output.ts";
import { isProvenantError, type ProvenantError } from "../../core/errors.ts";
import { startSwtpm } from "../../core/tpm/swtpm.ts";
import { createTpm2ToolsTransport } from "../../core/tpm/transport.ts";
import { sha256Hex } from "../../core/tpm/quote.ts";
import { verifyQuote } from "../../core/tpm/quote-check.ts";
import { ensureTpmToolsInstalled, hex } from "./helpers.ts";

async function rejection(p: Promise<unknown>): Promise<ProvenantError> {
  try {
    await p;
  } catch (e) {
    if (!isProvenantError(e)) throw e;
    return e;
  }
  throw new Error("expected a rejection");
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe("software TPM and tpm2-tools transport", function () {
  let scratch: string;

  before(async function () {
    this.timeout(180_000);
    ensureTpmToolsInstalled();
    scratch = await mkdtemp(join(tmpdir(), "provenant-transport-test-"));
  });

  after(async function () {
    await rm(scratch, { recursive: true, force: true });
  });

  it("starts swtpm from a fresh temp dir and removes the daemon and its state on stop", async function () {
    this.timeout(60_000);
    const tpm = await startSwtpm();
    expect(tpm.tcti).to.match(/^swtpm:host=127\.0\.0\.1,port=\d+$/);
    expect(tpm.ctrlPort).to.equal(tpm.port + 1);
    expect(tpm.caCertPem).to.contain("BEGIN CERTIFICATE");
    expect(alive(tpm.pid)).to.equal(true);
    const t = createTpm2ToolsTransport({ tcti: tpm.tcti, stateDir: join(scratch, "fresh") });
    expect((await t.pcrRead([0]))[0]).to.equal("0".repeat(64));
    await tpm.stop();
    await tpm.stop(); // idempotent
    expect(alive(tpm.pid)).to.equal(false);
    expect(existsSync(tpm.stateDir)).to.equal(false);
  });

  it("keeps the AK across a restart of the TPM and of the transport", async function () {
    this.timeout(60_000);
    const stateDir = join(scratch, "restart-tpm");
    const akDir = join(scratch, "restart-ak");
    const first = await startSwtpm({ stateDir });
    const ak = await createTpm2ToolsTransport({ tcti: first.tcti, stateDir: akDir }).createAk();
    await first.stop();
    expect(existsSync(stateDir)).to.equal(true);

    const second = await startSwtpm({ stateDir });
    try {
      const t = createTpm2ToolsTransport({ tcti: second.tcti, stateDir: akDir });
      const loaded = await t.loadAk();
      expect(hex(loaded!.name)).to.equal(hex(ak.name));
      await t.pcrExtend(23, sha256Hex("after restart"));
      const nonce = new Uint8Array(randomBytes(32));
      const q = await t.quote([23], nonce);
      const v = verifyQuote({
        attest: q.attest,
        signature: q.signature,
        akPublicKey: ak.publicKeyPem,
        nonce,
        pcrs: [23],
        eventLog: [{ pcr: 23, digest: sha256Hex("after restart") }],
      });
      expect(v.ok).to.equal(true);
    } finally {
      await second.stop({ removeState: true });
    }
    expect(existsSync(stateDir)).to.equal(false);
  });

  it("replaces the AK when createAk is called again, and loadAk reports none before the first", async function () {
    this.timeout(60_000);
    const tpm = await startSwtpm();
    try {
      const t = createTpm2ToolsTransport({ tcti: tpm.tcti, stateDir: join(scratch, "replace-ak") });
      expect(await t.loadAk()).to.equal(undefined);
      const q = await rejection(t.quote([23], new Uint8Array(8)));
      expect(q.code).to.equal("TPM_FAILED");
      expect(q.message).to.contain("createAk");
      const one = await t.createAk();
      const two = await t.createAk();
      expect(hex(one.name)).to.not.equal(hex(two.name));
      expect(hex((await t.loadAk())!.name)).to.equal(hex(two.name));
    } finally {
      await tpm.stop();
    }
  });

  it("reports TPM_UNAVAILABLE in one line when nothing listens at the TCTI address", async function () {
    this.timeout(60_000);
    const tpm = await startSwtpm();
    await tpm.stop();
    const t = createTpm2ToolsTransport({ tcti: tpm.tcti, stateDir: join(scratch, "gone") });
    const e = await rejection(t.pcrRead([23]));
    expect(e.code).to.equal("TPM_UNAVAILABLE");
    expect(e.message).to.contain(tpm.tcti);
    expect(e.message).to.not.contain("\n");
  });

  it("reports TPM_UNAVAILABLE for a TPM device that does not exist", async function () {
    const t = createTpm2ToolsTransport({ tcti: "device:/dev/tpmrm-missing", stateDir: join(scratch, "dev") });
    const e = await rejection(t.pcrRead([23]));
    expect(e.code).to.equal("TPM_UNAVAILABLE");
    expect(e.message).to.contain("No such file or directory");
  });

  it("reports TPM_UNAVAILABLE when tpm2-tools are not installed", async function () {
    const t = createTpm2ToolsTransport({ tcti: "device:/dev/tpmrm0", stateDir: join(scratch, "x"), toolsDir: scratch });
    const e = await rejection(t.readEkCertificate());
    expect(e.code).to.equal("TPM_UNAVAILABLE");
    expect(e.message).to.match(/tpm2-tools is not installed .*install\.sh/);
  });

  it("reports TPM_UNAVAILABLE from startSwtpm when swtpm is not installed", async function () {
    const path = process.env.PATH;
    process.env.PATH = scratch;
    try {
      const e = await rejection(startSwtpm());
      expect(e.code).to.equal("TPM_UNAVAILABLE");
      expect(e.message).to.match(/swtpm is not installed/);
    } finally {
      process.env.PATH = path;
    }
  });

  it("reports TPM_FAILED naming the command when the TPM refuses it", async function () {
    this.timeout(60_000);
    const tpm = await startSwtpm();
    try {
      const t = createTpm2ToolsTransport({ tcti: tpm.tcti, stateDir: join(scratch, "refuse") });
      const e = await rejection(t.pcrReset(0)); // PCR 0 is not resettable from locality 0
      expect(e.code).to.equal("TPM_FAILED");
      expect(e.message).to.match(/^tpm2_pcrreset failed: /);
      // The transport stays usable after a failure.
      expect((await t.pcrRead([23]))[23]).to.have.length(64);
    } finally {
      await tpm.stop();
    }
  });

  it("refuses an ak.json of another format version before touching the TPM", async function () {
    const dir = join(scratch, "bad-ak");
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, "ak.json"), JSON.stringify({ format: "provenant-tpm-ak-v0", handle: "0x81008001" }));
    const t = createTpm2ToolsTransport({ tcti: "device:/dev/null-tpm", stateDir: dir });
    const e = await rejection(t.loadAk());
    expect(e.code).to.equal("FORMAT_UNSUPPORTED");
    expect(e.message).to.contain("provenant-tpm-ak-v2");
  });

  it("refuses an AK recorded without an authorization value (ak.json v1) and says to make a new one", async function () {
    const dir = join(scratch, "v1-ak");
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, "ak.json"), JSON.stringify({ format: "provenant-tpm-ak-v1", handle: "0x81008001", name: "00", publicKeyPem: "", tpm2bPublic: "00" }));
    const t = createTpm2ToolsTransport({ tcti: "device:/dev/null-tpm", stateDir: dir });
    const e = await rejection(t.loadAk());
    expect(e.code).to.equal("NOT_ENROLLED");
    expect(e.message, "the library names no CLI flag").to.not.contain("--");
    expect(errorMessage(e)).to.contain("provenant attestor enroll --new-ak");
  });

  it("gives the AK an authorization value: tpm2_quote without it is refused, the transport quotes, ak.json is 0600", async function () {
    const tpm = await startSwtpm();
    const dir = join(scratch, "ak-auth");
    try {
      const t = createTpm2ToolsTransport({ tcti: tpm.tcti, stateDir: dir });
      const ak = await t.createAk();
      expect((await stat(join(dir, "ak.json"))).mode & 0o777).to.equal(0o600);
      const q = await t.quote([23], new Uint8Array(32));
      expect(q.attest.length).to.be.greaterThan(0);
      const args = ["-c", `0x${ak.handle.toString(16)}`, "-l", "sha256:23", "-q", "00", "-m", join(dir, "m"), "-s", join(dir, "s")];
      const without = spawnSync("tpm2_quote", args, { env: { ...process.env, TPM2TOOLS_TCTI: tpm.tcti }, encoding: "utf8" });
      expect(without.status).to.not.equal(0);
      // noDA: a wrong guess is refused without counting towards a lockout of the TPM.
      expect(without.stderr).to.contain("0x9A2");
      const wrong = spawnSync("tpm2_quote", [...args, "-p", "hex:00"], { env: { ...process.env, TPM2TOOLS_TCTI: tpm.tcti }, encoding: "utf8" });
      expect(wrong.status).to.not.equal(0);
      expect((await t.quote([23], new Uint8Array(32))).attest.length).to.be.greaterThan(0);
    } finally {
      await tpm.stop();
    }
  });

  it("rejects bad inputs before touching the TPM", async function () {
    const t = createTpm2ToolsTransport({ tcti: "device:/dev/null-tpm", stateDir: join(scratch, "inputs") });
    expect((await rejection(t.quote([23], new Uint8Array(65)))).code).to.equal("INPUT_INVALID");
    expect((await rejection(t.quote([24], new Uint8Array(8)))).code).to.equal("INPUT_INVALID");
    expect((await rejection(t.pcrExtend(23, "abcd"))).code).to.equal("INPUT_INVALID");
    expect((await rejection(t.makeCredential("x", new Uint8Array(34), new Uint8Array(40)))).code).to.equal("INPUT_INVALID");
  });
});
