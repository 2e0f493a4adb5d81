// The golden training certificate (test/attestor/vectors/training-certificate.json, from a real swtpm run;
// regenerate with UPDATE_GOLDEN=1 npx hardhat test mocha test/attestor/e2e.test.ts): verified offline against
// the chain facts it was made with, its digest recomputed from the canonical payload, every field tampered.
import { expect } from "chai";
import { readFileSync } from "node:fs";
import { computeCertificateDigest, environmentDigestOf, secretEnvDigest } from "../../core/attestor/certificate.ts";
import { certificateEvidence } from "../../core/attestor/certificate-onchain.ts";
import { parseCertificate } from "../../core/attestor/certificate-loader.ts";
import { canonicalJson } from "../../core/attestor/canonical-json.ts";
import { replayTrainingPcr, trainingEvents } from "../../core/attestor/pcr-events.ts";
import { CERTIFICATE_CHECKS, verifyTrainingCertificate } from "../../core/attestor/certificate-check.ts";
import { hexToBytes } from "../../core/hex.ts";
import { isLowS, parseAttest } from "../../core/tpm/quote.ts";
import { GOLDEN_PATH, leafTampers } from "./tamper.ts";
import type { GoldenCertificate } from "./tamper.ts";

const golden = JSON.parse(readFileSync(GOLDEN_PATH, "utf8")) as GoldenCertificate;

