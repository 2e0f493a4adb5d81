/**
 * Boot policies, format `provenant-boot-policy-v1` (docs/formats/boot-policy-v1.md), and the appraisal of a
 * boot event log against one, modelled on Keylime's measured-boot policy (keylime/mba/elchecking/example.py):
 * the Secure Boot state, the allowed PK, KEK and db keys, the dbx entries that must be there, the allowed
 * S-CRTM and firmware, and the allowed shim, grub and kernel (their Authenticode SHA-256, as PCR 4 holds
 * them). Every event of an appraised PCR must be one the policy knows in that PCR, and the events whose
 * contents are read must carry the digest of those contents. Each rule is a named check; the appraisal never
 * throws for a bad log. Whether the log is the one the TPM measured (its replay equals the quoted PCRs) is
 * the caller's check (core/attestor/boot-state.ts): this module reads the log alone.
 *
 * Pure TypeScript, browser-safe.
 */
import { sha256 } from "@noble/hashes/sha2.js";
import { ProvenantError } from "../errors.ts";
import { bytesToHex } from "../hex.ts";
import { fieldReaders, type FieldReaders } from "../versioned-json.ts";
import {
  EFI_GUIDS,
  EVENT_TYPES,
  devicePathFiles,
  guidToString,
  parseBootEventLog,
  parseImageLoadEvent,
  parseSignatureDatabase,
  parseUefiVariable,
} from "../tpm/event-log.ts";
import type { BootEvent, BootEventLog, EfiSignature } from "../tpm/event-log.ts";
import type { Check } from "../tpm/quote.ts";
import { canonicalJsonBytes } from "./canonical-json.ts";

export const BOOT_POLICY_FORMAT = "provenant-boot-policy-v1";

/** The PCRs every boot policy appraises: the firmware's, through the boot loader's hand-over (PFP section 3.3.4). */
export const REQUIRED_BOOT_PCRS = [0, 1, 2, 3, 4, 5, 6, 7] as const;

/** A Secure Boot key or dbx entry: the EFI_SIGNATURE_DATA's owner, its list's type, and a SHA-256 naming it. */
export type BootPolicyKey = {
  /** SignatureOwner GUID. */
  owner: string;
  /** "x509" (EFI_CERT_X509_GUID), "sha256" (EFI_CERT_SHA256_GUID), or another signature type's GUID. */
  type: string;
  /** x509 and others: SHA-256 of the SignatureData (a certificate's SHA-256 fingerprint); sha256: the listed hash itself. */
  sha256: string;
};

export type BootPolicyFirmware = {
  /** SHA-256 digest of the EV_S_CRTM_VERSION event. */
  scrtm: string;
  /** SHA-256 digests of the EV_EFI_PLATFORM_FIRMWARE_BLOB(2) events, in order. */
  platformFirmware: string[];
};

/** One allowed boot chain: the Authenticode SHA-256 of shim, grub and the kernel (PCR 4). */
export type BootPolicyKernel = { shim: string; grub: string; kernel: string };

export type BootPolicy = {
  format: typeof BOOT_POLICY_FORMAT;
  /** A name for people (and the certificate's badge): e.g. "debian-12-shim-15.8". */
  name: string;
  /** Boot PCRs quoted with PCR 23: 0-7, and any of 8-15 besides. Ascending. */
  pcrs: number[];
  secureBoot: boolean;
  firmware: BootPolicyFirmware[];
  /** Every key in PK, KEK and db must be one of these. */
  pk: BootPolicyKey[];
  kek: BootPolicyKey[];
  db: BootPolicyKey[];
  /** Every entry here must be in dbx (revocations the machine must have). */
  dbx: BootPolicyKey[];
  kernels: BootPolicyKernel[];
};

