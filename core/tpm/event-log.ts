/**
 * The TCG PC Client boot event log, as firmware hands it to the OS and Linux exposes it in
 * `/sys/kernel/security/tpm0/binary_bios_measurements`: the crypto-agile format of the TCG PC Client
 * Platform Firmware Profile (PFP) 1.05, section 10. The first event is a SHA-1-format TCG_PCClientPCREvent
 * (EV_NO_ACTION in PCR 0) holding the Spec ID event ("Spec ID Event03"), which lists the digest algorithms
 * and their sizes; every later event is a TCG_PCR_EVENT2 with one digest per listed algorithm. Every
 * integer is little-endian.
 *
 * The log is attacker-controlled (it comes from the attested machine), so the parser checks every length
 * before it reads, bounds every count, refuses trailing bytes, and says in one line what is wrong and where.
 * Replaying the log gives the PCR values the TPM must hold if nothing was extended outside it. Pure
 * TypeScript (Uint8Array and @noble/hashes), browser-safe.
 *
 * UEFI structures inside events (UEFI_VARIABLE_DATA, EFI_SIGNATURE_LIST, UEFI_IMAGE_LOAD_EVENT) are parsed
 * on demand by the functions below, with the same care.
 */
import { sha256 } from "@noble/hashes/sha2.js";
import { ProvenantError } from "../errors.ts";
import { bytesToHex, concatBytes } from "../hex.ts";
import { ByteReader, malformed } from "./bytes.ts";
import { HASH_ALG_NAMES, HASH_ALG_SIZES, PCR_COUNT, TPM_ALG_SHA256 } from "./constants.ts";
import type { PcrValues } from "./quote.ts";

/** A log this long is not a boot log: real ones are tens of KiB. */
export const MAX_EVENT_LOG_BYTES = 4 << 20;
/** Banks a Spec ID event may list (TPM 2.0 HASH_COUNT on any TPM seen is at most 5). */
export const MAX_LOG_ALGORITHMS = 8;
/** Any one event's data; a UEFI db with a hundred certificates is well under this. */
export const MAX_EVENT_DATA_BYTES = 1 << 20;

/** Event types of the PFP (section 10.4.1), by number. */
export const EVENT_TYPES = {
  EV_PREBOOT_CERT: 0x0,
  EV_POST_CODE: 0x1,
  EV_UNUSED: 0x2,
  EV_NO_ACTION: 0x3,
  EV_SEPARATOR: 0x4,
  EV_ACTION: 0x5,
  EV_EVENT_TAG: 0x6,
  EV_S_CRTM_CONTENTS: 0x7,
  EV_S_CRTM_VERSION: 0x8,
  EV_CPU_MICROCODE: 0x9,
  EV_PLATFORM_CONFIG_FLAGS: 0xa,
  EV_TABLE_OF_DEVICES: 0xb,
  EV_COMPACT_HASH: 0xc,
  EV_IPL: 0xd,
  EV_IPL_PARTITION_DATA: 0xe,
  EV_NONHOST_CODE: 0xf,
  EV_NONHOST_CONFIG: 0x10,
  EV_NONHOST_INFO: 0x11,
  EV_OMIT_BOOT_DEVICE_EVENTS: 0x12,
  EV_EFI_EVENT_BASE: 0x80000000,
  EV_EFI_VARIABLE_DRIVER_CONFIG: 0x80000001,
  EV_EFI_VARIABLE_BOOT: 0x80000002,
  EV_EFI_BOOT_SERVICES_APPLICATION: 0x80000003,
  EV_EFI_BOOT_SERVICES_DRIVER: 0x80000004,
  EV_EFI_RUNTIME_SERVICES_DRIVER: 0x80000005,
  EV_EFI_GPT_EVENT: 0x80000006,
  EV_EFI_ACTION: 0x80000007,
  EV_EFI_PLATFORM_FIRMWARE_BLOB: 0x80000008,
  EV_EFI_HANDOFF_TABLES: 0x80000009,
  EV_EFI_PLATFORM_FIRMWARE_BLOB2: 0x8000000a,
  EV_EFI_HANDOFF_TABLES2: 0x8000000b,
  EV_EFI_VARIABLE_BOOT2: 0x8000000c,
  EV_EFI_HCRTM_EVENT: 0x80000010,
  EV_EFI_VARIABLE_AUTHORITY: 0x800000e0,
  EV_EFI_SPDM_FIRMWARE_BLOB: 0x800000e1,
  EV_EFI_SPDM_FIRMWARE_CONFIG: 0x800000e2,
} as const;

