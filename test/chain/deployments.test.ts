import { expect } from "chai";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { contractAddress } from "../../core/chain/addresses.ts";
import { deployedAddress, nodeDeployment, runtimeDeployment } from "../../core/chain/deployments.ts";
import { generatedDeployment } from "../../core/chain/generated-deployment.ts";
import { readIgnitionDeployment } from "../../core/chain/ignition-record.ts";
import { isProvenantError } from "../../core/errors.ts";
import { ADDRESS, writeIgnitionRecord } from "./ignition-fixture.ts";

function withEnv<T>(vars: Record<string, string | undefined>, run: () => T): T {
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  for (const [k, v] of Object.entries(vars)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  try {
    return run();
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

describe("deployments: the generated file's, or one recorded by Ignition at run time", () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "provenant-deployments-"));
    writeIgnitionRecord(join(dir, "chain-31337"), { DatasetRegistry: 3, ModelRegistry: 4 });
    writeIgnitionRecord(join(dir, "mine"));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("reads a record's addresses and the block each was deployed in", () => {
    const d = readIgnitionDeployment(join(dir, "chain-31337"), 31337);
    expect(d.missing).to.equal(undefined);
    expect(d.contracts).to.deep.equal({
      DatasetRegistry: { address: ADDRESS.DatasetRegistry, deployedOnBlock: 3 },
      ModelRegistry: { address: ADDRESS.ModelRegistry, deployedOnBlock: 4 },
      AttestorRegistry: { address: ADDRESS.AttestorRegistry },
    });
  });

  it("uses chain-<id> for a chain the generated file does not know, and the deployment id the environment names", () => {
    expect(generatedDeployment(31337).missing).to.be.a("string");
    withEnv({ PROVENANT_DEPLOYMENTS: dir, PROVENANT_DEPLOYMENT_ID: undefined }, () => {
      expect(nodeDeployment(31337).source).to.equal(join(dir, "chain-31337", "deployed_addresses.json"));
      expect(deployedAddress(31337, "ModelRegistry")).to.equal(ADDRESS.ModelRegistry);
    });
    withEnv({ PROVENANT_DEPLOYMENTS: dir, PROVENANT_DEPLOYMENT_ID: "mine" }, () => {
      expect(runtimeDeployment(31337)!.source).to.equal(join(dir, "mine", "deployed_addresses.json"));
    });
  });

  it("fails closed on a named deployment with no record: no fallback to another, and the message names the file", () => {
    withEnv({ PROVENANT_DEPLOYMENTS: dir, PROVENANT_DEPLOYMENT_ID: "gone" }, () => {
      const d = nodeDeployment(31337);
      let code = "";
      let message = "";
      try {
        contractAddress(d, "DatasetRegistry");
      } catch (e) {
        if (!isProvenantError(e)) throw e;
        ({ code, message } = e);
      }
      expect(code).to.equal("CHAIN_NOT_DEPLOYED");
      expect(message)
        .to.contain(join(dir, "gone", "deployed_addresses.json"))
        .and.to.contain("is missing");
    });
  });
});