export const BOOT_APPRAISAL_CHECKS = [
  "bootEvents",
  "bootEventData",
  "bootSecureBoot",
  "bootFirmware",
  "bootPk",
  "bootKek",
  "bootDb",
  "bootDbx",
  "bootApplications",
] as const;
export type BootAppraisalCheckName = (typeof BOOT_APPRAISAL_CHECKS)[number];
export type BootAppraisalCheck = Check<BootAppraisalCheckName>;

// ---- loader ---------------------------------------------------------------------------------------------

const readers = fieldReaders("CONFIG_INVALID", "boot policy");
const bad: FieldReaders["bad"] = readers.bad;
const obj: FieldReaders["obj"] = readers.obj;
const list: FieldReaders["arr"] = readers.arr;

const SHA256_HEX = /^[0-9a-f]{64}$/;
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function hex(v: unknown, path: string): string {
  if (typeof v !== "string" || !SHA256_HEX.test(v)) bad(path, "is not a SHA-256 digest (64 lowercase hex digits)");
  return v;
}

function keys(v: unknown, path: string): BootPolicyKey[] {
  return list(v, path).map((x, i) => {
    const k = obj(x, `${path}[${i}]`, ["owner", "type", "sha256"]);
    if (typeof k.owner !== "string" || !GUID.test(k.owner)) bad(`${path}[${i}].owner`, "is not a lowercase GUID");
    if (typeof k.type !== "string" || !(k.type === "x509" || k.type === "sha256" || GUID.test(k.type))) {
      bad(`${path}[${i}].type`, 'is not "x509", "sha256" or a lowercase signature type GUID');
    }
    return { owner: k.owner, type: k.type, sha256: hex(k.sha256, `${path}[${i}].sha256`) };
  });
}

/**
 * Load a boot policy from parsed JSON: the format, every field, no unknown fields. Throws
 * ProvenantError("CONFIG_INVALID") naming the field, or ("FORMAT_UNSUPPORTED").
 */
export function parseBootPolicy(value: unknown): BootPolicy {
  if (typeof value !== "object" || value === null || Array.isArray(value)) bad("", "is not a JSON object");
  if ((value as Record<string, unknown>).format !== BOOT_POLICY_FORMAT) {
    throw new ProvenantError(
      "FORMAT_UNSUPPORTED",
      `boot policy format is ${JSON.stringify((value as Record<string, unknown>).format)}, expected "${BOOT_POLICY_FORMAT}"`,
    );
  }
  const p = obj(value, "", ["format", "name", "pcrs", "secureBoot", "firmware", "pk", "kek", "db", "dbx", "kernels"]);
  if (typeof p.name !== "string" || !/^[\x21-\x7e][\x20-\x7e]{0,127}$/.test(p.name)) bad(".name", "is not 1 to 128 printable ASCII characters");
  const pcrs = list(p.pcrs, ".pcrs").map((x, i) => {
    if (typeof x !== "number" || !Number.isInteger(x) || x < 0 || x > 15) bad(`.pcrs[${i}]`, "is not a PCR of 0..15");
    return x;
  });
  if (pcrs.some((x, i) => i > 0 && x <= pcrs[i - 1]!)) bad(".pcrs", "is not in ascending order without repeats");
  for (const r of REQUIRED_BOOT_PCRS) if (!pcrs.includes(r)) bad(".pcrs", `lacks PCR ${r}: a boot policy appraises PCRs 0-7 at least`);
  if (typeof p.secureBoot !== "boolean") bad(".secureBoot", "is not true or false");
  const firmware = list(p.firmware, ".firmware").map((x, i) => {
    const f = obj(x, `.firmware[${i}]`, ["scrtm", "platformFirmware"]);
    return {
      scrtm: hex(f.scrtm, `.firmware[${i}].scrtm`),
      platformFirmware: list(f.platformFirmware, `.firmware[${i}].platformFirmware`).map((d, j) => hex(d, `.firmware[${i}].platformFirmware[${j}]`)),
    };
  });
  if (firmware.length === 0) bad(".firmware", "is empty: no firmware would be accepted");
  const kernels = list(p.kernels, ".kernels").map((x, i) => {
    const k = obj(x, `.kernels[${i}]`, ["shim", "grub", "kernel"]);
    return { shim: hex(k.shim, `.kernels[${i}].shim`), grub: hex(k.grub, `.kernels[${i}].grub`), kernel: hex(k.kernel, `.kernels[${i}].kernel`) };
  });
  if (kernels.length === 0) bad(".kernels", "is empty: no kernel would be accepted");
  return {
    format: BOOT_POLICY_FORMAT,
    name: p.name,
    pcrs,
    secureBoot: p.secureBoot,
    firmware,
    pk: keys(p.pk, ".pk"),
    kek: keys(p.kek, ".kek"),
    db: keys(p.db, ".db"),
    dbx: keys(p.dbx, ".dbx"),
    kernels,
  };
}

