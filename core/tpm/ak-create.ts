/**
 * Making the attestation key: an ECC P-256 restricted signing key under the RSA EK, with a random 32-byte
 * authorization value and noDA (a 256-bit secret needs no dictionary-attack lockout, and wrong guesses by
 * others cannot lock the attestor out), made persistent at its handle (replacing any key there).
 * tpm2_createak cannot set noDA, so the AK is made with tpm2_create under the EK, as createak does it.
 */
import { randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { TpmError } from "../errors.ts";
import { bytesEqual } from "../hex.ts";
import { authFile } from "./ak-store.ts";
import type { AkRecord } from "./ak-store.ts";
import { computeName, parseTpm2bPublic } from "./public.ts";
import { hexHandle } from "./tool-session.ts";
import type { ToolSession } from "./tool-session.ts";

/** The attributes tpm2_createak gives an AK, plus noDA. */
const AK_ATTRIBUTES = "fixedtpm|fixedparent|sensitivedataorigin|userwithauth|noda|restricted|sign";

/** Make the AK at `handle` and read it back; the scratch dir `dir` holds the contexts. Call inside a job that flushes sessions. */
export async function createPersistentAk(s: ToolSession, dir: string, handle: number): Promise<AkRecord> {
  if ((await s.persistentHandles()).includes(handle)) {
    await s.tool("tpm2_evictcontrol", ["-C", "o", "-c", hexHandle(handle)], dir);
  }
  const auth = randomBytes(32).toString("hex");
  await createAkUnderEk(s, dir, await authFile(dir, auth));
  await s.tool("tpm2_evictcontrol", ["-C", "o", "-c", "ak.ctx", hexHandle(handle)], dir);
  await s.flush();
  return { ak: await readPersistentAk(s, dir, handle), auth };
}

/** tpm2_create and tpm2_load of the AK under the EK, into ak.ctx; the EK's policy is PolicySecret(endorsement), one policy session per use. */
async function createAkUnderEk(s: ToolSession, dir: string, akAuth: string): Promise<void> {
  await s.tool("tpm2_createek", ["-c", "ek.ctx", "-G", "rsa", "-u", "ek.pub"], dir);
  await s.flush();
  const ekSession = async () => {
    await s.tool("tpm2_startauthsession", ["--policy-session", "-S", "session.ctx"], dir);
    await s.tool("tpm2_policysecret", ["-S", "session.ctx", "-c", "e"], dir);
  };
  await ekSession();
  await s.tool(
    "tpm2_create",
    ["-C", "ek.ctx", "-P", "session:session.ctx", "-G", "ecc256:ecdsa-sha256:null", "-g", "sha256", "-a", AK_ATTRIBUTES, "-p", akAuth, "-u", "ak.pub", "-r", "ak.priv"],
    dir,
  );
  await s.tool("tpm2_flushcontext", ["session.ctx"], dir);
  await s.flush(); // the EK and the new key's parent copy; swtpm holds only three objects
  await ekSession();
  await s.tool("tpm2_load", ["-C", "ek.ctx", "-P", "session:session.ctx", "-u", "ak.pub", "-r", "ak.priv", "-c", "ak.ctx"], dir);
  await s.tool("tpm2_flushcontext", ["session.ctx"], dir);
}

/** The persistent AK's public area, name (checked against the public area) and PEM. */
async function readPersistentAk(s: ToolSession, dir: string, handle: number) {
  await s.tool("tpm2_readpublic", ["-c", hexHandle(handle), "-f", "tss", "-o", "ak.tpm2b_public", "-n", "ak.name"], dir);
  await s.tool("tpm2_readpublic", ["-c", hexHandle(handle), "-f", "pem", "-o", "ak.pem"], dir);
  const tpm2bPublic = new Uint8Array(await readFile(join(dir, "ak.tpm2b_public")));
  const toolName = new Uint8Array(await readFile(join(dir, "ak.name")));
  const name = computeName(parseTpm2bPublic(tpm2bPublic));
  if (!bytesEqual(name, toolName)) {
    throw new TpmError("TPM_FAILED", "tpm2_readpublic reported a name that does not match the AK's public area");
  }
  return { handle, publicKeyPem: await readFile(join(dir, "ak.pem"), "utf8"), tpm2bPublic, name };
}
