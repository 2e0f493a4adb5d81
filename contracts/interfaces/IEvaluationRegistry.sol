// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {IAttestorRegistry} from "./IAttestorRegistry.sol";
import {IDatasetRegistry} from "./IDatasetRegistry.sol";
import {IModelRegistry} from "./IModelRegistry.sol";

/// @title Provenant evaluation registry
/// @notice Attested evaluations: benchmark results bound to a model's weights and an evaluation dataset. Each
/// evaluation is an attestor's evaluation certificate (docs/formats/evaluation-certificate-v1.md): a TPM quote
/// over a run that measured the model's weights (equal to its on-chain digest), the dataset's files (equal to its
/// on-chain root), the code, command, configuration and environment, and the metrics file the command wrote.
/// The registry recomputes the run's events from the chain, never from the caller, and has the
/// {attestorRegistry} check the quote over them (at the attestor's trust level: with its boot PCRs for an attestor
/// whose boot state the owner approved, as for its training runs); it then records which model was evaluated on which dataset
/// with which metrics (their SHA-256), by which attestor, under which certificate.
/// @dev An evaluation's measurements are extended into PCR 23, from zeros, in this order:
///
///     evaluation, model, dataset, code, command, config, environment, metrics
///
/// Each event digest is `sha256(abi.encode(tag, fields...))` with a 32-byte ASCII tag. `evaluation` binds the
/// chain id, the attestor registry, this registry, the registrant, the attestor and the run id
/// (`provenant/evaluation/v1`); `model` the model id and weights digest (`provenant/model/v1`); `metrics` the
/// metrics file's SHA-256 (`provenant/metrics/v1`). `dataset`, `code`, `command`, `config` and `environment`
/// are the training run's events (IAttestorRegistry), the dataset with role 2 (evaluation). The first event's
/// tag is in no training log and a training run's is in no evaluation log, so a quote of one is never a valid
/// quote of the other. Evaluation ids start at 1 and are never removed; records never change.
interface IEvaluationRegistry {
    /// @notice The on-chain record of one evaluation.
    struct EvaluationRecord {
        /// @notice The evaluated model's id in {modelRegistry}.
        uint256 modelId;
        /// @notice The evaluation dataset's id in {datasetRegistry}.
        uint256 datasetId;
        /// @notice SHA-256 of the metrics file (`provenant-metrics-v1`, docs/formats/metrics-v1.md), as measured.
        bytes32 metricsDigest;
        /// @notice SHA-256 of the evaluation certificate's payload: the quote's nonce.
        bytes32 certificateDigest;
        /// @notice The attestor whose TPM quoted the run.
        address attestor;
        /// @notice The account that registered the evaluation (bound into the run's first event).
        address registrant;
        /// @notice `block.timestamp` of the registration.
        uint64 registeredAt;
        /// @notice IPFS CID of the evaluation certificate (`provenant-evaluation-certificate-v1`).
        string certificateCid;
    }

    /// @notice What an evaluation is about; the rest of its lineage is read from the chain.
    struct EvaluationParams {
        uint256 modelId;
        uint256 datasetId;
        bytes32 metricsDigest;
    }

    /// @notice The certificate's on-chain part: who signed, the certificate digest, the measured values that are
    /// not read from the chain, and the quote.
    struct EvaluationEvidence {
        address attestor;
        /// @notice SHA-256 of the certificate payload (RFC 8785 canonical JSON); the quote's nonce.
        bytes32 certificateDigest;
        /// @notice The run's random id (bound into the first event).
        bytes32 runId;
        bytes32 codeDigest;
        bytes32 commandDigest;
        bytes32 configDigest;
        bytes32 environmentDigest;
        /// @notice The quoted boot PCR values in ascending PCR order, for an attestor at a boot+pcr23 trust level;
        /// empty for a PCR-23-only quote (see IAttestorRegistry.checkRunQuote).
        bytes32[] bootPcrs;
        /// @notice TPMS_ATTEST as the TPM signed it.
        bytes attest;
        /// @notice ECDSA P-256 signature over `sha256(attest)`, `s` in the lower half of the order.
        bytes32 r;
        bytes32 s;
    }

    /// @notice Evaluation `id` of model `modelId` on dataset `datasetId` was registered by `registrant`.
    event EvaluationRegistered(
        uint256 indexed id,
        uint256 indexed modelId,
        uint256 indexed datasetId,
        address attestor,
        address registrant,
        bytes32 certificateDigest,
        bytes32 metricsDigest,
        string certificateCid
    );