/** SHA-256 of the policy's RFC 8785 canonical JSON, 0x-hex: what a certificate and an approval name it by. */
export function bootPolicyDigest(policy: BootPolicy): `0x${string}` {
  return `0x${bytesToHex(sha256(canonicalJsonBytes(policy)))}`;
}

// ---- from a known-good log ------------------------------------------------------------------------------

const TYPE_NAMES: Record<string, string> = { [EFI_GUIDS.certX509]: "x509", [EFI_GUIDS.certSha256]: "sha256" };

function policyKey(s: EfiSignature): BootPolicyKey {
  const type = TYPE_NAMES[s.type] ?? s.type;
  return { owner: s.owner, type, sha256: type === "sha256" && s.data.length === 32 ? bytesToHex(s.data) : bytesToHex(sha256(s.data)) };
}

/**
 * A policy that accepts exactly the boot in `log` (a known-good machine's binary_bios_measurements), as
 * Keylime's create_mb_refstate does: its Secure Boot state, keys, dbx, firmware and boot chain. Review it
 * before use: it trusts whatever that machine booted. Throws ProvenantError when the log lacks a part.
 */
export function bootPolicyFromLog(log: Uint8Array | BootEventLog, name: string, pcrs: readonly number[] = REQUIRED_BOOT_PCRS): BootPolicy {
  const parsed = log instanceof Uint8Array ? parseBootEventLog(log) : log;
  const events = parsed.events.slice(1);
  const variable = (name: string) => {
    const e = events.find((x) => x.pcr === 7 && x.type === EVENT_TYPES.EV_EFI_VARIABLE_DRIVER_CONFIG && parseUefiVariable(x.data).name === name);
    return e ? parseUefiVariable(e.data) : undefined;
  };
  const sb = variable("SecureBoot");
  const sigs = (n: string) => {
    const v = variable(n);
    return v ? parseSignatureDatabase(v.data, n).map(policyKey) : [];
  };
  const scrtm = events.find((e) => e.pcr === 0 && e.type === EVENT_TYPES.EV_S_CRTM_VERSION);
  if (!scrtm) throw new ProvenantError("INPUT_INVALID", "the event log has no S-CRTM version event in PCR 0");
  const apps = events.filter((e) => e.pcr === 4 && e.type === EVENT_TYPES.EV_EFI_BOOT_SERVICES_APPLICATION);
  if (apps.length < 3) throw new ProvenantError("INPUT_INVALID", `the event log loads ${apps.length} boot applications in PCR 4, not shim, grub and a kernel`);
  const policy: BootPolicy = {
    format: BOOT_POLICY_FORMAT,
    name,
    pcrs: [...new Set([...REQUIRED_BOOT_PCRS, ...pcrs])].sort((a, b) => a - b),
    secureBoot: sb?.data.length === 1 && sb.data[0] === 1,
    firmware: [
      {
        scrtm: scrtm.digests.sha256!,
        platformFirmware: events.filter((e) => e.pcr === 0 && isFirmwareBlob(e.type)).map((e) => e.digests.sha256!),
      },
    ],
    pk: sigs("PK"),
    kek: sigs("KEK"),
    db: sigs("db"),
    dbx: sigs("dbx"),
    kernels: [{ shim: apps[0]!.digests.sha256!, grub: apps[1]!.digests.sha256!, kernel: apps[2]!.digests.sha256! }],
  };
  return parseBootPolicy(policy);
}

