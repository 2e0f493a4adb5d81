import { expect } from "chai";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { renderAbiModule } from "../../scripts/export-abi.ts";
import { writeIgnitionRecord } from "../chain/ignition-fixture.ts";

describe("scripts/export-abi.ts: ABIs and deployed addresses in one generated file", function () {
  this.timeout(60_000);
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "provenant-export-abi-"));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("keys each network's Ignition record by chain id, with its ABI and deployment block, leaving out local chains and other ids", async () => {
    const deployments = join(dir, "deployments");
    writeIgnitionRecord(join(deployments, "chain-314159"), { DatasetRegistry: 2_500_000 });
    writeIgnitionRecord(join(deployments, "chain-31337"));
    writeIgnitionRecord(join(deployments, "test-run-1"));
    const file = join(dir, "abi.generated.ts");
    writeFileSync(file, renderAbiModule({ deploymentsDir: deployments }));
    const m = await import(pathToFileURL(file).href);
    expect(Object.keys(m.deployedContracts)).to.deep.equal(["314159"]);
    const calibration = m.deployedContracts[314159];
    expect(calibration.DatasetRegistry).to.include({ address: "0x5FbDB2315678afecb367f032d93F642f64180aa3", deployedOnBlock: 2_500_000 });
    expect(calibration.DatasetRegistry.abi).to.equal(m.datasetRegistryAbi);
    expect(calibration.AttestorRegistry.abi).to.equal(m.attestorRegistryAbi);
    expect(calibration.ModelRegistry).to.not.have.property("deployedOnBlock");
  });

  it("writes an empty table when nothing is deployed for good", async () => {
    const file = join(dir, "empty.generated.ts");
    writeFileSync(file, renderAbiModule({ deploymentsDir: join(dir, "none") }));
    expect((await import(pathToFileURL(file).href)).deployedContracts).to.deep.equal({});
  });
});
