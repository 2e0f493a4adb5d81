/**
 * `npm run attestor`: the attestor service.
 *
 *   node attestor/main.ts [--swtpm] [--host 127.0.0.1] [--port 8746] [--state-dir DIR] [--tcti TCTI] [--network NAME]
 *                         [--train-user NAME] [--boot-policy FILE] [--boot-log FILE]
 *
 * Environment: PROVENANT_ATTESTOR_TOKEN (else <state-dir>/token, created on first start, mode 0600),
 * PROVENANT_ATTESTOR_HOST, PROVENANT_ATTESTOR_PORT, PROVENANT_ATTESTOR_STATE (default <data dir>/attestor),
 * PROVENANT_TPM_TCTI (else TPM2TOOLS_TCTI, else device:/dev/tpmrm0), PROVENANT_TRAIN_USER (the unprivileged
 * user training commands run as, default provenant-train), PROVENANT_EK_INTERMEDIATES (PEM files,
 * ':'-separated), PROVENANT_NETWORK (default localhost), PROVENANT_HOME (data dir), and the chain's
 * PROVENANT_RPC_URL / PROVENANT_DEPLOYMENT_ID (the registries are the deployment's).
 * `--swtpm` runs a software TPM kept in <state-dir>/swtpm (development and demos: software trust level).
 * `--boot-policy` (PROVENANT_BOOT_POLICY, a provenant-boot-policy-v1 file) makes certificates boot+pcr23: the
 * final quote also covers the policy's boot PCRs, whose event log is read from `--boot-log` (PROVENANT_BOOT_LOG,
 * default /sys/kernel/security/tpm0/binary_bios_measurements) and must replay to them and pass the policy.
 * Writes <state-dir>/attestor.json ({url, pid}) so that `provenant train` finds the service.
 */
import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { dataDir as defaultDataDir } from "../core/config.ts";
import { isProvenantError } from "../core/errors.ts";
import { HARDWARE_TCTI } from "../core/tpm/transport.ts";
import { parseBootPolicy } from "../core/attestor/boot-policy.ts";
import { DEFAULT_BOOT_LOG_PATH } from "../core/attestor/boot-state.ts";
import type { BootSource } from "../core/attestor/boot-state.ts";
import { ProvenantError } from "../core/errors.ts";

// node:sqlite announces itself as experimental on stderr; the logs there are JSON lines.
process.removeAllListeners("warning");
process.on("warning", (w) => {
  if (w.name !== "ExperimentalWarning") process.stderr.write(`${JSON.stringify({ time: new Date().toISOString(), level: "warn", msg: w.message })}\n`);
});

const { createLogger } = await import("./log.ts");
const { startAttestorService } = await import("./service.ts");
const { startSwtpm } = await import("../core/tpm/swtpm.ts");

export const DEFAULT_PORT = 8746;

const { values } = parseArgs({
  options: {
    swtpm: { type: "boolean", default: false },
    host: { type: "string" },
    port: { type: "string" },
    "state-dir": { type: "string" },
    tcti: { type: "string" },
    network: { type: "string" },
    "train-user": { type: "string" },
    "boot-policy": { type: "string" },
    "boot-log": { type: "string" },
  },
});

const env = process.env;
const log = createLogger();
const dataDir = defaultDataDir();
const stateDir = resolve(values["state-dir"] ?? env.PROVENANT_ATTESTOR_STATE ?? join(dataDir, "attestor"));

/** The boot source from --boot-policy and --boot-log, checked now: an unreadable policy or log stops the start. */
function bootSource(): BootSource | undefined {
  const policyPath = values["boot-policy"] ?? env.PROVENANT_BOOT_POLICY;
  if (!policyPath) return undefined;
  let policy;
  try {
    policy = parseBootPolicy(JSON.parse(readFileSync(policyPath, "utf8")));
  } catch (e) {
    throw new ProvenantError("CONFIG_INVALID", `boot policy ${policyPath}: ${(e as Error).message}`, { cause: e });
  }
  const logPath = resolve(values["boot-log"] ?? env.PROVENANT_BOOT_LOG ?? DEFAULT_BOOT_LOG_PATH);
  const readLog = async () => {
    try {
      return new Uint8Array(readFileSync(logPath));
    } catch (e) {
      throw new ProvenantError(
        "INPUT_UNREADABLE",
        `the boot event log ${logPath} cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}): a machine without a TPM event log cannot certify at the boot+pcr23 level`,
        { cause: e },
      );
    }
  };
  return { policy, readLog, location: logPath };
}

function token(): string {
  if (env.PROVENANT_ATTESTOR_TOKEN) return env.PROVENANT_ATTESTOR_TOKEN;
  const path = join(stateDir, "token");
  if (!existsSync(path)) {
    writeFileSync(path, `${randomBytes(32).toString("hex")}\n`, { mode: 0o600 });
    chmodSync(path, 0o600);
    log.info("created an access token", { path });
  }
  return readFileSync(path, "utf8").trim();
}

try {
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  chmodSync(stateDir, 0o700);
  let tcti = values.tcti ?? env.PROVENANT_TPM_TCTI ?? env.TPM2TOOLS_TCTI ?? HARDWARE_TCTI;
  const ekIntermediates = (env.PROVENANT_EK_INTERMEDIATES ?? "")
    .split(":")
    .filter(Boolean)
    .map((p) => readFileSync(p, "utf8"));
  const boot = bootSource();
  await boot?.readLog();
  if (boot) log.info("boot+pcr23 level", { policy: boot.policy.name, pcrs: boot.policy.pcrs, log: boot.location });
  let stopSwtpm: (() => Promise<void>) | undefined;
  if (values.swtpm) {
    const swtpm = await startSwtpm({ stateDir: join(stateDir, "swtpm") });
    tcti = swtpm.tcti;
    ekIntermediates.push(swtpm.issuerCertPem);
    stopSwtpm = () => swtpm.stop({ removeState: false });
    log.info("software TPM started", { tcti, caCert: swtpm.caCertPath, pid: swtpm.pid });
  }
  const service = await startAttestorService({
    host: values.host ?? env.PROVENANT_ATTESTOR_HOST ?? "127.0.0.1",
    port: Number(values.port ?? env.PROVENANT_ATTESTOR_PORT ?? DEFAULT_PORT),
    stateDir,
    dataDir,
    tcti,
    token: token(),
    network: values.network ?? env.PROVENANT_NETWORK ?? "localhost",
    ekIntermediates,
    log,
    ...(values["train-user"] || env.PROVENANT_TRAIN_USER ? { trainUser: values["train-user"] ?? env.PROVENANT_TRAIN_USER } : {}),
    ...(boot ? { boot } : {}),
  });
  const infoPath = join(stateDir, "attestor.json");
  writeFileSync(infoPath, `${JSON.stringify({ url: service.url, pid: process.pid, tcti }, null, 2)}\n`);
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info("stopping", { signal });
    await service.close();
    await stopSwtpm?.();
    rmSync(infoPath, { force: true });
    process.exit(0);
  };
  process.on("SIGINT", () => void stop("SIGINT"));
  process.on("SIGTERM", () => void stop("SIGTERM"));
} catch (e) {
  log.error("the attestor could not start", { code: isProvenantError(e) ? e.code : "INTERNAL", error: (e as Error).message });
  process.exit(1);
}