// ---- appraisal ------------------------------------------------------------------------------------------

const isFirmwareBlob = (t: number) => t === EVENT_TYPES.EV_EFI_PLATFORM_FIRMWARE_BLOB || t === EVENT_TYPES.EV_EFI_PLATFORM_FIRMWARE_BLOB2;

/** EV_EFI_ACTION strings firmware writes, by PCR (PFP section 10.4.4). */
const EFI_ACTIONS: Record<number, readonly string[]> = {
  4: ["Calling EFI Application from Boot Option", "Returning from EFI Application from Boot Option"],
  5: ["Exit Boot Services Invocation", "Exit Boot Services Returned with Success"],
};

/** Event types whose digest is SHA-256 of the event data itself: for these the data is what was measured. */
const DIGEST_OF_DATA = new Set<number>([
  EVENT_TYPES.EV_S_CRTM_VERSION,
  EVENT_TYPES.EV_SEPARATOR,
  EVENT_TYPES.EV_EFI_VARIABLE_DRIVER_CONFIG,
  EVENT_TYPES.EV_EFI_GPT_EVENT,
  EVENT_TYPES.EV_EFI_ACTION,
]);

/** Secure Boot variables in PCR 7: name -> the GUID it must have. */
const SECURE_BOOT_VARIABLES: Record<string, string> = {
  SecureBoot: EFI_GUIDS.globalVariable,
  PK: EFI_GUIDS.globalVariable,
  KEK: EFI_GUIDS.globalVariable,
  db: EFI_GUIDS.imageSecurityDatabase,
  dbx: EFI_GUIDS.imageSecurityDatabase,
};

/** shim's own PCR 7 authority events: accepted without appraisal (shim itself is appraised by its digest). */
const SHIM_AUTHORITIES = new Set(["SbatLevel", "Shim", "MokListTrusted", "MokListRT"]);

const describeEvent = (e: BootEvent) => `event ${e.index} (${e.typeName} in PCR ${e.pcr})`;
const sameKey = (a: BootPolicyKey, b: BootPolicyKey) => a.owner === b.owner && a.type === b.type && a.sha256 === b.sha256;
const keyText = (k: BootPolicyKey) => `${k.type} ${k.sha256.slice(0, 16)}… (owner ${k.owner})`;

type Found = {
  variables: Map<string, { event: BootEvent; data: Uint8Array }[]>;
  scrtm: BootEvent[];
  firmware: BootEvent[];
  applications: BootEvent[];
  authorities: BootEvent[];
};

/**
 * Appraise `log` (bytes or parsed) against `policy`. Returns every check of BOOT_APPRAISAL_CHECKS in order;
 * a log that does not parse fails them all with the parser's line.
 */
