/**
 * Golden file: a quote saved from a real swtpm (test/tpm/vectors/quote-pcr23.json) must keep
 * parsing to the same fields and verifying. Regenerate with:
 *   UPDATE_GOLDEN=1 npx hardhat test mocha --no-compile test/tpm/golden.test.ts
 */
import { expect } from "chai";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { bytesToHex, hexToBytes } from "../../core/hex.ts";
import { akQualifiedName, checkAkPublic, verifyEkCertificate } from "../../core/tpm/enroll.ts";
import { computePcrDigest, normalizeLowS, parseAttest, parseEcdsaSignature, quoteInfoToJson, replayEventLog, sha256Hex } from "../../core/tpm/quote.ts";
import type { PcrEvent } from "../../core/tpm/quote.ts";
import { verifyQuote } from "../../core/tpm/quote-check.ts";
import { VECTORS_DIR, startTestTpm } from "./helpers.ts";

const FILE = join(VECTORS_DIR, "quote-pcr23.json");
const FORMAT = "provenant-tpm-quote-vector-v1";

type Vector = {
  format: typeof FORMAT;
  description: string;
  createdAt: string;
  ekCertificate: string;
  caRootPem: string;
  caIntermediatePem: string;
  ak: { name: string; publicKeyPem: string; tpm2bPublic: string };
  nonce: string;
  pcrs: number[];
  eventLog: PcrEvent[];
  attest: string;
  signature: string;
  expected: {
    quote: Record<string, unknown>;
    pcrValues: Record<string, string>;
    akQualifiedName: string;
    lowS: string;
  };
};

const EVENTS: PcrEvent[] = [
  { pcr: 23, digest: sha256Hex("golden:dataset"), type: "dataset", description: "dataset root" },
  { pcr: 23, digest: sha256Hex("golden:model"), type: "output", description: "model weights" },
];

async function regenerate(): Promise<void> {
  const tpm = await startTestTpm();
  try {
    const ak = await tpm.transport.createAk();
    const ekCertificate = await tpm.transport.readEkCertificate();
    await tpm.transport.pcrReset(23);
    for (const e of EVENTS) await tpm.transport.pcrExtend(e.pcr, e.digest);
    const nonce = Uint8Array.from({ length: 32 }, (_, i) => i + 1);
    const q = await tpm.transport.quote([23], nonce);
    const ekPem = verifyEkCertificate({
      ekCertificate,
      roots: [tpm.swtpm.caCertPem],
      intermediates: [tpm.swtpm.issuerCertPem],
    }).ekPublicKeyPem!;
    const vector: Vector = {
      format: FORMAT,
      description: "TPM2_Quote over sha256:23 by an ECC P-256 AK under the RSA EK of a swtpm 0.7.1, PCR 23 reset then extended with eventLog",
      createdAt: new Date().toISOString(),
      ekCertificate: bytesToHex(ekCertificate),
      caRootPem: tpm.swtpm.caCertPem,
      caIntermediatePem: tpm.swtpm.issuerCertPem,
      ak: { name: bytesToHex(ak.name), publicKeyPem: ak.publicKeyPem, tpm2bPublic: bytesToHex(ak.tpm2bPublic) },
      nonce: bytesToHex(nonce),
      pcrs: [23],
      eventLog: EVENTS,
      attest: bytesToHex(q.attest),
      signature: bytesToHex(q.signature),
      expected: {
        quote: quoteInfoToJson(parseAttest(q.attest)),
        pcrValues: await tpm.transport.pcrRead([23]),
        akQualifiedName: bytesToHex(akQualifiedName(ekPem, ak.name)),
        lowS: bytesToHex(normalizeLowS(parseEcdsaSignature(q.signature)).s),
      },
    };
    await writeFile(FILE, JSON.stringify(vector, null, 2) + "\n");
  } finally {
    await tpm.stop();
  }
}

describe("TPM quote golden vector", function () {
  let v: Vector;

  before(async function () {
    this.timeout(120_000);
    if (process.env.UPDATE_GOLDEN === "1") await regenerate();
    v = JSON.parse(await readFile(FILE, "utf8")) as Vector;
    expect(v.format).to.equal(FORMAT);
  });

  it("parses the saved quote to the saved fields", function () {
    expect(quoteInfoToJson(parseAttest(hexToBytes(v.attest)))).to.deep.equal(v.expected.quote);
  });

  it("replays the saved event log to the PCR value the TPM reported and to the quoted pcrDigest", function () {
    const values = replayEventLog(v.eventLog);
    expect(values).to.deep.equal(v.expected.pcrValues);
    expect(bytesToHex(computePcrDigest(v.pcrs, values))).to.equal(v.expected.quote.pcrDigest);
  });

  it("verifies the saved quote with the saved AK, including its qualified signer", function () {
    const result = verifyQuote({
      attest: hexToBytes(v.attest),
      signature: hexToBytes(v.signature),
      akPublicKey: v.ak.publicKeyPem,
      nonce: hexToBytes(v.nonce),
      pcrs: v.pcrs,
      eventLog: v.eventLog,
      qualifiedSigner: hexToBytes(v.expected.akQualifiedName),
    });
    expect(result.checks.filter((c) => !c.ok)).to.deep.equal([]);
  });

  it("derives the qualified signer from the saved EK certificate and AK name", function () {
    const ek = verifyEkCertificate({
      ekCertificate: hexToBytes(v.ekCertificate),
      roots: [v.caRootPem],
      intermediates: [v.caIntermediatePem],
      now: new Date(v.createdAt),
    });
    expect(ek.ok).to.equal(true);
    expect(bytesToHex(akQualifiedName(ek.ekPublicKeyPem!, hexToBytes(v.ak.name)))).to.equal(v.expected.akQualifiedName);
    expect(v.expected.quote.qualifiedSigner).to.equal(v.expected.akQualifiedName);
  });

  it("accepts the saved AK public area with the saved name", function () {
    const r = checkAkPublic({
      tpm2bPublic: hexToBytes(v.ak.tpm2bPublic),
      akName: hexToBytes(v.ak.name),
      akPublicKeyPem: v.ak.publicKeyPem,
    });
    expect(r.checks.filter((c) => !c.ok)).to.deep.equal([]);
  });

  it("normalises the saved signature's s to the saved low-s value", function () {
    expect(bytesToHex(normalizeLowS(parseEcdsaSignature(hexToBytes(v.signature))).s)).to.equal(v.expected.lowS);
  });
});
