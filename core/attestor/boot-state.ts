/**
 * An attestor's boot state: the boot PCRs (0-7, and any of 8-15 its policy names) quoted with PCR 23, their
 * values, and the boot event log that explains them. Here: the `boot` section of a training certificate
 * (docs/formats/training-certificate-v1.md), its strict loader, the boot state's id (what AttestorRegistry
 * approves), the pcrDigest a boot-state quote carries, and the attestor's side: reading the log, checking it
 * replays to the TPM's PCRs and passes its policy before a run, and that nothing changed them before the quote.
 * The verifier's checks are in verify-boot.ts.
 */
import { sha256 } from "@noble/hashes/sha2.js";
import { TpmError } from "../errors.ts";
import { bytesToHex, concatBytes, hexToBytes } from "../hex.ts";
import { MAX_EVENT_LOG_BYTES, parseBootEventLog, replayBootEventLog } from "../tpm/event-log.ts";
import type { PcrEvent } from "../tpm/quote.ts";
import type { TpmTransport } from "../tpm/transport.ts";
import { fieldReaders, type FieldReaders } from "../versioned-json.ts";
import { appraiseBootLog, parseBootPolicy } from "./boot-policy.ts";
import type { BootPolicy } from "./boot-policy.ts";
import { TRAINING_PCR, replayTrainingPcr } from "./pcr-events.ts";

/** Where Linux exposes the firmware's boot event log. */
export const DEFAULT_BOOT_LOG_PATH = "/sys/kernel/security/tpm0/binary_bios_measurements";

/** A training certificate's `boot` section: present exactly when the certificate is at a boot-state trust level. */
export type CertificateBoot = {
  /** The boot PCRs quoted with PCR 23, ascending: the policy's `pcrs`. */
  pcrs: number[];
  /** Their values as the TPM held them when it quoted (lowercase hex, in `pcrs` order): the boot state. */
  pcrValues: string[];
  /** The boot event log (binary_bios_measurements), base64. */
  eventLog: string;
  /** The boot policy the attestor appraised the log against, whole: the certificate names it by its name and digest. */
  policy: BootPolicy;
};

/** The boot state's id: SHA-256 of the boot PCR values concatenated in ascending PCR order, 0x-hex. */
export function bootStateId(pcrValues: readonly string[]): `0x${string}` {
  return `0x${bytesToHex(sha256(concatBytes(...pcrValues.map((v) => hexToBytes(v, "boot PCR value")))))}`;
}

/** A PCR list as a selection bitmap (bit i: PCR i). */
export function pcrSelectOf(pcrs: readonly number[]): number {
  return pcrs.reduce((m, p) => m | (1 << p), 0) >>> 0;
}

/**
 * The PCRs a certificate's final quote selects and the pcrDigest it must carry: PCR 23 replayed from the
 * training events, after the stated boot PCR values when the certificate has a boot section.
 */
export function quotedPcrDigest(payload: { eventLog: readonly PcrEvent[]; boot?: CertificateBoot }): { pcrs: number[]; pcrDigest: string } {
  const { pcr, pcrDigest } = replayTrainingPcr(payload.eventLog);
  if (!payload.boot) return { pcrs: [TRAINING_PCR], pcrDigest };
  const values = [...payload.boot.pcrValues, pcr].map((v) => hexToBytes(v));
  return { pcrs: [...payload.boot.pcrs, TRAINING_PCR], pcrDigest: bytesToHex(sha256(concatBytes(...values))) };
}

// ---- loader ---------------------------------------------------------------------------------------------

