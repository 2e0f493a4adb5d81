// The training command's sandbox on its own (core/attestor/sandbox.ts), for real: the unprivileged user made by
// scripts/tpm/train-user.sh, namespaces, setfacl. The attestor-level attacks are in containment.test.ts.
import { expect } from "chai";
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import type { Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { killLeftover, openSandbox } from "../../core/attestor/sandbox.ts";
import type { CommandSandbox } from "../../core/attestor/sandbox.ts";
import { isProvenantError } from "../../core/errors.ts";
import { REPO } from "../helpers/local-chain.ts";

async function rejection(p: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await p;
  } catch (e) {
    if (isProvenantError(e)) return e;
    throw e;
  }
  throw new Error("expected a rejection");
}

/** Pids of live (not zombie) processes whose command line contains `marker`. */
function livingWith(marker: string): string[] {
  return readdirSync("/proc")
    .filter((n) => /^\d+$/.test(n))
    .filter((pid) => {
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
        return readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ").includes(marker) && stat.replace(/^.*\) /, "")[0] !== "Z";
      } catch {
        return false;
      }
    });
}

/** Run argv in the sandbox; its exit code and output. */
async function runIn(sandbox: CommandSandbox, argv: string[], env: Record<string, string>, cwd = "/") {
  const { child, started } = sandbox.spawn(argv, { cwd, env });
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (c: Buffer) => (stdout += c.toString()));
  child.stderr!.on("data", (c: Buffer) => (stderr += c.toString()));
  const code = await new Promise<number | null>((r) => child.once("close", (c) => r(c)));
  await started;
  return { code, stdout, stderr };
}

