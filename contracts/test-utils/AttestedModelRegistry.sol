// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {IDatasetRegistry} from "../interfaces/IDatasetRegistry.sol";
import {IAttestorRegistry} from "../interfaces/IAttestorRegistry.sol";
import {ModelRegistry} from "../ModelRegistry.sol";

/// @title Reference wiring of an attested registration (test utility, not deployed)
/// @notice {ModelRegistry} plus the `registerAttested` entry point the attestor tests, the service and the
/// gas report use until the model registry has its own. It shows exactly what the model registry must do:
/// build the lineage from the chain (dataset roots from the dataset registry, parent digests from its own
/// records), have the attestor registry check the certificate's quote against it, then register with
/// provenance Attested. Delete it once `ModelRegistry.registerAttested` exists.
/// @dev Parent digests are read through `this.modelOf` (an external self-call) because the records are private
/// to {ModelRegistry}; the real entry point reads `_models` directly and saves that call.
contract AttestedModelRegistry is ModelRegistry {
    IAttestorRegistry private immutable _attestorRegistry;
    mapping(bytes32 certificateDigest => uint256 id) private _modelOfCertificate;

    /// @notice Certificate `certificateDigest` already registered model `id`.
    error ModelRegistryCertificateUsed(bytes32 certificateDigest, uint256 id);

    constructor(IDatasetRegistry datasetRegistry_, IAttestorRegistry attestorRegistry_) ModelRegistry(datasetRegistry_) {
        _attestorRegistry = attestorRegistry_;
    }

    function attestorRegistry() external view returns (IAttestorRegistry) {
        return _attestorRegistry;
    }

    function modelOfCertificate(bytes32 certificateDigest) external view returns (uint256) {
        return _modelOfCertificate[certificateDigest];
    }

    /// @notice Registers a model whose lineage a training certificate attests, minting it to the caller.
    /// Reverts with the attestor registry's error naming the failed check, or as {register} does.
    function registerAttested(
        RegisterParams calldata p,
        IAttestorRegistry.TrainingEvidence calldata evidence,
        string calldata certificateCid
    ) external returns (uint256 id) {
        uint256 used = _modelOfCertificate[evidence.certificateDigest];
        if (used != 0) revert ModelRegistryCertificateUsed(evidence.certificateDigest, used);

        IAttestorRegistry.TrainingLineage memory lineage;
        lineage.modelRegistry = address(this);
        lineage.registrant = msg.sender;
        lineage.weightsDigest = p.weightsDigest;
        lineage.datasets = new IAttestorRegistry.DatasetInput[](p.datasets.length);
        IDatasetRegistry datasets = this.datasetRegistry();
        for (uint256 i = 0; i < p.datasets.length; i++) {
            uint256 datasetId = p.datasets[i].datasetId;
            lineage.datasets[i] = IAttestorRegistry.DatasetInput({
                datasetId: datasetId,
                role: uint8(p.datasets[i].role),
                root: datasets.datasetOf(datasetId).root
            });
        }
        lineage.parents = new IAttestorRegistry.ParentInput[](p.parents.length);
        for (uint256 i = 0; i < p.parents.length; i++) {
            uint256 modelId = p.parents[i].modelId;
            lineage.parents[i] = IAttestorRegistry.ParentInput({
                modelId: modelId,
                relation: uint8(p.parents[i].relation),
                weightsDigest: this.modelOf(modelId).weightsDigest
            });
        }
        _attestorRegistry.checkTrainingCertificate(lineage, evidence);

        id = _register(p, Provenance.Attested, Certificate(evidence.attestor, evidence.certificateDigest, certificateCid));
        _modelOfCertificate[evidence.certificateDigest] = id;
    }
}
