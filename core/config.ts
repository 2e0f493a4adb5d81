import { existsSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { InputError } from "./errors.ts";
import { parseVersionedJson } from "./versioned-json.ts";
import { sdkEndpoints, type UploadProgress } from "./storage/lighthouse-api.ts";
import { lighthouseKeySource, type PasswordPrompt } from "./storage/lighthouse-key.ts";
import { LighthouseStore } from "./storage/lighthouse-store.ts";
import { LocalStore } from "./storage/local-store.ts";
import { DEFAULT_RETRY, type RetryPolicy } from "./storage/retry.ts";
import type { ContentStore } from "./storage/store.ts";

/** The data directory: --data-dir, else $PROVENANT_HOME, else ~/.provenant. */
export function dataDir(explicit?: string): string {
  return resolve(explicit ?? process.env.PROVENANT_HOME ?? join(homedir(), ".provenant"));
}

export const STORAGE_KINDS = ["local", "lighthouse"] as const;
export type StorageKind = (typeof STORAGE_KINDS)[number];

/**
 * The project configuration file, provenant.config.json: found through $PROVENANT_CONFIG, else in the working
 * directory or the nearest parent that has one. Every key is optional; unknown keys are refused (a typo must not
 * silently fall back to a default). Secrets never go here: the API key comes from the environment or Hardhat's
 * keystore.
 *
 *   {
 *     "format": "provenant-config-v1",
 *     "storage": "lighthouse",
 *     "lighthouse": {
 *       "apiUrl": "https://api.lighthouse.storage",
 *       "uploadUrl": "https://upload.lighthouse.storage",
 *       "gatewayUrl": "https://gateway.lighthouse.storage",
 *       "timeoutMs": 60000, "retries": 5, "retryBaseMs": 1000,
 *       "podsiNetwork": "mainnet"
 *     }
 *   }
 */
export const PROJECT_CONFIG_FILE = "provenant.config.json";
export const PROJECT_CONFIG_FORMAT = "provenant-config-v1";

export interface LighthouseSettings {
  apiUrl: string;
  uploadUrl: string;
  gatewayUrl: string;
  /** Inactivity timeout of one request, in milliseconds. */
  timeoutMs: number;
  /** Attempts per request, the first included. */
  retries: number;
  /** Backoff before the second attempt; doubled each time, capped at 30 s. */
  retryBaseMs: number;
  /** Which Filecoin network Lighthouse's PoDSI endpoint is asked about. */
  podsiNetwork: "mainnet" | "testnet";
}

export interface ProjectConfig {
  /** Where the settings came from: a file, or null for the defaults. */
  path: string | null;
  storage: StorageKind;
  lighthouse: LighthouseSettings;
}

export function defaultLighthouseSettings(): LighthouseSettings {
  const sdk = sdkEndpoints();
  return {
    apiUrl: sdk.api,
    uploadUrl: sdk.upload,
    gatewayUrl: sdk.gateway,
    timeoutMs: 60_000,
    retries: DEFAULT_RETRY.attempts,
    retryBaseMs: DEFAULT_RETRY.baseDelayMs,
    podsiNetwork: "mainnet",
  };
}

export function findProjectConfig(from = process.cwd()): string | null {
  const explicit = process.env.PROVENANT_CONFIG;
  if (explicit) {
    if (!existsSync(explicit)) throw new InputError("CONFIG_INVALID", `PROVENANT_CONFIG names ${explicit}, which does not exist`);
    return resolve(explicit);
  }
  for (let dir = resolve(from); ; dir = dirname(dir)) {
    const candidate = join(dir, PROJECT_CONFIG_FILE);
    if (existsSync(candidate)) return candidate;
    if (dirname(dir) === dir) return null;
  }
}

export function loadProjectConfig(path: string | null = findProjectConfig()): ProjectConfig {
  const config: ProjectConfig = { path, storage: "local", lighthouse: defaultLighthouseSettings() };
  if (path === null) return config;
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new InputError("CONFIG_INVALID", `cannot read ${path} (${(e as NodeJS.ErrnoException).code ?? "error"})`, { cause: e });
  }
  const { value: top, bad } = parseVersionedJson(bytes, path, PROJECT_CONFIG_FORMAT, { code: "CONFIG_INVALID" });
  for (const k of Object.keys(top)) if (!["format", "storage", "lighthouse"].includes(k)) throw bad(`unknown key "${k}"`);
  if (top.storage !== undefined) config.storage = parseStorageKind(top.storage, `${path}: "storage"`);
  if (top.lighthouse !== undefined) {
    const lh = top.lighthouse as Record<string, unknown>;
    if (typeof lh !== "object" || lh === null || Array.isArray(lh)) throw bad(`"lighthouse" must be an object`);
    const s = config.lighthouse;
    for (const [k, v] of Object.entries(lh)) {
      switch (k) {
        case "apiUrl":
        case "uploadUrl":
        case "gatewayUrl":
          if (typeof v !== "string" || !/^https?:\/\/[^/]/.test(v)) throw bad(`"lighthouse.${k}" must be an http(s) URL`);
          s[k] = v;
          break;
        case "timeoutMs":
        case "retries":
        case "retryBaseMs":
          if (!Number.isSafeInteger(v) || (v as number) < (k === "retries" ? 1 : 0)) throw bad(`"lighthouse.${k}" must be a whole number`);
          s[k] = v as number;
          break;
        case "podsiNetwork":
          if (v !== "mainnet" && v !== "testnet") throw bad(`"lighthouse.podsiNetwork" must be "mainnet" or "testnet"`);
          s.podsiNetwork = v;
          break;
        default:
          throw bad(`unknown key "lighthouse.${k}"`);
      }
    }
  }
  return config;
}

