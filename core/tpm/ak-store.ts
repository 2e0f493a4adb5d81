/**
 * The attestation key as the attestor keeps it: persistent in the TPM at a handle, described in
 * `<stateDir>/ak.json` (format provenant-tpm-ak-v2, mode 0600) with its random 32-byte authorization
 * value, and checked once per transport against what the TPM holds at that handle.
 */
import { chmod, mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { ProvenantError, TpmError } from "../errors.ts";
import { bytesEqual, bytesToHex, hexToBytes } from "../hex.ts";
import { parseVersionedJson } from "../versioned-json.ts";
import { computeName, parseTpm2bPublic } from "./public.ts";
import { hexHandle } from "./tool-session.ts";
import type { ToolSession } from "./tool-session.ts";
import type { AkInfo } from "./transport.ts";

const AK_FORMAT = "provenant-tpm-ak-v2";
const AK_FORMAT_WITHOUT_AUTH = "provenant-tpm-ak-v1";

type AkFile = {
  format: typeof AK_FORMAT;
  handle: string;
  name: string;
  publicKeyPem: string;
  tpm2bPublic: string;
  /** The AK's authorization value, hex (32 bytes). */
  auth: string;
};

/** The AK and its authorization value (hex). */
export type AkRecord = { ak: AkInfo; auth: string };

/** ak.json, checked field by field; undefined when there is none. */
export async function readAkFile(akPath: string): Promise<AkRecord | undefined> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(akPath);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new ProvenantError("INPUT_UNREADABLE", `cannot read ${akPath}`, { cause: e });
  }
  const read = parseVersionedJson(bytes, akPath, [AK_FORMAT, AK_FORMAT_WITHOUT_AUTH], { code: "FORMAT_UNSUPPORTED" });
  const f = read.value as AkFile;
  if (read.format === AK_FORMAT_WITHOUT_AUTH) {
    throw new TpmError(
      "NOT_ENROLLED",
      `the AK recorded in ${akPath} has no authorization value, so any process that can reach the TPM can quote with it: create a new AK and enroll it`,
      { hints: [{ remedy: "enrollNewAk" }] },
    );
  }
  for (const field of ["handle", "name", "publicKeyPem", "tpm2bPublic", "auth"] as const) {
    if (typeof f[field] !== "string") throw new ProvenantError("FORMAT_UNSUPPORTED", `${akPath}: ${field} is missing`);
  }
  if (!/^0x[0-9a-fA-F]{8}$/.test(f.handle)) {
    throw new ProvenantError("FORMAT_UNSUPPORTED", `${akPath}: handle ${f.handle} is not 0x followed by 8 hex digits`);
  }
  const tpm2bPublic = hexToBytes(f.tpm2bPublic, "ak.json tpm2bPublic");
  const name = hexToBytes(f.name, "ak.json name");
  if (!bytesEqual(computeName(parseTpm2bPublic(tpm2bPublic)), name)) {
    throw new ProvenantError("FORMAT_UNSUPPORTED", `${akPath}: name does not match tpm2bPublic`);
  }
  if (!/^[0-9a-f]{64}$/.test(f.auth)) throw new ProvenantError("FORMAT_UNSUPPORTED", `${akPath}: auth is not 32 bytes of hex`);
  return { ak: { handle: Number.parseInt(f.handle, 16), publicKeyPem: f.publicKeyPem, tpm2bPublic, name }, auth: f.auth };
}

/** Write ak.json atomically, mode 0600 in a 0700 directory. */
export async function writeAkFile(stateDir: string, akPath: string, { ak, auth }: AkRecord): Promise<void> {
  const f: AkFile = {
    format: AK_FORMAT,
    handle: hexHandle(ak.handle),
    name: bytesToHex(ak.name),
    publicKeyPem: ak.publicKeyPem,
    tpm2bPublic: bytesToHex(ak.tpm2bPublic),
    auth,
  };
  await mkdir(stateDir, { recursive: true, mode: 0o700 });
  const tmp = `${akPath}.${process.pid}.tmp`;
  await writeFile(tmp, JSON.stringify(f, null, 2) + "\n", { mode: 0o600 });
  await chmod(tmp, 0o600); // an umask cannot widen it, a leftover tmp file keeps no wider mode
  await rename(tmp, akPath);
}

/** Put the AK's authorization where tpm2-tools reads it (`-p file:…`): a 0600 file in the job's 0700 scratch dir. */
export async function authFile(dir: string, auth: string): Promise<string> {
  const path = join(dir, "ak.auth");
  await writeFile(path, `hex:${auth}`, { mode: 0o600 });
  return `file:${path}`;
}

/** The transport's AK: read from ak.json, checked against the TPM once, then kept. */
export class AkStore {
  readonly path: string;
  private readonly stateDir: string;
  private readonly session: ToolSession;
  private cached: AkRecord | undefined;

  constructor(stateDir: string, session: ToolSession) {
    this.stateDir = stateDir;
    this.path = join(stateDir, "ak.json");
    this.session = session;
  }

  /** Whether an AK is recorded (in memory or in ak.json). */
  async recorded(): Promise<boolean> {
    return this.cached !== undefined || (await readAkFile(this.path)) !== undefined;
  }

  /** The AK and its authorization, checked once per transport against what the TPM holds at its handle. Call inside a job. */
  async require(dir: string): Promise<AkRecord> {
    if (this.cached) return this.cached;
    const recorded = await readAkFile(this.path);
    if (!recorded) throw new TpmError("TPM_FAILED", `no AK recorded in ${this.stateDir}; call createAk first`);
    const { ak } = recorded;
    let name: Uint8Array;
    try {
      name = await this.session.nameAt(ak.handle, dir);
    } catch (e) {
      if (e instanceof TpmError && e.code === "TPM_UNAVAILABLE") throw e;
      throw new TpmError("TPM_FAILED", `the AK recorded in ${this.path} is not in the TPM at ${hexHandle(ak.handle)}`, { cause: e });
    }
    if (!bytesEqual(name, ak.name)) {
      throw new TpmError("TPM_FAILED", `the key at ${hexHandle(ak.handle)} is not the AK recorded in ${this.path}`);
    }
    this.cached = recorded;
    return recorded;
  }

  /** Forget the AK in memory (a new one is being made). */
  forget(): void {
    this.cached = undefined;
  }

  /** Record a new AK in ak.json and keep it. */
  async save(record: AkRecord): Promise<void> {
    await writeAkFile(this.stateDir, this.path, record);
    this.cached = record;
  }
}
