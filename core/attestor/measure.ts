/**
 * Measuring a training run's inputs: a dataset's Merkle root (re-hashed with the dataset library and
 * compared with the token's on-chain root), a parent's weights digest, the training code (a git work tree
 * or a directory), the command, configuration files and environment. Node only (file system, git).
 */
import { execFile } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { lstatSync, readFileSync, readdirSync, readlinkSync, statSync } from "node:fs";
import { basename, join, relative, resolve, sep } from "node:path";
import { commitDataset } from "../dataset/commit.ts";
import { parseEncoding } from "../dataset/encodings.ts";
import { describeSkipped, sortOutSkipped, type AcceptedSkip, type SkippedEntry } from "../dataset/skipped.ts";
import { InputError, ProvenantError } from "../errors.ts";
import { commandDigestOf, configDigestOf, environmentDigestOf, secretEnvDigest } from "./certificate.ts";
import type { CertificateCode, CertificateCommand, CertificateConfig, CertificateEnvironment, CertificateSecret } from "./certificate.ts";
import type { Hex32 } from "./pcr-events.ts";

export function sha256Hex(data: Uint8Array | string): string {
  return createHash("sha256").update(data).digest("hex");
}

function requireDir(path: string, what: string): string {
  const abs = resolve(path);
  let st;
  try {
    st = statSync(abs);
  } catch (e) {
    throw new InputError("INPUT_NOT_FOUND", `${what} ${abs} does not exist`, { cause: e });
  }
  if (!st.isDirectory()) throw new InputError("INPUT_INVALID", `${what} ${abs} is not a directory`);
  return abs;
}

// ---- datasets -----------------------------------------------------------------------------------------

export type DatasetOnChain = { root: string; n: number; encoding: string };

export type DatasetMeasurementResult = {
  root: Hex32;
  n: number;
  encoding: string;
  /** The folder's entries that are not samples, each covered by an acceptance in the request. */
  acceptedSkips: SkippedEntry[];
  seconds: number;
};

/**
 * Re-hash the dataset at `path` with the encoding recorded on-chain and refuse (ROOT_MISMATCH) unless its
 * Merkle root and leaf count equal the token's. Refuse too (DATASET_SKIPPED_ENTRIES) when the folder holds
 * entries that are not samples (hidden, symlinks, FIFOs, ...) that `acceptSkipped` does not cover: the
 * training command could read them, and the root does not commit to them.
 */
export function measureDataset(datasetId: string, path: string, onChain: DatasetOnChain, acceptSkipped: readonly AcceptedSkip[] = []): DatasetMeasurementResult {
  const t0 = performance.now();
  let encoding;
  try {
    encoding = parseEncoding(onChain.encoding);
  } catch (e) {
    throw new ProvenantError("FORMAT_UNSUPPORTED", `dataset #${datasetId} has encoding "${onChain.encoding}", which this attestor cannot re-hash`, { cause: e });
  }
  const c = commitDataset(resolve(path), { encoding });
  const root = `0x${Buffer.from(c.root).toString("hex")}` as Hex32;
  if (root !== onChain.root.toLowerCase() || c.n !== onChain.n) {
    throw new ProvenantError(
      "ROOT_MISMATCH",
      `the files at ${path} hash to root ${root} (n=${c.n}), but dataset #${datasetId} on-chain has root ${onChain.root} (n=${onChain.n}): refusing to train`,
    );
  }
  const { accepted, refused } = sortOutSkipped(c.samples.skippedEntries ?? [], acceptSkipped);
  if (refused.length > 0) {
    throw new ProvenantError(
      "DATASET_SKIPPED_ENTRIES",
      `the files at ${path} hold ${refused.length} entr${refused.length === 1 ? "y" : "ies"} that dataset #${datasetId} does not commit to but the training command could read: ${describeSkipped(refused)}; refusing to train (remove them, or accept them in the request's acceptSkipped)`,
    );
  }
  return { root, n: c.n, encoding: onChain.encoding, acceptedSkips: accepted, seconds: (performance.now() - t0) / 1000 };
}

// ---- code ---------------------------------------------------------------------------------------------

function git(args: string[], cwd: string): Promise<string | null> {
  return new Promise((res) => {
    execFile("git", args, { cwd, encoding: "buffer", maxBuffer: 256 << 20 }, (err, stdout) => res(err ? null : (stdout as unknown as Buffer).toString("utf8")));
  });
}

/** Regular files and symlinks under `dir`, relative, `/`-separated; `.git` directories skipped. */
function walk(dir: string): string[] {
  const out: string[] = [];
  const visit = (abs: string) => {
    for (const ent of readdirSync(abs, { withFileTypes: true })) {
      const child = join(abs, ent.name);
      if (ent.isDirectory()) {
        if (ent.name !== ".git") visit(child);
      } else if (ent.isFile() || ent.isSymbolicLink()) {
        out.push(relative(dir, child).split(sep).join("/"));
      }
    }
  };
  visit(dir);
  return out;
}

/** One `sha256sum`-style line: a file's content digest, or for a symlink the digest of "symlink:" ‖ target. */
function fileLine(root: string, rel: string): string {
  const abs = join(root, rel);
  const st = lstatSync(abs);
  const digest = st.isSymbolicLink() ? sha256Hex(`symlink:${readlinkSync(abs)}`) : sha256Hex(readFileSync(abs));
  return `${digest}  ${rel}\n`;
}

/**
 * The provenant-code-v1 digest of a list of files: SHA-256 over `<sha256 hex>  <path>\n` lines sorted by
 * path (byte order), which is what `LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum` computes.
 */