export type EventTypeName = keyof typeof EVENT_TYPES;

const EVENT_TYPE_NAMES = new Map<number, EventTypeName>(Object.entries(EVENT_TYPES).map(([name, n]) => [n, name as EventTypeName]));

/** The PFP name of an event type, or "0x…" for one it does not define. */
export function eventTypeName(type: number): string {
  return EVENT_TYPE_NAMES.get(type) ?? `0x${type.toString(16).padStart(8, "0")}`;
}

/** The Spec ID event: what the rest of the log is made of. */
export type SpecIdEvent = {
  platformClass: number;
  specVersion: string;
  specErrata: number;
  /** 1: UINTN is 32 bits; 2: 64 bits. */
  uintnSize: number;
  /** Algorithm id -> digest size, in the order listed. */
  algorithms: { algorithmId: number; name: string; digestSize: number }[];
  vendorInfo: Uint8Array;
};

export type BootEvent = {
  /** Position in the log; 0 is the Spec ID event. */
  index: number;
  /** Byte offset of the event in the log. */
  offset: number;
  pcr: number;
  type: number;
  /** PFP name (EV_…) or hex. */
  typeName: string;
  /** Algorithm name ("sha256", or "0x…") -> digest, lowercase hex. */
  digests: Record<string, string>;
  data: Uint8Array;
};

export type BootEventLog = {
  specId: SpecIdEvent;
  /** Every event, the Spec ID event first (its only digest is the 20 zero bytes of the SHA-1 header). */
  events: BootEvent[];
  /** From a StartupLocality EV_NO_ACTION event: PCR 0 starts at this value in its last byte. */
  startupLocality: number;
};

const SPEC_ID_SIGNATURE = "Spec ID Event03\0";
const STARTUP_LOCALITY_SIGNATURE = "StartupLocality\0";

/** A little-endian reader over the same length-checked reads as the TPM structures' big-endian one. */
class LeReader extends ByteReader {
  u8le(field: string): number {
    return this.u8(field);
  }
  u16le(field: string): number {
    const b = this.raw(2, field);
    return b[0]! | (b[1]! << 8);
  }
  u32le(field: string): number {
    const b = this.raw(4, field);
    return (b[0]! | (b[1]! << 8) | (b[2]! << 16)) + b[3]! * 0x1000000;
  }
  /** A u64 that must fit a JavaScript number (lengths and counts: anything larger is malformed anyway). */
  u64le(field: string): number {
    const lo = this.u32le(field);
    const hi = this.u32le(field);
    if (hi > 0x1fffff) throw malformed(this.what, `${field} is larger than 2^53`);
    return hi * 0x100000000 + lo;
  }
}

function ascii(bytes: Uint8Array): string {
  return String.fromCharCode(...bytes);
}

function parseSpecId(data: Uint8Array): SpecIdEvent {
  const r = new LeReader(data, "event log: Spec ID event");
  const signature = ascii(r.raw(16, "signature"));
  if (signature !== SPEC_ID_SIGNATURE) {
    throw malformed(
      "event log",
      `the first event is not a crypto-agile Spec ID event (signature ${JSON.stringify(signature)}, expected "Spec ID Event03"): a SHA-1-only log is not supported`,
    );
  }
  const platformClass = r.u32le("platformClass");
  const minor = r.u8le("specVersionMinor");
  const major = r.u8le("specVersionMajor");
  const specErrata = r.u8le("specErrata");
  const uintnSize = r.u8le("uintnSize");
  if (major !== 2 || minor !== 0) throw malformed("event log", `Spec ID event version is ${major}.${minor}, not 2.0`);
  if (uintnSize !== 1 && uintnSize !== 2) throw malformed("event log", `Spec ID event uintnSize is ${uintnSize}, not 1 or 2`);
  const count = r.u32le("numberOfAlgorithms");
  if (count < 1 || count > MAX_LOG_ALGORITHMS) {
    throw malformed("event log", `Spec ID event lists ${count} algorithms; 1 to ${MAX_LOG_ALGORITHMS} are allowed`);
  }
  const algorithms: SpecIdEvent["algorithms"] = [];
  for (let i = 0; i < count; i++) {
    const algorithmId = r.u16le(`digestSizes[${i}].algorithmId`);
    const digestSize = r.u16le(`digestSizes[${i}].digestSize`);
    const known = HASH_ALG_SIZES[algorithmId];
    if (known !== undefined && known !== digestSize) {
      throw malformed("event log", `Spec ID event gives ${HASH_ALG_NAMES[algorithmId]} a ${digestSize}-byte digest, not ${known}`);
    }
    if (digestSize < 1 || digestSize > 64) throw malformed("event log", `Spec ID event digest size ${digestSize} is not 1 to 64 bytes`);
    if (algorithms.some((a) => a.algorithmId === algorithmId)) {
      throw malformed("event log", `Spec ID event lists algorithm 0x${algorithmId.toString(16)} twice`);
    }
    algorithms.push({ algorithmId, name: HASH_ALG_NAMES[algorithmId] ?? `0x${algorithmId.toString(16).padStart(4, "0")}`, digestSize });
  }
  const vendorInfoSize = r.u8le("vendorInfoSize");
  const vendorInfo = r.raw(vendorInfoSize, "vendorInfo");
  r.end();
  return { platformClass, specVersion: `${major}.${minor}`, specErrata, uintnSize, algorithms, vendorInfo };
}

