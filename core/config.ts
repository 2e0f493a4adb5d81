import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { InputError } from "./errors.ts";
import { LocalStore } from "./storage/local-store.ts";
import type { ContentStore } from "./storage/store.ts";

/** The data directory: --data-dir, else $PROVENANT_HOME, else ~/.provenant. */
export function dataDir(explicit?: string): string {
  return resolve(explicit ?? process.env.PROVENANT_HOME ?? join(homedir(), ".provenant"));
}

export const STORAGE_KINDS = ["local"] as const;
export type StorageKind = (typeof STORAGE_KINDS)[number];

export function openStore(kind: string = "local", dir = dataDir()): ContentStore {
  if (kind === "local") return new LocalStore(dir);
  throw new InputError("INPUT_INVALID", `unknown storage "${kind}": use ${STORAGE_KINDS.join(" or ")}`);
}
