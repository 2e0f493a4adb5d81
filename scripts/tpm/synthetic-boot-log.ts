/**
 * Synthetic UEFI boot event logs in the real binary format (crypto-agile, as in
 * /sys/kernel/security/tpm0/binary_bios_measurements), for a software TPM that has no firmware of its own:
 * the Spec ID event, the S-CRTM version, a firmware blob, the Secure Boot variables (SecureBoot, PK, KEK, db,
 * dbx) in PCR 7, boot variables in PCR 1, separators in PCRs 0-7, shim, grub and the kernel as boot services
 * applications in PCR 4 (with the db authority that verified shim in PCR 7), grub's own measurements in PCRs
 * 8 and 9, and ExitBootServices in PCR 5, in the order OVMF and shim write them.
 *
 * The images and certificates are not real: their digests are SHA-256 of labels ("synthetic image shimx64.efi
 * 15.8"), so a log made here is evidence of nothing but the format. Tests and the demo extend it into PCRs
 * 0-15 of a swtpm (`extendIntoTpm`) so that the TPM's PCRs and the log agree, as on a real machine.
 *
 *   node scripts/tpm/synthetic-boot-log.ts --out log.bin [--tcti TCTI] [--policy-out policy.json]
 *        [--secure-boot off] [--kernel LABEL]
 *
 * writes a log (and a boot policy that accepts it), and with --tcti extends it into that TPM.
 */
import { writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { sha1 } from "@noble/hashes/legacy.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { concatBytes, bytesToHex } from "../../core/hex.ts";
import { EFI_GUIDS, EVENT_TYPES, guidToBytes } from "../../core/tpm/event-log.ts";
import { TPM_ALG_SHA1, TPM_ALG_SHA256 } from "../../core/tpm/constants.ts";
import { runTool } from "../../core/tpm/tools.ts";

export type SyntheticAlgorithm = "sha1" | "sha256";

export type SyntheticBootOptions = {
  /** Banks in the log; default both (as on most machines). Only SHA-256 is extended into the TPM. */
  algorithms?: SyntheticAlgorithm[];
  /** Default true. */
  secureBoot?: boolean;
  /** Labels of the images; their digests are SHA-256 of `synthetic image <label>`. */
  shim?: string;
  grub?: string;
  kernel?: string;
  /** Labels of the Secure Boot keys (each becomes a synthetic "certificate"); default one each. */
  pk?: string[];
  kek?: string[];
  db?: string[];
  /** Labels of revoked images, listed in dbx by their (synthetic) SHA-256. */
  dbx?: string[];
  firmwareVersion?: string;
  /** A StartupLocality event (locality 3: PCR 0 starts at ...03). Default none (locality 0, as swtpm starts). */
  startupLocality?: 0 | 3;
  kernelCmdline?: string;
};

export type SyntheticEvent = { pcr: number; type: number; data: Uint8Array; sha256: string; sha1: string };

export type SyntheticBootLog = {
  bytes: Uint8Array;
  events: SyntheticEvent[];
  /** The SHA-256 of `synthetic image <label>` of each image (what a policy allows). */
  images: { shim: string; grub: string; kernel: string };
};

const ALG_IDS: Record<SyntheticAlgorithm, number> = { sha1: TPM_ALG_SHA1, sha256: TPM_ALG_SHA256 };
const ALG_SIZES: Record<SyntheticAlgorithm, number> = { sha1: 20, sha256: 32 };

const utf8 = (s: string) => new TextEncoder().encode(s);
const u8 = (v: number) => new Uint8Array([v & 0xff]);
const u16 = (v: number) => new Uint8Array([v & 0xff, (v >>> 8) & 0xff]);
const u32 = (v: number) => new Uint8Array([v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff]);
const u64 = (v: number) => concatBytes(u32(v % 0x100000000), u32(Math.floor(v / 0x100000000)));
function utf16(s: string, nul = false): Uint8Array {
  const out = new Uint8Array((s.length + (nul ? 1 : 0)) * 2);
  for (let i = 0; i < s.length; i++) out.set(u16(s.charCodeAt(i)), 2 * i);
  return out;
}

/** The SHA-256 a synthetic image of this label is measured with (its "Authenticode digest"). */
export const syntheticImageDigest = (label: string) => bytesToHex(sha256(utf8(`synthetic image ${label}`)));
/** The bytes of a synthetic "certificate" (not DER; a label). */
export const syntheticCertificate = (label: string) => utf8(`synthetic X.509 certificate: ${label}`);
/** The owner GUID of every synthetic signature. */
export const SYNTHETIC_OWNER = "77fa9abd-0359-4d32-bd60-28f4e78f784b";

export function uefiVariableData(guid: string, name: string, data: Uint8Array): Uint8Array {
  return concatBytes(guidToBytes(guid), u64(name.length), u64(data.length), utf16(name), data);
}

/** An EFI_SIGNATURE_LIST of one type, each signature owned by `owner`. */
export function signatureList(type: string, entries: Uint8Array[], owner = SYNTHETIC_OWNER): Uint8Array {
  if (entries.length === 0) return new Uint8Array();
  const size = 16 + entries[0]!.length;
  if (entries.some((e) => e.length + 16 !== size)) throw new Error("one signature list holds signatures of one size");
  const sigs = entries.map((e) => concatBytes(guidToBytes(owner), e));
  return concatBytes(guidToBytes(type), u32(28 + size * entries.length), u32(0), u32(size), ...sigs);
}

/** A UEFI device path of one file path node, then the end node. */
function filePath(path: string): Uint8Array {
  const name = utf16(path, true);
  return concatBytes(u8(0x04), u8(0x04), u16(4 + name.length), name, new Uint8Array([0x7f, 0xff, 0x04, 0x00]));
}

function imageLoadEvent(path: string, location: number, length: number): Uint8Array {
  const dp = filePath(path);
  return concatBytes(u64(location), u64(length), u64(0), u64(dp.length), dp);
}

/** Encode a crypto-agile log: the Spec ID event (SHA-1 format), then TCG_PCR_EVENT2s. */
export function encodeEventLog(events: readonly SyntheticEvent[], algorithms: readonly SyntheticAlgorithm[]): Uint8Array {
  const specId = concatBytes(
    utf8("Spec ID Event03\0"),
    u32(0), // platformClass: client
    u8(0), // specVersionMinor
    u8(2), // specVersionMajor
    u8(2), // specErrata
    u8(2), // uintnSize: 64-bit
    u32(algorithms.length),
    ...algorithms.map((a) => concatBytes(u16(ALG_IDS[a]), u16(ALG_SIZES[a]))),
    u8(0), // vendorInfoSize
  );
  const header = concatBytes(u32(0), u32(EVENT_TYPES.EV_NO_ACTION), new Uint8Array(20), u32(specId.length), specId);
  const body = events.map((e) =>
    concatBytes(
      u32(e.pcr),
      u32(e.type),
      u32(algorithms.length),
      ...algorithms.map((a) => concatBytes(u16(ALG_IDS[a]), a === "sha256" ? hexBytes(e.sha256) : hexBytes(e.sha1))),
      u32(e.data.length),
      e.data,
    ),
  );
  return concatBytes(header, ...body);
}

function hexBytes(hex: string): Uint8Array {
  return Uint8Array.from(hex.match(/../g)!.map((b) => parseInt(b, 16)));
}

/** An event whose digests are of `measured` (default: the event data itself). */
export function event(pcr: number, type: number, data: Uint8Array, measured: Uint8Array = data): SyntheticEvent {
  return { pcr, type, data, sha256: bytesToHex(sha256(measured)), sha1: bytesToHex(sha1(measured)) };
}

/** An event measuring a digest given in hex (an image's Authenticode hash): both banks get a digest derived from it. */
function imageEvent(pcr: number, type: number, data: Uint8Array, sha256Hex: string): SyntheticEvent {
  return { pcr, type, data, sha256: sha256Hex, sha1: bytesToHex(sha1(hexBytes(sha256Hex))) };
}

/** A synthetic boot of shim, grub and a kernel, with Secure Boot on unless told otherwise. */
export function syntheticBootLog(o: SyntheticBootOptions = {}): SyntheticBootLog {
  const algorithms = o.algorithms ?? ["sha1", "sha256"];
  const secureBoot = o.secureBoot ?? true;
  const images = {
    shim: syntheticImageDigest(o.shim ?? "shimx64.efi 15.8"),
    grub: syntheticImageDigest(o.grub ?? "grubx64.efi 2.12"),
    kernel: syntheticImageDigest(o.kernel ?? "vmlinuz 6.1.0-28-amd64"),
  };
  // One list per certificate, as firmware keeps certificates of different sizes.
  const certs = (labels: string[]) => concatBytes(...labels.map((l) => signatureList(EFI_GUIDS.certX509, [syntheticCertificate(l)])));
  const dbKeys = o.db ?? ["synthetic db CA 2026"];
  const sep = new Uint8Array(4);
  const events: SyntheticEvent[] = [];
  const add = (e: SyntheticEvent) => events.push(e);

  if (o.startupLocality !== undefined) {
    add({ pcr: 0, type: EVENT_TYPES.EV_NO_ACTION, data: concatBytes(utf8("StartupLocality\0"), u8(o.startupLocality)), sha256: "00".repeat(32), sha1: "00".repeat(20) });
  }
  add(event(0, EVENT_TYPES.EV_S_CRTM_VERSION, utf16(o.firmwareVersion ?? "synthetic firmware 1.0", true)));
  add(event(0, EVENT_TYPES.EV_EFI_PLATFORM_FIRMWARE_BLOB, concatBytes(u64(0xffc84000), u64(0x348000)), utf8("synthetic firmware volume")));
  const variable = (name: string, guid: string, data: Uint8Array) => add(event(7, EVENT_TYPES.EV_EFI_VARIABLE_DRIVER_CONFIG, uefiVariableData(guid, name, data)));
  variable("SecureBoot", EFI_GUIDS.globalVariable, u8(secureBoot ? 1 : 0));
  variable("PK", EFI_GUIDS.globalVariable, certs(o.pk ?? ["synthetic platform key"]));
  variable("KEK", EFI_GUIDS.globalVariable, certs(o.kek ?? ["synthetic KEK CA 2026"]));
  variable("db", EFI_GUIDS.imageSecurityDatabase, certs(dbKeys));
  variable(
    "dbx",
    EFI_GUIDS.imageSecurityDatabase,
    signatureList(
      EFI_GUIDS.certSha256,
      (o.dbx ?? ["revoked grub 2.04"]).map((l) => hexBytes(syntheticImageDigest(l))),
    ),
  );
  add(event(7, EVENT_TYPES.EV_SEPARATOR, sep));
  const bootVariable = (name: string, data: Uint8Array) => add(event(1, EVENT_TYPES.EV_EFI_VARIABLE_BOOT, uefiVariableData(EFI_GUIDS.globalVariable, name, data)));
  bootVariable("BootOrder", u16(0));
  bootVariable("Boot0000", concatBytes(u32(1), u16(filePath("\\EFI\\debian\\shimx64.efi").length), utf16("debian", true), filePath("\\EFI\\debian\\shimx64.efi")));
  add(event(4, EVENT_TYPES.EV_EFI_ACTION, utf8("Calling EFI Application from Boot Option")));
  for (const pcr of [0, 1, 2, 3, 4, 5, 6]) add(event(pcr, EVENT_TYPES.EV_SEPARATOR, sep));
  add(imageEvent(4, EVENT_TYPES.EV_EFI_BOOT_SERVICES_APPLICATION, imageLoadEvent("\\EFI\\debian\\shimx64.efi", 0x7e000000, 0xe8000), images.shim));
  // The db certificate that verified shim (the authority), as firmware measures it: one EFI_SIGNATURE_DATA.
  add(
    event(
      7,
      EVENT_TYPES.EV_EFI_VARIABLE_AUTHORITY,
      uefiVariableData(EFI_GUIDS.imageSecurityDatabase, "db", concatBytes(guidToBytes(SYNTHETIC_OWNER), syntheticCertificate(dbKeys[0]!))),
    ),
  );
  add(imageEvent(4, EVENT_TYPES.EV_EFI_BOOT_SERVICES_APPLICATION, imageLoadEvent("\\EFI\\debian\\grubx64.efi", 0x7d000000, 0x1c0000), images.grub));
  const cmdline = o.kernelCmdline ?? "root=UUID=0b1d3c1e-5a2f-4c1b-9a64-2f3c1d2e4b5a ro quiet";
  // grub logs "<kind>: <text>" with a NUL and measures <text> alone.
  const grubString = (s: string) => event(8, EVENT_TYPES.EV_IPL, utf8(`${s}\0`), utf8(s.slice(s.indexOf(" ") + 1)));
  add(grubString("grub_cmd: linux /vmlinuz-6.1.0-28-amd64"));
  add(grubString(`kernel_cmdline: /vmlinuz-6.1.0-28-amd64 ${cmdline}`));
  add(event(9, EVENT_TYPES.EV_IPL, utf8("/vmlinuz-6.1.0-28-amd64\0"), utf8("synthetic vmlinuz file")));
  add(imageEvent(4, EVENT_TYPES.EV_EFI_BOOT_SERVICES_APPLICATION, imageLoadEvent("", 0x7c000000, 0x7a0000), images.kernel));
  add(event(5, EVENT_TYPES.EV_EFI_ACTION, utf8("Exit Boot Services Invocation")));
  add(event(5, EVENT_TYPES.EV_EFI_ACTION, utf8("Exit Boot Services Returned with Success")));

  return { bytes: encodeEventLog(events, algorithms), events, images };
}

/**
 * Extend the SHA-256 digests of `events` (PCRs 0-15; EV_NO_ACTION skipped) into the TPM at `tcti`, in order,
 * in one tpm2_pcrextend process. On a TPM fresh from startup its PCRs then equal the replayed log.
 */
export async function extendIntoTpm(tcti: string, events: readonly SyntheticEvent[]): Promise<void> {
  const args = events.filter((e) => e.type !== EVENT_TYPES.EV_NO_ACTION && e.pcr <= 15).map((e) => `${e.pcr}:sha256=${e.sha256}`);
  if (args.length > 0) await runTool("tpm2_pcrextend", args, { tcti });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === resolve(process.argv[1])) {
  const { values } = parseArgs({
    options: {
      out: { type: "string" },
      tcti: { type: "string" },
      "policy-out": { type: "string" },
      "secure-boot": { type: "string", default: "on" },
      kernel: { type: "string" },
    },
  });
  if (!values.out) {
    console.error("usage: node scripts/tpm/synthetic-boot-log.ts --out log.bin [--tcti TCTI] [--policy-out policy.json] [--secure-boot off] [--kernel LABEL]");
    process.exit(2);
  }
  const log = syntheticBootLog({ secureBoot: values["secure-boot"] !== "off", ...(values.kernel ? { kernel: values.kernel } : {}) });
  writeFileSync(values.out, log.bytes);
  console.log(`wrote a synthetic boot log (${log.events.length + 1} events, ${log.bytes.length} bytes) to ${values.out}`);
  if (values["policy-out"]) {
    const { bootPolicyFromLog } = await import("../../core/attestor/boot-policy.ts");
    writeFileSync(values["policy-out"], `${JSON.stringify(bootPolicyFromLog(log.bytes, "synthetic-boot"), null, 2)}\n`);
    console.log(`wrote a boot policy accepting it to ${values["policy-out"]}`);
  }
  if (values.tcti) {
    await extendIntoTpm(values.tcti, log.events);
    console.log(`extended it into PCRs 0-15 of ${values.tcti}`);
  }
}