/**
 * Parse a crypto-agile boot event log. Throws ProvenantError("ATTESTATION_INVALID") with one line naming the
 * event, the field and the offset of the first fault.
 */
export function parseBootEventLog(log: Uint8Array): BootEventLog {
  if (log.length > MAX_EVENT_LOG_BYTES) throw malformed("event log", `${log.length} bytes, more than the ${MAX_EVENT_LOG_BYTES} allowed`);
  if (log.length === 0) throw malformed("event log", "is empty");
  const r = new LeReader(log, "event log");

  // Event 0: TCG_PCClientPCREvent (SHA-1 format) holding the Spec ID event.
  const pcr0 = r.u32le("event[0].pcrIndex");
  const type0 = r.u32le("event[0].eventType");
  const digest0 = r.raw(20, "event[0].digest");
  const size0 = r.u32le("event[0].eventDataSize");
  if (pcr0 !== 0 || type0 !== EVENT_TYPES.EV_NO_ACTION) {
    throw malformed("event log", `event 0 is ${eventTypeName(type0)} in PCR ${pcr0}, not the Spec ID event (EV_NO_ACTION in PCR 0)`);
  }
  if (digest0.some((b) => b !== 0)) throw malformed("event log", "event 0 (Spec ID) has a non-zero digest");
  if (size0 > MAX_EVENT_DATA_BYTES) throw malformed("event log", `event[0].eventDataSize is ${size0}, more than ${MAX_EVENT_DATA_BYTES}`);
  const specData = r.raw(size0, "event[0].event");
  const specId = parseSpecId(specData);
  const events: BootEvent[] = [{ index: 0, offset: 0, pcr: 0, type: type0, typeName: "EV_NO_ACTION", digests: { sha1: bytesToHex(digest0) }, data: specData }];
  let startupLocality = 0;

  while (r.remaining > 0) {
    const index = events.length;
    const offset = r.offset;
    const at = (field: string) => `event[${index}].${field}`;
    const pcr = r.u32le(at("pcrIndex"));
    const type = r.u32le(at("eventType"));
    if (pcr >= PCR_COUNT) throw malformed("event log", `event ${index} (offset ${offset}) extends PCR ${pcr}, not one of 0..${PCR_COUNT - 1}`);
    const count = r.u32le(at("digests.count"));
    if (count !== specId.algorithms.length) {
      throw malformed("event log", `event ${index} (offset ${offset}) has ${count} digests, the Spec ID event lists ${specId.algorithms.length} algorithms`);
    }
    const digests: Record<string, string> = {};
    for (let i = 0; i < count; i++) {
      const alg = r.u16le(at(`digests[${i}].hashAlg`));
      const spec = specId.algorithms.find((a) => a.algorithmId === alg);
      if (!spec) throw malformed("event log", `event ${index} (offset ${offset}) has a digest of algorithm 0x${alg.toString(16)}, which the Spec ID event does not list`);
      if (digests[spec.name] !== undefined) throw malformed("event log", `event ${index} (offset ${offset}) has two ${spec.name} digests`);
      digests[spec.name] = bytesToHex(r.raw(spec.digestSize, at(`digests[${i}].digest`)));
    }
    const size = r.u32le(at("eventSize"));
    if (size > MAX_EVENT_DATA_BYTES) throw malformed("event log", `event ${index} (offset ${offset}) has ${size} bytes of data, more than ${MAX_EVENT_DATA_BYTES}`);
    const data = r.raw(size, at("event"));
    if (type === EVENT_TYPES.EV_NO_ACTION) {
      if (pcr !== 0) throw malformed("event log", `event ${index} (offset ${offset}) is EV_NO_ACTION in PCR ${pcr}, not 0`);
      if (data.length >= 16 && ascii(data.subarray(0, 16)) === STARTUP_LOCALITY_SIGNATURE) {
        if (index !== 1 || data.length !== 17)
          throw malformed("event log", `event ${index} (offset ${offset}): a StartupLocality event must be the first after the Spec ID event and 17 bytes long`);
        startupLocality = data[16]!;
        if (startupLocality !== 0 && startupLocality !== 3 && startupLocality !== 4) {
          throw malformed("event log", `event ${index} (offset ${offset}): startup locality ${startupLocality} is not 0, 3 or 4`);
        }
      }
    }
    events.push({ index, offset, pcr, type, typeName: eventTypeName(type), digests, data });
  }
  r.end();
  return { specId, events, startupLocality };
}