export function appraiseBootLog(log: Uint8Array | BootEventLog, policy: BootPolicy): BootAppraisalCheck[] {
  const results = new Map<BootAppraisalCheckName, BootAppraisalCheck>();
  const fail = (name: BootAppraisalCheckName, detail: string) => {
    if (!results.has(name)) results.set(name, { name, ok: false, detail });
  };
  const pass = (name: BootAppraisalCheckName, detail: string) => {
    if (!results.has(name)) results.set(name, { name, ok: true, detail });
  };
  const done = () => BOOT_APPRAISAL_CHECKS.map((n) => results.get(n) ?? { name: n, ok: false, detail: "not checked" });

  let parsed: BootEventLog;
  try {
    parsed = log instanceof Uint8Array ? parseBootEventLog(log) : log;
  } catch (e) {
    for (const n of BOOT_APPRAISAL_CHECKS) fail(n, `the event log does not parse: ${(e as Error).message}`);
    return done();
  }
  const appraised = new Set(policy.pcrs);
  const events = parsed.events.slice(1).filter((e) => appraised.has(e.pcr));
  const found: Found = { variables: new Map(), scrtm: [], firmware: [], applications: [], authorities: [] };
  const separators = new Map<number, number>();

  for (const e of events) {
    const digest = e.digests.sha256;
    if (digest === undefined) {
      fail("bootEvents", `${describeEvent(e)} has no SHA-256 digest`);
      continue;
    }
    // The contents of these events are read below: they count only if they are what was measured.
    if (DIGEST_OF_DATA.has(e.type) && bytesToHex(sha256(e.data)) !== digest) {
      fail("bootEventData", `${describeEvent(e)}: its digest ${digest} is not the SHA-256 of its data: what it says is not what was measured`);
    }
    const unexpected = (why = "") => fail("bootEvents", `${describeEvent(e)} is not an event this policy expects there${why}`);
    try {
      classify(e, found, separators, unexpected, fail);
    } catch (err) {
      fail("bootEvents", `${describeEvent(e)}: ${(err as Error).message}`);
    }
  }
  for (const pcr of REQUIRED_BOOT_PCRS) {
    const n = separators.get(pcr) ?? 0;
    if (n !== 1) fail("bootEvents", `PCR ${pcr} has ${n} separators, not one: the hand-over from firmware to the boot loader is not where it should be`);
  }
  pass("bootEvents", `${events.length} events in PCRs ${policy.pcrs.join(", ")}, each one the policy expects there, one separator in each of PCRs 0-7`);
  pass("bootEventData", "every event whose contents are read (S-CRTM version, separators, Secure Boot variables, actions) carries the SHA-256 of its contents");

  appraiseSecureBoot(found, policy, fail, pass);
  appraiseFirmware(found, policy, fail, pass);
  appraiseKeys(found, policy, fail, pass);
  appraiseApplications(found, policy, fail, pass);
  return done();
}

type Fail = (name: BootAppraisalCheckName, detail: string) => void;

