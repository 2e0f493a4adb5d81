import { expect } from "chai";
import { execFile } from "node:child_process";
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { hexToBytes } from "../../core/hex.ts";
import { computePcrDigest, encodeEcdsaSignature, isLowS, normalizeLowS, parseAttest, parseEcdsaSignature, replayEventLog, sha256Hex } from "../../core/tpm/quote.ts";
import type { PcrEvent } from "../../core/tpm/quote.ts";
import type { AkInfo, QuoteResult } from "../../core/tpm/transport.ts";
import { verifyQuote, verifyQuoteSignature } from "../../core/tpm/quote-check.ts";
import type { VerifyQuoteParameters } from "../../core/tpm/quote-check.ts";
import { flipByte, hex, loadedHandles, startTestTpm } from "./helpers.ts";
import type { TestTpm } from "./helpers.ts";

const run = promisify(execFile);

const EVENTS: PcrEvent[] = [
  { pcr: 23, digest: sha256Hex("provenant:dataset:mnist-train"), type: "dataset", description: "training set root" },
  { pcr: 23, digest: sha256Hex("provenant:code:train.py"), type: "code", description: "training script" },
  { pcr: 23, digest: sha256Hex("provenant:model:weights"), type: "output", description: "model weights" },
];

describe("TPM quote over PCR 23 (real swtpm)", function () {
  let tpm: TestTpm;
  let ak: AkInfo;
  let nonce: Uint8Array;
  let q: QuoteResult;
  let dir: string;

  before(async function () {
    this.timeout(180_000);
    tpm = await startTestTpm();
    ak = await tpm.transport.createAk();
    await tpm.transport.pcrReset(23);
    for (const e of EVENTS) await tpm.transport.pcrExtend(e.pcr, e.digest);
    nonce = new Uint8Array(randomBytes(32));
    q = await tpm.transport.quote([23], nonce);
    dir = await mkdtemp(join(tmpdir(), "provenant-quote-test-"));
  });

  after(async function () {
    this.timeout(30_000);
    await tpm?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const params = (over: Partial<VerifyQuoteParameters> = {}): VerifyQuoteParameters => ({
    attest: q.attest,
    signature: q.signature,
    akPublicKey: ak.publicKeyPem,
    nonce,
    pcrs: [23],
    eventLog: EVENTS,
    ...over,
  });

  const failed = (over: Partial<VerifyQuoteParameters>) =>
    verifyQuote(params(over))
      .checks.filter((c) => !c.ok)
      .map((c) => c.name);

  async function checkquote(attest: Uint8Array, signature: Uint8Array, nonceHex: string, pcrValues: string): Promise<boolean> {
    await writeFile(join(dir, "ak.pem"), ak.publicKeyPem);
    await writeFile(join(dir, "q.msg"), attest);
    await writeFile(join(dir, "q.sig"), signature);
    await writeFile(join(dir, "pcrs.bin"), hexToBytes(pcrValues));
    try {
      await run("tpm2_checkquote", ["-u", "ak.pem", "-m", "q.msg", "-s", "q.sig", "-f", "pcrs.bin", "-l", "sha256:23", "-g", "sha256", "-q", nonceHex], { cwd: dir });
      return true;
    } catch {
      return false;
    }
  }

  it("reads PCR 23 as the replay of the event log", async function () {
    const values = await tpm.transport.pcrRead([23]);
    expect(values[23]).to.equal(replayEventLog(EVENTS)[23]);
  });

  it("produces a quote that tpm2_checkquote accepts with the replayed PCR value", async function () {
    expect(await checkquote(q.attest, q.signature, hex(nonce), replayEventLog(EVENTS)[23]!)).to.equal(true);
  });

  it("produces a quote that the TypeScript verifier accepts, every check passing", function () {
    const v = verifyQuote(params());
    expect(v.checks.map((c) => [c.name, c.ok])).to.deep.equal([
      ["attestParsed", true],
      ["signatureParsed", true],
      ["signature", true],
      ["nonce", true],
      ["pcrSelection", true],
      ["pcrDigest", true],
    ]);
    expect(v.ok).to.equal(true);
  });

  it("parses a pcrDigest equal to the digest of the replayed event log", function () {
    const info = parseAttest(q.attest);
    expect(info.pcrSelection).to.deep.equal([{ hashAlg: 0x000b, hashAlgName: "sha256", pcrs: [23] }]);
    expect(hex(info.pcrDigest)).to.equal(hex(computePcrDigest([23], replayEventLog(EVENTS))));
    expect(hex(info.extraData)).to.equal(hex(nonce));
    expect(q.attest.length).to.equal(145);
  });

  it("rejects a quote with a flipped byte anywhere in the attest structure", function () {
    for (const i of [0, 6, 40, 70, 100, q.attest.length - 1]) {
      const v = verifyQuote(params({ attest: flipByte(q.attest, i) }));
      expect(v.ok, `byte ${i}`).to.equal(false);
    }
    // Past the header a flip still parses: it is the signature that fails.
    expect(failed({ attest: flipByte(q.attest, 100) })).to.include("signature");
  });

  it("is rejected by tpm2_checkquote too when the attest is tampered", async function () {
    expect(await checkquote(flipByte(q.attest, 100), q.signature, hex(nonce), replayEventLog(EVENTS)[23]!)).to.equal(false);
  });

  it("rejects a quote with a flipped byte in r or s of the signature", function () {
    expect(failed({ signature: flipByte(q.signature, 10) })).to.deep.equal(["signature"]);
    expect(failed({ signature: flipByte(q.signature, q.signature.length - 1) })).to.deep.equal(["signature"]);
  });

  it("rejects a quote checked against a different nonce", function () {
    const other = new Uint8Array(nonce);
    other[0] ^= 0xff;
    expect(failed({ nonce: other })).to.deep.equal(["nonce"]);
  });

  it("rejects a quote whose PCR digest does not match the event log", function () {
    expect(failed({ eventLog: EVENTS.slice(0, 2) })).to.deep.equal(["pcrDigest"]);
    expect(failed({ eventLog: [...EVENTS].reverse() })).to.deep.equal(["pcrDigest"]);
    expect(failed({ eventLog: [...EVENTS, { pcr: 23, digest: sha256Hex("extra") }] })).to.deep.equal(["pcrDigest"]);
  });

  it("rejects a quote checked against a different PCR selection", function () {
    expect(failed({ pcrs: [16, 23] })).to.include("pcrSelection");
  });

  it("rejects a quote verified with a different P-256 key", function () {
    const other = generateKeyPairSync("ec", { namedCurve: "P-256" }).publicKey;
    expect(failed({ akPublicKey: other })).to.deep.equal(["signature"]);
  });

  it("rejects an attest or signature with trailing bytes", function () {
    expect(failed({ attest: new Uint8Array([...q.attest, 0]) })).to.deep.equal(["attestParsed"]);
    expect(failed({ signature: new Uint8Array([...q.signature, 0]) })).to.deep.equal(["signatureParsed"]);
  });

  it("rejects a truncated attest at every length", function () {
    for (let n = 0; n < q.attest.length; n++) {
      expect(failed({ attest: q.attest.slice(0, n) }), `length ${n}`).to.deep.equal(["attestParsed"]);
    }
  });

  it("verifies both the TPM's s and its low-s form, and low-s normalisation is idempotent", function () {
    const sig = parseEcdsaSignature(q.signature);
    const low = normalizeLowS(sig);
    expect(isLowS(low.s)).to.equal(true);
    expect(verifyQuoteSignature(ak.publicKeyPem, q.attest, low)).to.equal(true);
    expect(verifyQuoteSignature(ak.publicKeyPem, q.attest, encodeEcdsaSignature(low))).to.equal(true);
    expect(hex(normalizeLowS(low).s)).to.equal(hex(low.s));
    expect(hex(encodeEcdsaSignature(sig))).to.equal(hex(q.signature));
  });

  it("serialises concurrent quotes on one transport without exhausting TPM object slots", async function () {
    this.timeout(60_000);
    const nonces = Array.from({ length: 12 }, () => new Uint8Array(randomBytes(16)));
    const quotes = await Promise.all(nonces.map((n) => tpm.transport.quote([23], n)));
    quotes.forEach((r, i) => {
      expect(verifyQuote(params({ attest: r.attest, signature: r.signature, nonce: nonces[i]! })).ok).to.equal(true);
    });
  });

  it("leaves no transient objects or sessions in the TPM after AK creation and quotes", function () {
    expect(loadedHandles(tpm.swtpm.tcti)).to.deep.equal([]);
  });

  it("signs with an AK that stays usable after PCR 23 is reset and extended again", async function () {
    await tpm.transport.pcrReset(23);
    const log: PcrEvent[] = [{ pcr: 23, digest: sha256Hex("second run") }];
    await tpm.transport.pcrExtend(23, log[0]!.digest);
    const n = new Uint8Array(randomBytes(20));
    const r = await tpm.transport.quote([23], n);
    expect(verifyQuote(params({ attest: r.attest, signature: r.signature, nonce: n, eventLog: log })).ok).to.equal(true);
    expect(failed({ attest: r.attest, signature: r.signature, nonce: n, eventLog: EVENTS })).to.deep.equal(["pcrDigest"]);
  });
});
