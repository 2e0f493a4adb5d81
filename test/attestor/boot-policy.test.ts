// Boot policies (provenant-boot-policy-v1) and the appraisal of boot event logs against them: a synthetic UEFI
// boot that the policy allows passes every named check; each way a boot can differ from the policy fails the
// check that names it, and only that one.
import { expect } from "chai";
import { ProvenantError } from "../../core/errors.ts";
import { concatBytes } from "../../core/hex.ts";
import { EFI_GUIDS, EVENT_TYPES, guidToBytes } from "../../core/tpm/event-log.ts";
import { BOOT_APPRAISAL_CHECKS, BOOT_POLICY_FORMAT, appraiseBootLog, bootPolicyDigest, bootPolicyFromLog, parseBootPolicy } from "../../core/attestor/boot-policy.ts";
import type { BootPolicy } from "../../core/attestor/boot-policy.ts";
import { SYNTHETIC_OWNER, encodeEventLog, event, syntheticBootLog, syntheticCertificate, uefiVariableData } from "../../scripts/tpm/synthetic-boot-log.ts";
import type { SyntheticEvent } from "../../scripts/tpm/synthetic-boot-log.ts";

const good = syntheticBootLog();
const policy = bootPolicyFromLog(good.bytes, "synthetic-debian");

/** The names of the failed checks, and the detail of the one asked about. */
function failures(log: Uint8Array, p: BootPolicy = policy) {
  const checks = appraiseBootLog(log, p);
  return { failed: checks.filter((c) => !c.ok).map((c) => c.name), detail: (name: string) => checks.find((c) => c.name === name)!.detail };
}

const reencode = (events: SyntheticEvent[]) => encodeEventLog(events, ["sha1", "sha256"]);
const variableEvent = (name: string) =>
  good.events.findIndex((e) => e.type === EVENT_TYPES.EV_EFI_VARIABLE_DRIVER_CONFIG && new TextDecoder("utf-16le").decode(e.data.subarray(32)).startsWith(name));

