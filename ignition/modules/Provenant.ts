import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";

/** Provenant's contracts. DatasetRegistry takes no constructor arguments. */
export default buildModule("Provenant", (m) => {
  const datasetRegistry = m.contract("DatasetRegistry");

  return { datasetRegistry };
});
