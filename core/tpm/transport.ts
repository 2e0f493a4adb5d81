/**
 * The TPM I/O boundary. `TpmTransport` is what the attestor talks to; the implementation
 * here drives tpm2-tools (one process per command) against any TCTI: a swtpm socket for
 * development and tests, "device:/dev/tpmrm0" on hardware.
 *
 * All access through one transport is serialised (a promise queue): a raw swtpm socket
 * takes one connection at a time and has no resource manager, so transient objects are
 * flushed after every command that can leave one loaded (else TPM_RC 0x902 after about
 * three objects). The AK is made persistent at a handle (default 0x81008001) and described
 * in `<stateDir>/ak.json`, so it survives restarts of the process and of the TPM.
 *
 * The AK has a random 32-byte authorization value, kept in ak.json (mode 0600) and handed to
 * tpm2-tools in a file, never on a command line: another process that can talk to the TPM
 * (a training command, another member of group tss) cannot quote with it. The AK is `noDA`:
 * a 256-bit secret needs no dictionary-attack lockout, and wrong guesses by others cannot
 * lock the attestor out.
 */
import { randomBytes } from "node:crypto";
import { chmod, mkdir, mkdtemp, readFile, rename, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ProvenantError, TpmError } from "../errors.ts";
import { bytesEqual, bytesToHex, hexToBytes } from "../hex.ts";
import { parseVersionedJson } from "../versioned-json.ts";
import { encodeToolsCredential, makeCredential as makeCredentialOffline } from "./credential.ts";
import type { CredentialChallenge } from "./credential.ts";
import { computeName, parseTpm2bPublic } from "./public.ts";
import type { PcrValues } from "./quote.ts";
import { runTool } from "./tools.ts";
import type { ToolOptions } from "./tools.ts";

export type { CredentialChallenge } from "./credential.ts";

/** The attestation key as the attestor keeps it. */
export type AkInfo = {
  /** Persistent handle of the AK in the TPM. */
  handle: number;
  /** SubjectPublicKeyInfo PEM (ECC P-256). */
  publicKeyPem: string;
  /** TPM2B_PUBLIC as the TPM reports it: what the registry checks and hashes into the Name. */
  tpm2bPublic: Uint8Array;
  /** nameAlg ‖ SHA-256(TPMT_PUBLIC), 34 bytes. */
  name: Uint8Array;
};

export type QuoteResult = {
  /** TPMS_ATTEST as signed. */
  attest: Uint8Array;
  /** TPMT_SIGNATURE (ECDSA-SHA256). */
  signature: Uint8Array;
};

export interface TpmTransport {
  /** Human-readable target, e.g. the TCTI string. */
  readonly description: string;
  /** The RSA EK certificate (DER) from NV index 0x01c00002. */
  readEkCertificate(): Promise<Uint8Array>;
  /** Create (re-derive) the RSA-2048 EK from the default template; returns its public key. */
  createEk(): Promise<{ publicKeyPem: string }>;
  /** Create a new ECC P-256 restricted signing AK under the EK and make it persistent (replacing any AK at the handle). */
  createAk(): Promise<AkInfo>;
  /** The AK recorded in the state dir, after checking the TPM still holds it; undefined when none was created. */
  loadAk(): Promise<AkInfo | undefined>;
  /** TPM2_PCR_Extend of the SHA-256 bank with a 32-byte digest (hex). */
  pcrExtend(pcr: number, digest: string): Promise<void>;
  /** TPM2_PCR_Reset (only PCR 16 and 23 are resettable from locality 0). */
  pcrReset(pcr: number): Promise<void>;
  /** Current SHA-256 PCR values as lowercase hex. */
  pcrRead(pcrs: readonly number[]): Promise<PcrValues>;
  /** TPM2_Quote over SHA-256 PCRs with the AK; nonce 1..64 bytes. */
  quote(pcrs: readonly number[], nonce: Uint8Array): Promise<QuoteResult>;
  /** TPM2_ActivateCredential with the AK and EK (EK authorised by PolicySecret(endorsement)); returns the secret. */
  activateCredential(credentialBlob: Uint8Array, encryptedSecret: Uint8Array): Promise<Uint8Array>;
  /** Verifier side, no TPM needed: a credential for `akName` that only the holder of the EK can activate. */
  makeCredential(ekPublicKeyPem: string, akName: Uint8Array, secret: Uint8Array): Promise<CredentialChallenge>;
}

