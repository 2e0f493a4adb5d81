import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";

/**
 * Provenant's contracts. DatasetRegistry takes no constructor arguments; AttestorRegistry its owner;
 * ModelRegistry both (datasets its edges point to, attestors whose certificates registerAttested accepts).
 */
export default buildModule("Provenant", (m) => {
  const datasetRegistry = m.contract("DatasetRegistry");
  // AttestorRegistry is owned by the deploying account, which enrolls and revokes attestors.
  const attestorRegistry = m.contract("AttestorRegistry", [m.getAccount(0)]);
  const modelRegistry = m.contract("ModelRegistry", [datasetRegistry, attestorRegistry]);
  // Attested evaluations of the model registry's models (it reads both other registries from it).
  const evaluationRegistry = m.contract("EvaluationRegistry", [modelRegistry]);

  return { datasetRegistry, modelRegistry, attestorRegistry, evaluationRegistry };
});
