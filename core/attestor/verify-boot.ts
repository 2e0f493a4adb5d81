/**
 * The boot-state check group of certificate verification (certificate-checks/boot-state.ts runs it as a check group; boot-approval.ts for an approval): for a
 * certificate at a boot-state trust level, the on-chain approval of its boot state and policy, the boot
 * event log (it parses; it replays to the quoted boot PCR values, so nothing was extended outside it), and the
 * log's appraisal against the policy, each a named check. Whether the quote covers those values and PCR 23 is
 * the pcrReplay check's (quotedPcrDigest in boot-state.ts). No I/O; never throws for bad evidence.
 */
import { parseBootEventLog, replayBootEventLog } from "../tpm/event-log.ts";
import type { BootEventLog } from "../tpm/event-log.ts";
import type { Check } from "../tpm/quote.ts";
import { BOOT_APPRAISAL_CHECKS, appraiseBootLog, bootPolicyDigest } from "./boot-policy.ts";
import type { BootAppraisalCheckName } from "./boot-policy.ts";
import { bootStateId, eventLogBytes, pcrSelectOf } from "./boot-state.ts";
import type { CertificateBoot } from "./boot-state.ts";
import type { BootStateFacts } from "../chain/attestor-registry.ts";

export const BOOT_CHECKS = ["bootStateApproved", "bootPolicy", "bootLog", "bootLogReplay", ...BOOT_APPRAISAL_CHECKS] as const;
export type BootCheckName = "bootStateApproved" | "bootPolicy" | "bootLog" | "bootLogReplay" | BootAppraisalCheckName;
export type BootCheck = Check<BootCheckName>;

const iso = (s: number) => new Date(s * 1000).toISOString();

/**
 * The boot checks of a certificate's `boot` section (none for a certificate without one). `bootState` is
 * AttestorRegistry.bootStateOf(attestor, id) read from the chain; undefined when it could not be read.
 */
export function verifyBootEvidence(p: { boot: CertificateBoot | undefined; attestor: string; bootState: BootStateFacts | undefined }): BootCheck[] {
  const { boot } = p;
  if (!boot) return [];
  const checks: BootCheck[] = [];
  const add = (name: BootCheckName, ok: boolean, detail: string) => checks.push({ name, ok, detail });

  // -- approval on-chain: this attestor, these values, these PCRs, not withdrawn; and the policy it was approved under
  const id = bootStateId(boot.pcrValues);
  const policyDigest = bootPolicyDigest(boot.policy);
  const s = p.bootState;
  if (!s || s.approvedAt === 0) {
    add("bootStateApproved", false, `boot state ${id} (PCRs ${boot.pcrs.join(", ")}) was never approved for attestor ${p.attestor}`);
    add("bootPolicy", false, `policy "${boot.policy.name}" (${policyDigest}): no approval to compare it with`);
  } else {
    const problems: string[] = [];
    if (s.withdrawnAt !== 0) problems.push(`withdrawn at ${iso(s.withdrawnAt)}`);
    if (s.pcrSelect !== pcrSelectOf(boot.pcrs))
      problems.push(`approved for PCR bitmap 0x${s.pcrSelect.toString(16)}, the certificate quotes 0x${pcrSelectOf(boot.pcrs).toString(16)}`);
    add(
      "bootStateApproved",
      problems.length === 0,
      problems.length === 0 ? `boot state ${id} approved for this attestor at ${iso(s.approvedAt)}, not withdrawn` : `boot state ${id}: ${problems.join("; ")}`,
    );
    const same = s.policyDigest.toLowerCase() === policyDigest;
    add(
      "bootPolicy",
      same,
      same
        ? `appraised against boot policy "${boot.policy.name}" (${policyDigest}), the one the registry owner approved this boot state under`
        : `the certificate's boot policy "${boot.policy.name}" (${policyDigest}) is not the one this boot state was approved under (${s.policyDigest})`,
    );
  }

  // -- the log: parses, replays to the quoted values
  let log: BootEventLog | undefined;
  try {
    log = parseBootEventLog(eventLogBytes(boot));
    add("bootLog", true, `${log.events.length} events, banks ${log.specId.algorithms.map((a) => a.name).join(", ")}`);
  } catch (e) {
    add("bootLog", false, (e as Error).message);
  }
  if (log) {
    try {
      const replayed = replayBootEventLog(log, boot.pcrs);
      const i = boot.pcrs.findIndex((pcr, k) => replayed[pcr] !== boot.pcrValues[k]);
      add(
        "bootLogReplay",
        i < 0,
        i < 0
          ? `the boot event log replays to the quoted PCRs ${boot.pcrs.join(", ")}: nothing was extended outside it`
          : `PCR ${boot.pcrs[i]} was ${boot.pcrValues[i]} when quoted, but the boot event log replays to ${replayed[boot.pcrs[i]!]}: the log is not what was measured, or something was extended outside it`,
      );
    } catch (e) {
      add("bootLogReplay", false, (e as Error).message);
    }
  } else {
    add("bootLogReplay", false, "not checked: the boot event log does not parse");
  }

  // -- the appraisal against the policy
  checks.push(...appraiseBootLog(log ?? eventLogBytes(boot), boot.policy));
  return BOOT_CHECKS.map((n) => checks.find((c) => c.name === n)!);
}