function parseStorageKind(value: unknown, where?: string): StorageKind {
  if (typeof value === "string" && (STORAGE_KINDS as readonly string[]).includes(value)) return value as StorageKind;
  throw new InputError(
    value === undefined ? "INPUT_INVALID" : "CONFIG_INVALID",
    `${where ? `${where}: ` : ""}unknown storage "${String(value)}": use ${STORAGE_KINDS.join(" or ")}`,
    where ? {} : { hints: [{ remedy: "storage" }] },
  );
}

export function retryPolicy(s: LighthouseSettings): RetryPolicy {
  return { attempts: s.retries, baseDelayMs: s.retryBaseMs, maxDelayMs: DEFAULT_RETRY.maxDelayMs };
}

export interface OpenStoreOptions {
  /** Settings to use instead of the project configuration file's. */
  config?: ProjectConfig;
  /** Large-upload progress (the CLI draws a line on a terminal); none by default. */
  onUploadProgress?: (p: UploadProgress) => void;
  /** Asks for the password of Hardhat's encrypted keystore (the CLI's terminal prompt); without it that keystore is not read. */
  askPassword?: PasswordPrompt;
}

export function openLighthouseStore(dir: string, config: ProjectConfig, options: OpenStoreOptions = {}): LighthouseStore {
  const s = config.lighthouse;
  return new LighthouseStore({
    dataDir: dir,
    endpoints: { api: s.apiUrl, upload: s.uploadUrl, gateway: s.gatewayUrl },
    apiKey: lighthouseKeySource({ askPassword: options.askPassword }),
    timeoutMs: s.timeoutMs,
    retry: retryPolicy(s),
    onUploadProgress: options.onUploadProgress,
  });
}

/** The store `kind` names; without one, the project configuration's default, else the local store. */
export function openStore(kind?: string, dir = dataDir(), options: OpenStoreOptions = {}): ContentStore {
  if (kind === "local") return new LocalStore(dir);
  const config = options.config ?? loadProjectConfig();
  const chosen = kind === undefined ? config.storage : parseStorageKind(kind);
  return chosen === "lighthouse" ? openLighthouseStore(dir, config, options) : new LocalStore(dir);
}
