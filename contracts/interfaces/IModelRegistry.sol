// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {IERC721Metadata} from "@openzeppelin/contracts/token/ERC721/extensions/IERC721Metadata.sol";
import {IAttestorRegistry} from "./IAttestorRegistry.sol";
import {IDatasetRegistry} from "./IDatasetRegistry.sol";

/// @title Provenant model registry
/// @notice Each token is one model: the digest of its weights (the root of its `provenant-model-v1`
/// manifest, docs/formats/model-manifest-v1.md), the manifest's CID, a license, and its lineage: the
/// models it was derived from (parents, each with a relation) and the datasets it used (each with a role).
/// @dev Token ids start at 1 and are never burned, so a model id is known iff `1 <= id <= totalRegistered()`.
/// Records and edges are written once, at registration, and never change. An edge may only point to a
/// token that already exists when the edge is written; a model's own id does not exist until it is
/// registered, so an edge can never point to the model itself or to any later model, and the lineage
/// graph is acyclic by construction (every parent id is lower than its child's id).
/// `tokenURI(id)` is `"ipfs://" ++ manifestCid`, the CID rebuilt on read from its stored digest.
/// A model is registered either self-declared ({register}: the registrant alone vouches for its lineage) or
/// attested ({registerAttested}: a training certificate whose TPM quote the {attestorRegistry} checks against
/// the lineage as this registry reads it from the chain; see docs/attestor.md).
interface IModelRegistry is IERC721Metadata {
    /// @notice How a model derives from a parent model: Hugging Face's `base_model_relation` values.
    enum ParentRelation {
        Finetune,
        Adapter,
        Merge,
        Quantized,
        Distillation
    }

    /// @notice What a model used a dataset for.
    enum DatasetRole {
        Training,
        FineTuning,
        Evaluation
    }

    /// @notice Who vouches for a model's lineage: its registrant alone, or an attestor's training certificate.
    enum Provenance {
        SelfDeclared,
        Attested
    }

    /// @notice A lineage edge to a parent model.
    struct ParentEdge {
        /// @notice The parent's model id (lower than the child's).
        uint256 modelId;
        ParentRelation relation;
    }

    /// @notice A lineage edge to a dataset of the dataset registry.
    struct DatasetEdge {
        /// @notice The dataset's id in {datasetRegistry}.
        uint256 datasetId;
        DatasetRole role;
    }

    /// @notice The on-chain record of one model, as {modelOf} returns it. Written once at registration, never
    /// changed.
    /// @dev Storage keeps four slots at most (weights digest | registrant, time, provenance, counts, codec |
    /// manifest digest | certificate digest, unwritten for a self-declared model), plus the registration
    /// block beside the id in the (registrant, digest) index and the attestor beside the id in the
    /// certificate index. The license and the
    /// certificate CID are in the {ModelRegistered} event at block `registrationBlock`, not in storage.
    struct ModelRecord {
        /// @notice Root of the model manifest over the weight files (never zero).
        bytes32 weightsDigest;
        /// @notice `block.timestamp` of the registration.
        uint64 registeredAt;
        /// @notice {Provenance-SelfDeclared} for {register}; {Provenance-Attested} for {registerAttested}.
        Provenance provenance;
        /// @notice Number of parent edges ({parentsOf}).
        uint8 parentCount;
        /// @notice Number of dataset edges ({datasetsOf}).
        uint8 datasetCount;
        /// @notice The account that registered the model (the token may have moved since).
        address registrant;
        /// @notice The attestor that signed the training certificate; zero when self-declared.
        address attestor;
        /// @notice Digest of the training certificate; zero when self-declared.
        bytes32 certificateDigest;
        /// @notice The block of the registration, where its {ModelRegistered} event is.
        uint64 registrationBlock;
        /// @notice IPFS CID of the model manifest: CIDv1, base32, raw or dag-pb codec, sha2-256.
        string manifestCid;
    }

