import { expect } from "chai";
import { attestationFrom, provenanceWords } from "../../core/attestor/attestation.ts";
import { TRUST_LEVELS, describeTrustLevel } from "../../core/attestor/certificate.ts";

const pass = (name: string) => ({ name, ok: true, detail: "fine" });
const fail = (name: string, detail: string) => ({ name, ok: false, detail });

describe("what an attested model's certificate verdict is called", () => {
  it("is verified only when it is ok, every check passed, there were checks, and the attestor is active", () => {
    const ok = { ok: true, checks: [pass("quoteSignature")], trustLevel: "software-tpm-pcr23" };
    expect(attestationFrom(ok).state).to.equal("verified");
    expect(attestationFrom({ ...ok, checks: [] }).state, "no checks").to.equal("failed");
    expect(attestationFrom({ ...ok, checks: [pass("a"), fail("b", "no")] }).state, "a failed check under ok").to.equal("failed");
    expect(attestationFrom({ ...ok, ok: false }).state, "not ok without a failed check").to.equal("failed");
    expect(attestationFrom({ ...ok, attestorRevokedAt: 1_767_312_000 }).state, "revoked, all checks passing").to.equal("revoked");
  });

  it("names a revoked attestor with its revocation time before any other reason, and a missing trust anchor as not checked", () => {
    const revoked = attestationFrom({ ok: false, checks: [fail("attestorRegistered", "revoked")], attestorRevokedAt: 1_767_312_000, rootsConfigured: false });
    expect(revoked).to.deep.include({ state: "revoked", revokedAt: 1_767_312_000 });
    expect(provenanceWords("attested", revoked)).to.include({ attested: false, tone: "bad", badge: "attested by a revoked attestor" });
    expect(provenanceWords("attested", revoked).sentence).to.contain("revoked 2026-01-02T00:00:00Z");
    const noRoots = attestationFrom({ ok: false, checks: [fail("ekChain", "no EK root certificates configured")], rootsConfigured: false });
    expect(noRoots.state).to.equal("unchecked");
    expect(provenanceWords("attested", noRoots)).to.include({ attested: false, tone: "warn" });
    const failed = attestationFrom({ ok: false, checks: [pass("certificateFormat"), fail("pcrReplay", "replayed PCR differs")], rootsConfigured: true });
    expect(provenanceWords("attested", failed).sentence).to.contain("failed verification (pcrReplay: replayed PCR differs)");
  });

  it("never calls a model attested without a verdict, and says what each trust level covers in words", () => {
    expect(provenanceWords("attested", undefined)).to.include({ attested: false, value: "attestation-unchecked" });
    expect(provenanceWords("self-declared", { state: "verified", trustLevel: null, revokedAt: null, reason: null })).to.include({
      attested: false,
      value: "self-declared",
    });
    for (const level of Object.values(TRUST_LEVELS)) {
      expect(describeTrustLevel(level).meaning).to.match(/could have made this certificate for a run that never happened/);
      expect(provenanceWords("attested", { state: "verified", trustLevel: level, revokedAt: null, reason: null }).sentence).to.contain(describeTrustLevel(level).meaning);
    }
  });
});