export type Tpm2ToolsTransportOptions = {
  /** TCTI string: "swtpm:host=127.0.0.1,port=2321", "device:/dev/tpmrm0", ... */
  tcti: string;
  /** Directory for ak.json (created when needed). */
  stateDir: string;
  /** Persistent handle for the AK; default 0x81008001. */
  akHandle?: number;
  /** Directory holding the tpm2_* executables; default: PATH. */
  toolsDir?: string;
  /** Per-command timeout in ms; default 120000. */
  timeoutMs?: number;
};

export const DEFAULT_AK_HANDLE = 0x81008001;
export const EK_CERT_NV_INDEX_RSA = 0x01c00002;
export const HARDWARE_TCTI = "device:/dev/tpmrm0";

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

/** The attributes tpm2_createak gives an AK, plus noDA (see the file comment). */
const AK_ATTRIBUTES = "fixedtpm|fixedparent|sensitivedataorigin|userwithauth|noda|restricted|sign";

function hexHandle(h: number): string {
  return `0x${h.toString(16).padStart(8, "0")}`;
}

function checkPcr(pcr: number): void {
  if (!Number.isInteger(pcr) || pcr < 0 || pcr > 23) {
    throw new ProvenantError("INPUT_INVALID", `PCR index ${pcr} is not an integer in 0..23`);
  }
}

function pcrList(pcrs: readonly number[]): number[] {
  if (pcrs.length === 0) throw new ProvenantError("INPUT_INVALID", "no PCRs selected");
  pcrs.forEach(checkPcr);
  return [...new Set(pcrs)].sort((a, b) => a - b);
}

/** Trim an NV read to the DER certificate it holds (some TPMs pad the index). */
function trimDer(bytes: Uint8Array): Uint8Array {
  if (bytes.length >= 4 && bytes[0] === 0x30 && bytes[1] === 0x82) {
    const len = 4 + ((bytes[2]! << 8) | bytes[3]!);
    if (len <= bytes.length) return bytes.slice(0, len);
  }
  if (bytes.length >= 3 && bytes[0] === 0x30 && bytes[1] === 0x81) {
    const len = 3 + bytes[2]!;
    if (len <= bytes.length) return bytes.slice(0, len);
  }
  throw new TpmError("TPM_FAILED", "NV index 0x01c00002 does not hold a DER certificate");
}

