/**
 * Registry-side enrollment of an attestor's TPM: the EK certificate chains to a configured
 * root, the AK is a restricted P-256 signing key fixed to the TPM, its Name is what the
 * attestor claims, and the attestor proves the AK and EK live in one TPM by activating a
 * credential made for the EK (MakeCredential/ActivateCredential). Every failure is a named
 * check; nothing here throws for bad evidence.
 */
import { X509Certificate, createPublicKey, randomBytes } from "node:crypto";
import type { KeyObject } from "node:crypto";
import { ProvenantError, TpmError } from "../errors.ts";
import { bytesEqual, bytesToHex } from "../hex.ts";
import { TPMA_OBJECT, TPM_ALG_ECC, TPM_ALG_ECDSA, TPM_ALG_NULL, TPM_ALG_SHA256, TPM_ECC_NIST_P256 } from "./constants.ts";
import type { TpmaObjectFlag } from "./constants.ts";
import { makeCredential } from "./credential.ts";
import type { CredentialChallenge } from "./credential.ts";
import { ENDORSEMENT_HIERARCHY_QN, computeName, computeQualifiedName, describeAttributes, parseTpm2bPublic, rsaEkPublicArea } from "./public.ts";
import type { TpmtPublic } from "./public.ts";
import type { Check } from "./quote.ts";
import { ecPublicKeyFromTpmtPublic, publicKeyToPem } from "./quote-check.ts";

/** "software": the root is a local swtpm CA (proves nothing about hardware); "hardware": a TPM vendor's root. */
export type TpmKind = "software" | "hardware";

export type TrustedRoot = {
  certificatePem: string;
  /** Default: "software" when the subject is swtpm_localca's root ("CN=swtpm-localca-rootca"), else "hardware". */
  kind?: TpmKind;
  label?: string;
};

export type EnrollmentCheckName =
  | "ekCertificateParsed"
  | "ekCertificateChain"
  | "ekCertificateValidity"
  | "ekPublicKey"
  | "akPublicParsed"
  | "akAlgorithm"
  | "akAttributes"
  | "akName"
  | "akPublicKeyMatches"
  | "credentialActivated";

export type EnrollmentCheck = Check<EnrollmentCheckName>;

export type EkCertificateVerification = {
  ok: boolean;
  checks: EnrollmentCheck[];
  kind?: TpmKind;
  /** Subjects from the EK certificate up to and including the root. */
  chain: string[];
  root?: { subject: string; fingerprint256: string; label?: string };
  ekPublicKey?: KeyObject;
  ekPublicKeyPem?: string;
};

export type VerifyEkCertificateParameters = {
  /** DER bytes (as read from NV) or PEM. */
  ekCertificate: Uint8Array | string;
  /** Trust anchors: PEM strings or TrustedRoot entries. */
  roots: readonly (TrustedRoot | string)[];
  /** Intermediate CA certificates (PEM) that may sit between the EK certificate and a root. */
  intermediates?: readonly string[];
  now?: Date;
};

const SWTPM_ROOT_SUBJECT = "CN=swtpm-localca-rootca";
const MAX_CHAIN = 8;

function parseCert(input: Uint8Array | string): X509Certificate {
  return new X509Certificate(typeof input === "string" ? input : Buffer.from(input));
}

function errMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Verify the EK certificate chain and extract the EK public key. */
export function verifyEkCertificate(p: VerifyEkCertificateParameters): EkCertificateVerification {
  const checks: EnrollmentCheck[] = [];
  const result: EkCertificateVerification = { ok: false, checks, chain: [] };
  const finish = () => {
    result.ok = checks.length > 0 && checks.every((c) => c.ok);
    return result;
  };

  let leaf: X509Certificate;
  try {
    leaf = parseCert(p.ekCertificate);
    checks.push({
      name: "ekCertificateParsed",
      ok: true,
      detail: `subject ${leaf.subject || "(empty)"}, issuer ${leaf.issuer}`,
    });
  } catch (e) {
    checks.push({ name: "ekCertificateParsed", ok: false, detail: `not an X.509 certificate: ${errMessage(e)}` });
    return finish();
  }

  let roots: { cert: X509Certificate; kind: TpmKind; label?: string }[];
  let intermediates: X509Certificate[];
  try {
    roots = p.roots.map((r) => {
      const entry = typeof r === "string" ? { certificatePem: r } : r;
      const cert = new X509Certificate(entry.certificatePem);
      const kind = entry.kind ?? (cert.subject.trim() === SWTPM_ROOT_SUBJECT ? "software" : "hardware");
      return { cert, kind, ...(entry.label ? { label: entry.label } : {}) };
    });
    intermediates = (p.intermediates ?? []).map((pem) => new X509Certificate(pem));
  } catch (e) {
    throw new ProvenantError("CONFIG_INVALID", `a configured root or intermediate is not a PEM certificate: ${errMessage(e)}`, {
      cause: e,
    });
  }
  if (roots.length === 0) throw new ProvenantError("CONFIG_INVALID", "no EK root CAs configured");

  // Walk up from the leaf: at each step prefer a root, else an intermediate, that issued and signed the current cert.
  const issuedBy = (child: X509Certificate, parent: X509Certificate) => {
    try {
      return child.checkIssued(parent) && parent.ca && child.verify(parent.publicKey);
    } catch {
      return false;
    }
  };
  const chain: X509Certificate[] = [leaf];
  let anchor: (typeof roots)[number] | undefined;
  let current = leaf;
  for (let depth = 0; depth < MAX_CHAIN && !anchor; depth++) {
    anchor = roots.find((r) => issuedBy(current, r.cert));
    if (anchor) break;
    const next = intermediates.find((i) => !chain.includes(i) && issuedBy(current, i));
    if (!next) break;
    chain.push(next);
    current = next;
  }
  result.chain = [...chain.map((c) => c.subject), ...(anchor ? [anchor.cert.subject] : [])];
  if (anchor) {
    result.kind = anchor.kind;
    result.root = {
      subject: anchor.cert.subject,
      fingerprint256: anchor.cert.fingerprint256,
      ...(anchor.label ? { label: anchor.label } : {}),
    };
    checks.push({
      name: "ekCertificateChain",
      ok: true,
      detail: `chains to ${anchor.label ?? anchor.cert.subject} (${anchor.kind} TPM) via ${chain.length - 1} intermediate(s)`,
    });
  } else {
    checks.push({
      name: "ekCertificateChain",
      ok: false,
      detail: `no configured root or intermediate issued and signed ${current.subject || "(empty subject)"} (issuer ${current.issuer})`,
    });
  }

  const now = p.now ?? new Date();
  const all = [...chain, ...(anchor ? [anchor.cert] : [])];
  const expired = all.filter((c) => now < c.validFromDate || now > c.validToDate);
  checks.push({
    name: "ekCertificateValidity",
    ok: expired.length === 0,
    detail:
      expired.length === 0 ? `valid at ${now.toISOString()}` : expired.map((c) => `${c.subject || "EK certificate"} valid ${c.validFrom} to ${c.validTo}`).join("; "),
  });

  const key = leaf.publicKey;
  const details = key.asymmetricKeyDetails;
  const rsaOk = key.asymmetricKeyType === "rsa" && details?.modulusLength === 2048 && details.publicExponent === 65537n;
  checks.push({
    name: "ekPublicKey",
    ok: rsaOk,
    detail: rsaOk
      ? "RSA-2048 EK (TCG default template)"
      : `EK key is ${key.asymmetricKeyType} ${details?.modulusLength ?? details?.namedCurve ?? ""}; only RSA-2048 EKs are supported`,
  });
  if (rsaOk) {
    result.ekPublicKey = key;
    result.ekPublicKeyPem = publicKeyToPem(key);
  }
  return finish();
}

export type AkPublicVerification = {
  ok: boolean;
  checks: EnrollmentCheck[];
  publicArea?: TpmtPublic;
  name?: Uint8Array;
  publicKeyPem?: string;
};

const REQUIRED_AK_FLAGS: readonly TpmaObjectFlag[] = ["fixedTPM", "fixedParent", "sensitiveDataOrigin", "restricted", "sign"];
const FORBIDDEN_AK_FLAGS: readonly TpmaObjectFlag[] = ["decrypt"];

/**
 * Check an AK's TPM2B_PUBLIC: ECC P-256, ECDSA-SHA256, nameAlg SHA-256, restricted signing,
 * fixed to the TPM and its parent, generated inside the TPM; its Name equals `akName` and its
 * key equals `akPublicKeyPem` when those are given.
 */
