/**
 * Content stores as the terminal opens them: core's openStore and openLighthouseStore plus what only a terminal
 * has, a password prompt for Hardhat's encrypted keystore and a progress line for large uploads. Commands open
 * stores through here (the lint config refuses core's versions in cli/), so none of them forgets either.
 */
import * as config from "../core/config.ts";
import type { LighthouseStore } from "../core/storage/lighthouse-store.ts";
import type { ContentStore } from "../core/storage/store.ts";
import { askPassword } from "./password-prompt.ts";
import { terminalUploadProgress } from "./upload-progress.ts";

function terminalOptions(): config.OpenStoreOptions {
  return {
    ...(process.stdin.isTTY && process.stderr.isTTY ? { askPassword } : {}),
    ...(process.stderr.isTTY ? { onUploadProgress: terminalUploadProgress() } : {}),
  };
}

/** The store `--storage` names; without one, provenant.config.json's default, else the local store. */
export function openStore(kind?: string, dir = config.dataDir()): ContentStore {
  return config.openStore(kind, dir, terminalOptions());
}

export function openLighthouseStore(dir: string, projectConfig: config.ProjectConfig): LighthouseStore {
  return config.openLighthouseStore(dir, projectConfig, terminalOptions());
}
