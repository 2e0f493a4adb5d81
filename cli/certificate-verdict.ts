/**
 * How `verify certificate` and `verify certificate --evaluation` print a certificate's verdict: the attestor and
 * its trust level, one line per named check, and the verdict with what it is worth.
 */
import { describeTrustLevel } from "../core/attestor/certificate.ts";

interface Verified {
  ok: boolean;
  checks: readonly { name: string; ok: boolean; detail: string }[];
}

/** The attestor's line, or none when the certificate could not be read. */
export function attestorLine(attestor: { address: string; trustLevel: string } | undefined): string[] {
  return attestor ? [`attestor ${attestor.address}, trust level ${attestor.trustLevel} (${describeTrustLevel(attestor.trustLevel).summary})`] : [];
}

/** The checks, aligned, then VERIFIED at the trust level and what that is worth, or FAILED naming the failed checks. */
export function checkVerdictLines(v: Verified, trustLevel: string | undefined): string[] {
  const width = Math.max(...v.checks.map((c) => c.name.length));
  const trust = trustLevel ? describeTrustLevel(trustLevel) : undefined;
  return [
    ...v.checks.map((c) => `  ${c.ok ? "ok  " : "FAIL"} ${c.name.padEnd(width)}  ${c.detail}`),
    v.ok && trust
      ? `VERIFIED, at trust level ${trustLevel}: ${trust.summary}`
      : `FAILED: ${v.checks
          .filter((c) => !c.ok)
          .map((c) => c.name)
          .join(", ")}`,
    ...(v.ok && trust ? [`What that is worth: ${trust.meaning}`] : []),
  ];
}