export function codeDigestOf(root: string, files: readonly string[]): Hex32 {
  const sorted = [...files].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  const h = createHash("sha256");
  for (const f of sorted) h.update(fileLine(root, f));
  return `0x${h.digest("hex")}`;
}

/**
 * Hash the training code at `dir`. Inside a git work tree: the tracked and untracked-but-not-ignored files
 * under `dir` as they are on disk, with the HEAD commit recorded when the tree is clean. Otherwise every
 * file under `dir` (`.git` skipped).
 */
export async function measureCode(dir: string): Promise<CertificateCode> {
  const abs = requireDir(dir, "training code");
  const listing = await git(["ls-files", "-z", "--cached", "--others", "--exclude-standard", "--", "."], abs);
  if (listing !== null) {
    const files = [...new Set(listing.split("\0").filter(Boolean))].filter((f) => {
      try {
        const st = lstatSync(join(abs, f));
        return st.isFile() || st.isSymbolicLink();
      } catch {
        return false; // tracked but deleted in the work tree: not part of the code that runs
      }
    });
    const status = await git(["status", "--porcelain", "--", "."], abs);
    const head = (await git(["rev-parse", "HEAD"], abs))?.trim() ?? "";
    const clean = status !== null && status.trim() === "" && /^[0-9a-f]{40,64}$/.test(head);
    return { kind: "git", digest: codeDigestOf(abs, files), files: files.length, gitCommit: clean ? head : null };
  }
  const files = walk(abs);
  return { kind: "directory", digest: codeDigestOf(abs, files), files: files.length, gitCommit: null };
}

// ---- command, config, environment ---------------------------------------------------------------------

export function measureCommand(argv: readonly string[]): CertificateCommand {
  if (argv.length === 0 || argv.some((a) => typeof a !== "string")) {
    throw new InputError("INPUT_INVALID", "the training command must be a non-empty list of strings");
  }
  const body = { argv: [...argv] };
  return { ...body, digest: commandDigestOf(body) };
}

/** Configuration files given with the run, by base name, in the order given. */
export function measureConfig(paths: readonly string[]): CertificateConfig {
  const files = paths.map((p) => {
    let bytes: Buffer;
    try {
      bytes = readFileSync(resolve(p));
    } catch (e) {
      throw new InputError("INPUT_NOT_FOUND", `configuration file ${p} cannot be read`, { cause: e });
    }
    return { name: basename(p), sha256: sha256Hex(bytes) };
  });
  return { files, digest: configDigestOf({ files }) };
}

/** Names that look like they hold credentials: their values are not published unless asked for by name. */
const SECRET_NAME = /TOKEN|KEY|SECRET|PASSWORD|PASSWD|CREDENTIAL|PRIVATE/i;

export function looksSecret(name: string): boolean {
  return SECRET_NAME.test(name);
}

/** How the environment is recorded in the certificate, which is public and permanent. */
export type EnvironmentPolicy = {
  /** Variables recorded only as a salted SHA-256 of the value; the command still gets the value. */
  secret?: readonly string[];
  /** Variables that look secret (looksSecret) whose values are to be published in plain text anyway. */
  publish?: readonly string[];
};

/**
 * Refuse (INPUT_INVALID, one line naming the variable) an environment the certificate would publish a
 * credential from: a variable whose name looks secret, neither recorded as a secret nor published on
 * purpose. Also: bad names, non-string values, policy names that are not in the environment.
 */
export function checkEnvironment(variables: Record<string, string>, policy: EnvironmentPolicy = {}): void {
  const secret = policy.secret ?? [];
  const publish = policy.publish ?? [];
  for (const k of Object.keys(variables)) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) throw new InputError("INPUT_INVALID", `environment variable name "${k}" is not valid`);
    if (typeof variables[k] !== "string") throw new InputError("INPUT_INVALID", `environment variable ${k} is not a string`);
  }
  for (const [list, what] of [
    [secret, "secret"],
    [publish, "published"],
  ] as const) {
    for (const k of list) {
      if (!Object.hasOwn(variables, k)) throw new InputError("INPUT_INVALID", `${what} environment variable ${k} is not in the command's environment`);
    }
  }
  const both = secret.find((k) => publish.includes(k));
  if (both) throw new InputError("INPUT_INVALID", `environment variable ${both} cannot be both secret and published`);
  for (const k of Object.keys(variables).sort()) {
    if (looksSecret(k) && !secret.includes(k) && !publish.includes(k)) {
      throw new InputError(
        "INPUT_INVALID",
        `environment variable ${k} looks secret and the certificate is public and permanent: list it as secret (run request "secretEnv") to record only a salted hash, or as published ("publishEnv") to publish its value on purpose`,
        {
          hints: [
            { remedy: "secretEnv", value: k },
            { remedy: "publishEnv", value: k },
          ],
        },
      );
    }
  }
}

/**
 * The environment the command runs with, exactly (the attestor passes nothing else): every variable by value,
 * except the `secret` ones, recorded as SHA-256("<salt>:<value>") with a fresh random salt each.
 */
export function measureEnvironment(variables: Record<string, string>, policy: EnvironmentPolicy = {}): CertificateEnvironment {
  checkEnvironment(variables, policy);
  const vars: Record<string, string> = {};
  const secrets: Record<string, CertificateSecret> = {};
  for (const k of Object.keys(variables).sort()) {
    if (policy.secret?.includes(k)) {
      const salt = randomBytes(32).toString("hex");
      secrets[k] = { salt, sha256: secretEnvDigest(salt, variables[k]!) };
    } else vars[k] = variables[k]!;
  }
  const body = {
    variables: vars,
    ...(Object.keys(secrets).length > 0 ? { secrets } : {}),
    platform: process.platform,
    arch: process.arch,
  };
  return { ...body, digest: environmentDigestOf(body) };
}
