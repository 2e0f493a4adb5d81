import { expect } from "chai";
import { createHash, generateKeyPairSync, sign } from "node:crypto";
import { bigIntToBytes, bytesToBigInt, concatBytes, hexToBytes, u16be, u32be } from "../../core/hex.ts";
import { P256_HALF_N, P256_N } from "../../core/tpm/constants.ts";
import { computePcrDigest, extendPcr, isLowS, normalizeLowS, parseAttest, parseEcdsaSignature, replayEventLog, sha256Hex } from "../../core/tpm/quote.ts";
import { publicKeyToPem, verifyQuoteSignature } from "../../core/tpm/quote-check.ts";
import { hex } from "./helpers.ts";

const sha256 = (b: Uint8Array) => new Uint8Array(createHash("sha256").update(b).digest());
const u64be = (v: bigint) => bigIntToBytes(v, 8);
const tpm2b = (b: Uint8Array) => concatBytes(u16be(b.length), b);

type AttestFields = {
  magic?: number;
  type?: number;
  signer?: Uint8Array;
  extra?: Uint8Array;
  safe?: number;
  selections?: Uint8Array;
  digest?: Uint8Array;
};

/** A synthetic TPMS_ATTEST quote, field by field. */
function attest(f: AttestFields = {}): Uint8Array {
  return concatBytes(
    u32be(f.magic ?? 0xff544347),
    u16be(f.type ?? 0x8018),
    tpm2b(f.signer ?? new Uint8Array([0x00, 0x0b, ...new Uint8Array(32).fill(0xaa)])),
    tpm2b(f.extra ?? new Uint8Array([1, 2, 3, 4])),
    u64be(123456789n),
    u32be(7),
    u32be(2),
    new Uint8Array([f.safe ?? 1]),
    u64be(0x2019102300163636n),
    f.selections ?? concatBytes(u32be(1), u16be(0x000b), new Uint8Array([3, 0x01, 0x00, 0x80])),
    tpm2b(f.digest ?? new Uint8Array(32).fill(0xdd)),
  );
}

function ecdsaSig(r: Uint8Array, s: Uint8Array, alg = 0x0018, hash = 0x000b): Uint8Array {
  return concatBytes(u16be(alg), u16be(hash), tpm2b(r), tpm2b(s));
}

const invalid = (fn: () => unknown) => {
  try {
    fn();
  } catch (e) {
    return (e as { code?: string }).code;
  }
  return "no error";
};

