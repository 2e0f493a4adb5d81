/**
 * The TPM I/O boundary. `TpmTransport` is what the attestor talks to; the implementation
 * here drives tpm2-tools (one process per command) against any TCTI: a swtpm socket for
 * development and tests, "device:/dev/tpmrm0" on hardware.
 *
 * All access through one transport is serialised (tool-session.ts: a promise queue): a raw
 * swtpm socket takes one connection at a time and has no resource manager, so transient
 * objects are flushed after every command that can leave one loaded (else TPM_RC 0x902 after
 * about three objects). The AK is made persistent at a handle (default 0x81008001) and
 * described in `<stateDir>/ak.json` (ak-store.ts), so it survives restarts of the process and
 * of the TPM.
 *
 * The AK has a random 32-byte authorization value, kept in ak.json (mode 0600) and handed to
 * tpm2-tools in a file, never on a command line: another process that can talk to the TPM
 * (a training command, another member of group tss) cannot quote with it. The AK is `noDA`:
 * a 256-bit secret needs no dictionary-attack lockout, and wrong guesses by others cannot
 * lock the attestor out (ak-create.ts).
 */
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { ProvenantError, TpmError } from "../errors.ts";
import { bytesToHex } from "../hex.ts";
import { createPersistentAk } from "./ak-create.ts";
import { AkStore, authFile } from "./ak-store.ts";
import { encodeToolsCredential, makeCredential as makeCredentialOffline } from "./credential.ts";
import type { CredentialChallenge } from "./credential.ts";
import type { PcrValues } from "./quote.ts";
import { ToolSession, hexHandle } from "./tool-session.ts";

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

function readEkCertificate(s: ToolSession): Promise<Uint8Array> {
  return s.withScratch(async (dir) => {
    await s.tool("tpm2_nvread", [hexHandle(EK_CERT_NV_INDEX_RSA), "-C", "o", "-o", "ek.der"], dir);
    return trimDer(new Uint8Array(await readFile(join(dir, "ek.der"))));
  });
}

function createEk(s: ToolSession): Promise<{ publicKeyPem: string }> {
  return s.withScratch(async (dir) => {
    await s.tool("tpm2_createek", ["-c", "ek.ctx", "-G", "rsa", "-u", "ek.pem", "-f", "pem"], dir);
    return { publicKeyPem: await readFile(join(dir, "ek.pem"), "utf8") };
  }, "objects");
}

function pcrExtend(s: ToolSession, pcr: number, digest: string): Promise<void> {
  checkPcr(pcr);
  if (!/^[0-9a-fA-F]{64}$/.test(digest)) {
    throw new ProvenantError("INPUT_INVALID", "PCR extend digest is not 64 hex characters (SHA-256)");
  }
  return s.serialized(async () => {
    await s.tool("tpm2_pcrextend", [`${pcr}:sha256=${digest.toLowerCase()}`]);
  });
}

function pcrReset(s: ToolSession, pcr: number): Promise<void> {
  checkPcr(pcr);
  return s.serialized(async () => {
    await s.tool("tpm2_pcrreset", [String(pcr)]);
  });
}

function pcrRead(s: ToolSession, pcrs: readonly number[]): Promise<PcrValues> {
  const list = pcrList(pcrs);
  return s.withScratch(async (dir) => {
    await s.tool("tpm2_pcrread", [`sha256:${list.join(",")}`, "-o", "pcrs.bin"], dir);
    const bytes = new Uint8Array(await readFile(join(dir, "pcrs.bin")));
    if (bytes.length !== 32 * list.length) {
      throw new TpmError("TPM_FAILED", `tpm2_pcrread returned ${bytes.length} bytes for ${list.length} SHA-256 PCRs`);
    }
    const values: PcrValues = {};
    list.forEach((pcr, i) => (values[pcr] = bytesToHex(bytes.subarray(32 * i, 32 * i + 32))));
    return values;
  });
}

