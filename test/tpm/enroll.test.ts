import { expect } from "chai";
import { X509Certificate, randomBytes } from "node:crypto";
import { startSwtpm } from "../../core/tpm/swtpm.ts";
import type { Swtpm } from "../../core/tpm/swtpm.ts";
import { akQualifiedName, checkAkPublic, createEnrollmentChallenge, enroll, verifyEkCertificate } from "../../core/tpm/enroll.ts";
import { parseAttest } from "../../core/tpm/quote.ts";
import type { AkInfo } from "../../core/tpm/transport.ts";
import { verifyQuote } from "../../core/tpm/quote-check.ts";
import { ensureTpmToolsInstalled, flipByte, hex, loadedHandles, startTestTpm } from "./helpers.ts";
import type { TestTpm } from "./helpers.ts";

describe("TPM enrollment: EK certificate, AK checks, credential round trip (real swtpm)", function () {
  let a: TestTpm; // the attestor's TPM
  let b: TestTpm; // a second TPM from the same local CA
  let other: Swtpm; // a TPM with its own, unrelated local CA
  let akA: AkInfo;
  let akB: AkInfo;
  let ekCertA: Uint8Array;
  let ekCertB: Uint8Array;

  before(async function () {
    this.timeout(240_000);
    ensureTpmToolsInstalled();
    a = await startTestTpm();
    b = await startTestTpm({ caDir: a.swtpm.caDir });
    other = await startSwtpm();
    akA = await a.transport.createAk();
    akB = await b.transport.createAk();
    ekCertA = await a.transport.readEkCertificate();
    ekCertB = await b.transport.readEkCertificate();
  });

  after(async function () {
    this.timeout(30_000);
    await other?.stop();
    await b?.stop();
    await a?.stop();
  });

  const roots = () => [a.swtpm.caCertPem];
  const intermediates = () => [a.swtpm.issuerCertPem];

  it("reads an RSA EK certificate whose key is the TPM's EK", async function () {
    const cert = new X509Certificate(Buffer.from(ekCertA));
    const { publicKeyPem } = await a.transport.createEk();
    expect(cert.publicKey.export({ format: "jwk" })).to.deep.equal((await import("node:crypto")).createPublicKey(publicKeyPem).export({ format: "jwk" }));
  });

  it("chains the EK certificate to the local swtpm CA and calls the TPM software", function () {
    const v = verifyEkCertificate({ ekCertificate: ekCertA, roots: roots(), intermediates: intermediates() });
    expect(v.checks.map((c) => [c.name, c.ok])).to.deep.equal([
      ["ekCertificateParsed", true],
      ["ekCertificateChain", true],
      ["ekCertificateValidity", true],
      ["ekPublicKey", true],
    ]);
    expect(v.ok).to.equal(true);
    expect(v.kind).to.equal("software");
    expect(v.chain).to.deep.equal(["CN=unknown", "CN=swtpm-localca", "CN=swtpm-localca-rootca"]);
  });

  it("calls a root configured as hardware hardware", function () {
    const v = verifyEkCertificate({
      ekCertificate: ekCertA,
      roots: [{ certificatePem: a.swtpm.caCertPem, kind: "hardware", label: "vendor" }],
      intermediates: intermediates(),
    });
    expect(v.ok).to.equal(true);
    expect(v.kind).to.equal("hardware");
  });

  it("rejects an EK certificate without its intermediate or under another CA's root", function () {
    const noIntermediate = verifyEkCertificate({ ekCertificate: ekCertA, roots: roots() });
    expect(noIntermediate.checks.find((c) => !c.ok)?.name).to.equal("ekCertificateChain");
    const otherRoot = verifyEkCertificate({
      ekCertificate: ekCertA,
      roots: [other.caCertPem],
      intermediates: [other.issuerCertPem],
    });
    expect(otherRoot.ok).to.equal(false);
    expect(otherRoot.checks.filter((c) => !c.ok).map((c) => c.name)).to.deep.equal(["ekCertificateChain"]);
  });

  it("rejects a certificate with a flipped signature byte and an expired validity window", function () {
    const tampered = flipByte(ekCertA, ekCertA.length - 5);
    const v = verifyEkCertificate({ ekCertificate: tampered, roots: roots(), intermediates: intermediates() });
    expect(v.checks.find((c) => c.name === "ekCertificateChain")?.ok).to.equal(false);
    const late = verifyEkCertificate({
      ekCertificate: ekCertA,
      roots: roots(),
      intermediates: intermediates(),
      now: new Date("2000-01-01T00:00:00Z"),
    });
    expect(late.checks.filter((c) => !c.ok).map((c) => c.name)).to.deep.equal(["ekCertificateValidity"]);
  });

  it("accepts the AK's public area: restricted ECDSA P-256 signing key fixed to the TPM, name as claimed", function () {
    const v = checkAkPublic({ tpm2bPublic: akA.tpm2bPublic, akName: akA.name, akPublicKeyPem: akA.publicKeyPem });
    expect(v.checks.map((c) => [c.name, c.ok])).to.deep.equal([
      ["akPublicParsed", true],
      ["akAlgorithm", true],
      ["akAttributes", true],
      ["akName", true],
      ["akPublicKeyMatches", true],
    ]);
    expect(hex(v.name!)).to.equal(hex(akA.name));
  });

  it("rejects an AK public area that is not restricted, or whose name or key differ from the claim", function () {
    // objectAttributes sit at offset 6..9 of TPM2B_PUBLIC (size, type, nameAlg); restricted is bit 16.
    const unrestricted = akA.tpm2bPublic.slice();
    unrestricted[7] = unrestricted[7]! & ~0x01;
    const v = checkAkPublic({ tpm2bPublic: unrestricted, akName: akA.name });
    expect(v.checks.filter((c) => !c.ok).map((c) => c.name)).to.deep.equal(["akAttributes", "akName"]);
    const wrongKey = checkAkPublic({
      tpm2bPublic: akA.tpm2bPublic,
      akName: akA.name,
      akPublicKeyPem: akB.publicKeyPem,
    });
    expect(wrongKey.checks.filter((c) => !c.ok).map((c) => c.name)).to.deep.equal(["akPublicKeyMatches"]);
    const trailing = checkAkPublic({ tpm2bPublic: new Uint8Array([...akA.tpm2bPublic, 0]) });
    expect(trailing.checks.filter((c) => !c.ok).map((c) => c.name)).to.deep.equal(["akPublicParsed"]);
  });

  it("activates a credential made for its own EK and AK, returning the secret", async function () {
    const { ekPublicKeyPem } = verifyEkCertificate({
      ekCertificate: ekCertA,
      roots: roots(),
      intermediates: intermediates(),
    });
    const { challenge, secret } = await createEnrollmentChallenge({
      ekPublicKeyPem: ekPublicKeyPem!,
      akName: akA.name,
    });
    const out = await a.transport.activateCredential(challenge.credentialBlob, challenge.encryptedSecret);
    expect(hex(out)).to.equal(hex(secret));
  });

  it("fails to activate a credential made for another TPM's EK", async function () {
    // The credential is bound to TPM B's EK (whose certificate chains to the same CA) and A's AK.
    const { ekPublicKeyPem } = verifyEkCertificate({
      ekCertificate: ekCertB,
      roots: roots(),
      intermediates: intermediates(),
    });
    const { challenge } = await createEnrollmentChallenge({ ekPublicKeyPem: ekPublicKeyPem!, akName: akA.name });
    let error: unknown;
    try {
      await a.transport.activateCredential(challenge.credentialBlob, challenge.encryptedSecret);
    } catch (e) {
      error = e;
    }
    expect(error).to.have.property("code", "TPM_FAILED");
    // ...and B cannot activate A's challenge either: its AK is not the one named.
    const forA = await createEnrollmentChallenge({
      ekPublicKeyPem: verifyEkCertificate({ ekCertificate: ekCertA, roots: roots(), intermediates: intermediates() }).ekPublicKeyPem!,
      akName: akA.name,
    });
    let errorB: unknown;
    try {
      await b.transport.activateCredential(forA.challenge.credentialBlob, forA.challenge.encryptedSecret);
    } catch (e) {
      errorB = e;
    }
    expect(errorB).to.have.property("code", "TPM_FAILED");
  });

  it("leaves no transient objects or sessions behind after activations, failed ones included", function () {
    expect(loadedHandles(a.swtpm.tcti)).to.deep.equal([]);
    expect(loadedHandles(b.swtpm.tcti)).to.deep.equal([]);
  });

  it("enrolls the TPM end to end and predicts the qualifiedSigner of its quotes", async function () {
    this.timeout(30_000);
    const result = await enroll({
      ekCertificate: ekCertA,
      roots: roots(),
      intermediates: intermediates(),
      akTpm2bPublic: akA.tpm2bPublic,
      akName: akA.name,
      akPublicKeyPem: akA.publicKeyPem,
      activate: (c) => a.transport.activateCredential(c.credentialBlob, c.encryptedSecret),
    });
    expect(result.checks.filter((c) => !c.ok)).to.deep.equal([]);
    expect(result.ok).to.equal(true);
    expect(result.kind).to.equal("software");

    const nonce = new Uint8Array(randomBytes(32));
    const q = await a.transport.quote([23], nonce);
    expect(hex(parseAttest(q.attest).qualifiedSigner)).to.equal(hex(result.akQualifiedName!));
    expect(hex(akQualifiedName(result.ekPublicKeyPem!, akA.name))).to.equal(hex(result.akQualifiedName!));
    const pcrValues = await a.transport.pcrRead([23]);
    const v = verifyQuote({
      attest: q.attest,
      signature: q.signature,
      akPublicKey: result.akPublicKeyPem!,
      nonce,
      pcrs: [23],
      pcrValues,
      qualifiedSigner: result.akQualifiedName!,
    });
    expect(v.ok).to.equal(true);
  });

  it("refuses enrollment when the EK certificate belongs to another TPM than the AK", async function () {
    this.timeout(30_000);
    const result = await enroll({
      ekCertificate: ekCertB,
      roots: roots(),
      intermediates: intermediates(),
      akTpm2bPublic: akA.tpm2bPublic,
      akName: akA.name,
      activate: (c) => a.transport.activateCredential(c.credentialBlob, c.encryptedSecret),
    });
    expect(result.ok).to.equal(false);
    expect(result.checks.filter((c) => !c.ok).map((c) => c.name)).to.deep.equal(["credentialActivated"]);
  });

  it("refuses enrollment when the attestor answers with the wrong secret", async function () {
    const result = await enroll({
      ekCertificate: ekCertA,
      roots: roots(),
      intermediates: intermediates(),
      akTpm2bPublic: akA.tpm2bPublic,
      activate: async () => new Uint8Array(32),
    });
    expect(result.checks.filter((c) => !c.ok).map((c) => c.name)).to.deep.equal(["credentialActivated"]);
  });

  it("does not send a challenge when the EK certificate does not chain", async function () {
    let asked = false;
    const result = await enroll({
      ekCertificate: ekCertA,
      roots: [other.caCertPem],
      intermediates: [other.issuerCertPem],
      akTpm2bPublic: akA.tpm2bPublic,
      activate: async () => {
        asked = true;
        return new Uint8Array(32);
      },
    });
    expect(asked).to.equal(false);
    expect(result.checks.filter((c) => !c.ok).map((c) => c.name)).to.deep.equal(["ekCertificateChain", "credentialActivated"]);
  });
});