export function checkAkPublic(p: { tpm2bPublic: Uint8Array; akName?: Uint8Array; akPublicKeyPem?: string }): AkPublicVerification {
  const checks: EnrollmentCheck[] = [];
  const result: AkPublicVerification = { ok: false, checks };
  const finish = () => {
    result.ok = checks.every((c) => c.ok);
    return result;
  };
  let pub: TpmtPublic;
  try {
    pub = parseTpm2bPublic(p.tpm2bPublic);
    checks.push({ name: "akPublicParsed", ok: true, detail: "TPM2B_PUBLIC" });
  } catch (e) {
    checks.push({ name: "akPublicParsed", ok: false, detail: errMessage(e) });
    return finish();
  }
  result.publicArea = pub;

  const algProblems: string[] = [];
  if (pub.type !== TPM_ALG_ECC) algProblems.push(`type 0x${pub.type.toString(16)} is not ECC`);
  if (pub.nameAlg !== TPM_ALG_SHA256) algProblems.push(`nameAlg 0x${pub.nameAlg.toString(16)} is not SHA-256`);
  if (pub.curveId !== TPM_ECC_NIST_P256) algProblems.push(`curve ${pub.curveId ?? "none"} is not NIST P-256`);
  if (pub.scheme.scheme !== TPM_ALG_ECDSA || pub.scheme.hashAlg !== TPM_ALG_SHA256) algProblems.push("scheme is not ECDSA-SHA256");
  if (pub.symmetric.algorithm !== TPM_ALG_NULL) algProblems.push("a signing key must have a NULL symmetric algorithm");
  checks.push({
    name: "akAlgorithm",
    ok: algProblems.length === 0,
    detail: algProblems.length === 0 ? "ECC NIST P-256, ECDSA-SHA256, nameAlg SHA-256" : algProblems.join("; "),
  });

  const missing = REQUIRED_AK_FLAGS.filter((f) => (pub.objectAttributes & TPMA_OBJECT[f]) === 0);
  const extra = FORBIDDEN_AK_FLAGS.filter((f) => (pub.objectAttributes & TPMA_OBJECT[f]) !== 0);
  checks.push({
    name: "akAttributes",
    ok: missing.length === 0 && extra.length === 0,
    detail:
      missing.length === 0 && extra.length === 0
        ? describeAttributes(pub.objectAttributes).join("|")
        : [missing.length ? `missing ${missing.join(",")}` : "", extra.length ? `must not have ${extra.join(",")}` : ""].filter(Boolean).join("; "),
  });

  if (pub.nameAlg === TPM_ALG_SHA256) {
    const name = computeName(pub);
    result.name = name;
    if (p.akName) {
      const ok = bytesEqual(name, p.akName);
      checks.push({
        name: "akName",
        ok,
        detail: ok ? bytesToHex(name) : `claimed name ${bytesToHex(p.akName)} is not ${bytesToHex(name)}`,
      });
    }
  }

  if (algProblems.length === 0) {
    try {
      const key = ecPublicKeyFromTpmtPublic(pub);
      result.publicKeyPem = publicKeyToPem(key);
      if (p.akPublicKeyPem) {
        const claimed = createPublicKey(p.akPublicKeyPem).export({ format: "jwk" });
        const actual = key.export({ format: "jwk" });
        const ok = claimed.kty === "EC" && claimed.crv === actual.crv && claimed.x === actual.x && claimed.y === actual.y;
        checks.push({
          name: "akPublicKeyMatches",
          ok,
          detail: ok ? "PEM key equals the TPM public area" : "PEM key is not the key in TPM2B_PUBLIC",
        });
      }
    } catch (e) {
      checks.push({ name: "akPublicKeyMatches", ok: false, detail: errMessage(e) });
    }
  }
  return finish();
}

/**
 * The qualified name a quote by this AK carries as qualifiedSigner when the AK is a child of
 * the RSA EK (TCG default template) in the endorsement hierarchy.
 */
export function akQualifiedName(ekPublicKey: string | KeyObject, akName: Uint8Array): Uint8Array {
  const key = typeof ekPublicKey === "string" ? createPublicKey(ekPublicKey) : ekPublicKey;
  const jwk = key.export({ format: "jwk" });
  if (jwk.kty !== "RSA" || !jwk.n) throw new ProvenantError("INPUT_INVALID", "EK public key is not RSA");
  const ek = rsaEkPublicArea(new Uint8Array(Buffer.from(jwk.n, "base64url")));
  const ekQn = computeQualifiedName(ENDORSEMENT_HIERARCHY_QN, computeName(ek));
  return computeQualifiedName(ekQn, akName);
}

