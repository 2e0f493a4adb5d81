/**
 * Test support for the TPM suites: make sure swtpm and tpm2-tools are installed (running
 * scripts/tpm/install.sh when they are not), start a software TPM with a transport on it.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { startSwtpm } from "../../core/tpm/swtpm.ts";
import type { StartSwtpmOptions, Swtpm } from "../../core/tpm/swtpm.ts";
import { createTpm2ToolsTransport } from "../../core/tpm/transport.ts";
import type { TpmTransport } from "../../core/tpm/transport.ts";

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
export const VECTORS_DIR = join(REPO_ROOT, "test/tpm/vectors");

const REQUIRED = ["swtpm", "swtpm_setup", "swtpm_localca", "swtpm_ioctl", "tpm2_quote", "tpm2_checkquote", "tpm2_makecredential", "setfacl"];

function missingTools(): string[] {
  return REQUIRED.filter((t) => spawnSync("sh", ["-c", `command -v ${t}`], { stdio: "ignore" }).status !== 0);
}

let checked = false;

/** Install swtpm and tpm2-tools with scripts/tpm/install.sh when missing; fail clearly if that does not work. */
export function ensureTpmToolsInstalled(): void {
  if (checked) return;
  if (missingTools().length > 0) {
    try {
      execFileSync("bash", [join(REPO_ROOT, "scripts/tpm/install.sh")], { stdio: "inherit" });
    } catch (e) {
      throw new Error(`scripts/tpm/install.sh failed; install swtpm and tpm2-tools by hand (${(e as Error).message})`, { cause: e });
    }
    const still = missingTools();
    if (still.length > 0) throw new Error(`after scripts/tpm/install.sh these are still missing: ${still.join(", ")}`);
  }
  checked = true;
}

export type TestTpm = {
  swtpm: Swtpm;
  transport: TpmTransport;
  /** Where the transport keeps ak.json. */
  akDir: string;
  stop(): Promise<void>;
};

/** A fresh software TPM and a transport on it. */
export async function startTestTpm(options: StartSwtpmOptions = {}): Promise<TestTpm> {
  ensureTpmToolsInstalled();
  const swtpm = await startSwtpm(options);
  const akDir = await mkdtemp(join(tmpdir(), "provenant-ak-"));
  const transport = createTpm2ToolsTransport({ tcti: swtpm.tcti, stateDir: akDir });
  return {
    swtpm,
    transport,
    akDir,
    async stop() {
      await swtpm.stop();
      await rm(akDir, { recursive: true, force: true });
    },
  };
}

export function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString("hex");
}

export function flipByte(bytes: Uint8Array, index: number): Uint8Array {
  const out = bytes.slice();
  out[index] = out[index]! ^ 0x01;
  return out;
}

/** Transient objects and sessions currently in the TPM (all three lists should be empty between operations). */
export function loadedHandles(tcti: string): string[] {
  const env = { ...process.env, TPM2TOOLS_TCTI: tcti };
  return ["handles-transient", "handles-loaded-session", "handles-saved-session"].flatMap((cap) =>
    execFileSync("tpm2_getcap", [cap], { env, encoding: "utf8" })
      .split("\n")
      .map((l) => l.trim())
      .filter((l) => l.startsWith("- "))
      .map((l) => `${cap} ${l.slice(2)}`),
  );
}
