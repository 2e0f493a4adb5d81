/** `nonce`: the final quote signs this certificate (its digest); the start quote signs the run id. */
import { bytesToHex } from "../../hex.ts";
import { checkGroup, eqHex } from "./check-group.ts";

export const quoteNonces = checkGroup(["nonce"], ({ certificate: cert, payload: pl, digest, evidence }, record) => {
  const { quote, startQuote } = evidence;
  if (quote) {
    const ok = eqHex(`0x${bytesToHex(quote.extraData)}`, cert.certificateDigest) && cert.certificateDigest === digest;
    record("nonce", ok, ok ? "the quote's nonce is the certificate digest" : `the quote's nonce ${bytesToHex(quote.extraData)} is not the certificate digest ${digest}`);
  }
  if (startQuote) {
    const ok = eqHex(`0x${bytesToHex(startQuote.extraData)}`, pl.run.id);
    record("nonce", ok, ok ? "the quote's nonce is the certificate digest" : "the start quote's nonce is not the run id");
  }
});
