/**
 * TPM2_MakeCredential on the verifier side (no TPM: `tpm2_makecredential -T none`) and the
 * tpm2-tools credential file format. A challenge is the pair TPM2_ActivateCredential takes:
 * credentialBlob (TPM2B_ID_OBJECT) and encryptedSecret (TPM2B_ENCRYPTED_SECRET), each with
 * its u16 size prefix.
 */
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ProvenantError, TpmError } from "../errors.ts";
import { ByteReader } from "./bytes.ts";
import { bytesToHex, concatBytes, u32be } from "../hex.ts";
import { runTool } from "./tools.ts";

export type CredentialChallenge = {
  /** TPM2B_ID_OBJECT: integrity HMAC and the encrypted credential. */
  credentialBlob: Uint8Array;
  /** TPM2B_ENCRYPTED_SECRET: the seed, RSA-OAEP-encrypted to the EK. */
  encryptedSecret: Uint8Array;
};

const TOOLS_CREDENTIAL_MAGIC = 0xbadcc0de;
const TOOLS_CREDENTIAL_VERSION = 1;

/** Split the file tpm2_makecredential writes (magic, version, TPM2B_ID_OBJECT, TPM2B_ENCRYPTED_SECRET). */
export function decodeToolsCredential(file: Uint8Array): CredentialChallenge {
  const r = new ByteReader(file, "tpm2-tools credential file");
  const magic = r.u32("magic");
  const version = r.u32("version");
  if (magic !== TOOLS_CREDENTIAL_MAGIC || version !== TOOLS_CREDENTIAL_VERSION) {
    throw new ProvenantError("FORMAT_UNSUPPORTED", "credential file is not a tpm2-tools v1 credential (magic badcc0de)");
  }
  const start1 = r.offset;
  r.tpm2b("credentialBlob", 0xffff);
  const credentialBlob = file.slice(start1, r.offset);
  const start2 = r.offset;
  r.tpm2b("encryptedSecret", 0xffff);
  const encryptedSecret = file.slice(start2, r.offset);
  r.end();
  return { credentialBlob, encryptedSecret };
}

/** The inverse of decodeToolsCredential; validates that both parts are well-formed TPM2Bs. */
export function encodeToolsCredential(c: CredentialChallenge): Uint8Array {
  for (const [name, v] of [
    ["credentialBlob", c.credentialBlob],
    ["encryptedSecret", c.encryptedSecret],
  ] as const) {
    const r = new ByteReader(v, name);
    r.tpm2b(name, 0xffff);
    r.end();
  }
  return concatBytes(u32be(TOOLS_CREDENTIAL_MAGIC), u32be(TOOLS_CREDENTIAL_VERSION), c.credentialBlob, c.encryptedSecret);
}

export type MakeCredentialParameters = {
  /** The EK public key, PEM (RSA-2048 from the EK certificate; the TCG default EK template is assumed). */
  ekPublicKeyPem: string;
  /** The AK Name the credential is bound to (nameAlg ‖ digest, 34 bytes for SHA-256). */
  akName: Uint8Array;
  /** The secret the attestor must return: 1 to 32 bytes. */
  secret: Uint8Array;
  /** Directory holding tpm2_makecredential; default: PATH. */
  toolsDir?: string;
};

/** Make a credential for `akName` that only the TPM holding the EK can activate. */
export async function makeCredential(p: MakeCredentialParameters): Promise<CredentialChallenge> {
  if (p.secret.length < 1 || p.secret.length > 32) {
    throw new ProvenantError("INPUT_INVALID", `credential secret is ${p.secret.length} bytes; it must be 1 to 32`);
  }
  if (p.akName.length !== 34 || p.akName[0] !== 0x00 || p.akName[1] !== 0x0b) {
    throw new ProvenantError("INPUT_INVALID", "AK name is not a SHA-256 Name (000b followed by 32 bytes)");
  }
  const dir = await mkdtemp(join(tmpdir(), "provenant-mkcred-"));
  try {
    await writeFile(join(dir, "ek.pem"), p.ekPublicKeyPem);
    await writeFile(join(dir, "secret.bin"), p.secret);
    await runTool("tpm2_makecredential", ["-T", "none", "-u", "ek.pem", "-G", "rsa", "-s", "secret.bin", "-n", bytesToHex(p.akName), "-o", "cred.bin"], {
      tcti: "none",
      cwd: dir,
      ...(p.toolsDir ? { toolsDir: p.toolsDir } : {}),
    });
    return decodeToolsCredential(new Uint8Array(await readFile(join(dir, "cred.bin"))));
  } catch (e) {
    if (e instanceof ProvenantError) throw e;
    throw new TpmError("TPM_FAILED", "tpm2_makecredential failed", { cause: e });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
