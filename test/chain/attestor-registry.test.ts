import { expect } from "chai";
import { createHash, generateKeyPairSync } from "node:crypto";
import { Wallet } from "ethers";
import { AttestorRegistryClient, type AttestorRegistration } from "../../core/chain/attestor-registry.ts";
import type { Hex32 } from "../../core/hex.ts";
import { failure, testChain, type TestChain } from "./helpers.ts";

const hex32 = (s: string) => `0x${createHash("sha256").update(s).digest("hex")}` as Hex32;

/** A registration with a fresh P-256 key, as an enrolled TPM's AK would give. */
function registration(name: string): AttestorRegistration {
  const jwk = generateKeyPairSync("ec", { namedCurve: "P-256" }).publicKey.export({ format: "jwk" });
  const coordinate = (b64: string) => `0x${Buffer.from(b64, "base64url").toString("hex")}` as Hex32;
  return {
    attestor: Wallet.createRandom().address as `0x${string}`,
    akX: coordinate(jwk.x!),
    akY: coordinate(jwk.y!),
    akQualifiedName: hex32(`${name}/qualified-name`),
    ekCertificateHash: hex32(`${name}/ek-certificate`),
    kind: "software",
  };
}

describe("AttestorRegistryClient against a Hardhat node", function () {
  this.timeout(300_000);
  let chain: TestChain;
  let attestors: AttestorRegistryClient;

  before(async function () {
    this.timeout(600_000); // the shared node starts in the first suite's hook
    chain = await testChain();
    attestors = (await AttestorRegistryClient.connect(chain.conn)).withSigner(await chain.provider.getSigner(0));
  });

  it("registers an attestor as the owner, reads it back, and finds it by its AK's qualified name", async () => {
    expect(await attestors.owner()).to.equal(await (await chain.provider.getSigner(0)).getAddress());
    const r = registration("registered");
    expect(await attestors.attestorOf(r.attestor)).to.equal(undefined);
    const sent = await attestors.register(r);
    expect(sent.txHash).to.match(/^0x[0-9a-f]{64}$/);
    const facts = await attestors.attestorOf(r.attestor);
    expect(facts).to.include({ akX: r.akX, akY: r.akY, akQualifiedName: r.akQualifiedName, ekCertificateHash: r.ekCertificateHash, kind: "software", revokedAt: 0 });
    expect(facts!.registeredAt).to.be.above(0);
    expect(await attestors.attestorOfQualifiedName(r.akQualifiedName)).to.equal(r.attestor);
    expect(await attestors.attestorOfQualifiedName(hex32("nobody"))).to.equal(undefined);
  });

  it("revokes once: a second revocation and a registration by another account are refused by name", async () => {
    const r = registration("revoked");
    await attestors.register(r);
    await attestors.revoke(r.attestor);
    expect((await attestors.attestorOf(r.attestor))!.revokedAt).to.be.above(0);
    const again = await failure(attestors.revoke(r.attestor));
    expect(again.code).to.equal("TX_REVERTED");
    expect(again.message).to.match(new RegExp(`^revoke attestor ${r.attestor}: the contract refused with AttestorRegistryAttestorRevoked\\(`));
    const stranger = attestors.withSigner(await chain.provider.getSigner(1));
    const notOwner = await failure(stranger.register(registration("stranger")));
    expect(notOwner.message).to.contain("OwnableUnauthorizedAccount");
  });
});
