/**
 * A simulated TPM for development and tests: swtpm manufactured by swtpm_setup with an RSA
 * EK certificate from a local CA of our own (swtpm_localca), then `swtpm socket` on free
 * 127.0.0.1 ports. Not for production: the EK certificate proves only that this machine's
 * local CA signed it.
 *
 * Layout under `stateDir` (mode 0700): ca/ (local CA, unless `caDir` is given), tpm/ (TPM state),
 * setup.log, swtpm.log, swtpm.pid.
 *
 * swtpm runs as a child of this process. stop() shuts it down; a normal process exit kills
 * it too; a process killed by a signal leaves it running (kill the pid in swtpm.pid).
 */
import { execFile, spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { connect, createServer } from "node:net";
import type { AddressInfo, Server } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { TpmError } from "../errors.ts";

export type Swtpm = {
  /** TCTI string for tpm2-tools (TPM2TOOLS_TCTI) and createTpm2ToolsTransport. */
  tcti: string;
  host: string;
  port: number;
  ctrlPort: number;
  pid: number;
  stateDir: string;
  caDir: string;
  /** The local root CA (self-signed): the trust anchor for this software TPM's EK certificate. */
  caCertPath: string;
  caCertPem: string;
  /** The local CA's intermediate, which signs EK certificates. */
  issuerCertPath: string;
  issuerCertPem: string;
  /** Shut swtpm down (gracefully, then by signal); removes stateDir when it was a fresh temp dir, unless told otherwise. */
  stop(options?: { removeState?: boolean }): Promise<void>;
};

export type StartSwtpmOptions = {
  /** Where the TPM state lives; default a fresh temp dir. An existing manufactured state is reused. */
  stateDir?: string;
  /** Local CA directory to use (shared between instances to give several TPMs one CA); default `<stateDir>/ca`. */
  caDir?: string;
  /** How long to wait for swtpm to listen; default 10 s. */
  timeoutMs?: number;
};

export const SWTPM_HOST = "127.0.0.1";
const INSTALL_HINT = "run scripts/tpm/install.sh";

const running = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // A test that forgets stop() must not leave daemons behind.
  process.once("exit", () => {
    for (const child of running) child.kill("SIGKILL");
  });
}

function run(file: string, args: readonly string[], what: string): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    execFile(file, args, { encoding: "utf8", timeout: 120_000 }, (error, stdout, stderr) => {
      if (!error) return resolvePromise(stdout);
      if ((error as NodeJS.ErrnoException).code === "ENOENT") {
        reject(
          new TpmError("TPM_UNAVAILABLE", `swtpm is not installed (${file} not found); ${INSTALL_HINT}`, {
            cause: error,
          }),
        );
      } else {
        const line = stderr.trim().split("\n").at(-1) || stdout.trim().split("\n").at(-1) || error.message;
        reject(new TpmError("TPM_FAILED", `${what} failed: ${line}`, { cause: Object.assign(error, { stderr }) }));
      }
    });
  });
}

function listenOn(port: number): Promise<Server | undefined> {
  return new Promise((res) => {
    const s = createServer();
    s.once("error", () => res(undefined));
    s.listen(port, SWTPM_HOST, () => res(s));
  });
}

const closeServer = (s: Server) => new Promise<void>((res) => s.close(() => res()));

/**
 * A free TCP port p on 127.0.0.1 with p+1 free too: the swtpm TCTI always looks for the
 * control channel at port+1 (it has no option for it). Both are bound, then released.
 */
