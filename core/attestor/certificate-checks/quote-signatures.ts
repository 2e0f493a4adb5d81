/** `quoteSignature`: both quotes (final and start) are ECDSA P-256 signatures by the AK. */
import { hexToBytes } from "../../hex.ts";
import { parseEcdsaSignature } from "../../tpm/quote.ts";
import { verifyQuoteSignature } from "../../tpm/quote-check.ts";
import { checkGroup, errMessage } from "./check-group.ts";

export const quoteSignatures = checkGroup(["quoteSignature"], ({ certificate, payload: pl, evidence }, record) => {
  const akKey = evidence.akKey;
  if (!akKey) {
    record("quoteSignature", false, "no usable AK public key");
    return;
  }
  for (const [label, q, bytes] of [
    ["quote", evidence.quote, certificate.quote],
    ["start quote", evidence.startQuote, pl.run.startQuote],
  ] as const) {
    // A quote that did not parse is recorded as this check's failure already.
    if (!q) continue;
    try {
      const ok = verifyQuoteSignature(akKey, hexToBytes(bytes.attest), parseEcdsaSignature(hexToBytes(bytes.signature)));
      record("quoteSignature", ok, ok ? "both quotes are ECDSA P-256 signatures by the AK" : `the ${label}'s signature does not verify under the AK`);
    } catch (e) {
      record("quoteSignature", false, `${label} signature: ${errMessage(e)}`);
    }
  }
});