/** The value a PCR holds after TPM startup, before any event: zeros, or for PCR 0 the startup locality. */
function initialValue(pcr: number, startupLocality: number): Uint8Array {
  const v = new Uint8Array(32);
  if (pcr === 0) v[31] = startupLocality;
  return v;
}

/**
 * Replay the SHA-256 bank of a parsed log: each PCR from its initial value, `new = SHA-256(old ‖ digest)`
 * for every event but EV_NO_ACTION. Returns the values of `pcrs` (each 0..15: PCRs 16 and up are not the
 * firmware's). Throws ProvenantError("ATTESTATION_INVALID") when the log has no SHA-256 bank.
 */
export function replayBootEventLog(log: BootEventLog, pcrs: readonly number[]): PcrValues {
  if (!log.specId.algorithms.some((a) => a.algorithmId === TPM_ALG_SHA256)) {
    throw malformed("event log", "has no SHA-256 digests (the Spec ID event does not list sha256)");
  }
  for (const p of pcrs) {
    if (!Number.isInteger(p) || p < 0 || p > 15) throw new ProvenantError("INPUT_INVALID", `boot PCR ${p} is not one of 0..15`);
  }
  const values = new Map<number, Uint8Array>(pcrs.map((p) => [p, initialValue(p, log.startupLocality)]));
  for (const e of log.events.slice(1)) {
    if (e.type === EVENT_TYPES.EV_NO_ACTION) continue;
    const old = values.get(e.pcr);
    if (!old) continue;
    values.set(e.pcr, sha256(concatBytes(old, hexDigest(e.digests.sha256!))));
  }
  const out: PcrValues = {};
  for (const [p, v] of values) out[p] = bytesToHex(v);
  return out;
}