function quote(s: ToolSession, aks: AkStore, pcrs: readonly number[], nonce: Uint8Array): Promise<QuoteResult> {
  const list = pcrList(pcrs);
  if (nonce.length < 1 || nonce.length > 64) {
    throw new ProvenantError("INPUT_INVALID", `quote nonce is ${nonce.length} bytes; it must be 1 to 64`);
  }
  return s.withScratch(async (dir) => {
    const { ak, auth } = await aks.require(dir);
    const akAuth = await authFile(dir, auth);
    const args = ["-c", hexHandle(ak.handle), "-p", akAuth, "-l", `sha256:${list.join(",")}`, "-q", bytesToHex(nonce)];
    await s.tool("tpm2_quote", [...args, "-m", "quote.msg", "-s", "quote.sig", "-g", "sha256"], dir);
    return {
      attest: new Uint8Array(await readFile(join(dir, "quote.msg"))),
      signature: new Uint8Array(await readFile(join(dir, "quote.sig"))),
    };
  });
}

function activateCredential(s: ToolSession, aks: AkStore, credentialBlob: Uint8Array, encryptedSecret: Uint8Array): Promise<Uint8Array> {
  const file = encodeToolsCredential({ credentialBlob, encryptedSecret });
  return s.withScratch(async (dir) => {
    const { ak, auth } = await aks.require(dir);
    await writeFile(join(dir, "cred.bin"), file);
    // The EK is re-derived from the endorsement seed: a saved EK context would not survive a TPM reset.
    await s.tool("tpm2_createek", ["-c", "ek.ctx", "-G", "rsa", "-u", "ek.pub"], dir);
    await s.flush();
    await s.tool("tpm2_startauthsession", ["--policy-session", "-S", "session.ctx"], dir);
    await s.tool("tpm2_policysecret", ["-S", "session.ctx", "-c", "e"], dir);
    const akAuth = await authFile(dir, auth);
    const args = ["-c", hexHandle(ak.handle), "-p", akAuth, "-C", "ek.ctx", "-i", "cred.bin", "-o", "secret.bin", "-P", "session:session.ctx"];
    await s.tool("tpm2_activatecredential", args, dir);
    return new Uint8Array(await readFile(join(dir, "secret.bin")));
  }, "sessions");
}

/** A TpmTransport over tpm2-tools. */
export function createTpm2ToolsTransport(options: Tpm2ToolsTransportOptions): TpmTransport {
  const akHandle = options.akHandle ?? DEFAULT_AK_HANDLE;
  const s = new ToolSession({
    tcti: options.tcti,
    ...(options.toolsDir ? { toolsDir: options.toolsDir } : {}),
    ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}),
  });
  const aks = new AkStore(options.stateDir, s);
  return {
    description: options.tcti,
    readEkCertificate: () => readEkCertificate(s),
    createEk: () => createEk(s),
    createAk: () =>
      s.withScratch(async (dir) => {
        aks.forget();
        const record = await createPersistentAk(s, dir, akHandle);
        await aks.save(record);
        return record.ak;
      }, "sessions"),
    loadAk: () => s.withScratch(async (dir) => ((await aks.recorded()) ? (await aks.require(dir)).ak : undefined)),
    pcrExtend: async (pcr, digest) => pcrExtend(s, pcr, digest),
    pcrReset: async (pcr) => pcrReset(s, pcr),
    pcrRead: async (pcrs) => pcrRead(s, pcrs),
    quote: async (pcrs, nonce) => quote(s, aks, pcrs, nonce),
    activateCredential: async (blob, secret) => activateCredential(s, aks, blob, secret),
    makeCredential: (ekPublicKeyPem, akName, secret) =>
      makeCredentialOffline({ ekPublicKeyPem, akName, secret, ...(options.toolsDir ? { toolsDir: options.toolsDir } : {}) }),
  };
}