    /// @notice Arguments of {register} and {registerAttested}.
    struct RegisterParams {
        bytes32 weightsDigest;
        /// @notice Binary CIDv1 of the model manifest: 0x01, codec 0x55 (raw) or 0x70 (dag-pb), 0x12 0x20
        /// (sha2-256, 32 bytes), then the 32-byte digest.
        bytes manifestCid;
        /// @notice License identifier of the model, e.g. an SPDX id (may be empty). Event only.
        string license;
        /// @notice Parent models, each at most once.
        ParentEdge[] parents;
        /// @notice Datasets, each (dataset, role) pair at most once.
        DatasetEdge[] datasets;
    }

    /// @notice Model `id` was registered by `registrant`. Its edges follow as {ParentLinked} and {DatasetLinked}.
    /// The only on-chain copy of `license` and `certificateCid` (empty when self-declared); `manifestCid` is
    /// binary, as registered ({RegisterParams}).
    event ModelRegistered(
        uint256 indexed id,
        address indexed registrant,
        bytes32 indexed weightsDigest,
        Provenance provenance,
        bytes manifestCid,
        string license,
        string certificateCid
    );

    /// @notice Model `id` derives from model `parentId` by `relation`. Filter on `parentId` to find children.
    event ParentLinked(uint256 indexed id, uint256 indexed parentId, ParentRelation relation);

    /// @notice Model `id` used dataset `datasetId` as `role`. Filter on `datasetId` to find every model that used it.
    event DatasetLinked(uint256 indexed id, uint256 indexed datasetId, DatasetRole role);

    /// @notice No model has id `id`.
    error ModelRegistryUnknownToken(uint256 id);
    /// @notice The dataset registry given to the constructor is the zero address.
    error ModelRegistryZeroDatasetRegistry();
    /// @notice The attestor registry given to the constructor is the zero address.
    error ModelRegistryZeroAttestorRegistry();
    /// @notice The weights digest to register is zero.
    error ModelRegistryZeroWeightsDigest();
    /// @notice The manifest CID to register is not a binary CIDv1 with codec raw or dag-pb and a sha2-256
    /// digest (36 bytes).
    error ModelRegistryUnsupportedManifestCid();
    /// @notice The registration has `count` edges (parents plus datasets), more than `max`.
    error ModelRegistryTooManyEdges(uint256 count, uint256 max);
    /// @notice Parent `modelId` is not a registered model (zero, the model itself, or a later id).
    error ModelRegistryUnknownParent(uint256 modelId);
    /// @notice Parent `modelId` is listed more than once.
    error ModelRegistryDuplicateParent(uint256 modelId);
    /// @notice Dataset `datasetId` does not exist in the dataset registry.
    error ModelRegistryUnknownDataset(uint256 datasetId);
    /// @notice The pair (`datasetId`, `role`) is listed more than once.
    error ModelRegistryDuplicateDataset(uint256 datasetId, DatasetRole role);
    /// @notice Training certificate `certificateDigest` already registered model `id`: one certificate, one model.
    error ModelRegistryCertificateUsed(bytes32 certificateDigest, uint256 id);
    /// @notice The training certificate's CID is empty: an attested model must say where its certificate is.
    error ModelRegistryEmptyCertificateCid();

    /// @notice The most edges (parents plus datasets) one model may have.
    function MAX_EDGES() external view returns (uint256);

    /// @notice The dataset registry whose tokens dataset edges point to.
    function datasetRegistry() external view returns (IDatasetRegistry);

    /// @notice The attestor registry that checks the training certificates of {registerAttested}.
    function attestorRegistry() external view returns (IAttestorRegistry);

