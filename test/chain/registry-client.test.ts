import { expect } from "chai";
import { Wallet } from "ethers";
import { AttestorRegistryClient } from "../../core/chain/attestor-registry.ts";
import { DatasetRegistryClient } from "../../core/chain/dataset-registry.ts";
import { ModelRegistryClient } from "../../core/chain/model-registry.ts";
import { failure, testChain, type TestChain } from "./helpers.ts";

/** Sends with a fixed gas limit: nothing is estimated, so the node itself refuses the transaction as it is sent. */
class UnestimatedAttestorRegistry extends AttestorRegistryClient {
  revokeUnestimated(attestor: string) {
    return this.transact(`revoke attestor ${attestor}`, () => this.contract.revoke(attestor, { gasLimit: 200_000 }));
  }
}

describe("the chain clients' shared base: where a contract is, and who sends", function () {
  this.timeout(300_000);
  let chain: TestChain;

  before(async function () {
    this.timeout(600_000); // the shared node starts in the first suite's hook
    chain = await testChain();
  });

  it("connects each client at the address the caller's deployment names", async () => {
    const { contracts } = chain.deployment;
    expect((await DatasetRegistryClient.connect(chain.conn)).address).to.equal(contracts.DatasetRegistry!.address);
    expect((await ModelRegistryClient.connect(chain.conn)).address).to.equal(contracts.ModelRegistry!.address);
    expect((await AttestorRegistryClient.connect(chain.conn)).address).to.equal(contracts.AttestorRegistry!.address);
    expect(contracts.DatasetRegistry!.deployedOnBlock).to.be.a("number");
  });

  it("takes an explicit address over the deployment, and refuses one that holds no code", async () => {
    const other = chain.deployment.contracts.DatasetRegistry!.address;
    expect((await AttestorRegistryClient.connect(chain.conn, other)).address).to.equal(other);
    const empty = Wallet.createRandom().address;
    const e = await failure(DatasetRegistryClient.connect(chain.conn, empty));
    expect(e.code).to.equal("CHAIN_NOT_DEPLOYED");
    expect(e.message).to.equal(
      `no DatasetRegistry code at ${empty} on chain 31337: the chain was restarted or not deployed; run npm run chain (or npm run deploy) again`,
    );
  });

  it("connects and reads in one go, the missing code still named first when the deployment points at none", async () => {
    const { client, value } = await DatasetRegistryClient.connectReading(chain.conn, (r) => r.totalMinted());
    expect(client.address).to.equal(chain.deployment.contracts.DatasetRegistry!.address);
    expect(value).to.be.a("bigint");
    const empty = Wallet.createRandom().address;
    const moved = {
      ...chain.deployment,
      contracts: { ...chain.deployment.contracts, DatasetRegistry: { ...chain.deployment.contracts.DatasetRegistry!, address: empty } },
    };
    // The read fails too (an empty answer cannot be decoded); the code check's words are the ones a user needs.
    const e = await failure(DatasetRegistryClient.connectReading({ ...chain.conn, deployment: moved }, (r) => r.storedRecord(1n)));
    expect(e.code).to.equal("CHAIN_NOT_DEPLOYED");
    expect(e.message).to.contain(`no DatasetRegistry code at ${empty}`);
  });

  it("without a deployment from the caller, looks in the generated file, which holds no local chain", async () => {
    const e = await failure(ModelRegistryClient.connect({ chainId: 31337, provider: chain.provider }));
    expect(e.code).to.equal("CHAIN_NOT_DEPLOYED");
    expect(e.message).to.contain("no Provenant deployment for chain 31337");
  });

  it("names a contract the caller's deployment lacks, and where it looked", async () => {
    const { AttestorRegistry: _dropped, ...rest } = chain.deployment.contracts;
    const e = await failure(AttestorRegistryClient.connect({ ...chain.conn, deployment: { ...chain.deployment, contracts: rest } }));
    expect(e.code).to.equal("CHAIN_NOT_DEPLOYED");
    expect(e.message).to.equal(`AttestorRegistry is not deployed on chain 31337 (${chain.deployment.source})`);
  });

  it("names the contract's error for a transaction refused as it is sent, past gas estimation, as for a refused call", async () => {
    const stranger = await chain.provider.getSigner(3);
    const client = new UnestimatedAttestorRegistry(chain.deployment.contracts.AttestorRegistry!.address, stranger, 31337);
    const attestor = Wallet.createRandom().address;
    const e = await failure(client.revokeUnestimated(attestor));
    expect(e.code).to.equal("TX_REVERTED");
    expect(e.message).to.equal(`revoke attestor ${attestor}: the contract refused with OwnableUnauthorizedAccount(${await stranger.getAddress()})`);
  });

  it("withSigner keeps the contract and chain, and sends as that signer", async () => {
    const reader = await DatasetRegistryClient.connect(chain.conn);
    const signer = await chain.provider.getSigner(2);
    const writer = reader.withSigner(signer);
    expect(writer).to.be.instanceOf(DatasetRegistryClient);
    expect([writer.address, writer.chainId]).to.deep.equal([reader.address, reader.chainId]);
    expect(writer.contract.runner).to.equal(signer);
    expect(reader.contract.runner).to.equal(chain.provider);
  });
});