describe("boot policy appraisal", function () {
  it("passes every named check for the boot the policy was made from", function () {
    const checks = appraiseBootLog(good.bytes, policy);
    expect(checks.map((c) => c.name)).to.deep.equal([...BOOT_APPRAISAL_CHECKS]);
    for (const c of checks) expect(c.ok, `${c.name}: ${c.detail}`).to.equal(true);
  });

  it("fails bootSecureBoot alone when Secure Boot was off", function () {
    const r = failures(syntheticBootLog({ secureBoot: false }).bytes);
    expect(r.failed).to.deep.equal(["bootSecureBoot"]);
    expect(r.detail("bootSecureBoot")).to.equal("Secure Boot was off; the policy requires it on");
  });

  it("fails bootApplications alone for a kernel the policy does not allow, naming its digest", function () {
    const other = syntheticBootLog({ kernel: "vmlinuz 6.1.0-evil" });
    const r = failures(other.bytes);
    expect(r.failed).to.deep.equal(["bootApplications"]);
    expect(r.detail("bootApplications")).to.contain(`the kernel (Authenticode SHA-256 ${other.images.kernel}) is not one the policy allows`);
  });

  it("fails bootApplications for another shim or grub, naming which", function () {
    expect(failures(syntheticBootLog({ grub: "grubx64.efi 2.04" }).bytes).detail("bootApplications")).to.match(/^the grub \\EFI\\debian\\grubx64\.efi/);
    expect(failures(syntheticBootLog({ shim: "shimx64.efi 15.4" }).bytes).detail("bootApplications")).to.match(/^the shim \\EFI\\debian\\shimx64\.efi/);
  });

  it("accepts the kernel measured twice, and refuses a fourth image that is not the kernel", function () {
    const kernel = good.events.filter((e) => e.type === EVENT_TYPES.EV_EFI_BOOT_SERVICES_APPLICATION)[2]!;
    expect(failures(reencode([...good.events, kernel])).failed).to.deep.equal([]);
    const shim = good.events.find((e) => e.type === EVENT_TYPES.EV_EFI_BOOT_SERVICES_APPLICATION)!;
    expect(failures(reencode([...good.events, shim])).failed).to.deep.equal(["bootApplications"]);
  });

  it("fails bootPk, bootKek or bootDb for a key the policy does not allow", function () {
    expect(failures(syntheticBootLog({ pk: ["attacker's platform key"] }).bytes).failed).to.deep.equal(["bootPk"]);
    expect(failures(syntheticBootLog({ kek: ["synthetic KEK CA 2026", "attacker's KEK"] }).bytes).failed).to.deep.equal(["bootKek"]);
    const db = failures(syntheticBootLog({ db: ["attacker's db CA"] }).bytes);
    // The db key is foreign, and so is the authority that verified shim (the first db key).
    expect(db.failed).to.deep.equal(["bootDb"]);
    expect(db.detail("bootDb")).to.match(
      /: an image was verified by x509 [0-9a-f]{16}… \(owner 77fa9abd-0359-4d32-bd60-28f4e78f784b\), which is not a db key the policy allows$/,
    );
    const extra = failures(syntheticBootLog({ db: ["synthetic db CA 2026", "attacker's db CA"] }).bytes);
    expect(extra.failed).to.deep.equal(["bootDb"]);
    expect(extra.detail("bootDb")).to.match(/^db holds x509 [0-9a-f]{16}… \(owner 77fa9abd-0359-4d32-bd60-28f4e78f784b\), which the policy does not allow$/);
  });

  it("fails bootDb when the image's verifying authority is not an allowed db key, though db itself is", function () {
    const events = good.events.map((e) =>
      e.type === EVENT_TYPES.EV_EFI_VARIABLE_AUTHORITY
        ? event(7, e.type, uefiVariableData(EFI_GUIDS.imageSecurityDatabase, "db", concatBytes(guidToBytes(SYNTHETIC_OWNER), syntheticCertificate("not in db"))))
        : e,
    );
    const r = failures(reencode(events));
    expect(r.failed).to.deep.equal(["bootDb"]);
    expect(r.detail("bootDb")).to.contain("an image was verified by x509");
  });

  it("fails bootDbx when a revocation the policy requires is missing", function () {
    const r = failures(syntheticBootLog({ dbx: ["some other revoked image"] }).bytes);
    expect(r.failed).to.deep.equal(["bootDbx"]);
    expect(r.detail("bootDbx")).to.match(/^dbx lacks sha256 [0-9a-f]{16}…/);
  });

  it("fails bootFirmware for other firmware", function () {
    expect(failures(syntheticBootLog({ firmwareVersion: "synthetic firmware 0.9" }).bytes).failed).to.deep.equal(["bootFirmware"]);
  });

  it("fails bootEventData when an event's contents are not what was measured (Secure Boot shown on, measured off)", function () {
    // The attack: leave the digest of SecureBoot=0 (what the TPM got) but write SecureBoot=1 into the event data.
    const off = syntheticBootLog({ secureBoot: false });
    const i = variableEvent("SecureBoot");
    const lying = off.events.map((e, k) => (k === i ? { ...e, data: good.events[i]!.data } : e));
    const r = failures(reencode(lying));
    expect(r.failed).to.deep.equal(["bootEventData"]);
    expect(r.detail("bootEventData")).to.match(/^event \d+ \(EV_EFI_VARIABLE_DRIVER_CONFIG in PCR 7\): its digest [0-9a-f]{64} is not the SHA-256 of its data/);
  });

  it("fails bootEventData for a separator that signals a firmware error", function () {
    const events = good.events.map((e) => (e.type === EVENT_TYPES.EV_SEPARATOR && e.pcr === 3 ? event(3, e.type, new Uint8Array([0xff, 0xff, 0xff, 0xff])) : e));
    const r = failures(reencode(events));
    expect(r.failed).to.deep.equal(["bootEventData"]);
    expect(r.detail("bootEventData")).to.contain("holds ffffffff, not 00000000: the firmware reported an error");
  });

  it("fails bootEvents for an event the policy does not expect in its PCR", function () {
    const stray = event(5, EVENT_TYPES.EV_EFI_BOOT_SERVICES_APPLICATION, new Uint8Array(32));
    const r = failures(reencode([...good.events, stray]));
    expect(r.failed).to.deep.equal(["bootEvents"]);
    expect(r.detail("bootEvents")).to.match(/^event \d+ \(EV_EFI_BOOT_SERVICES_APPLICATION in PCR 5\) is not an event this policy expects there$/);
    const variable = event(7, EVENT_TYPES.EV_EFI_VARIABLE_DRIVER_CONFIG, uefiVariableData(EFI_GUIDS.globalVariable, "AuditMode", new Uint8Array([1])));
    expect(failures(reencode([...good.events, variable])).detail("bootEvents")).to.contain("(variable AuditMode 8be4df61-93ca-11d2-aa0d-00e098032b8c)");
  });

  it("fails bootEvents when a PCR lacks its separator or has two", function () {
    const without = good.events.filter((e) => !(e.type === EVENT_TYPES.EV_SEPARATOR && e.pcr === 2));
    expect(failures(reencode(without)).detail("bootEvents")).to.contain("PCR 2 has 0 separators, not one");
    const sep = good.events.find((e) => e.type === EVENT_TYPES.EV_SEPARATOR && e.pcr === 4)!;
    expect(failures(reencode([...good.events, sep])).detail("bootEvents")).to.contain("PCR 4 has 2 separators, not one");
  });

  it("fails bootSecureBoot when the SecureBoot variable is measured twice", function () {
    const sb = good.events[variableEvent("SecureBoot")]!;
    expect(failures(reencode([...good.events, sb])).detail("bootSecureBoot")).to.contain("measured 2 times");
  });

  it("fails every check with the parser's line when the log does not parse", function () {
    const checks = appraiseBootLog(good.bytes.subarray(0, 500), policy);
    expect(checks.every((c) => !c.ok && /^the event log does not parse: event log: truncated at event\[\d+\]\./.test(c.detail))).to.equal(true);
  });

  it("reads grub's PCR 8 and 9 events only when the policy quotes those PCRs", function () {
    expect(failures(good.bytes).failed).to.deep.equal([]);
    const wider = parseBootPolicy({ ...policy, pcrs: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9] });
    expect(failures(good.bytes, wider).failed).to.deep.equal([]);
    const stray = event(9, EVENT_TYPES.EV_EFI_ACTION, new TextEncoder().encode("hello"));
    expect(failures(reencode([...good.events, stray]), wider).failed).to.deep.equal(["bootEvents"]);
    expect(failures(reencode([...good.events, stray])).failed).to.deep.equal([]);
  });
});

