/**
 * The registry owner's side of a boot state: before approving a machine's boot on-chain, appraise what its
 * attestor sends (POST /v1/boot-state: the boot event log, the boot PCR values, the policy it runs with, and a
 * quote over those PCRs with the owner's nonce) against the owner's own boot policy. Every check is named; the
 * approval parameters are given only when all pass. No I/O.
 */
import { createPublicKey } from "node:crypto";
import { hexToBytes } from "../hex.ts";
import type { Check } from "../tpm/quote.ts";
import { verifyQuote } from "../tpm/quote-check.ts";
import { bootPolicyDigest } from "./boot-policy.ts";
import type { BootPolicy } from "./boot-policy.ts";
import { bootStateId, loadCertificateBoot, pcrSelectOf } from "./boot-state.ts";
import type { CertificateBoot } from "./boot-state.ts";
import { verifyBootEvidence } from "./verify-boot.ts";
import type { BootCheckName } from "./verify-boot.ts";
import type { AttestorFacts } from "../chain/attestor-registry.ts";

/** What POST /v1/boot-state answers. */
export type BootStateEvidence = { boot: CertificateBoot; attest: string; signature: string };

export type BootApprovalCheckName = "bootEvidence" | "bootQuote" | Exclude<BootCheckName, "bootStateApproved">;

export type BootApproval = {
  ok: boolean;
  checks: Check<BootApprovalCheckName>[];
  /** AttestorRegistry.approveBootState's arguments; only when ok. */
  approval?: { bootState: `0x${string}`; pcrSelect: number; policyDigest: `0x${string}` };
};

/**
 * Appraise a machine's boot-state evidence for approval: the quote is by the registered AK over exactly the
 * policy's PCRs with `nonce`, and its digest is over the stated values; the log replays to them and passes the
 * owner's `policy`, which is also the one the attestor is configured with (its certificates name it).
 */
export function appraiseBootStateEvidence(p: { evidence: unknown; policy: BootPolicy; nonce: Uint8Array; attestor: AttestorFacts }): BootApproval {
  const checks: Check<BootApprovalCheckName>[] = [];
  const done = (): BootApproval => ({ ok: checks.length > 0 && checks.every((c) => c.ok), checks });
  let boot: CertificateBoot;
  let attest: Uint8Array;
  let signature: Uint8Array;
  try {
    const e = p.evidence as Record<string, unknown>;
    boot = loadCertificateBoot(e?.boot, "boot-state evidence boot");
    attest = hexToBytes(String(e.attest), "attest");
    signature = hexToBytes(String(e.signature), "signature");
    checks.push({ name: "bootEvidence", ok: true, detail: `boot PCRs ${boot.pcrs.join(", ")}, an event log and policy "${boot.policy.name}"` });
  } catch (err) {
    checks.push({ name: "bootEvidence", ok: false, detail: (err as Error).message });
    return done();
  }

  const akPublicKey = createPublicKey({
    key: { kty: "EC", crv: "P-256", x: Buffer.from(hexToBytes(p.attestor.akX)).toString("base64url"), y: Buffer.from(hexToBytes(p.attestor.akY)).toString("base64url") },
    format: "jwk",
  });
  const quote = verifyQuote({
    attest,
    signature,
    akPublicKey,
    nonce: p.nonce,
    pcrs: p.policy.pcrs,
    pcrValues: Object.fromEntries(boot.pcrs.map((pcr, i) => [pcr, boot.pcrValues[i]!])),
    qualifiedSigner: hexToBytes(`000b${p.attestor.akQualifiedName.slice(2)}`),
  });
  const failed = quote.checks.filter((c) => !c.ok);
  checks.push({
    name: "bootQuote",
    ok: failed.length === 0,
    detail:
      failed.length === 0
        ? `a quote by the registered AK, with your nonce, over PCRs ${p.policy.pcrs.join(", ")} holding the stated values`
        : failed.map((c) => `${c.name}: ${c.detail}`).join("; "),
  });

  const ownDigest = bootPolicyDigest(p.policy);
  const theirDigest = bootPolicyDigest(boot.policy);
  checks.push({
    name: "bootPolicy",
    ok: ownDigest === theirDigest,
    detail:
      ownDigest === theirDigest
        ? `the attestor runs with your boot policy "${p.policy.name}" (${ownDigest})`
        : `the attestor runs with boot policy "${boot.policy.name}" (${theirDigest}), not yours "${p.policy.name}" (${ownDigest}): start it with --boot-policy <your policy file>`,
  });
  // The log and its appraisal, against the owner's policy whatever the attestor's says.
  const rest = verifyBootEvidence({ boot: { ...boot, policy: p.policy }, attestor: "", bootState: undefined }).filter(
    (c) => c.name !== "bootStateApproved" && c.name !== "bootPolicy",
  );
  checks.push(...(rest as Check<BootApprovalCheckName>[]));
  const result = done();
  if (result.ok) result.approval = { bootState: bootStateId(boot.pcrValues), pcrSelect: pcrSelectOf(boot.pcrs), policyDigest: ownDigest };
  return result;
}
