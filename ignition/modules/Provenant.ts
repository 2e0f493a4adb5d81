import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";

/** Provenant's contracts. DatasetRegistry takes no constructor arguments; ModelRegistry takes the DatasetRegistry. */
export default buildModule("Provenant", (m) => {
  const datasetRegistry = m.contract("DatasetRegistry");
  const modelRegistry = m.contract("ModelRegistry", [datasetRegistry]);
  // AttestorRegistry is owned by the deploying account, which enrolls and revokes attestors.
  const attestorRegistry = m.contract("AttestorRegistry", [m.getAccount(0)]);

  return { datasetRegistry, modelRegistry, attestorRegistry };
});
