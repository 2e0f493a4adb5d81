// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {ERC721} from "@openzeppelin/contracts/token/ERC721/ERC721.sol";
import {IERC165} from "@openzeppelin/contracts/utils/introspection/IERC165.sol";
import {IERC721Metadata} from "@openzeppelin/contracts/token/ERC721/extensions/IERC721Metadata.sol";
import {IDatasetRegistry} from "./interfaces/IDatasetRegistry.sol";
import {MerkleV1} from "./libraries/MerkleV1.sol";

/// @title Provenant dataset registry
/// @notice ERC-721 "Provenant Dataset" (PVDS): one token per dataset, holding an immutable `merkle-v1`
/// commitment to its sample hashes, with on-chain inclusion and exclusion checks.
/// @dev Tokens are never burned, and after mint a record only ever gains its `misordered` flag, so
/// `_datasets[id].n != 0` (every record has `n >= 1`) is the existence test, read from the slot
/// verification needs anyway; the flag shares that slot.
contract DatasetRegistry is ERC721, IDatasetRegistry {
    mapping(uint256 id => DatasetRecord) private _datasets;
    mapping(address publisher => mapping(bytes32 root => uint256 id)) private _tokenOfPublisherRoot;
    uint256 private _totalMinted;

    constructor() ERC721("Provenant Dataset", "PVDS") {}

    /// @inheritdoc IDatasetRegistry
    function mint(MintParams calldata p) external returns (uint256 id) {
        id = _tokenOfPublisherRoot[msg.sender][p.root];
        if (id != 0) {
            if (!_sameFields(_datasets[id], p)) revert DatasetRegistryRootAlreadyMinted(p.root, id);
            return id;
        }

        if (p.root == bytes32(0)) revert DatasetRegistryZeroRoot();
        if (p.n == 0) revert DatasetRegistryZeroLeafCount();
        if (p.totalSamples < p.n) revert DatasetRegistryTotalSamplesBelowLeafCount(p.totalSamples, p.n);
        if (bytes(p.encoding).length == 0) revert DatasetRegistryEmptyEncoding();
        if (bytes(p.manifestCid).length == 0) revert DatasetRegistryEmptyManifestCid();
        if (p.previousVersion != 0) {
            address previousOwner = _ownerOf(p.previousVersion);
            if (previousOwner == address(0)) revert DatasetRegistryUnknownPreviousVersion(p.previousVersion);
            if (previousOwner != msg.sender) {
                revert DatasetRegistryPreviousVersionNotOwned(p.previousVersion, msg.sender, previousOwner);
            }
        }

        id = ++_totalMinted;
        _datasets[id] = DatasetRecord({
            root: p.root,
            n: p.n,
            totalSamples: p.totalSamples,
            // A uint64 of seconds lasts until the year 584,942,419,325; the cast cannot truncate.
            mintedAt: uint64(block.timestamp),
            misordered: false,
            publisher: msg.sender,
            previousVersion: p.previousVersion,
            encoding: p.encoding,
            manifestCid: p.manifestCid,
            license: p.license
        });
        _tokenOfPublisherRoot[msg.sender][p.root] = id;
        // _mint, not _safeMint: the token goes to the caller itself, and no callback can run mid-mint.
        _mint(msg.sender, id);
        emit DatasetMinted(
            id,
            msg.sender,
            p.root,
            p.n,
            p.totalSamples,
            p.previousVersion,
            p.encoding,
            p.manifestCid,
            p.license
        );
    }

    /// @inheritdoc IDatasetRegistry
    function datasetOf(uint256 id) external view returns (DatasetRecord memory) {
        return _requireDataset(id);
    }

    /// @inheritdoc IDatasetRegistry
    function rootOf(uint256 id) external view returns (bytes32) {
        return _datasets[id].root;
    }

    /// @inheritdoc IDatasetRegistry
    function tokenOfPublisherRoot(address publisher, bytes32 root) external view returns (uint256) {
        return _tokenOfPublisherRoot[publisher][root];
    }

    /// @inheritdoc IDatasetRegistry
    function totalMinted() external view returns (uint256) {
        return _totalMinted;
    }

    /// @inheritdoc IERC721Metadata
    /// @dev `"ipfs://" ++ manifestCid`. Reverts {DatasetRegistryUnknownToken} for an unknown id.
    function tokenURI(uint256 tokenId) public view override(ERC721, IERC721Metadata) returns (string memory) {
        return string.concat("ipfs://", _requireDataset(tokenId).manifestCid);
    }

    /// @inheritdoc IERC165
    function supportsInterface(bytes4 interfaceId) public view override(ERC721, IERC165) returns (bool) {
        return interfaceId == type(IDatasetRegistry).interfaceId || super.supportsInterface(interfaceId);
    }

    /// @inheritdoc IDatasetRegistry
    function verifyInclusion(
        uint256 datasetId,
        bytes32 sampleHash,
        uint256 index,
        bytes32[] calldata siblings
    ) public view returns (bool) {
        DatasetRecord storage dataset = _requireDataset(datasetId);
        return MerkleV1.verify(dataset.root, dataset.n, sampleHash, index, siblings);
    }

    /// @inheritdoc IDatasetRegistry
    function verifyExclusion(
        uint256 datasetId,
        bytes32 x,
        LeafProof[] calldata neighbors
    ) public view returns (bool) {
        return _excludes(_requireDataset(datasetId), x, neighbors);
    }

    /// @inheritdoc IDatasetRegistry
    function recordInclusion(
        uint256 datasetId,
        bytes32 sampleHash,
        uint256 index,
        bytes32[] calldata siblings
    ) external {
        if (!verifyInclusion(datasetId, sampleHash, index, siblings)) revert DatasetRegistryInvalidProof(datasetId);
        emit InclusionRecorded(datasetId, sampleHash, index, msg.sender);
    }

    /// @inheritdoc IDatasetRegistry
    function recordExclusion(uint256 datasetId, bytes32 x, LeafProof[] calldata neighbors) external {
        DatasetRecord storage dataset = _requireDataset(datasetId);
        if (dataset.misordered) revert DatasetRegistryMisordered(datasetId);
        if (!_excludes(dataset, x, neighbors)) revert DatasetRegistryInvalidProof(datasetId);
        emit ExclusionRecorded(datasetId, x, msg.sender);
    }

    /// @inheritdoc IDatasetRegistry
    function reportMisordered(uint256 datasetId, LeafProof calldata left, LeafProof calldata right) external {
        DatasetRecord storage dataset = _requireDataset(datasetId);
        if (dataset.misordered) revert DatasetRegistryAlreadyMisordered(datasetId);
        uint256 n = dataset.n;
        // No leaf has an index >= n; checked first so that `left.index + 1` cannot overflow.
        if (left.index >= n) revert DatasetRegistryInvalidProof(datasetId);
        if (right.index != left.index + 1) revert DatasetRegistryLeavesNotAdjacent(left.index, right.index);
        if (left.sampleHash < right.sampleHash) revert DatasetRegistryLeavesInOrder(datasetId, left.index);
        bytes32 root = dataset.root;
        if (
            !MerkleV1.verify(root, n, left.sampleHash, left.index, left.siblings) ||
            !MerkleV1.verify(root, n, right.sampleHash, right.index, right.siblings)
        ) revert DatasetRegistryInvalidProof(datasetId);
        dataset.misordered = true;
        emit DatasetMisordered(datasetId, left.index, msg.sender);
    }

    /// @dev {verifyExclusion} on a record already read: false for a misordered dataset, whose leaves are
    /// not sorted, so that neighbours around `x` prove nothing.
    function _excludes(
        DatasetRecord storage dataset,
        bytes32 x,
        LeafProof[] calldata neighbors
    ) private view returns (bool) {
        // Both read from the same slot, before any branch, so that the optimizer loads it once.
        uint256 n = dataset.n;
        bool misordered = dataset.misordered;
        if (misordered) return false;
        bytes32 root = dataset.root;

        if (neighbors.length == 1) {
            LeafProof calldata only = neighbors[0];
            // Before the first leaf, or after the last (with n == 1, leaf 0 is both first and last).
            bool outside = (only.index == 0 && x < only.sampleHash) || (only.index == n - 1 && x > only.sampleHash);
            return outside && MerkleV1.verify(root, n, only.sampleHash, only.index, only.siblings);
        }
        if (neighbors.length == 2) {
            LeafProof calldata left = neighbors[0];
            LeafProof calldata right = neighbors[1];
            // `left.index < n` first, so that `left.index + 1` cannot overflow.
            if (left.index >= n || right.index != left.index + 1) return false;
            if (!(left.sampleHash < x && x < right.sampleHash)) return false;
            return
                MerkleV1.verify(root, n, left.sampleHash, left.index, left.siblings) &&
                MerkleV1.verify(root, n, right.sampleHash, right.index, right.siblings);
        }
        return false;
    }

    /// @dev Whether `p` asks for exactly the record `dataset` holds (its root is known to be equal).
    function _sameFields(DatasetRecord storage dataset, MintParams calldata p) private view returns (bool) {
        return
            dataset.n == p.n &&
            dataset.totalSamples == p.totalSamples &&
            dataset.previousVersion == p.previousVersion &&
            keccak256(bytes(dataset.encoding)) == keccak256(bytes(p.encoding)) &&
            keccak256(bytes(dataset.manifestCid)) == keccak256(bytes(p.manifestCid)) &&
            keccak256(bytes(dataset.license)) == keccak256(bytes(p.license));
    }

    /// @dev The record of dataset `id`, or revert {DatasetRegistryUnknownToken}.
    function _requireDataset(uint256 id) private view returns (DatasetRecord storage dataset) {
        dataset = _datasets[id];
        if (dataset.n == 0) revert DatasetRegistryUnknownToken(id);
    }
}
