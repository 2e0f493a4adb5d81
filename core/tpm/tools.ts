/**
 * Running tpm2-tools: one process per command, TPM2TOOLS_TCTI set explicitly, and failures
 * mapped onto TpmError (TPM_UNAVAILABLE when the tools or the TPM cannot be reached at all,
 * TPM_FAILED naming the command otherwise).
 */
import { execFile } from "node:child_process";
import { join } from "node:path";
import { TpmError } from "../errors.ts";

export type ToolOptions = {
  /** TCTI string, e.g. "swtpm:host=127.0.0.1,port=2321" or "device:/dev/tpmrm0"; "none" for offline tools. */
  tcti: string;
  /** Directory holding the tpm2_* executables; default: found on PATH. */
  toolsDir?: string;
  /** Per-command timeout; default 120 s (RSA key generation on a hardware TPM can take many seconds). */
  timeoutMs?: number;
  cwd?: string;
};

export type ToolOutput = { stdout: string; stderr: string };

const INSTALL_HINT = "run scripts/tpm/install.sh";

/** Why the TCTI could not be set up, from tpm2-tools' stderr, as one short phrase. */
function tctiReason(stderr: string): string {
  for (const line of stderr.split("\n")) {
    const m = /ERROR:tcti:[^ ]*\(\) (.*)$/.exec(line.trim());
    if (m && !/Could not initialize TCTI file|Failed to instantiate TCTI|No standard TCTI/.test(m[1]!)) {
      return m[1]!.trim();
    }
  }
  return "TCTI could not be initialised";
}

/** The most telling error line from tpm2-tools' stderr. */
function toolReason(stderr: string): string {
  const lines = stderr
    .split("\n")
    .map((l) => l.trim())
    .filter(Boolean);
  const plain = lines.find((l) => l.startsWith("ERROR: "));
  const chosen = plain ?? lines.filter((l) => !l.startsWith("WARN")).at(-1) ?? lines.at(-1) ?? "no error output";
  return chosen.replace(/^ERROR:\s*/, "");
}

export function isTctiFailure(stderr: string): boolean {
  return /Could not load tcti|Failed to instantiate TCTI/.test(stderr);
}

/** Run one tpm2-tools command. Throws TpmError on failure. */
export function runTool(tool: string, args: readonly string[], options: ToolOptions): Promise<ToolOutput> {
  const file = options.toolsDir ? join(options.toolsDir, tool) : tool;
  const timeout = options.timeoutMs ?? 120_000;
  return new Promise((resolve, reject) => {
    execFile(
      file,
      args,
      {
        env: { ...process.env, TPM2TOOLS_TCTI: options.tcti },
        timeout,
        killSignal: "SIGKILL",
        maxBuffer: 16 * 1024 * 1024,
        encoding: "utf8",
        ...(options.cwd ? { cwd: options.cwd } : {}),
      },
      (error, stdout, stderr) => {
        if (!error) {
          resolve({ stdout, stderr });
          return;
        }
        const err = error as NodeJS.ErrnoException & { killed?: boolean; signal?: string | null };
        if (err.code === "ENOENT") {
          reject(
            new TpmError("TPM_UNAVAILABLE", `tpm2-tools is not installed (${tool} not found); ${INSTALL_HINT}`, {
              cause: error,
            }),
          );
        } else if (err.killed || err.signal === "SIGKILL") {
          reject(
            new TpmError("TPM_UNAVAILABLE", `TPM at "${options.tcti}" did not answer ${tool} within ${timeout} ms (is another client holding it?)`, { cause: error }),
          );
        } else if (isTctiFailure(stderr)) {
          reject(
            new TpmError("TPM_UNAVAILABLE", `TPM not reachable at "${options.tcti}": ${tctiReason(stderr)}`, {
              cause: Object.assign(error, { stderr }),
            }),
          );
        } else {
          reject(
            new TpmError("TPM_FAILED", `${tool} failed: ${toolReason(stderr)}`, {
              cause: Object.assign(error, { stderr }),
            }),
          );
        }
      },
    );
  });
}
