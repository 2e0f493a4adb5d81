/**
 * The boot checks (`bootStateApproved`, `bootPolicy`, `bootLog`, `bootLogReplay` and the policy's appraisal
 * checks) of a certificate at a boot+pcr23 trust level: verify-boot.ts's, against the approval read from the
 * chain. A group that applies only to certificates with a boot section; whether the quote covers the boot
 * values with PCR 23 is the pcrReplay group's.
 */
import { BOOT_CHECKS, verifyBootEvidence } from "../verify-boot.ts";
import { checkGroup } from "./check-group.ts";

export const bootState = checkGroup(BOOT_CHECKS, ({ payload: pl, facts }, record) => {
  for (const c of verifyBootEvidence({ boot: pl.boot, attestor: pl.attestor.address, bootState: facts.bootState })) record(c.name, c.ok, c.detail);
});