    /// @notice Registers a self-declared model and mints its token to the caller, or returns the caller's
    /// existing token for `p.weightsDigest`.
    /// @dev Idempotent per (caller, weights digest): if the caller already registered `p.weightsDigest`,
    /// returns that id without registering, emitting or checking anything else. Otherwise validates `p` and
    /// mints id `totalRegistered() + 1` with provenance {Provenance-SelfDeclared}, emitting
    /// {IERC721-Transfer}, {ModelRegistered}, then one {ParentLinked} per parent and one {DatasetLinked} per
    /// dataset, in the order given. Reverts {ModelRegistryZeroWeightsDigest}, {ModelRegistryUnsupportedManifestCid},
    /// {ModelRegistryTooManyEdges}, {ModelRegistryUnknownParent}, {ModelRegistryDuplicateParent},
    /// {ModelRegistryUnknownDataset} or {ModelRegistryDuplicateDataset}.
    /// @param p The record and edges to register.
    /// @return id The model's token id (at least 1).
    function register(RegisterParams calldata p) external returns (uint256 id);

    /// @notice Registers a model whose training a TPM attestor certified, with provenance
    /// {Provenance-Attested} and the certificate's attestor, digest and CID, and mints its token to the caller.
    /// @dev Builds the lineage the certificate must cover from the chain, never from the caller: this registry,
    /// `msg.sender` as registrant, `p.weightsDigest` as output, `p.datasets` in order with each root read from
    /// {datasetRegistry} (`rootOf`), `p.parents` in order with each weights digest read from this registry's
    /// records. Then `attestorRegistry().checkTrainingCertificate(lineage, evidence)`: the attestor is active
    /// and its quote, whose nonce is `evidence.certificateDigest`, covers exactly that lineage; a refusal
    /// bubbles up as the attestor registry's error naming the failed check (`AttestorRegistry*`, `TpmQuote*`).
    /// Then registers as {register} does, with the same validation, events and id.
    /// Not idempotent: each certificate registers once ({ModelRegistryCertificateUsed}), and a registrant that
    /// registered `p.weightsDigest` before (self-declared, or under another certificate) gets a new token, which
    /// {tokenOfRegistrantDigest} then names.
    /// Reverts {ModelRegistryCertificateUsed}, {ModelRegistryEmptyCertificateCid}, {ModelRegistryTooManyEdges},
    /// {ModelRegistryUnknownDataset} or {ModelRegistryUnknownParent} before the certificate check; the attestor
    /// registry's errors; then the errors of {register}.
    /// @param p The record and edges to register; the edges are the lineage the certificate must cover.
    /// @param evidence The certificate's on-chain part: attestor, certificate digest, measured digests, quote.
    /// @param certificateCid IPFS CID of the full certificate (`provenant-training-certificate-v1`), non-empty.
    /// @return id The model's token id.
    function registerAttested(
        RegisterParams calldata p,
        IAttestorRegistry.TrainingEvidence calldata evidence,
        string calldata certificateCid
    ) external returns (uint256 id);

    /// @notice The record of model `id`. Reverts {ModelRegistryUnknownToken} for an unknown id.
    function modelOf(uint256 id) external view returns (ModelRecord memory);

    /// @notice The weights digest of model `id`, or zero if there is none (a registered digest is never zero).
    /// @dev One storage read: what a contract binding a model needs (the evaluation registry), without copying the
    /// whole record as {modelOf} does.
    function weightsDigestOf(uint256 id) external view returns (bytes32);

    /// @notice The parent edges of model `id`, in registration order. Reverts {ModelRegistryUnknownToken}.
    function parentsOf(uint256 id) external view returns (ParentEdge[] memory);

    /// @notice The dataset edges of model `id`, in registration order. Reverts {ModelRegistryUnknownToken}.
    function datasetsOf(uint256 id) external view returns (DatasetEdge[] memory);

    /// @notice The model registered with training certificate `certificateDigest`, or 0 if there is none.
    function modelOfCertificate(bytes32 certificateDigest) external view returns (uint256);

    /// @notice The id of the model `registrant` registered with `weightsDigest` (the latest, when an attested
    /// registration repeated the digest), or 0 if there is none.
    function tokenOfRegistrantDigest(address registrant, bytes32 weightsDigest) external view returns (uint256);

    /// @notice Number of models registered so far; also the highest id.
    function totalRegistered() external view returns (uint256);
}