function hexDigest(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

// ---- UEFI structures inside events --------------------------------------------------------------------

/** An EFI_GUID (little-endian Data1..3, then 8 bytes) in its canonical lowercase text form. */
export function guidToString(b: Uint8Array): string {
  if (b.length !== 16) throw malformed("GUID", `is ${b.length} bytes, not 16`);
  const h = (from: number, to: number, reverse: boolean) => {
    const s = b.subarray(from, to);
    return bytesToHex(reverse ? s.slice().reverse() : s);
  };
  return `${h(0, 4, true)}-${h(4, 6, true)}-${h(6, 8, true)}-${h(8, 10, false)}-${h(10, 16, false)}`;
}

/** The 16 bytes of a GUID in text form. */
export function guidToBytes(guid: string): Uint8Array {
  const m = /^([0-9a-f]{8})-([0-9a-f]{4})-([0-9a-f]{4})-([0-9a-f]{4})-([0-9a-f]{12})$/.exec(guid.toLowerCase());
  if (!m) throw new ProvenantError("INPUT_INVALID", `${JSON.stringify(guid)} is not a GUID`);
  const bytes = (hex: string) => hexDigest(hex);
  return concatBytes(bytes(m[1]!).reverse(), bytes(m[2]!).reverse(), bytes(m[3]!).reverse(), bytes(m[4]!), bytes(m[5]!));
}

/** Well-known GUIDs of UEFI variables and signature types. */
export const EFI_GUIDS = {
  /** EFI_GLOBAL_VARIABLE: SecureBoot, PK, KEK, BootOrder, Boot####. */
  globalVariable: "8be4df61-93ca-11d2-aa0d-00e098032b8c",
  /** EFI_IMAGE_SECURITY_DATABASE_GUID: db, dbx. */
  imageSecurityDatabase: "d719b2cb-3d3a-4596-a3bc-dad00e67656f",
  /** shim's variables: MokList, SbatLevel, Shim. */
  shimLock: "605dab50-e046-4300-abb6-3dd810dd8b23",
  certX509: "a5c059a1-94e4-4aa7-87b5-ab155c2bf072",
  certSha256: "c1c41626-504c-4092-aca9-41f936934328",
} as const;

/** UEFI_VARIABLE_DATA: the event data of EV_EFI_VARIABLE_* events. */
export type UefiVariable = { guid: string; name: string; data: Uint8Array };

export function parseUefiVariable(data: Uint8Array, what = "UEFI_VARIABLE_DATA"): UefiVariable {
  const r = new LeReader(data, what);
  const guid = guidToString(r.raw(16, "VariableName"));
  const nameLength = r.u64le("UnicodeNameLength");
  const dataLength = r.u64le("VariableDataLength");
  if (nameLength > 1024) throw malformed(what, `UnicodeNameLength ${nameLength} is more than 1024 characters`);
  const nameBytes = r.raw(nameLength * 2, "UnicodeName");
  let name = "";
  for (let i = 0; i < nameLength; i++) name += String.fromCharCode(nameBytes[2 * i]! | (nameBytes[2 * i + 1]! << 8));
  const value = r.raw(dataLength, "VariableData");
  r.end();
  return { guid, name, data: value };
}

/** One EFI_SIGNATURE_DATA of an EFI_SIGNATURE_LIST. */
export type EfiSignature = {
  /** EFI_CERT_… type GUID of its list. */
  type: string;
  owner: string;
  data: Uint8Array;
};

/** The signatures of a signature database (PK, KEK, db, dbx): a sequence of EFI_SIGNATURE_LISTs. */
export function parseSignatureDatabase(data: Uint8Array, what = "signature database"): EfiSignature[] {
  const r = new LeReader(data, what);
  const out: EfiSignature[] = [];
  while (r.remaining > 0) {
    const listAt = r.offset;
    const type = guidToString(r.raw(16, "SignatureType"));
    const listSize = r.u32le("SignatureListSize");
    const headerSize = r.u32le("SignatureHeaderSize");
    const sigSize = r.u32le("SignatureSize");
    if (listSize < 28 + headerSize || listAt + listSize > data.length) {
      throw malformed(what, `signature list at offset ${listAt} has size ${listSize}, which does not fit`);
    }
    if (sigSize < 16) throw malformed(what, `signature list at offset ${listAt} has SignatureSize ${sigSize}, less than 16`);
    const body = listSize - 28 - headerSize;
    if (body % sigSize !== 0) throw malformed(what, `signature list at offset ${listAt}: ${body} bytes are not a whole number of ${sigSize}-byte signatures`);
    r.raw(headerSize, "SignatureHeader");
    for (let i = 0; i < body / sigSize; i++) {
      const owner = guidToString(r.raw(16, `Signatures[${i}].SignatureOwner`));
      out.push({ type, owner, data: r.raw(sigSize - 16, `Signatures[${i}].SignatureData`) });
    }
  }
  return out;
}

/** UEFI_IMAGE_LOAD_EVENT: the event data of EV_EFI_BOOT_SERVICES_APPLICATION and the driver events. */
export type UefiImageLoad = { location: number; length: number; linkTimeAddress: number; devicePath: Uint8Array };

export function parseImageLoadEvent(data: Uint8Array, what = "UEFI_IMAGE_LOAD_EVENT"): UefiImageLoad {
  const r = new LeReader(data, what);
  const location = r.u64le("ImageLocationInMemory");
  const length = r.u64le("ImageLengthInMemory");
  const linkTimeAddress = r.u64le("ImageLinkTimeAddress");
  const pathLength = r.u64le("LengthOfDevicePath");
  const devicePath = r.raw(pathLength, "DevicePath");
  r.end();
  return { location, length, linkTimeAddress, devicePath };
}

/** The file path nodes of a UEFI device path, joined: what an image load event says was loaded. */
export function devicePathFiles(path: Uint8Array): string {
  const r = new LeReader(path, "device path");
  const files: string[] = [];
  while (r.remaining > 0) {
    const type = r.u8le("Type");
    const subType = r.u8le("SubType");
    const length = r.u16le("Length");
    if (length < 4) throw malformed("device path", `node length ${length} is less than 4`);
    const body = r.raw(length - 4, "node");
    if (type === 0x7f && subType === 0xff) break;
    if (type === 0x04 && subType === 0x04) {
      let s = "";
      for (let i = 0; i + 1 < body.length; i += 2) {
        const c = body[i]! | (body[i + 1]! << 8);
        if (c === 0) break;
        s += String.fromCharCode(c);
      }
      files.push(s);
    }
  }
  return files.join("");
}