describe("TPM quote parsing and PCR arithmetic (pure TypeScript)", function () {
  it("extends a PCR as SHA-256(old || digest), starting from zeros", function () {
    const d = sha256Hex("abc");
    const expected = hex(sha256(concatBytes(new Uint8Array(32), hexToBytes(d))));
    expect(extendPcr("0".repeat(64), d)).to.equal(expected);
    expect(replayEventLog([{ pcr: 23, digest: d }])).to.deep.equal({ 23: expected });
  });

  it("replays an event log per PCR, in order, and rejects bad indexes and digests", function () {
    const [a, b, c] = ["a", "b", "c"].map((s) => sha256Hex(s)) as [string, string, string];
    const values = replayEventLog([
      { pcr: 16, digest: a },
      { pcr: 23, digest: b },
      { pcr: 16, digest: c },
    ]);
    expect(values[16]).to.equal(extendPcr(extendPcr("0".repeat(64), a), c));
    expect(values[23]).to.equal(extendPcr("0".repeat(64), b));
    expect(invalid(() => replayEventLog([{ pcr: 24, digest: a }]))).to.equal("INPUT_INVALID");
    expect(invalid(() => replayEventLog([{ pcr: 23, digest: "abcd" }]))).to.equal("INPUT_INVALID");
  });

  it("digests selected PCR values in ascending PCR order whatever order they are given in", function () {
    const values = { 16: sha256Hex("x"), 23: sha256Hex("y") };
    const expected = hex(sha256(concatBytes(hexToBytes(values[16]), hexToBytes(values[23]))));
    expect(hex(computePcrDigest([23, 16], values))).to.equal(expected);
    expect(invalid(() => computePcrDigest([15], values))).to.equal("INPUT_INVALID");
  });

  it("parses every field of a quote structure", function () {
    const q = parseAttest(attest());
    expect(hex(q.qualifiedSigner)).to.equal("000b" + "aa".repeat(32));
    expect(hex(q.extraData)).to.equal("01020304");
    expect(q.clock).to.equal(123456789n);
    expect(q.resetCount).to.equal(7);
    expect(q.restartCount).to.equal(2);
    expect(q.safe).to.equal(true);
    expect(q.firmwareVersion).to.equal(0x2019102300163636n);
    expect(q.pcrSelection).to.deep.equal([{ hashAlg: 0x000b, hashAlgName: "sha256", pcrs: [0, 23] }]);
    expect(hex(q.pcrDigest)).to.equal("dd".repeat(32));
  });

  it("rejects a structure that is not a TPM-generated quote", function () {
    expect(invalid(() => parseAttest(attest({ magic: 0xff544348 })))).to.equal("ATTESTATION_INVALID");
    expect(invalid(() => parseAttest(attest({ type: 0x8017 })))).to.equal("ATTESTATION_INVALID");
    expect(invalid(() => parseAttest(attest({ safe: 2 })))).to.equal("ATTESTATION_INVALID");
  });

  it("rejects sizes beyond their bounds before reading them", function () {
    expect(invalid(() => parseAttest(attest({ signer: new Uint8Array(67) })))).to.equal("ATTESTATION_INVALID");
    expect(invalid(() => parseAttest(attest({ extra: new Uint8Array(65) })))).to.equal("ATTESTATION_INVALID");
    expect(invalid(() => parseAttest(attest({ digest: new Uint8Array(65) })))).to.equal("ATTESTATION_INVALID");
    const bigSelect = concatBytes(u32be(1), u16be(0x000b), new Uint8Array([9]), new Uint8Array(9));
    expect(invalid(() => parseAttest(attest({ selections: bigSelect })))).to.equal("ATTESTATION_INVALID");
    const manyBanks = concatBytes(u32be(0xffffffff));
    expect(invalid(() => parseAttest(attest({ selections: manyBanks })))).to.equal("ATTESTATION_INVALID");
  });

  it("rejects trailing bytes and every truncation", function () {
    const a = attest();
    expect(invalid(() => parseAttest(concatBytes(a, new Uint8Array([0]))))).to.equal("ATTESTATION_INVALID");
    for (let n = 0; n < a.length; n++) {
      expect(
        invalid(() => parseAttest(a.slice(0, n))),
        `length ${n}`,
      ).to.equal("ATTESTATION_INVALID");
    }
  });

  it("parses an ECDSA-SHA256 signature, left-padding short r and s", function () {
    const sig = parseEcdsaSignature(ecdsaSig(new Uint8Array(31).fill(1), new Uint8Array(32).fill(2)));
    expect(hex(sig.r)).to.equal("00" + "01".repeat(31));
    expect(hex(sig.s)).to.equal("02".repeat(32));
  });

  it("rejects signatures of another scheme or hash, oversize or out-of-range r and s", function () {
    const ok = new Uint8Array(32).fill(1);
    expect(invalid(() => parseEcdsaSignature(ecdsaSig(ok, ok, 0x0014)))).to.equal("ATTESTATION_INVALID");
    expect(invalid(() => parseEcdsaSignature(ecdsaSig(ok, ok, 0x0018, 0x0004)))).to.equal("ATTESTATION_INVALID");
    expect(invalid(() => parseEcdsaSignature(ecdsaSig(new Uint8Array(33).fill(1), ok)))).to.equal("ATTESTATION_INVALID");
    expect(invalid(() => parseEcdsaSignature(ecdsaSig(ok, new Uint8Array(32))))).to.equal("ATTESTATION_INVALID");
    expect(invalid(() => parseEcdsaSignature(ecdsaSig(ok, bigIntToBytes(P256_N, 32))))).to.equal("ATTESTATION_INVALID");
    expect(invalid(() => parseEcdsaSignature(concatBytes(ecdsaSig(ok, ok), new Uint8Array(1))))).to.equal("ATTESTATION_INVALID");
  });

  it("normalises s to n - s only when s > n/2", function () {
    const r = new Uint8Array(32).fill(1);
    const half = bigIntToBytes(P256_HALF_N, 32);
    expect(hex(normalizeLowS({ r, s: half }).s)).to.equal(hex(half));
    expect(bytesToBigInt(normalizeLowS({ r, s: bigIntToBytes(P256_HALF_N + 1n, 32) }).s)).to.equal(P256_HALF_N);
    expect(bytesToBigInt(normalizeLowS({ r, s: bigIntToBytes(P256_N - 1n, 32) }).s)).to.equal(1n);
    expect(isLowS(half)).to.equal(true);
    expect(isLowS(bigIntToBytes(P256_HALF_N + 1n, 32))).to.equal(false);
  });

  it("verifies a P-256 signature over SHA-256(attest) in both its high-s and low-s forms", function () {
    const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
    const msg = attest();
    const p1363 = sign("sha256", msg, { key: privateKey, dsaEncoding: "ieee-p1363" });
    const r = new Uint8Array(p1363.subarray(0, 32));
    const s = bytesToBigInt(new Uint8Array(p1363.subarray(32)));
    const high = s > P256_HALF_N ? s : P256_N - s;
    const tss = ecdsaSig(r, bigIntToBytes(high, 32));
    const pem = publicKeyToPem(publicKey);
    expect(verifyQuoteSignature(pem, msg, tss)).to.equal(true);
    const low = normalizeLowS(parseEcdsaSignature(tss));
    expect(isLowS(low.s)).to.equal(true);
    expect(verifyQuoteSignature(pem, msg, low)).to.equal(true);
    expect(verifyQuoteSignature(pem, concatBytes(msg.slice(0, -1), new Uint8Array([0])), low)).to.equal(false);
  });
});