describe("the training command's sandbox (real user, namespaces, ACLs)", function () {
  this.timeout(120_000);
  let work: string;
  let state: string;
  let sandbox: CommandSandbox;
  const PATH = "/usr/local/bin:/usr/bin:/bin";

  before(async function () {
    execFileSync("bash", [join(REPO, "scripts", "setup-system.sh")], { stdio: "inherit" });
    work = mkdtempSync(join(tmpdir(), "provenant-sandbox-"));
    state = join(work, "state");
    mkdirSync(state, { mode: 0o700 });
    writeFileSync(join(state, "ak.json"), "{}", { mode: 0o600 });
    sandbox = await openSandbox({ tcti: "swtpm:host=127.0.0.1,port=2321", stateDir: state });
  });

  after(function () {
    rmSync(work, { recursive: true, force: true });
  });

  it("runs the command as the unprivileged user, without capabilities, with exactly the request's environment", async function () {
    const env = { PATH, QUOTED: 'it\'s "here"\nand $HOME `x`', EMPTY: "" };
    const r = await runIn(sandbox, ["sh", "-c", "id -u; grep -E '^(CapEff|NoNewPrivs)' /proc/self/status"], { PATH });
    expect(r.code, r.stderr).to.equal(0);
    const [uid, capEff, nnp] = r.stdout.split("\n");
    expect(Number(uid)).to.equal(sandbox.user.uid);
    expect(capEff).to.match(/^CapEff:\s+0+$/);
    expect(nnp).to.match(/^NoNewPrivs:\s+1$/);
    // Not a shell (dash exports PWD of its own accord): env itself prints what it was given.
    const e = await runIn(sandbox, ["env", "-0"], env);
    expect(e.code, e.stderr).to.equal(0);
    expect(e.stdout.split("\0").filter(Boolean).sort()).to.deep.equal(
      Object.entries(env)
        .map(([k, v]) => `${k}=${v}`)
        .sort(),
    );
  });

  it("passes a request's LD_PRELOAD to the command only, never to a process that runs as root", async function () {
    const cc = ["/usr/bin/cc", "/usr/bin/gcc"].find((p) => existsSync(p));
    if (!cc) this.skip();
    const dir = join(work, "preload");
    mkdirSync(dir, { recursive: true });
    chmodSync(dir, 0o755);
    const marker = join(dir, "ran-as-root");
    writeFileSync(
      join(dir, "evil.c"),
      `#include <stdio.h>\n#include <unistd.h>\n__attribute__((constructor)) static void f(void) { if (getuid() == 0) { FILE *o = fopen("${marker}", "w"); if (o) fclose(o); } }\n`,
    );
    execFileSync(cc!, ["-shared", "-fPIC", "-o", join(dir, "evil.so"), join(dir, "evil.c")]);
    chmodSync(join(dir, "evil.so"), 0o755);
    const r = await runIn(sandbox, ["true"], { PATH, LD_PRELOAD: join(dir, "evil.so") });
    expect(r.code, r.stderr).to.equal(0);
    expect(existsSync(marker), "a root process of the sandbox loaded the request's LD_PRELOAD").to.equal(false);
  });

  it("refuses a TCTI whose reach it cannot check", async function () {
    const e = await rejection(openSandbox({ tcti: "tabrmd:bus_type=system", stateDir: state }));
    expect(e.code).to.equal("SANDBOX_UNSAFE");
    expect(e.message).to.contain("tabrmd");
  });

  it("refuses a run when the command's user could connect to the TPM's socket, and names it", async function () {
    const dir = join(work, "socket");
    mkdirSync(dir, { mode: 0o755 });
    chmodSync(dir, 0o755);
    chmodSync(work, 0o755);
    const path = join(dir, "tpm.sock");
    const servers: Server[] = [];
    for (const p of [path, `${path}.ctrl`]) {
      const s = createServer();
      await new Promise<void>((r) => s.listen(p, r));
      servers.push(s);
    }
    try {
      const exposed = await openSandbox({ tcti: `swtpm:path=${path}`, stateDir: state });
      chmodSync(path, 0o600);
      chmodSync(`${path}.ctrl`, 0o600);
      await exposed.check(); // only root may connect: fine
      chmodSync(path, 0o666);
      const e = await rejection(exposed.check());
      expect(e.code).to.equal("SANDBOX_UNSAFE");
      expect(e.message).to.contain(path);
    } finally {
      for (const s of servers) s.close();
      chmodSync(work, 0o700);
    }
  });

  it("hands the run's folders over and takes them back: no ACL left, what the command wrote owned by the folder's owner, links not followed", async function () {
    const owner = 65534; // nobody: the builder whose folders these are
    const home = join(work, "home");
    mkdirSync(join(home, "data", "sub"), { recursive: true, mode: 0o700 });
    chmodSync(home, 0o700);
    writeFileSync(join(home, "data", "sub", "x.txt"), "sample", { mode: 0o600 });
    chownSync(home, owner, owner);
    const outside = join(work, "outside.txt");
    writeFileSync(outside, "root's", { mode: 0o600 });
    const shared = join(work, "shared.txt"); // root's, but anyone may write it: the command can hard-link it
    writeFileSync(shared, "anyone's");
    chmodSync(shared, 0o666);
    const out = join(home, "runs", "out");
    const takeBack = await sandbox.handOver({ read: [join(home, "data")], enter: [home], write: out });
    const r = await runIn(
      sandbox,
      [
        "sh",
        "-c",
        `cat ${join(home, "data", "sub", "x.txt")} > ${join(out, "copy.txt")} && ln -s ${outside} ${join(out, "link")} && ln ${shared} ${join(out, "hard")} && mkdir ${join(out, "d")}`,
      ],
      { PATH },
      home,
    );
    expect(r.code, r.stderr).to.equal(0);
    expect(readFileSync(join(out, "copy.txt"), "utf8")).to.equal("sample");
    await takeBack();
    const withAcl = spawnSync("getfacl", ["-s", "-R", "-p", home], { encoding: "utf8" }).stdout;
    expect(withAcl, "entries still carrying an ACL").to.equal("");
    for (const p of [join(home, "runs"), out, join(out, "copy.txt"), join(out, "d")]) expect(statSync(p).uid, p).to.equal(owner);
    expect(statSync(outside).uid).to.equal(0);
    expect(statSync(shared).uid, "a hard link the command made gave root's file away").to.equal(0);
    expect(existsSync(join(state, "handover.json"))).to.equal(false);
  });

  it("kills a leftover sandboxed tree by its launcher's pid, and leaves a process that is not a sandbox alone", async function () {
    const marker = `600.${process.pid}${Date.now() % 100000}`;
    const { child, started } = sandbox.spawn(["sh", "-c", `sleep ${marker} & setsid sleep ${marker} & wait`], { cwd: "/", env: { PATH } });
    await started;
    const gone = new Promise((r) => child.once("close", r));
    const plain = spawn("sleep", ["600"]);
    const plainGone = new Promise((r) => plain.once("close", r));
    try {
      expect(killLeftover(plain.pid!), "killed a process that is not a sandbox").to.equal(false);
      expect(killLeftover(child.pid!)).to.equal(true);
      await gone; // the launcher, and with it the namespace's init and everything under it
      let left = livingWith(`sleep ${marker}`);
      for (let i = 0; i < 100 && left.length > 0; i++) {
        await new Promise((r) => setTimeout(r, 50));
        left = livingWith(`sleep ${marker}`);
      }
      expect(left, "processes of the killed tree").to.deep.equal([]);
      expect(plain.exitCode === null && plain.signalCode === null, "the plain process died").to.equal(true);
    } finally {
      plain.kill("SIGKILL");
      await plainGone;
    }
  });

  it("refuses to hand over the attestor's state or a folder that holds it", async function () {
    for (const read of [state, work, "/"]) {
      const e = await rejection(sandbox.handOver({ read: [read], enter: [], write: join(work, "never") }));
      expect(e.code, read).to.equal("SANDBOX_UNSAFE");
    }
  });
});