function classify(e: BootEvent, found: Found, separators: Map<number, number>, unexpected: (why?: string) => void, fail: Fail): void {
  const T = EVENT_TYPES;
  if (e.type === T.EV_NO_ACTION) return;
  if (e.type === T.EV_SEPARATOR && e.pcr <= 7) {
    separators.set(e.pcr, (separators.get(e.pcr) ?? 0) + 1);
    if (e.data.length !== 4 || e.data.some((b) => b !== 0)) {
      fail("bootEventData", `${describeEvent(e)} holds ${bytesToHex(e.data)}, not 00000000${e.data.every((b) => b === 0xff) ? ": the firmware reported an error" : ""}`);
    }
    return;
  }
  switch (e.pcr) {
    case 0:
      if (e.type === T.EV_S_CRTM_VERSION) return void found.scrtm.push(e);
      if (isFirmwareBlob(e.type)) return void found.firmware.push(e);
      return unexpected();
    case 1:
      if (e.type === T.EV_CPU_MICROCODE || e.type === T.EV_EFI_HANDOFF_TABLES || e.type === T.EV_EFI_HANDOFF_TABLES2 || e.type === T.EV_PLATFORM_CONFIG_FLAGS) return;
      if (e.type === T.EV_EFI_VARIABLE_BOOT || e.type === T.EV_EFI_VARIABLE_BOOT2) {
        const v = parseUefiVariable(e.data);
        if (v.guid === EFI_GUIDS.globalVariable && /^(BootOrder|Boot[0-9A-Fa-f]{4})$/.test(v.name)) return;
        return unexpected(` (boot variable ${v.name})`);
      }
      return unexpected();
    case 2:
      if (e.type === T.EV_EFI_BOOT_SERVICES_DRIVER) return;
      return unexpected();
    case 4:
      if (e.type === T.EV_EFI_BOOT_SERVICES_APPLICATION) {
        parseImageLoadEvent(e.data);
        return void found.applications.push(e);
      }
      if (e.type === T.EV_EFI_ACTION && EFI_ACTIONS[4]!.includes(new TextDecoder().decode(e.data))) return;
      return unexpected();
    case 5:
      if (e.type === T.EV_EFI_GPT_EVENT) return;
      if (e.type === T.EV_EFI_ACTION && EFI_ACTIONS[5]!.includes(new TextDecoder().decode(e.data))) return;
      return unexpected();
    case 7: {
      if (e.type === T.EV_EFI_VARIABLE_DRIVER_CONFIG) {
        const v = parseUefiVariable(e.data);
        if (SECURE_BOOT_VARIABLES[v.name] !== v.guid) return unexpected(` (variable ${v.name} ${v.guid})`);
        const seen = found.variables.get(v.name) ?? [];
        seen.push({ event: e, data: v.data });
        found.variables.set(v.name, seen);
        return;
      }
      if (e.type === T.EV_EFI_VARIABLE_AUTHORITY) {
        const v = parseUefiVariable(e.data);
        if (v.guid === EFI_GUIDS.imageSecurityDatabase && v.name === "db") {
          if (bytesToHex(sha256(e.data)) !== e.digests.sha256) {
            fail("bootEventData", `${describeEvent(e)}: its digest is not the SHA-256 of its data`);
          }
          return void found.authorities.push(e);
        }
        if (v.guid === EFI_GUIDS.shimLock && SHIM_AUTHORITIES.has(v.name)) return;
        return unexpected(` (authority ${v.name} ${v.guid})`);
      }
      return unexpected();
    }
    default:
      // PCRs 8-15 (when a policy quotes them): the boot loader's and shim's measurements, replayed but not read.
      if (e.pcr >= 8 && (e.type === T.EV_IPL || e.type === T.EV_EVENT_TAG)) return;
      return unexpected();
  }
}

function appraiseSecureBoot(found: Found, policy: BootPolicy, fail: Fail, pass: Fail): void {
  const sb = found.variables.get("SecureBoot") ?? [];
  const want = policy.secureBoot ? "on" : "off";
  if (sb.length !== 1) return fail("bootSecureBoot", `the SecureBoot variable is measured ${sb.length} times in PCR 7, not once: the Secure Boot state is unknown`);
  const d = sb[0]!.data;
  const state = d.length === 1 && d[0] === 1 ? "on" : d.length === 1 && d[0] === 0 ? "off" : `malformed (${bytesToHex(d)})`;
  if (state !== want) return fail("bootSecureBoot", `Secure Boot was ${state}; the policy requires it ${want}`);
  pass("bootSecureBoot", `Secure Boot was ${state}, as the policy requires`);
}

function appraiseFirmware(found: Found, policy: BootPolicy, fail: Fail, pass: Fail): void {
  const scrtm = found.scrtm.map((e) => e.digests.sha256!);
  const blobs = found.firmware.map((e) => e.digests.sha256!);
  const ok = policy.firmware.some((f) => scrtm.length === 1 && scrtm[0] === f.scrtm && f.platformFirmware.join() === blobs.join());
  if (!ok) {
    return fail(
      "bootFirmware",
      scrtm.length !== 1
        ? `PCR 0 has ${scrtm.length} S-CRTM version events, not one`
        : `the S-CRTM version ${scrtm[0]!.slice(0, 16)}… with ${blobs.length} firmware blob(s) is not firmware the policy allows`,
    );
  }
  pass("bootFirmware", `S-CRTM and ${blobs.length} firmware blob(s) are firmware the policy allows`);
}

