/**
 * `attestorRegistered`: the attestor is registered, not revoked, with the certificate's TPM kind, EK and AK.
 * `trustLevel`: the certificate is at the level the attestor's record requires: once the registry owner approved
 * a boot state for the attestor, its quotes count only with the boot PCRs (AttestorRegistry's
 * AttestorRegistryBootStateRequired), for every run it certifies, training or evaluation.
 */
import { checkGroup, eqHex } from "./check-group.ts";

export const attestorRecord = checkGroup(["attestorRegistered", "trustLevel"], ({ payload: pl, facts: f, evidence }, record) => {
  const a = f.attestor;
  if (!a) {
    record("attestorRegistered", false, `attestor ${pl.attestor.address} is not registered in ${f.attestorRegistry}`);
    record("trustLevel", false, "not checked: the attestor has no record to say what level it is held to");
    return;
  }
  const problems: string[] = [];
  if (a.revokedAt !== 0) problems.push(`revoked at ${new Date(a.revokedAt * 1000).toISOString()}`);
  if (a.kind !== pl.attestor.tpmKind) problems.push(`registered as a ${a.kind} TPM, the certificate says ${pl.attestor.tpmKind}`);
  if (!eqHex(a.ekCertificateHash, evidence.ekHash) || !eqHex(a.ekCertificateHash, pl.attestor.ekCertificateSha256)) {
    problems.push("the EK certificate is not the registered one");
  }
  if (!eqHex(`000b${a.akQualifiedName.slice(2)}`, pl.attestor.akQualifiedName)) {
    problems.push("the AK qualified name is not the registered one");
  }
  const ak = evidence.akXY;
  if (!ak || !eqHex(ak.x, a.akX) || !eqHex(ak.y, a.akY)) problems.push("the AK public key is not the registered one");
  record(
    "attestorRegistered",
    problems.length === 0,
    problems.length === 0
      ? `${pl.attestor.address} registered ${new Date(a.registeredAt * 1000).toISOString()}, not revoked, same AK and EK`
      : `attestor ${pl.attestor.address}: ${problems.join("; ")}`,
  );
  // Whether the boot state itself is approved is the boot checks' (certificate-checks/boot-state.ts).
  const belowLevel = a.bootStateRequired && !pl.boot;
  record(
    "trustLevel",
    !belowLevel,
    belowLevel
      ? `the registry owner approved a boot state for attestor ${pl.attestor.address}, so its quotes count only with the boot PCRs (even once that state is withdrawn); this certificate (${pl.attestor.trustLevel}) quotes PCR 23 alone`
      : pl.boot
        ? `${pl.attestor.trustLevel}: the quote covers the boot PCRs ${pl.boot.pcrs.join(", ")} with PCR 23`
        : `${pl.attestor.trustLevel}: no boot state was approved for this attestor, so PCR 23 alone is its level`,
  );
});
