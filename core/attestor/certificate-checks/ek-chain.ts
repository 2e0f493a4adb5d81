/** `ekChain`: the EK certificate chains to a trusted root that agrees with the stated TPM kind, and its stated hash is its own. */
import { checkGroup, eqHex } from "./check-group.ts";

export const ekChain = checkGroup(["ekChain"], (ctx, record) => {
  const pl = ctx.payload;
  const ek = ctx.ekVerification();
  const problems = ek.checks.filter((c) => !c.ok).map((c) => `${c.name}: ${c.detail}`);
  if (ek.kind && ek.kind !== pl.attestor.tpmKind) problems.push(`the root makes it a ${ek.kind} TPM, the certificate says ${pl.attestor.tpmKind}`);
  if (!eqHex(ctx.evidence.ekHash, pl.attestor.ekCertificateSha256)) problems.push("ekCertificateSha256 is not the SHA-256 of ekCertificate");
  const ok = problems.length === 0 && ek.ok;
  record("ekChain", ok, ok ? `EK certificate chain: ${ek.chain.join(" <- ")} (${ek.kind} TPM)` : problems.join("; "));
});