    /// @notice The model registry given to the constructor is the zero address, or has no dataset or attestor registry.
    error EvaluationRegistryZeroAddress();
    /// @notice No model has id `modelId`.
    error EvaluationRegistryUnknownModel(uint256 modelId);
    /// @notice No dataset has id `datasetId`.
    error EvaluationRegistryUnknownDataset(uint256 datasetId);
    /// @notice The metrics digest is zero.
    error EvaluationRegistryZeroMetricsDigest();
    /// @notice The certificate's CID is empty: an evaluation must say where its certificate is.
    error EvaluationRegistryEmptyCertificateCid();
    /// @notice Certificate `certificateDigest` already registered evaluation `id`: one certificate, one evaluation.
    error EvaluationRegistryCertificateUsed(bytes32 certificateDigest, uint256 id);
    /// @notice No evaluation has id `id`.
    error EvaluationRegistryUnknownEvaluation(uint256 id);

    /// @notice The model registry whose models are evaluated.
    function modelRegistry() external view returns (IModelRegistry);

    /// @notice The dataset registry whose datasets evaluations run on (the model registry's).
    function datasetRegistry() external view returns (IDatasetRegistry);

    /// @notice The attestor registry that checks the quotes (the model registry's).
    function attestorRegistry() external view returns (IAttestorRegistry);

    /// @notice Registers an attested evaluation, as `msg.sender`.
    /// @dev Reads the model's weights digest from {modelRegistry} and the dataset's root from {datasetRegistry},
    /// recomputes the run's events (see above) with `msg.sender` as registrant, and calls
    /// `attestorRegistry().checkRunQuote` with `evidence.certificateDigest` as nonce, the replayed PCR 23 and
    /// `evidence.bootPcrs`: the attestor is active, its quote covers exactly this model, dataset, metrics and run,
    /// and it is at the attestor's trust level (its approved boot state, once it has one). A refusal
    /// bubbles up as the attestor registry's error naming the failed check (`AttestorRegistry*`, `TpmQuote*`).
    /// Emits {EvaluationRegistered}. Reverts {EvaluationRegistryCertificateUsed},
    /// {EvaluationRegistryEmptyCertificateCid}, {EvaluationRegistryZeroMetricsDigest},
    /// {EvaluationRegistryUnknownModel} or {EvaluationRegistryUnknownDataset} before the quote check.
    /// @param certificateCid IPFS CID of the full certificate, non-empty.
    /// @return id The evaluation's id (at least 1).
    function registerEvaluation(
        EvaluationParams calldata p,
        EvaluationEvidence calldata evidence,
        string calldata certificateCid
    ) external returns (uint256 id);

    /// @notice The check {registerEvaluation} makes, for registrant `registrant`, as a view: true, or the revert
    /// naming the failed check. For verifiers, and for an attestor that certifies without registering.
    function checkEvaluationCertificate(
        EvaluationParams calldata p,
        EvaluationEvidence calldata evidence,
        address registrant
    ) external view returns (bool);

    /// @notice The event digests the check recomputes, in extend order; the final PCR 23; and the pcrDigest a
    /// quote over PCR 23 alone must carry. Reverts like {checkEvaluationCertificate} for an unknown model or dataset.
    function evaluationEvents(
        EvaluationParams calldata p,
        EvaluationEvidence calldata evidence,
        address registrant
    ) external view returns (bytes32[] memory events, bytes32 pcr, bytes32 pcrDigest);

    /// @notice The record of evaluation `id`. Reverts {EvaluationRegistryUnknownEvaluation}.
    function evaluationOf(uint256 id) external view returns (EvaluationRecord memory);

    /// @notice The ids of model `modelId`'s evaluations, oldest first (empty for a model with none, or no model).
    /// @dev Walks a list in storage, one read per evaluation: meant for calls, not for transactions.
    function evaluationsOf(uint256 modelId) external view returns (uint256[] memory ids);

    /// @notice How many evaluations model `modelId` has.
    function evaluationCountOf(uint256 modelId) external view returns (uint256);

    /// @notice The evaluation registered with certificate `certificateDigest`, or 0.
    function evaluationOfCertificate(bytes32 certificateDigest) external view returns (uint256);

    /// @notice Number of evaluations registered so far; also the highest id.
    function totalRegistered() external view returns (uint256);
}
