// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {IAttestorRegistry} from "./interfaces/IAttestorRegistry.sol";
import {IDatasetRegistry} from "./interfaces/IDatasetRegistry.sol";
import {IEvaluationRegistry} from "./interfaces/IEvaluationRegistry.sol";
import {IModelRegistry} from "./interfaces/IModelRegistry.sol";
import {TpmQuote} from "./libraries/TpmQuote.sol";

/// @title Provenant evaluation registry
/// @notice Attested benchmark results: which model was evaluated on which dataset with which metrics, each under
/// an attestor's evaluation certificate whose quote the attestor registry checked against the chain.
/// @dev The quote is checked by {IAttestorRegistry-checkRunQuote} (attestor active, its trust level: PCR 23 alone
/// or with its approved boot state, signer, nonce, pcrDigest, signature); this contract supplies PCR 23, replayed
/// from events it builds itself. Records
/// are packed into five slots plus the CID; a model's evaluations form a list through each record's `previous`.
contract EvaluationRegistry is IEvaluationRegistry {
    /// @dev A record as stored. Ids fit in 96 bits: both registries count up by one per token, and an id above
    /// that has no token, so it is refused as unknown before it is narrowed.
    struct Stored {
        bytes32 metricsDigest;
        bytes32 certificateDigest;
        address attestor;
        uint96 modelId;
        address registrant;
        uint96 datasetId;
        uint64 registeredAt;
        /// @dev The model's evaluation before this one; 0 for its first.
        uint64 previous;
        string certificateCid;
    }

    /// @dev Event tags: left-aligned ASCII, zero-padded; the first word of every event's preimage. `dataset`,
    /// `code`, `command`, `config` and `environment` are AttestorRegistry's training tags.
    bytes32 internal constant TAG_EVALUATION = bytes32("provenant/evaluation/v1");
    bytes32 internal constant TAG_MODEL = bytes32("provenant/model/v1");
    bytes32 internal constant TAG_DATASET = bytes32("provenant/dataset/v1");
    bytes32 internal constant TAG_CODE = bytes32("provenant/code/v1");
    bytes32 internal constant TAG_COMMAND = bytes32("provenant/command/v1");
    bytes32 internal constant TAG_CONFIG = bytes32("provenant/config/v1");
    bytes32 internal constant TAG_ENVIRONMENT = bytes32("provenant/environment/v1");
    bytes32 internal constant TAG_METRICS = bytes32("provenant/metrics/v1");
    uint256 internal constant EVENT_COUNT = 8;

    IModelRegistry private immutable _modelRegistry;
    IDatasetRegistry private immutable _datasetRegistry;
    IAttestorRegistry private immutable _attestorRegistry;

    mapping(uint256 id => Stored) private _evaluations;
    /// @dev The model's latest evaluation id in the low 128 bits, its evaluation count in the high 128.
    mapping(uint256 modelId => uint256) private _latestOfModel;
    mapping(bytes32 certificateDigest => uint256 id) private _evaluationOfCertificate;
    uint256 private _totalRegistered;

    constructor(IModelRegistry modelRegistry_) {
        if (address(modelRegistry_) == address(0)) revert EvaluationRegistryZeroAddress();
        IDatasetRegistry datasets = modelRegistry_.datasetRegistry();
        IAttestorRegistry attestors = modelRegistry_.attestorRegistry();
        if (address(datasets) == address(0) || address(attestors) == address(0)) revert EvaluationRegistryZeroAddress();
        _modelRegistry = modelRegistry_;
        _datasetRegistry = datasets;
        _attestorRegistry = attestors;
    }

    /// @inheritdoc IEvaluationRegistry
    function modelRegistry() external view returns (IModelRegistry) {
        return _modelRegistry;
    }

    /// @inheritdoc IEvaluationRegistry
    function datasetRegistry() external view returns (IDatasetRegistry) {
        return _datasetRegistry;
    }

    /// @inheritdoc IEvaluationRegistry
    function attestorRegistry() external view returns (IAttestorRegistry) {
        return _attestorRegistry;
    }

    /// @inheritdoc IEvaluationRegistry
    function registerEvaluation(
        EvaluationParams calldata p,
        EvaluationEvidence calldata evidence,
        string calldata certificateCid
    ) external returns (uint256 id) {
        uint256 used = _evaluationOfCertificate[evidence.certificateDigest];
        if (used != 0) revert EvaluationRegistryCertificateUsed(evidence.certificateDigest, used);
        if (bytes(certificateCid).length == 0) revert EvaluationRegistryEmptyCertificateCid();
        _check(p, evidence, msg.sender);

        id = ++_totalRegistered;
        uint256 latest = _latestOfModel[p.modelId];
        Stored storage s = _evaluations[id];
        s.metricsDigest = p.metricsDigest;
        s.certificateDigest = evidence.certificateDigest;
        // Both ids name existing tokens (checked in _check), so they are far below 2^96; ids here count up by one
        // per registration, far below 2^64. None of the casts can truncate.
        s.attestor = evidence.attestor;
        s.modelId = uint96(p.modelId);
        s.registrant = msg.sender;
        s.datasetId = uint96(p.datasetId);
        s.registeredAt = uint64(block.timestamp);
        s.previous = uint64(latest);
        s.certificateCid = certificateCid;
        // The count is below 2^128 for the same reason; it and the id share one word.
        _latestOfModel[p.modelId] = (((latest >> 128) + 1) << 128) | id;
        _evaluationOfCertificate[evidence.certificateDigest] = id;
        emit EvaluationRegistered(
            id,
            p.modelId,
            p.datasetId,
            evidence.attestor,
            msg.sender,
            evidence.certificateDigest,
            p.metricsDigest,
            certificateCid
        );
    }

    /// @inheritdoc IEvaluationRegistry
    function checkEvaluationCertificate(
        EvaluationParams calldata p,
        EvaluationEvidence calldata evidence,
        address registrant
    ) external view returns (bool) {
        _check(p, evidence, registrant);
        return true;
    }

    /// @inheritdoc IEvaluationRegistry
    function evaluationEvents(
        EvaluationParams calldata p,
        EvaluationEvidence calldata evidence,
        address registrant
    ) external view returns (bytes32[] memory events, bytes32 pcr, bytes32 pcrDigest) {
        events = _events(p, evidence, registrant);
        for (uint256 i = 0; i < events.length; i++) pcr = TpmQuote.extend(pcr, events[i]);
        pcrDigest = TpmQuote.singlePcrDigest(pcr);
    }

    /// @inheritdoc IEvaluationRegistry
    function evaluationOf(uint256 id) external view returns (EvaluationRecord memory) {
        Stored storage s = _evaluations[id];
        if (s.registeredAt == 0) revert EvaluationRegistryUnknownEvaluation(id);
        return
            EvaluationRecord({
                modelId: s.modelId,
                datasetId: s.datasetId,
                metricsDigest: s.metricsDigest,
                certificateDigest: s.certificateDigest,
                attestor: s.attestor,
                registrant: s.registrant,
                registeredAt: s.registeredAt,
                certificateCid: s.certificateCid
            });
    }

    /// @inheritdoc IEvaluationRegistry
    function evaluationsOf(uint256 modelId) external view returns (uint256[] memory ids) {
        uint256 packed = _latestOfModel[modelId];
        ids = new uint256[](packed >> 128);
        uint256 id = uint128(packed);
        for (uint256 i = ids.length; i > 0; i--) {
            ids[i - 1] = id;
            id = _evaluations[id].previous;
        }
    }

    /// @inheritdoc IEvaluationRegistry
    function evaluationCountOf(uint256 modelId) external view returns (uint256) {
        return _latestOfModel[modelId] >> 128;
    }

    /// @inheritdoc IEvaluationRegistry
    function evaluationOfCertificate(bytes32 certificateDigest) external view returns (uint256) {
        return _evaluationOfCertificate[certificateDigest];
    }

    /// @inheritdoc IEvaluationRegistry
    function totalRegistered() external view returns (uint256) {
        return _totalRegistered;
    }

    /// @dev The quote check: events from the chain and the evidence, replayed, then AttestorRegistry.checkRunQuote
    /// (a view, so a STATICCALL; it returns true or reverts with the error naming the failed check, which bubbles
    /// up). The trust-level rules are the attestor registry's, the same as for a training certificate.
    function _check(
        EvaluationParams calldata p,
        EvaluationEvidence calldata evidence,
        address registrant
    ) private view {
        bytes32[] memory events = _events(p, evidence, registrant);
        bytes32 pcr = bytes32(0);
        for (uint256 i = 0; i < events.length; i++) pcr = TpmQuote.extend(pcr, events[i]);
        _attestorRegistry.checkRunQuote(
            evidence.attestor,
            evidence.certificateDigest,
            pcr,
            evidence.bootPcrs,
            evidence.attest,
            evidence.r,
            evidence.s
        );
    }

    /// @dev The run's events in extend order, the model's digest and the dataset's root read from the chain.
    function _events(
        EvaluationParams calldata p,
        EvaluationEvidence calldata evidence,
        address registrant
    ) private view returns (bytes32[] memory events) {
        if (p.metricsDigest == bytes32(0)) revert EvaluationRegistryZeroMetricsDigest();
        bytes32 weightsDigest = _weightsDigestOf(p.modelId);
        // Roots are never zero, so zero means no such dataset.
        bytes32 root = p.datasetId > type(uint96).max ? bytes32(0) : _datasetRegistry.rootOf(p.datasetId);
        if (root == bytes32(0)) revert EvaluationRegistryUnknownDataset(p.datasetId);

        events = new bytes32[](EVENT_COUNT);
        events[0] = sha256(
            abi.encode(
                TAG_EVALUATION,
                block.chainid,
                address(_attestorRegistry),
                address(this),
                registrant,
                evidence.attestor,
                evidence.runId
            )
        );
        events[1] = sha256(abi.encode(TAG_MODEL, p.modelId, weightsDigest));
        events[2] = sha256(abi.encode(TAG_DATASET, p.datasetId, uint8(IModelRegistry.DatasetRole.Evaluation), root));
        events[3] = sha256(abi.encode(TAG_CODE, evidence.codeDigest));
        events[4] = sha256(abi.encode(TAG_COMMAND, evidence.commandDigest));
        events[5] = sha256(abi.encode(TAG_CONFIG, evidence.configDigest));
        events[6] = sha256(abi.encode(TAG_ENVIRONMENT, evidence.environmentDigest));
        events[7] = sha256(abi.encode(TAG_METRICS, p.metricsDigest));
    }

    /// @dev The weights digest of model `modelId`, or revert unknown (a registered model's digest is never zero).
    function _weightsDigestOf(uint256 modelId) private view returns (bytes32 digest) {
        digest = modelId > type(uint96).max ? bytes32(0) : _modelRegistry.weightsDigestOf(modelId);
        if (digest == bytes32(0)) revert EvaluationRegistryUnknownModel(modelId);
    }
}