// The certificate's readers (certificate-loader.ts builds the same; it imports this module, so not from there).
const readers = fieldReaders("CERTIFICATE_INVALID", "certificate");
const bad: FieldReaders["bad"] = readers.bad;
const obj: FieldReaders["obj"] = readers.obj;

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** Load a certificate's `boot` section (strict, like the rest of the certificate). Throws CERTIFICATE_INVALID. */
export function loadCertificateBoot(v: unknown, path = "payload.boot"): CertificateBoot {
  const o = obj(v, path, ["pcrs", "pcrValues", "eventLog", "policy"]);
  let policy: BootPolicy;
  try {
    policy = parseBootPolicy(o.policy);
  } catch (e) {
    bad(`${path}.policy`, `is not a boot policy: ${(e as Error).message}`);
  }
  if (!Array.isArray(o.pcrs) || o.pcrs.join() !== policy.pcrs.join()) bad(`${path}.pcrs`, `is not the policy's PCRs (${policy.pcrs.join(", ")})`);
  if (!Array.isArray(o.pcrValues) || o.pcrValues.length !== policy.pcrs.length) bad(`${path}.pcrValues`, `is not ${policy.pcrs.length} PCR values`);
  o.pcrValues.forEach((x, i) => {
    if (typeof x !== "string" || !/^[0-9a-f]{64}$/.test(x)) bad(`${path}.pcrValues[${i}]`, "is not a SHA-256 PCR value (64 lowercase hex digits)");
  });
  if (typeof o.eventLog !== "string" || !BASE64.test(o.eventLog)) bad(`${path}.eventLog`, "is not base64");
  if (o.eventLog.length > Math.ceil(MAX_EVENT_LOG_BYTES / 3) * 4) bad(`${path}.eventLog`, `is more than ${MAX_EVENT_LOG_BYTES} bytes`);
  return { pcrs: [...policy.pcrs], pcrValues: [...(o.pcrValues as string[])], eventLog: o.eventLog, policy };
}

export const eventLogBytes = (boot: Pick<CertificateBoot, "eventLog">) => new Uint8Array(Buffer.from(boot.eventLog, "base64"));

// ---- the attestor's side --------------------------------------------------------------------------------

/** What an attestor at the boot-state level is configured with. */
export type BootSource = {
  policy: BootPolicy;
  /** Reads the boot event log (on a real machine DEFAULT_BOOT_LOG_PATH). */
  readLog(): Promise<Uint8Array>;
  /** Where it is read from, for messages. */
  location?: string;
};

/**
 * Read the boot log, check it replays to the TPM's boot PCRs (nothing was extended outside it) and passes the
 * policy, and return the certificate's boot section. Throws TpmError("TPM_FAILED") naming what is wrong: an
 * attestor never certifies a boot state its own verifier would refuse.
 */
export async function measureBootState(tpm: TpmTransport, source: BootSource): Promise<CertificateBoot> {
  const boot = await readBootState(tpm, source);
  const { policy } = source;
  let replayed;
  try {
    replayed = replayBootEventLog(parseBootEventLog(eventLogBytes(boot)), policy.pcrs);
  } catch (e) {
    throw new TpmError("TPM_FAILED", `the boot event log cannot be used: ${(e as Error).message}`, { cause: e });
  }
  const i = policy.pcrs.findIndex((p, k) => boot.pcrValues[k] !== replayed[p]);
  if (i >= 0) {
    const p = policy.pcrs[i]!;
    throw new TpmError(
      "TPM_FAILED",
      `PCR ${p} is ${boot.pcrValues[i]}, but the boot event log replays to ${replayed[p]}: something was extended outside the log; refusing to certify this boot state`,
    );
  }
  const failed = appraiseBootLog(eventLogBytes(boot), policy).filter((c) => !c.ok);
  if (failed.length > 0) {
    throw new TpmError("TPM_FAILED", `the boot does not pass boot policy "${policy.name}": ${failed.map((c) => `${c.name}: ${c.detail}`).join("; ")}`);
  }
  return boot;
}

/**
 * The boot section as it stands, unchecked: the log as read and the values the TPM holds in the policy's PCRs.
 * What the registry owner appraises for approval (POST /v1/boot-state): the owner's checks, not the attestor's.
 */
export async function readBootState(tpm: TpmTransport, source: BootSource): Promise<CertificateBoot> {
  const bytes = await source.readLog();
  const held = await tpm.pcrRead(source.policy.pcrs);
  return { pcrs: [...source.policy.pcrs], pcrValues: source.policy.pcrs.map((p) => held[p]!), eventLog: Buffer.from(bytes).toString("base64"), policy: source.policy };
}

/** Just before the final quote: the boot PCRs still hold the values measured before the run. */
export async function expectBootStateUnchanged(tpm: TpmTransport, boot: CertificateBoot): Promise<void> {
  const held = await tpm.pcrRead(boot.pcrs);
  const changed = boot.pcrs.findIndex((p, i) => held[p] !== boot.pcrValues[i]);
  if (changed >= 0) {
    throw new TpmError(
      "TPM_FAILED",
      `boot PCR ${boot.pcrs[changed]} changed during the run (${boot.pcrValues[changed]} -> ${held[boot.pcrs[changed]!]}): something was extended outside the boot log`,
    );
  }
}