function appraiseKeys(found: Found, policy: BootPolicy, fail: Fail, pass: Fail): void {
  const database = (name: "PK" | "KEK" | "db" | "dbx", check: BootAppraisalCheckName): BootPolicyKey[] | undefined => {
    const seen = found.variables.get(name) ?? [];
    if (seen.length > 1 || (seen.length === 0 && policy.secureBoot)) {
      fail(check, `${name} is measured ${seen.length} times in PCR 7, not once`);
      return undefined;
    }
    if (seen.length === 0) return [];
    try {
      return parseSignatureDatabase(seen[0]!.data, name).map(policyKey);
    } catch (e) {
      fail(check, (e as Error).message);
      return undefined;
    }
  };
  // First (a check keeps its first failure): the authority that verified an image must be a db key the policy allows.
  for (const e of found.authorities) {
    const v = parseUefiVariable(e.data);
    if (v.data.length < 16) {
      fail("bootDb", `${describeEvent(e)}: the db authority is ${v.data.length} bytes, not an EFI_SIGNATURE_DATA`);
      continue;
    }
    const key: BootPolicyKey = { owner: guidToString(v.data.subarray(0, 16)), type: "x509", sha256: bytesToHex(sha256(v.data.subarray(16))) };
    if (!policy.db.some((a) => sameKey(a, key))) fail("bootDb", `${describeEvent(e)}: an image was verified by ${keyText(key)}, which is not a db key the policy allows`);
  }
  for (const [name, check, allowed] of [
    ["PK", "bootPk", policy.pk],
    ["KEK", "bootKek", policy.kek],
    ["db", "bootDb", policy.db],
  ] as const) {
    const keys = database(name, check);
    if (!keys) continue;
    const stranger = keys.find((k) => !allowed.some((a) => sameKey(a, k)));
    if (stranger) fail(check, `${name} holds ${keyText(stranger)}, which the policy does not allow`);
    else pass(check, `${name} holds ${keys.length} key(s), each one the policy allows`);
  }
  const dbx = database("dbx", "bootDbx");
  if (dbx) {
    const missing = policy.dbx.find((r) => !dbx.some((k) => sameKey(k, r)));
    if (missing) fail("bootDbx", `dbx lacks ${keyText(missing)}, a revocation the policy requires`);
    else pass("bootDbx", `dbx holds all ${policy.dbx.length} revocation(s) the policy requires (${dbx.length} entries)`);
  }
}

function appraiseApplications(found: Found, policy: BootPolicy, fail: Fail, pass: Fail): void {
  const apps = found.applications.map((e) => ({ digest: e.digests.sha256!, file: devicePathFiles(parseImageLoadEvent(e.data).devicePath) }));
  const roles = ["shim", "grub", "kernel", "kernel"] as const;
  const chains = policy.kernels.map((k) => [k.shim, k.grub, k.kernel]);
  // As Keylime: shim, grub, the kernel, and the kernel measured a second time on some systems.
  const accepted = chains.some((c) => (apps.length === 3 || (apps.length === 4 && apps[3]!.digest === c[2])) && c.every((d, i) => apps[i]!.digest === d));
  if (accepted) return pass("bootApplications", `shim, grub and the kernel are a boot chain the policy allows (kernel ${apps[2]!.digest.slice(0, 16)}…)`);
  if (apps.length < 3 || apps.length > 4) {
    return fail("bootApplications", `PCR 4 records ${apps.length} boot applications, not shim, grub and a kernel`);
  }
  // Name the first image no allowed chain has at its place, after the longest allowed prefix.
  let at = 0;
  for (const c of chains) {
    let i = 0;
    while (i < 3 && apps[i]!.digest === c[i]) i++;
    at = Math.max(at, i);
  }
  const app = apps[Math.min(at, apps.length - 1)]!;
  fail(
    "bootApplications",
    `the ${roles[at] ?? "image"} ${app.file ? `${app.file} ` : ""}(Authenticode SHA-256 ${app.digest}) is not one the policy allows after the images before it`,
  );
}