describe("boot policy format (provenant-boot-policy-v1)", function () {
  const json = () => structuredClone(policy) as unknown as Record<string, any>;
  const refused = (value: unknown, fragment: string, code = "CONFIG_INVALID") => {
    let err: unknown;
    try {
      parseBootPolicy(value);
    } catch (e) {
      err = e;
    }
    expect(err).to.be.instanceOf(ProvenantError);
    expect((err as ProvenantError).code).to.equal(code);
    expect((err as ProvenantError).message).to.contain(fragment);
  };

  it("round-trips through JSON, and its digest is over the canonical JSON", function () {
    expect(policy.format).to.equal(BOOT_POLICY_FORMAT);
    expect(parseBootPolicy(JSON.parse(JSON.stringify(policy)))).to.deep.equal(policy);
    expect(bootPolicyDigest(policy)).to.match(/^0x[0-9a-f]{64}$/);
    const reordered = Object.fromEntries(Object.entries(policy).reverse());
    expect(bootPolicyDigest(parseBootPolicy(reordered))).to.equal(bootPolicyDigest(policy));
    expect(bootPolicyDigest({ ...policy, name: "other" })).to.not.equal(bootPolicyDigest(policy));
  });

  it("is made from a known-good log with its keys, dbx, firmware and boot chain", function () {
    expect(policy.secureBoot).to.equal(true);
    expect(policy.pcrs).to.deep.equal([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(policy.kernels).to.deep.equal([good.images]);
    expect(policy.db).to.have.length(1);
    expect(policy.dbx[0]!.type).to.equal("sha256");
  });

  it("refuses another format, unknown or missing fields, and malformed values, naming the field", function () {
    refused({ ...json(), format: "provenant-boot-policy-v2" }, 'boot policy format is "provenant-boot-policy-v2"', "FORMAT_UNSUPPORTED");
    refused({ ...json(), extra: 1 }, "boot policy .extra is not a field of this format");
    const { kernels: _k, ...missing } = json();
    refused(missing, "boot policy .kernels is missing");
    refused({ ...json(), pcrs: [0, 1, 2, 3, 4, 5, 7] }, "lacks PCR 6");
    refused({ ...json(), pcrs: [0, 1, 2, 3, 4, 5, 6, 7, 23] }, ".pcrs[8] is not a PCR of 0..15");
    refused({ ...json(), pcrs: [1, 0, 2, 3, 4, 5, 6, 7] }, "is not in ascending order");
    refused({ ...json(), kernels: [] }, "no kernel would be accepted");
    refused({ ...json(), kernels: [{ ...policy.kernels[0], kernel: "ABC" }] }, ".kernels[0].kernel is not a SHA-256 digest");
    refused({ ...json(), db: [{ ...policy.db[0], owner: "not a guid" }] }, ".db[0].owner is not a lowercase GUID");
    refused({ ...json(), secureBoot: "yes" }, ".secureBoot is not true or false");
  });
});
