// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {ERC721} from "@openzeppelin/contracts/token/ERC721/ERC721.sol";
import {IERC165} from "@openzeppelin/contracts/utils/introspection/IERC165.sol";
import {IERC721Metadata} from "@openzeppelin/contracts/token/ERC721/extensions/IERC721Metadata.sol";
import {IAttestorRegistry} from "./interfaces/IAttestorRegistry.sol";
import {IDatasetRegistry} from "./interfaces/IDatasetRegistry.sol";
import {IModelRegistry} from "./interfaces/IModelRegistry.sol";
import {FirstOwnerERC721} from "./tokens/FirstOwnerERC721.sol";
import {CidV1} from "./libraries/CidV1.sol";

/// @title Provenant model registry
/// @notice ERC-721 "Provenant Model" (PVML): one token per model, holding an immutable record of its weights
/// digest and manifest, and its lineage edges to earlier models and to datasets of a {DatasetRegistry}.
/// @dev Tokens are never burned and records are never written after registration, so
/// `_models[id].weightsDigest != 0` is the existence test. Edges are checked against counters, not records:
/// a parent must have an id in `1.._totalRegistered` (read before the new id is taken), a dataset an id in
/// `1..totalMinted()` of the dataset registry (whose ids are never burned either).
/// Edges are packed three to a storage word (see {_edgeWords}), parents first, then datasets; their counts
/// live in the record's second slot.
/// Two entry points share {_register}: {register} (self-declared) and {registerAttested}, which first has the
/// attestor registry check a training certificate against the lineage built from the chain.
contract ModelRegistry is FirstOwnerERC721, IModelRegistry {
    /// @dev The training certificate behind an attested registration; all zero for a self-declared one.
    struct Certificate {
        address attestor;
        bytes32 digest;
        string cid;
    }

    /// @dev What storage keeps of a record (see {ModelRecord}): the strings live in {ModelRegistered}.
    struct StoredModel {
        bytes32 weightsDigest;
        address registrant;
        uint64 registeredAt;
        Provenance provenance;
        uint8 parentCount;
        uint8 datasetCount;
        uint8 manifestCodec;
        bytes32 manifestDigest;
        bytes32 certificateDigest;
    }

    /// @dev A (registrant, digest) index entry holds the id in its low 64 bits and the registration block above.
    uint256 private constant _BLOCK_SHIFT = 64;
    /// @dev A certificate index entry holds the id in its low 64 bits and the attestor above them.
    uint256 private constant _ATTESTOR_SHIFT = 64;

    /// @dev An edge is `id << 8 | kind` (relation or role) in 80 bits; three fit in a word.
    uint256 private constant EDGE_BITS = 80;
    uint256 private constant EDGES_PER_WORD = 3;
    uint256 private constant EDGE_MASK = (1 << EDGE_BITS) - 1;
    /// @dev The largest id an edge can hold (2^72 - 1). Ids count up by one per registration or mint.
    uint256 private constant MAX_EDGE_ID = (1 << (EDGE_BITS - 8)) - 1;

    /// @inheritdoc IModelRegistry
    uint256 public constant MAX_EDGES = 32;

    IDatasetRegistry private immutable _datasetRegistry;
    IAttestorRegistry private immutable _attestorRegistry;

    mapping(uint256 id => StoredModel) private _models;
    /// @dev Edge `i` of model `id` (parents `0..parentCount-1`, then datasets) is bits `[80 * (i % 3), +80)`
    /// of `_edgeWords[id][i / 3]`.
    mapping(uint256 id => mapping(uint256 word => uint256)) private _edgeWords;
    mapping(address registrant => mapping(bytes32 weightsDigest => uint256 idAndBlock))
        private _tokenOfRegistrantDigest;
    /// @dev The id (low 64 bits) and, above it, the attestor that signed the certificate: the attestor is
    /// read from here, so an attested record needs no slot of its own for it.
    mapping(bytes32 certificateDigest => uint256 idAndAttestor) private _modelOfCertificate;
    uint256 private _totalRegistered;

    constructor(
        IDatasetRegistry datasetRegistry_,
        IAttestorRegistry attestorRegistry_
    ) ERC721("Provenant Model", "PVML") {
        if (address(datasetRegistry_) == address(0)) revert ModelRegistryZeroDatasetRegistry();
        if (address(attestorRegistry_) == address(0)) revert ModelRegistryZeroAttestorRegistry();
        _datasetRegistry = datasetRegistry_;
        _attestorRegistry = attestorRegistry_;
    }

    /// @inheritdoc IModelRegistry
    function datasetRegistry() external view returns (IDatasetRegistry) {
        return _datasetRegistry;
    }

    /// @inheritdoc IModelRegistry
    function attestorRegistry() external view returns (IAttestorRegistry) {
        return _attestorRegistry;
    }

    /// @inheritdoc IModelRegistry
    function register(RegisterParams calldata p) external returns (uint256 id) {
        id = uint64(_tokenOfRegistrantDigest[msg.sender][p.weightsDigest]);
        if (id != 0) return id;
        return _register(p, Provenance.SelfDeclared, Certificate(address(0), bytes32(0), ""));
    }

    /// @inheritdoc IModelRegistry
    function registerAttested(
        RegisterParams calldata p,
        IAttestorRegistry.TrainingEvidence calldata evidence,
        string calldata certificateCid
    ) external returns (uint256 id) {
        uint256 used = uint64(_modelOfCertificate[evidence.certificateDigest]);
        if (used != 0) revert ModelRegistryCertificateUsed(evidence.certificateDigest, used);
        if (bytes(certificateCid).length == 0) revert ModelRegistryEmptyCertificateCid();
        // A view, so a STATICCALL: it cannot call back into this registry with state changes. It returns true
        // or reverts with the error naming the failed check, which bubbles up unchanged.
        _attestorRegistry.checkTrainingCertificate(_trainingLineage(p), evidence);
        id = _register(
            p,
            Provenance.Attested,
            Certificate(evidence.attestor, evidence.certificateDigest, certificateCid)
        );
        _modelOfCertificate[evidence.certificateDigest] = id | (uint256(uint160(evidence.attestor)) << _ATTESTOR_SHIFT);
    }

    /// @inheritdoc IModelRegistry
    function modelOf(uint256 id) external view returns (ModelRecord memory) {
        StoredModel storage m = _requireModel(id);
        return
            ModelRecord({
                weightsDigest: m.weightsDigest,
                registeredAt: m.registeredAt,
                provenance: m.provenance,
                parentCount: m.parentCount,
                datasetCount: m.datasetCount,
                registrant: m.registrant,
                attestor: address(uint160(_modelOfCertificate[m.certificateDigest] >> _ATTESTOR_SHIFT)),
                certificateDigest: m.certificateDigest,
                registrationBlock: uint64(_tokenOfRegistrantDigest[m.registrant][m.weightsDigest] >> _BLOCK_SHIFT),
                manifestCid: CidV1.toText(m.manifestCodec, m.manifestDigest)
            });
    }

    /// @inheritdoc IModelRegistry
    function weightsDigestOf(uint256 id) external view returns (bytes32) {
        return _models[id].weightsDigest;
    }

    /// @inheritdoc IModelRegistry
    function parentsOf(uint256 id) external view returns (ParentEdge[] memory edges) {
        edges = new ParentEdge[](_requireModel(id).parentCount);
        for (uint256 i = 0; i < edges.length; i++) {
            (uint256 target, uint8 kind) = _edge(id, i);
            edges[i] = ParentEdge({modelId: target, relation: ParentRelation(kind)});
        }
    }

    /// @inheritdoc IModelRegistry
    function datasetsOf(uint256 id) external view returns (DatasetEdge[] memory edges) {
        StoredModel storage model = _requireModel(id);
        uint256 first = model.parentCount;
        edges = new DatasetEdge[](model.datasetCount);
        for (uint256 i = 0; i < edges.length; i++) {
            (uint256 target, uint8 kind) = _edge(id, first + i);
            edges[i] = DatasetEdge({datasetId: target, role: DatasetRole(kind)});
        }
    }

    /// @inheritdoc IModelRegistry
    function modelOfCertificate(bytes32 certificateDigest) external view returns (uint256) {
        return uint64(_modelOfCertificate[certificateDigest]);
    }

    /// @inheritdoc IModelRegistry
    function tokenOfRegistrantDigest(address registrant, bytes32 weightsDigest) external view returns (uint256) {
        return uint64(_tokenOfRegistrantDigest[registrant][weightsDigest]);
    }

    /// @inheritdoc IModelRegistry
    function totalRegistered() external view returns (uint256) {
        return _totalRegistered;
    }

    /// @inheritdoc IERC721Metadata
    /// @dev `"ipfs://" ++ manifestCid`. Reverts {ModelRegistryUnknownToken} for an unknown id.
    function tokenURI(uint256 tokenId) public view override(ERC721, IERC721Metadata) returns (string memory) {
        StoredModel storage m = _requireModel(tokenId);
        return string.concat("ipfs://", CidV1.toText(m.manifestCodec, m.manifestDigest));
    }

    /// @inheritdoc IERC165
    function supportsInterface(bytes4 interfaceId) public view override(ERC721, IERC165) returns (bool) {
        return interfaceId == type(IModelRegistry).interfaceId || super.supportsInterface(interfaceId);
    }

    /// @dev Validates `p`, writes the record and its edges, mints the token to the caller and emits the events
    /// of {register}. `provenance` and `certificate` come from the entry point: {register} passes
    /// {Provenance-SelfDeclared} and an empty certificate, {registerAttested} {Provenance-Attested} and the
    /// certificate it had checked.
    function _register(
        RegisterParams calldata p,
        Provenance provenance,
        Certificate memory certificate
    ) internal returns (uint256 id) {
        if (p.weightsDigest == bytes32(0)) revert ModelRegistryZeroWeightsDigest();
        if (p.parents.length + p.datasets.length > MAX_EDGES) {
            revert ModelRegistryTooManyEdges(p.parents.length + p.datasets.length, MAX_EDGES);
        }
        // The only external call, a view, made before any state changes; skipped when there is no dataset edge.
        uint256 datasetCount = p.datasets.length == 0 ? 0 : _datasetRegistry.totalMinted();

        // Parents are checked against the count before this model takes its id: the model itself and any
        // later id are unknown, which is what keeps the lineage acyclic.
        uint256 known = _totalRegistered;
        id = known + 1;
        _totalRegistered = id;
        _writeRecord(id, p, provenance, certificate);
        // Ids count registrations and block numbers count blocks: neither reaches 2^64, so they cannot overlap.
        _tokenOfRegistrantDigest[msg.sender][p.weightsDigest] = id | (block.number << _BLOCK_SHIFT);

        // Not _safeMint: the token goes to the caller itself, and no callback can run mid-registration.
        _mintToFirstOwner(msg.sender, id);
        emit ModelRegistered(id, msg.sender, p.weightsDigest, provenance, p.manifestCid, p.license, certificate.cid);
        _writeEdges(id, known, datasetCount, p.parents, p.datasets);
    }

    /// @dev The registrant owns a model until its first transfer.
    function _firstOwner(uint256 tokenId) internal view override returns (address) {
        return _models[tokenId].registrant;
    }

    /// @dev The lineage a training certificate must cover for registration `p` by the caller, read from the chain:
    /// dataset roots from the dataset registry, parent digests from this registry's records, in the order of `p`.
    /// An unknown dataset or parent reverts here with the error {_register} would give, rather than reaching the
    /// certificate check as a zero root or digest; so does a registration with too many edges.
    function _trainingLineage(
        RegisterParams calldata p
    ) private view returns (IAttestorRegistry.TrainingLineage memory lineage) {
        uint256 edges = p.parents.length + p.datasets.length;
        if (edges > MAX_EDGES) revert ModelRegistryTooManyEdges(edges, MAX_EDGES);
        lineage.modelRegistry = address(this);
        lineage.registrant = msg.sender;
        lineage.weightsDigest = p.weightsDigest;
        lineage.datasets = new IAttestorRegistry.DatasetInput[](p.datasets.length);
        for (uint256 i = 0; i < p.datasets.length; i++) {
            DatasetEdge calldata edge = p.datasets[i];
            // Roots are never zero, so zero means no such dataset.
            bytes32 root = _datasetRegistry.rootOf(edge.datasetId);
            if (root == bytes32(0)) revert ModelRegistryUnknownDataset(edge.datasetId);
            lineage.datasets[i] = IAttestorRegistry.DatasetInput({
                datasetId: edge.datasetId,
                role: uint8(edge.role),
                root: root
            });
        }
        lineage.parents = new IAttestorRegistry.ParentInput[](p.parents.length);
        for (uint256 i = 0; i < p.parents.length; i++) {
            ParentEdge calldata edge = p.parents[i];
            // Records exist exactly for ids 1.._totalRegistered and their digests are never zero.
            bytes32 digest = _models[edge.modelId].weightsDigest;
            if (digest == bytes32(0)) revert ModelRegistryUnknownParent(edge.modelId);
            lineage.parents[i] = IAttestorRegistry.ParentInput({
                modelId: edge.modelId,
                relation: uint8(edge.relation),
                weightsDigest: digest
            });
        }
    }

    /// @dev Writes the record of the new model `id`, or revert {ModelRegistryUnsupportedManifestCid}. Empty
    /// certificate fields are not written, so a self-declared registration pays nothing for them.
    function _writeRecord(
        uint256 id,
        RegisterParams calldata p,
        Provenance provenance,
        Certificate memory certificate
    ) private {
        (bool ok, uint8 codec, bytes32 digest) = CidV1.decode(p.manifestCid);
        if (!ok) revert ModelRegistryUnsupportedManifestCid();
        StoredModel storage record = _models[id];
        record.weightsDigest = p.weightsDigest;
        // A uint64 of seconds lasts until the year 584,942,419,325; the cast cannot truncate.
        record.registeredAt = uint64(block.timestamp);
        record.provenance = provenance;
        // Both counts are at most MAX_EDGES (32), checked by the caller; the casts cannot truncate.
        record.parentCount = uint8(p.parents.length);
        record.datasetCount = uint8(p.datasets.length);
        record.registrant = msg.sender;
        record.manifestCodec = codec;
        record.manifestDigest = digest;
        if (certificate.digest != bytes32(0)) record.certificateDigest = certificate.digest;
    }

    /// @dev Checks the edges of the new model `id` and stores them, one storage write per three edges.
    /// `known` is the highest model id before `id`; `datasetCount` the dataset registry's `totalMinted()`.
    function _writeEdges(
        uint256 id,
        uint256 known,
        uint256 datasetCount,
        ParentEdge[] calldata parents,
        DatasetEdge[] calldata datasets
    ) private {
        mapping(uint256 => uint256) storage words = _edgeWords[id];
        uint256 word;
        uint256 n;
        for (uint256 i = 0; i < parents.length; i++) {
            ParentEdge calldata edge = parents[i];
            // `known` grows by one per registration and never nears MAX_EDGE_ID; the bound is for the packing.
            if (edge.modelId == 0 || edge.modelId > known || edge.modelId > MAX_EDGE_ID) {
                revert ModelRegistryUnknownParent(edge.modelId);
            }
            for (uint256 j = 0; j < i; j++) {
                if (parents[j].modelId == edge.modelId) revert ModelRegistryDuplicateParent(edge.modelId);
            }
            (word, n) = _pack(words, word, n, edge.modelId, uint8(edge.relation));
            emit ParentLinked(id, edge.modelId, edge.relation);
        }
        for (uint256 i = 0; i < datasets.length; i++) {
            DatasetEdge calldata edge = datasets[i];
            if (edge.datasetId == 0 || edge.datasetId > datasetCount || edge.datasetId > MAX_EDGE_ID) {
                revert ModelRegistryUnknownDataset(edge.datasetId);
            }
            for (uint256 j = 0; j < i; j++) {
                if (datasets[j].datasetId == edge.datasetId && datasets[j].role == edge.role) {
                    revert ModelRegistryDuplicateDataset(edge.datasetId, edge.role);
                }
            }
            (word, n) = _pack(words, word, n, edge.datasetId, uint8(edge.role));
            emit DatasetLinked(id, edge.datasetId, edge.role);
        }
        if (n % EDGES_PER_WORD != 0) words[n / EDGES_PER_WORD] = word;
    }

    /// @dev Adds edge number `n` (`target`, `kind`) to the word being filled, and stores the word once it
    /// holds three edges. Returns the word being filled and the new edge count.
    function _pack(
        mapping(uint256 => uint256) storage words,
        uint256 word,
        uint256 n,
        uint256 target,
        uint8 kind
    ) private returns (uint256, uint256) {
        word |= ((target << 8) | kind) << (EDGE_BITS * (n % EDGES_PER_WORD));
        n++;
        if (n % EDGES_PER_WORD == 0) {
            words[n / EDGES_PER_WORD - 1] = word;
            word = 0;
        }
        return (word, n);
    }

    /// @dev Edge number `i` of model `id`: its target id and its relation or role.
    function _edge(uint256 id, uint256 i) private view returns (uint256 target, uint8 kind) {
        uint256 packed = (_edgeWords[id][i / EDGES_PER_WORD] >> (EDGE_BITS * (i % EDGES_PER_WORD))) & EDGE_MASK;
        target = packed >> 8;
        // The low 8 bits of an edge; the cast keeps exactly them.
        kind = uint8(packed);
    }

    /// @dev The record of model `id`, or revert {ModelRegistryUnknownToken}.
    function _requireModel(uint256 id) private view returns (StoredModel storage model) {
        model = _models[id];
        if (model.weightsDigest == bytes32(0)) revert ModelRegistryUnknownToken(id);
    }
}
