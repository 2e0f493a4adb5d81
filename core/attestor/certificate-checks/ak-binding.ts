/**
 * `akBound`: the AK is a restricted P-256 signing key fixed to the TPM, its qualified name under the
 * certified EK is the stated one, and it is both quotes' signer.
 */
import { bytesEqual, hexToBytes } from "../../hex.ts";
import { akQualifiedName, checkAkPublic } from "../../tpm/enroll.ts";
import { checkGroup, errMessage } from "./check-group.ts";

export const akBinding = checkGroup(["akBound"], (ctx, record) => {
  // An AK that did not parse is recorded as this check's failure already.
  if (!ctx.evidence.akKey) return;
  const at = ctx.payload.attestor;
  const akCheck = checkAkPublic({ tpm2bPublic: hexToBytes(at.akPublic), akName: hexToBytes(at.akName) });
  const problems = akCheck.checks.filter((c) => !c.ok).map((c) => `${c.name}: ${c.detail}`);
  const ekPem = ctx.ekVerification().ekPublicKeyPem;
  let qn: Uint8Array | undefined;
  if (ekPem) {
    try {
      qn = akQualifiedName(ekPem, hexToBytes(at.akName));
    } catch (e) {
      problems.push(errMessage(e));
    }
  } else {
    problems.push("no EK public key (the EK certificate did not verify)");
  }
  if (qn && !bytesEqual(qn, hexToBytes(at.akQualifiedName))) {
    problems.push("akQualifiedName is not QN(EK from the certificate, AK name)");
  }
  for (const [label, q] of [
    ["quote", ctx.evidence.quote],
    ["start quote", ctx.evidence.startQuote],
  ] as const) {
    if (q && !bytesEqual(q.qualifiedSigner, hexToBytes(at.akQualifiedName))) {
      problems.push(`the ${label}'s qualifiedSigner is not the AK's qualified name`);
    }
    if (!q) problems.push(`the ${label} did not parse`);
  }
  record(
    "akBound",
    problems.length === 0,
    problems.length === 0
      ? "restricted P-256 signing AK (fixedTPM, fixedParent, sensitiveDataOrigin) whose qualified name under the certified EK is the quotes' signer and the registered one; the registry bound it by credential activation at enrollment"
      : problems.join("; "),
  );
});