describe("training certificate v1: golden file", function () {
  it("loads, and every named check passes against the facts it was made with", function () {
    const v = verifyTrainingCertificate({ certificate: golden.certificate, facts: golden.facts, roots: golden.roots });
    expect(v.checks.map((c) => c.name)).to.deep.equal([...CERTIFICATE_CHECKS]);
    for (const c of v.checks) expect(c.ok, `${c.name}: ${c.detail}`).to.equal(true);
  });

  it("has the SHA-256 of the payload's canonical JSON as its digest and as the quote's nonce", function () {
    const c = parseCertificate(golden.certificate);
    expect(computeCertificateDigest(c.payload)).to.equal(c.certificateDigest);
    expect(`0x${Buffer.from(parseAttest(hexToBytes(c.quote.attest)).extraData).toString("hex")}`).to.equal(c.certificateDigest);
    // Key order does not matter, whitespace does not exist.
    const reordered = Object.fromEntries(Object.entries(c.payload).reverse());
    expect(canonicalJson(reordered)).to.equal(canonicalJson(c.payload));
  });

  it("has an event log that is the measurements of its inputs and replays to the quoted PCR 23", function () {
    const c = parseCertificate(golden.certificate);
    const p = c.payload;
    const expected = trainingEvents({
      run: {
        chainId: p.chain.chainId,
        attestorRegistry: p.chain.attestorRegistry,
        modelRegistry: p.chain.modelRegistry,
        registrant: p.run.registrant,
        attestor: p.attestor.address,
        runId: p.run.id,
      },
      datasets: p.inputs.datasets,
      parents: p.inputs.parents,
      codeDigest: p.inputs.code.digest,
      commandDigest: p.inputs.command.digest,
      configDigest: p.inputs.config.digest,
      environmentDigest: p.inputs.environment.digest,
      outputDigest: p.outputs.weightsDigest,
    });
    expect(p.eventLog.map((e) => [e.type, e.digest])).to.deep.equal(expected.map((e) => [e.type, e.digest]));
    expect(p.eventLog.map((e) => e.type)).to.deep.equal(["run", "dataset", "parent", "code", "command", "config", "environment", "output"]);
    const quote = parseAttest(hexToBytes(c.quote.attest));
    expect(Buffer.from(quote.pcrDigest).toString("hex")).to.equal(replayTrainingPcr(p.eventLog).pcrDigest);
  });

  it("submits a low-s signature on-chain whatever s the TPM produced", function () {
    expect(isLowS(hexToBytes(certificateEvidence(parseCertificate(golden.certificate)).s))).to.equal(true);
  });

  it("refuses every tamper of every field", function () {
    const tampers = leafTampers(golden.certificate);
    for (const t of tampers) {
      const v = verifyTrainingCertificate({ certificate: t.value, facts: golden.facts, roots: golden.roots });
      expect(v.ok, `tamper ${t.path} was accepted`).to.equal(false);
    }
  });

  it("keeps accepted skips inside the signed payload: added to a real certificate they break its digest; malformed, it does not load", function () {
    const withSkips = structuredClone(golden.certificate) as { payload: { inputs: { datasets: Record<string, unknown>[] } } };
    withSkips.payload.inputs.datasets[0]!.acceptedSkips = [{ path: "outside", reason: "symlink" }];
    const parsed = parseCertificate(withSkips);
    expect(parsed.payload.inputs.datasets[0]!.acceptedSkips).to.deep.equal([{ path: "outside", reason: "symlink" }]);
    const v = verifyTrainingCertificate({ certificate: withSkips, facts: golden.facts, roots: golden.roots });
    expect(v.checks.filter((c) => !c.ok).map((c) => c.name)).to.include("certificateDigest");
    for (const bad of [[], [{ path: "x", reason: "secret" }], [{ path: "100%", reason: "hidden" }], [{ path: "x" }], [{ path: "x", reason: "fifo", extra: 1 }]]) {
      withSkips.payload.inputs.datasets[0]!.acceptedSkips = bad;
      expect(() => parseCertificate(withSkips), JSON.stringify(bad)).to.throw(/acceptedSkips/);
    }
  });

  it("fails closed without roots, with a revoked attestor, another chain, or a model record that is not this one", function () {
    const base = { certificate: golden.certificate, roots: golden.roots };
    const failed = (v: ReturnType<typeof verifyTrainingCertificate>) => v.checks.filter((c) => !c.ok).map((c) => c.name);
    expect(failed(verifyTrainingCertificate({ ...base, roots: [], facts: golden.facts }))).to.include("ekChain");
    expect(failed(verifyTrainingCertificate({ ...base, facts: { ...golden.facts, attestor: { ...golden.facts.attestor!, revokedAt: 1 } } }))).to.deep.equal([
      "attestorRegistered",
    ]);
    expect(failed(verifyTrainingCertificate({ ...base, facts: { ...golden.facts, attestor: undefined } }))).to.include("attestorRegistered");
    // An attestor whose boot state the owner approved: a PCR-23-only certificate is below its level.
    expect(failed(verifyTrainingCertificate({ ...base, facts: { ...golden.facts, attestor: { ...golden.facts.attestor!, bootStateRequired: true } } }))).to.deep.equal([
      "trustLevel",
    ]);
    expect(failed(verifyTrainingCertificate({ ...base, facts: { ...golden.facts, chainId: 314 } }))).to.deep.equal(["chain"]);
    const root = Object.keys(golden.facts.datasetRoots)[0]!;
    expect(failed(verifyTrainingCertificate({ ...base, facts: { ...golden.facts, datasetRoots: { [root]: `0x${"11".repeat(32)}` } } }))).to.deep.equal(["datasetRoots"]);
    const parent = Object.keys(golden.facts.parentDigests)[0]!;
    expect(failed(verifyTrainingCertificate({ ...base, facts: { ...golden.facts, parentDigests: { [parent]: `0x${"22".repeat(32)}` } } }))).to.deep.equal([
      "parentDigests",
    ]);
    const model = golden.facts.model!;
    expect(failed(verifyTrainingCertificate({ ...base, facts: { ...golden.facts, model: { ...model, weightsDigest: `0x${"33".repeat(32)}` } } }))).to.deep.equal([
      "outputDigest",
    ]);
    expect(failed(verifyTrainingCertificate({ ...base, facts: { ...golden.facts, model: { ...model, provenance: "self-declared" } } }))).to.deep.equal(["modelRecord"]);
    expect(failed(verifyTrainingCertificate({ ...base, facts: { ...golden.facts, model: { ...model, datasets: [] } } }))).to.deep.equal(["modelRecord"]);
    expect(failed(verifyTrainingCertificate({ ...base, facts: { ...golden.facts, model: undefined } }))).to.deep.equal(["outputDigest", "modelRecord"]);
  });

  it("loads secret variables (name, salt, salted hash) and binds them into the environment digest and the event log", function () {
    const salt = "ab".repeat(32);
    const withSecret = (secrets: unknown) => {
      const c = structuredClone(golden.certificate) as unknown as { payload: { inputs: { environment: Record<string, unknown> } } };
      c.payload.inputs.environment.secrets = secrets;
      return c;
    };
    const good = { HF_TOKEN: { salt, sha256: secretEnvDigest(salt, "hf_x") } };
    const loaded = parseCertificate(withSecret(good)).payload.inputs.environment;
    expect(loaded.secrets).to.deep.equal(good);
    // Its environment digest covers the secret, so the golden event log (measured without it) no longer matches.
    expect(environmentDigestOf(loaded)).to.not.equal(golden.certificate.payload.inputs.environment.digest);
    const v = verifyTrainingCertificate({ certificate: withSecret(good), facts: golden.facts, roots: golden.roots });
    expect(v.checks.find((c) => c.name === "eventLog")!.ok).to.equal(false);
    // One form only, and never a second copy of a variable.
    for (const bad of [
      {},
      { HF_TOKEN: { salt: "ab", sha256: good.HF_TOKEN.sha256 } },
      { HF_TOKEN: { salt, sha256: good.HF_TOKEN.sha256, value: "hf_x" } },
      { HF_TOKEN: "hf_x" },
      { "A=B": good.HF_TOKEN },
      { PATH: good.HF_TOKEN },
      "hf_x",
    ]) {
      expect(() => parseCertificate(withSecret(bad)), JSON.stringify(bad)).to.throw(/payload\.inputs\.environment\.secrets/);
    }
  });

  it("refuses a command that ran longer than the TPM clock advanced between the quotes", function () {
    const c = structuredClone(golden.certificate);
    c.payload.run.durationMs = 10 ** 9;
    const v = verifyTrainingCertificate({ certificate: c, facts: golden.facts, roots: golden.roots });
    expect(v.checks.find((x) => x.name === "clock")!.ok).to.equal(false);
  });
});