async function freePortPair(): Promise<[number, number]> {
  for (let i = 0; i < 50; i++) {
    const first = await listenOn(0);
    if (!first) continue;
    const port = (first.address() as AddressInfo).port;
    const second = port < 65535 ? await listenOn(port + 1) : undefined;
    await closeServer(first);
    if (second) {
      await closeServer(second);
      return [port, port + 1];
    }
  }
  throw new TpmError("TPM_UNAVAILABLE", `no two consecutive free TCP ports on ${SWTPM_HOST}`);
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((res) => {
    const sock = connect({ host: SWTPM_HOST, port });
    sock.once("connect", () => {
      sock.destroy();
      res(true);
    });
    sock.once("error", () => {
      sock.destroy();
      res(false);
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Write a swtpm_localca configuration into `caDir` (idempotent). swtpm_localca creates the
 * root CA and the intermediate signing key there on first use.
 */
export async function writeLocalCaConfig(caDir: string): Promise<string> {
  await mkdir(caDir, { recursive: true });
  const conf = join(caDir, "swtpm-localca.conf");
  const opts = join(caDir, "swtpm-localca.options");
  const setup = join(caDir, "swtpm_setup.conf");
  await writeFile(
    conf,
    [
      `statedir = ${caDir}`,
      `signingkey = ${join(caDir, "signkey.pem")}`,
      `issuercert = ${join(caDir, "issuercert.pem")}`,
      `certserial = ${join(caDir, "certserial")}`,
      "",
    ].join("\n"),
  );
  await writeFile(opts, ["--platform-manufacturer Provenant", "--platform-version 2.1", "--platform-model swtpm", ""].join("\n"));
  await writeFile(
    setup,
    ["create_certs_tool = /usr/bin/swtpm_localca", `create_certs_tool_config = ${conf}`, `create_certs_tool_options = ${opts}`, "active_pcr_banks = sha256", ""].join(
      "\n",
    ),
  );
  return setup;
}

/** Manufacture a TPM state in `tpmDir`: EK (RSA and ECC), EK and platform certificates from the local CA. */
async function manufacture(tpmDir: string, setupConf: string, logFile: string): Promise<void> {
  await mkdir(tpmDir, { recursive: true });
  await run(
    "swtpm_setup",
    [
      "--tpm2",
      "--tpmstate",
      tpmDir,
      "--config",
      setupConf,
      "--create-ek-cert",
      "--create-platform-cert",
      "--lock-nvram",
      "--overwrite",
      "--pcr-banks",
      "sha256",
      "--logfile",
      logFile,
    ],
    "swtpm_setup",
  );
}

async function lastLogLine(file: string): Promise<string> {
  try {
    const text = await readFile(file, "utf8");
    return text.trim().split("\n").at(-1) ?? "";
  } catch {
    return "";
  }
}

/** Start a software TPM. Throws TpmError TPM_UNAVAILABLE when swtpm is not installed. */
export async function startSwtpm(options: StartSwtpmOptions = {}): Promise<Swtpm> {
  const ownsState = options.stateDir === undefined;
  const stateDir = resolve(options.stateDir ?? (await mkdtemp(join(tmpdir(), "provenant-swtpm-"))));
  const caDir = resolve(options.caDir ?? join(stateDir, "ca"));
  const tpmDir = join(stateDir, "tpm");
  const timeoutMs = options.timeoutMs ?? 10_000;
  try {
    // The TPM's state and the local CA's keys are the software TPM's secrets: its owner alone may read them.
    await mkdir(stateDir, { recursive: true, mode: 0o700 });
    await chmod(stateDir, 0o700);
    const setupConf = await writeLocalCaConfig(caDir);
    if (!existsSync(join(tpmDir, "tpm2-00.permall"))) {
      await manufacture(tpmDir, setupConf, join(stateDir, "setup.log"));
    }
    const caCertPath = join(caDir, "swtpm-localca-rootca-cert.pem");
    const issuerCertPath = join(caDir, "issuercert.pem");
    const [caCertPem, issuerCertPem] = await Promise.all([readFile(caCertPath, "utf8"), readFile(issuerCertPath, "utf8")]);

    // Free ports can be taken between probing and binding: retry a few times.
    let lastError: unknown;
    for (let attempt = 0; attempt < 5; attempt++) {
      const [port, ctrlPort] = await freePortPair();
      try {
        const child = await spawnSwtpm(stateDir, tpmDir, port, ctrlPort, timeoutMs);
        return makeHandle({
          child,
          port,
          ctrlPort,
          stateDir,
          caDir,
          caCertPath,
          caCertPem,
          issuerCertPath,
          issuerCertPem,
          ownsState,
        });
      } catch (e) {
        lastError = e;
        if (!(e instanceof TpmError && /Address already in use|bind/i.test(e.message))) throw e;
      }
    }
    throw lastError;
  } catch (e) {
    if (ownsState) await rm(stateDir, { recursive: true, force: true });
    if (e instanceof TpmError) throw e;
    throw new TpmError("TPM_FAILED", `starting swtpm failed: ${(e as Error).message}`, { cause: e });
  }
}

async function spawnSwtpm(stateDir: string, tpmDir: string, port: number, ctrlPort: number, timeoutMs: number): Promise<ChildProcess> {
  const logFile = join(stateDir, "swtpm.log");
  await rm(logFile, { force: true });
  const child = spawn(
    "swtpm",
    [
      "socket",
      "--tpm2",
      "--tpmstate",
      `dir=${tpmDir}`,
      "--server",
      `type=tcp,port=${port},bindaddr=${SWTPM_HOST}`,
      "--ctrl",
      `type=tcp,port=${ctrlPort},bindaddr=${SWTPM_HOST}`,
      "--flags",
      "not-need-init,startup-clear",
      "--log",
      `file=${logFile},level=1`,
      // For a human cleaning up after a process killed by a signal (no exit hook runs then).
      "--pid",
      `file=${join(stateDir, "swtpm.pid")}`,
    ],
    { stdio: "ignore" },
  );
  let exited: string | undefined;
  let spawnError: NodeJS.ErrnoException | undefined;
  child.once("error", (e: NodeJS.ErrnoException) => (spawnError = e));
  child.once("exit", (code, signal) => (exited = signal ? `signal ${signal}` : `code ${code}`));
  child.unref();
  running.add(child);
  child.once("exit", () => running.delete(child));
  installExitHook();

  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (spawnError) {
      running.delete(child);
      if (spawnError.code === "ENOENT") {
        throw new TpmError("TPM_UNAVAILABLE", `swtpm is not installed (swtpm not found); ${INSTALL_HINT}`, {
          cause: spawnError,
        });
      }
      throw new TpmError("TPM_FAILED", `swtpm could not start: ${spawnError.message}`, { cause: spawnError });
    }
    if (exited) {
      throw new TpmError("TPM_FAILED", `swtpm exited during start (${exited}): ${await lastLogLine(logFile)}`);
    }
    if ((await canConnect(ctrlPort)) && (await canConnect(port))) return child;
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new TpmError("TPM_UNAVAILABLE", `swtpm did not listen on ${SWTPM_HOST}:${port} within ${timeoutMs} ms`);
    }
    await sleep(20);
  }
}

function waitExit(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((res) => {
    const t = setTimeout(() => res(false), ms);
    child.once("exit", () => {
      clearTimeout(t);
      res(true);
    });
  });
}

function makeHandle(p: {
  child: ChildProcess;
  port: number;
  ctrlPort: number;
  stateDir: string;
  caDir: string;
  caCertPath: string;
  caCertPem: string;
  issuerCertPath: string;
  issuerCertPem: string;
  ownsState: boolean;
}): Swtpm {
  let stopping: Promise<void> | undefined;
  return {
    tcti: `swtpm:host=${SWTPM_HOST},port=${p.port}`,
    host: SWTPM_HOST,
    port: p.port,
    ctrlPort: p.ctrlPort,
    pid: p.child.pid!,
    stateDir: p.stateDir,
    caDir: p.caDir,
    caCertPath: p.caCertPath,
    caCertPem: p.caCertPem,
    issuerCertPath: p.issuerCertPath,
    issuerCertPem: p.issuerCertPem,
    stop(options = {}) {
      stopping ??= (async () => {
        const { child } = p;
        // Graceful: CMD_SHUTDOWN over the control channel saves state and exits.
        try {
          await run("swtpm_ioctl", ["--tcp", `${SWTPM_HOST}:${p.ctrlPort}`, "-s"], "swtpm_ioctl");
        } catch {
          // fall through to signals
        }
        if (!(await waitExit(child, 2000))) {
          child.kill("SIGTERM");
          if (!(await waitExit(child, 2000))) {
            child.kill("SIGKILL");
            await waitExit(child, 2000);
          }
        }
        running.delete(child);
        if (options.removeState ?? p.ownsState) await rm(p.stateDir, { recursive: true, force: true });
      })();
      return stopping;
    },
  };
}