export type EnrollmentChallenge = {
  /** Send to the attestor. */
  challenge: CredentialChallenge;
  /** Keep: the attestor must return exactly this. */
  secret: Uint8Array;
};

/** Make a fresh credential challenge bound to the EK (from the certificate) and the AK Name. */
export async function createEnrollmentChallenge(p: { ekPublicKeyPem: string; akName: Uint8Array; secret?: Uint8Array; toolsDir?: string }): Promise<EnrollmentChallenge> {
  const secret = p.secret ?? new Uint8Array(randomBytes(32));
  const challenge = await makeCredential({
    ekPublicKeyPem: p.ekPublicKeyPem,
    akName: p.akName,
    secret,
    ...(p.toolsDir ? { toolsDir: p.toolsDir } : {}),
  });
  return { challenge, secret };
}

export function checkChallengeResponse(secret: Uint8Array, response: Uint8Array): EnrollmentCheck {
  const ok = bytesEqual(secret, response);
  return {
    name: "credentialActivated",
    ok,
    detail: ok ? "the TPM holding the EK activated the credential for this AK" : "the returned secret is wrong",
  };
}

export type EnrollParameters = VerifyEkCertificateParameters & {
  /** The AK's TPM2B_PUBLIC as the attestor reports it. */
  akTpm2bPublic: Uint8Array;
  /** The AK Name the attestor claims (checked against the public area). */
  akName?: Uint8Array;
  akPublicKeyPem?: string;
  /** Ask the attestor to activate the credential; resolve with the secret it returns. Any rejection fails enrollment. */
  activate: (challenge: CredentialChallenge) => Promise<Uint8Array>;
  toolsDir?: string;
};

export type EnrollmentResult = {
  ok: boolean;
  checks: EnrollmentCheck[];
  kind?: TpmKind;
  ekPublicKeyPem?: string;
  akPublicKeyPem?: string;
  akName?: Uint8Array;
  /** What quotes by this AK must carry as qualifiedSigner. */
  akQualifiedName?: Uint8Array;
};

/** The whole enrollment: EK certificate, AK public area, then the credential round trip. */
export async function enroll(p: EnrollParameters): Promise<EnrollmentResult> {
  const ek = verifyEkCertificate(p);
  const ak = checkAkPublic({
    tpm2bPublic: p.akTpm2bPublic,
    ...(p.akName ? { akName: p.akName } : {}),
    ...(p.akPublicKeyPem ? { akPublicKeyPem: p.akPublicKeyPem } : {}),
  });
  const checks = [...ek.checks, ...ak.checks];
  const result: EnrollmentResult = { ok: false, checks };
  if (ek.kind) result.kind = ek.kind;
  if (ek.ekPublicKeyPem) result.ekPublicKeyPem = ek.ekPublicKeyPem;
  if (ak.publicKeyPem) result.akPublicKeyPem = ak.publicKeyPem;
  if (ak.name) result.akName = ak.name;

  if (!ek.ok || !ak.ok || !ek.ekPublicKeyPem || !ak.name) {
    checks.push({ name: "credentialActivated", ok: false, detail: "not attempted: the EK or AK checks failed" });
    return result;
  }
  let challenge: EnrollmentChallenge;
  try {
    challenge = await createEnrollmentChallenge({
      ekPublicKeyPem: ek.ekPublicKeyPem,
      akName: ak.name,
      ...(p.toolsDir ? { toolsDir: p.toolsDir } : {}),
    });
  } catch (e) {
    // The registry's own failure to make a challenge is not a verdict on the attestor.
    throw e instanceof ProvenantError ? e : new TpmError("TPM_FAILED", "making the credential challenge failed", { cause: e });
  }
  try {
    const response = await p.activate(challenge.challenge);
    checks.push(checkChallengeResponse(challenge.secret, response));
  } catch (e) {
    checks.push({ name: "credentialActivated", ok: false, detail: `activation failed: ${errMessage(e)}` });
  }
  result.akQualifiedName = akQualifiedName(ek.ekPublicKeyPem, ak.name);
  result.ok = checks.every((c) => c.ok);
  return result;
}
