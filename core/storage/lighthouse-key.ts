import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { packageRoot } from "../package-root.ts";
import { StorageError } from "../errors.ts";

/**
 * Where the Lighthouse API key comes from, first match wins:
 * 1. the environment variable LIGHTHOUSE_API_KEY;
 * 2. Hardhat's development keystore (`npx hardhat keystore set LIGHTHOUSE_API_KEY --dev`), read without a prompt;
 * 3. Hardhat's encrypted keystore (`npx hardhat keystore set LIGHTHOUSE_API_KEY`), when the caller can ask for its
 *    password (`askPassword`: the CLI's prompt on a terminal; a server has none).
 * The keystore is read by running `hardhat keystore get`, Hardhat's own command, so its file format stays Hardhat's
 * business; the library does not import Hardhat.
 */
export const LIGHTHOUSE_KEY_NAME = "LIGHTHOUSE_API_KEY";

const REPO = packageRoot();
const HARDHAT = join(REPO, "node_modules", ".bin", "hardhat");

/** Hardhat's global config directory, as its env-paths dependency computes it ("hardhat-nodejs"). */
export function hardhatConfigDir(env: NodeJS.ProcessEnv = process.env): string {
  if (process.platform === "darwin") return join(homedir(), "Library", "Preferences", "hardhat-nodejs");
  if (process.platform === "win32") return join(env.APPDATA ?? join(homedir(), "AppData", "Roaming"), "hardhat-nodejs", "Config");
  return join(env.XDG_CONFIG_HOME || join(homedir(), ".config"), "hardhat-nodejs");
}

/** Runs `hardhat keystore get <name>`; the value is the last line of its output, after any password prompt. */
export function readHardhatKeystore(name: string, options: { dev: boolean; password?: string; env?: NodeJS.ProcessEnv }): Promise<string | null> {
  return new Promise((resolve) => {
    const args = ["keystore", "get", name, ...(options.dev ? ["--dev"] : [])];
    const child = execFile(HARDHAT, args, { cwd: REPO, env: options.env ?? process.env, timeout: 120_000, maxBuffer: 1 << 20 }, (error, stdout) => {
      if (error) return resolve(null);
      const last = stdout.trimEnd().split("\n").at(-1) ?? "";
      const value = last.replace(/^\[hardhat-keystore\][^:]*: /, "").trim();
      resolve(value === "" ? null : value);
    });
    if (options.password !== undefined) child.stdin?.end(`${options.password}\n`);
    else child.stdin?.end();
  });
}

export function noKeyError(): StorageError {
  return new StorageError(
    "STORAGE_AUTH",
    `no Lighthouse API key: set ${LIGHTHOUSE_KEY_NAME}, or store it with \`npx hardhat keystore set ${LIGHTHOUSE_KEY_NAME}\` (Hardhat's development keystore needs no password: docs/storage.md)`,
  );
}

/** Asks the user for a secret; resolves to what they typed. */
export type PasswordPrompt = (prompt: string) => Promise<string>;

/** Resolves the key once per process; only called when an upload actually has to happen. */
export function lighthouseKeySource(options: { env?: NodeJS.ProcessEnv; askPassword?: PasswordPrompt } = {}): () => Promise<string> {
  const { env = process.env, askPassword } = options;
  let pending: Promise<string> | null = null;
  return () => {
    pending ??= (async () => {
      const fromEnv = env[LIGHTHOUSE_KEY_NAME]?.trim();
      if (fromEnv) return fromEnv;
      const dir = hardhatConfigDir(env);
      if (existsSync(join(dir, "dev.keystore.json"))) {
        const value = await readHardhatKeystore(LIGHTHOUSE_KEY_NAME, { dev: true, env });
        if (value) return value;
      }
      if (existsSync(join(dir, "keystore.json")) && askPassword) {
        const password = await askPassword(`Hardhat keystore password (for ${LIGHTHOUSE_KEY_NAME}): `);
        const value = await readHardhatKeystore(LIGHTHOUSE_KEY_NAME, { dev: false, password, env });
        if (value) return value;
        throw new StorageError("STORAGE_AUTH", `Hardhat's keystore did not give ${LIGHTHOUSE_KEY_NAME}: wrong password, or the key is not in it`);
      }
      throw noKeyError();
    })();
    pending.catch(() => (pending = null));
    return pending;
  };
}