/** A TpmTransport over tpm2-tools. */
export function createTpm2ToolsTransport(options: Tpm2ToolsTransportOptions): TpmTransport {
  const akHandle = options.akHandle ?? DEFAULT_AK_HANDLE;
  const toolOptions: ToolOptions = {
    tcti: options.tcti,
    ...(options.toolsDir ? { toolsDir: options.toolsDir } : {}),
    ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}),
  };
  const akPath = join(options.stateDir, "ak.json");

  let tail: Promise<unknown> = Promise.resolve();
  /** Run `job` after every job queued before it; one TPM conversation at a time. */
  function serialized<T>(job: () => Promise<T>): Promise<T> {
    const run = tail.then(job, job);
    tail = run.catch(() => undefined);
    return run;
  }

  const tool = (name: string, args: readonly string[], cwd?: string) =>
    runTool(name, args, cwd ? { ...toolOptions, cwd } : toolOptions);

  /** Flush the transient objects the previous tools left loaded. */
  const flush = () => tool("tpm2_flushcontext", ["-t"]);
  /**
   * Flush transient objects, saved and loaded sessions. One call each: tpm2_flushcontext 5.4
   * given `-t -l -s` together flushes the sessions and leaves the objects.
   */
  const flushAll = async () => {
    await tool("tpm2_flushcontext", ["-t"]);
    await tool("tpm2_flushcontext", ["-s"]);
    await tool("tpm2_flushcontext", ["-l"]);
  };

  /**
   * A job with a scratch directory. `loads`: what the job leaves loaded (the EK and AK
   * contexts; the policy session, which tpm2_activatecredential leaves saved) and must be
   * flushed when it is done. Every job flushes everything after a failure, which can stop
   * a tool between loading and flushing. Jobs that only use persistent handles,
   * PCRs or NV (quote, pcrRead, nvread, readpublic) leave nothing loaded: checked with
   * `tpm2_getcap handles-transient` in test/tpm/quote.test.ts.
   */
  function withScratch<T>(
    job: (dir: string) => Promise<T>,
    loads: "nothing" | "objects" | "sessions" = "nothing"
  ): Promise<T> {
    return serialized(async () => {
      const dir = await mkdtemp(join(tmpdir(), "provenant-tpm-"));
      let failed = true;
      let unreachable = false;
      try {
        const out = await job(dir);
        failed = false;
        return out;
      } catch (e) {
        unreachable = e instanceof TpmError && e.code === "TPM_UNAVAILABLE";
        throw e;
      } finally {
        if ((loads !== "nothing" || failed) && !unreachable) {
          try {
            await (loads === "objects" && !failed ? flush() : flushAll());
          } catch {
            // The job's own error (or success) is what the caller needs; a failed flush after an
            // unreachable TPM adds nothing.
          }
        }
        await rm(dir, { recursive: true, force: true });
      }
    });
  }

  let cachedAk: { ak: AkInfo; auth: string } | undefined;

  async function persistentHandles(): Promise<number[]> {
    const { stdout } = await tool("tpm2_getcap", ["handles-persistent"]);
    return [...stdout.matchAll(/0x[0-9a-fA-F]{8}/g)].map((m) => Number.parseInt(m[0], 16));
  }

  async function readAkFile(): Promise<{ ak: AkInfo; auth: string } | undefined> {
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
        { hints: [{ remedy: "enrollNewAk" }] }
      );
    }
    for (const field of ["handle", "name", "publicKeyPem", "tpm2bPublic", "auth"] as const) {
      if (typeof f[field] !== "string")
        throw new ProvenantError("FORMAT_UNSUPPORTED", `${akPath}: ${field} is missing`);
    }
    if (!/^0x[0-9a-fA-F]{8}$/.test(f.handle)) {
      throw new ProvenantError(
        "FORMAT_UNSUPPORTED",
        `${akPath}: handle ${f.handle} is not 0x followed by 8 hex digits`
      );
    }
    const tpm2bPublic = hexToBytes(f.tpm2bPublic, "ak.json tpm2bPublic");
    const name = hexToBytes(f.name, "ak.json name");
    if (!bytesEqual(computeName(parseTpm2bPublic(tpm2bPublic)), name)) {
      throw new ProvenantError("FORMAT_UNSUPPORTED", `${akPath}: name does not match tpm2bPublic`);
    }
    if (!/^[0-9a-f]{64}$/.test(f.auth)) throw new ProvenantError("FORMAT_UNSUPPORTED", `${akPath}: auth is not 32 bytes of hex`);
    return { ak: { handle: Number.parseInt(f.handle, 16), publicKeyPem: f.publicKeyPem, tpm2bPublic, name }, auth: f.auth };
  }

  async function writeAkFile(ak: AkInfo, auth: string): Promise<void> {
    const f: AkFile = {
      format: AK_FORMAT,
      handle: hexHandle(ak.handle),
      name: bytesToHex(ak.name),
      publicKeyPem: ak.publicKeyPem,
      tpm2bPublic: bytesToHex(ak.tpm2bPublic),
      auth,
    };
    await mkdir(options.stateDir, { recursive: true, mode: 0o700 });
    const tmp = `${akPath}.${process.pid}.tmp`;
    await writeFile(tmp, JSON.stringify(f, null, 2) + "\n", { mode: 0o600 });
    await chmod(tmp, 0o600); // an umask cannot widen it, a leftover tmp file keeps no wider mode
    await rename(tmp, akPath);
  }

  /** Put the AK's authorization where tpm2-tools reads it (`-p file:…`): a 0600 file in the job's 0700 scratch dir. */
  async function authFile(dir: string, auth: string): Promise<string> {
    const path = join(dir, "ak.auth");
    await writeFile(path, `hex:${auth}`, { mode: 0o600 });
    return `file:${path}`;
  }

  /** Read the name of the object at `handle` (fails when there is none). */
  async function nameAt(handle: number, dir: string): Promise<Uint8Array> {
    await tool("tpm2_readpublic", ["-c", hexHandle(handle), "-n", "name.bin"], dir);
    return new Uint8Array(await readFile(join(dir, "name.bin")));
  }

  /** The AK and its authorization, checked once per transport against what the TPM holds at its handle. Call inside a job. */
  async function requireAk(dir: string): Promise<{ ak: AkInfo; auth: string }> {
    if (cachedAk) return cachedAk;
    const recorded = await readAkFile();
    if (!recorded) throw new TpmError("TPM_FAILED", `no AK recorded in ${options.stateDir}; call createAk first`);
    const { ak } = recorded;
    let name: Uint8Array;
    try {
      name = await nameAt(ak.handle, dir);
    } catch (e) {
      if (e instanceof TpmError && e.code === "TPM_UNAVAILABLE") throw e;
      throw new TpmError("TPM_FAILED", `the AK recorded in ${akPath} is not in the TPM at ${hexHandle(ak.handle)}`, {
        cause: e,
      });
    }
    if (!bytesEqual(name, ak.name)) {
      throw new TpmError("TPM_FAILED", `the key at ${hexHandle(ak.handle)} is not the AK recorded in ${akPath}`);
    }
    cachedAk = recorded;
    return recorded;
  }

  const transport: TpmTransport = {
    description: options.tcti,

    readEkCertificate: () =>
      withScratch(async (dir) => {
        await tool("tpm2_nvread", [hexHandle(EK_CERT_NV_INDEX_RSA), "-C", "o", "-o", "ek.der"], dir);
        return trimDer(new Uint8Array(await readFile(join(dir, "ek.der"))));
      }),

    createEk: () =>
      withScratch(async (dir) => {
        await tool("tpm2_createek", ["-c", "ek.ctx", "-G", "rsa", "-u", "ek.pem", "-f", "pem"], dir);
        return { publicKeyPem: await readFile(join(dir, "ek.pem"), "utf8") };
      }, "objects"),

    createAk: () =>
      withScratch(async (dir) => {
        cachedAk = undefined;
        if ((await persistentHandles()).includes(akHandle)) {
          await tool("tpm2_evictcontrol", ["-C", "o", "-c", hexHandle(akHandle)], dir);
        }
        const auth = randomBytes(32).toString("hex");
        const akAuth = await authFile(dir, auth);
        await tool("tpm2_createek", ["-c", "ek.ctx", "-G", "rsa", "-u", "ek.pub"], dir);
        await flush();
        // tpm2_createak cannot set noDA, so the AK is made with tpm2_create under the EK, as createak does it:
        // the EK's policy is PolicySecret(endorsement), one policy session per use.
        const ekSession = async () => {
          await tool("tpm2_startauthsession", ["--policy-session", "-S", "session.ctx"], dir);
          await tool("tpm2_policysecret", ["-S", "session.ctx", "-c", "e"], dir);
        };
        await ekSession();
        await tool(
          "tpm2_create",
          ["-C", "ek.ctx", "-P", "session:session.ctx", "-G", "ecc256:ecdsa-sha256:null", "-g", "sha256", "-a", AK_ATTRIBUTES, "-p", akAuth, "-u", "ak.pub", "-r", "ak.priv"],
          dir
        );
        await tool("tpm2_flushcontext", ["session.ctx"], dir);
        await flush(); // the EK and the new key's parent copy; swtpm holds only three objects
        await ekSession();
        await tool("tpm2_load", ["-C", "ek.ctx", "-P", "session:session.ctx", "-u", "ak.pub", "-r", "ak.priv", "-c", "ak.ctx"], dir);
        await tool("tpm2_flushcontext", ["session.ctx"], dir);
        await tool("tpm2_evictcontrol", ["-C", "o", "-c", "ak.ctx", hexHandle(akHandle)], dir);
        await flush();
        await tool("tpm2_readpublic", ["-c", hexHandle(akHandle), "-f", "tss", "-o", "ak.tpm2b_public", "-n", "ak.name"], dir);
        await tool("tpm2_readpublic", ["-c", hexHandle(akHandle), "-f", "pem", "-o", "ak.pem"], dir);
        const tpm2bPublic = new Uint8Array(await readFile(join(dir, "ak.tpm2b_public")));
        const toolName = new Uint8Array(await readFile(join(dir, "ak.name")));
        const name = computeName(parseTpm2bPublic(tpm2bPublic));
        if (!bytesEqual(name, toolName)) {
          throw new TpmError("TPM_FAILED", "tpm2_readpublic reported a name that does not match the AK's public area");
        }
        const ak: AkInfo = {
          handle: akHandle,
          publicKeyPem: await readFile(join(dir, "ak.pem"), "utf8"),
          tpm2bPublic,
          name,
        };
        await writeAkFile(ak, auth);
        cachedAk = { ak, auth };
        return ak;
      }, "sessions"),

    loadAk: () =>
      withScratch(async (dir) => {
        if (!cachedAk && !(await readAkFile())) return undefined;
        return (await requireAk(dir)).ak;
      }),

    pcrExtend: async (pcr, digest) => {
      checkPcr(pcr);
      if (!/^[0-9a-fA-F]{64}$/.test(digest)) {
        throw new ProvenantError("INPUT_INVALID", "PCR extend digest is not 64 hex characters (SHA-256)");
      }
      return serialized(async () => {
        await tool("tpm2_pcrextend", [`${pcr}:sha256=${digest.toLowerCase()}`]);
      });
    },

    pcrReset: async (pcr) => {
      checkPcr(pcr);
      return serialized(async () => {
        await tool("tpm2_pcrreset", [String(pcr)]);
      });
    },

    pcrRead: async (pcrs) => {
      const list = pcrList(pcrs);
      return withScratch(async (dir) => {
        await tool("tpm2_pcrread", [`sha256:${list.join(",")}`, "-o", "pcrs.bin"], dir);
        const bytes = new Uint8Array(await readFile(join(dir, "pcrs.bin")));
        if (bytes.length !== 32 * list.length) {
          throw new TpmError(
            "TPM_FAILED",
            `tpm2_pcrread returned ${bytes.length} bytes for ${list.length} SHA-256 PCRs`
          );
        }
        const values: PcrValues = {};
        list.forEach((pcr, i) => (values[pcr] = bytesToHex(bytes.subarray(32 * i, 32 * i + 32))));
        return values;
      });
    },

    quote: async (pcrs, nonce) => {
      const list = pcrList(pcrs);
      if (nonce.length < 1 || nonce.length > 64) {
        throw new ProvenantError("INPUT_INVALID", `quote nonce is ${nonce.length} bytes; it must be 1 to 64`);
      }
      return withScratch(async (dir) => {
        const { ak, auth } = await requireAk(dir);
        await tool(
          "tpm2_quote",
          [
            "-c",
            hexHandle(ak.handle),
            "-p",
            await authFile(dir, auth),
            "-l",
            `sha256:${list.join(",")}`,
            "-q",
            bytesToHex(nonce),
            "-m",
            "quote.msg",
            "-s",
            "quote.sig",
            "-g",
            "sha256",
          ],
          dir
        );
        return {
          attest: new Uint8Array(await readFile(join(dir, "quote.msg"))),
          signature: new Uint8Array(await readFile(join(dir, "quote.sig"))),
        };
      });
    },

    activateCredential: async (credentialBlob, encryptedSecret) => {
      const file = encodeToolsCredential({ credentialBlob, encryptedSecret });
      return withScratch(async (dir) => {
        const { ak, auth } = await requireAk(dir);
        await writeFile(join(dir, "cred.bin"), file);
        // The EK is re-derived from the endorsement seed: a saved EK context would not survive a TPM reset.
        await tool("tpm2_createek", ["-c", "ek.ctx", "-G", "rsa", "-u", "ek.pub"], dir);
        await flush();
        await tool("tpm2_startauthsession", ["--policy-session", "-S", "session.ctx"], dir);
        await tool("tpm2_policysecret", ["-S", "session.ctx", "-c", "e"], dir);
        await tool(
          "tpm2_activatecredential",
          [
            "-c",
            hexHandle(ak.handle),
            "-p",
            await authFile(dir, auth),
            "-C",
            "ek.ctx",
            "-i",
            "cred.bin",
            "-o",
            "secret.bin",
            "-P",
            "session:session.ctx",
          ],
          dir
        );
        return new Uint8Array(await readFile(join(dir, "secret.bin")));
      }, "sessions");
    },

    makeCredential: (ekPublicKeyPem, akName, secret) =>
      makeCredentialOffline({
        ekPublicKeyPem,
        akName,
        secret,
        ...(options.toolsDir ? { toolsDir: options.toolsDir } : {}),
      }),
  };
  return transport;
}
