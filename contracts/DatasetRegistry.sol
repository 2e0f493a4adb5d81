// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {ERC721} from "@openzeppelin/contracts/token/ERC721/ERC721.sol";
import {IERC165} from "@openzeppelin/contracts/utils/introspection/IERC165.sol";
import {IERC721Metadata} from "@openzeppelin/contracts/token/ERC721/extensions/IERC721Metadata.sol";
import {IDatasetRegistry} from "./interfaces/IDatasetRegistry.sol";
import {FirstOwnerERC721} from "./tokens/FirstOwnerERC721.sol";
import {CidV1} from "./libraries/CidV1.sol";
import {MerkleV1} from "./libraries/MerkleV1.sol";

/// @title Provenant dataset registry
/// @notice ERC-721 "Provenant Dataset" (PVDS): one token per dataset, holding an immutable `merkle-v1`
/// commitment to its sample hashes, with on-chain inclusion and exclusion checks.
/// @dev Tokens are never burned, and after mint a record only ever gains its `misordered` flag, so
/// `_datasets[id].n != 0` (every record has `n >= 1`) is the existence test, read from the slot
/// verification needs anyway; the flag shares that slot.
contract DatasetRegistry is FirstOwnerERC721, IDatasetRegistry {
    /// @dev What storage keeps of a record: three slots, written once at mint (and `misordered` once after).
    /// The strings and the previous version live in the {DatasetMinted} event and the manifest, which the
    /// stored digest commits to: a string in storage would cost about 22,000 gas per 32 bytes.
    struct StoredDataset {
        bytes32 root;
        address publisher;
        uint40 n;
        uint40 totalSamples;
        uint8 manifestCodec;
        bool misordered;
        bytes32 manifestDigest;
    }

    /// @dev A (publisher, root) index entry packs the id (low 64 bits), the mint block (next 64) and the
    /// first 128 bits of the keccak of the event-only fields (top 128), so that a repeated mint with another
    /// encoding, license or previous version is refused on-chain although storage keeps none of them.
    uint256 private constant _BLOCK_SHIFT = 64;
    uint256 private constant _FIELDS_SHIFT = 128;

    mapping(uint256 id => StoredDataset) private _datasets;
    mapping(address publisher => mapping(bytes32 root => uint256 idBlockFields)) private _tokenOfPublisherRoot;
    uint256 private _totalMinted;

    constructor() ERC721("Provenant Dataset", "PVDS") {}

    /// @inheritdoc IDatasetRegistry
    function mint(MintParams calldata p) external returns (uint256 id) {
        (uint8 codec, bytes32 digest) = _manifestDigest(p.manifestCid);
        uint256 fields = uint128(bytes16(keccak256(abi.encode(p.encoding, p.license, p.previousVersion))));
        uint256 entry = _tokenOfPublisherRoot[msg.sender][p.root];
        id = uint64(entry);
        if (id != 0) {
            StoredDataset storage existing = _datasets[id];
            bool same =
                existing.n == p.n &&
                    existing.totalSamples == p.totalSamples &&
                    existing.manifestCodec == codec &&
                    existing.manifestDigest == digest &&
                    entry >> _FIELDS_SHIFT == fields;
            if (!same) revert DatasetRegistryRootAlreadyMinted(p.root, id);
            return id;
        }

        if (p.root == bytes32(0)) revert DatasetRegistryZeroRoot();
        if (p.n == 0) revert DatasetRegistryZeroLeafCount();
        if (p.totalSamples < p.n) revert DatasetRegistryTotalSamplesBelowLeafCount(p.totalSamples, p.n);
        // totalSamples >= n, so one check bounds both.
        if (p.totalSamples > type(uint40).max) revert DatasetRegistryCountTooLarge(p.totalSamples);
        if (bytes(p.encoding).length == 0) revert DatasetRegistryEmptyEncoding();
        if (p.previousVersion != 0) {
            address previousOwner = _ownerOf(p.previousVersion);
            if (previousOwner == address(0)) revert DatasetRegistryUnknownPreviousVersion(p.previousVersion);
            if (previousOwner != msg.sender) {
                revert DatasetRegistryPreviousVersionNotOwned(p.previousVersion, msg.sender, previousOwner);
            }
        }

        id = ++_totalMinted;
        _datasets[id] = StoredDataset({
            root: p.root,
            publisher: msg.sender,
            // Both checked above to be below 2^40: the casts cannot truncate.
            n: uint40(p.n),
            totalSamples: uint40(p.totalSamples),
            manifestCodec: codec,
            misordered: false,
            manifestDigest: digest
        });
        // Ids count mints and block numbers count blocks: neither reaches 2^64, so the fields cannot overlap.
        _tokenOfPublisherRoot[msg.sender][p.root] = id | (block.number << _BLOCK_SHIFT) | (fields << _FIELDS_SHIFT);
        // Not _safeMint: the token goes to the caller itself, and no callback can run mid-mint.
        _mintToFirstOwner(msg.sender, id);
        _emitMinted(id, p);
    }

    /// @dev The publisher owns a dataset until its first transfer.
    function _firstOwner(uint256 tokenId) internal view override returns (address) {
        return _datasets[tokenId].publisher;
    }

    /// @dev Its own frame: with the mint's locals, the event's nine arguments would not fit the stack.
    function _emitMinted(uint256 id, MintParams calldata p) private {
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
        StoredDataset storage d = _requireDataset(id);
        return
            DatasetRecord({
                root: d.root,
                n: d.n,
                totalSamples: d.totalSamples,
                misordered: d.misordered,
                publisher: d.publisher,
                mintBlock: uint64(_tokenOfPublisherRoot[d.publisher][d.root] >> _BLOCK_SHIFT),
                manifestCid: _manifestCid(d)
            });
    }

    /// @inheritdoc IDatasetRegistry
    function rootOf(uint256 id) external view returns (bytes32) {
        return _datasets[id].root;
    }

    /// @inheritdoc IDatasetRegistry
    function tokenOfPublisherRoot(address publisher, bytes32 root) external view returns (uint256) {
        return uint64(_tokenOfPublisherRoot[publisher][root]);
    }

    /// @inheritdoc IDatasetRegistry
    function totalMinted() external view returns (uint256) {
        return _totalMinted;
    }

    /// @inheritdoc IERC721Metadata
    /// @dev `"ipfs://" ++ manifestCid`. Reverts {DatasetRegistryUnknownToken} for an unknown id.
    function tokenURI(uint256 tokenId) public view override(ERC721, IERC721Metadata) returns (string memory) {
        return string.concat("ipfs://", _manifestCid(_requireDataset(tokenId)));
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
        StoredDataset storage dataset = _requireDataset(datasetId);
        return MerkleV1.verify(dataset.root, dataset.n, sampleHash, index, siblings);
    }

    /// @inheritdoc IDatasetRegistry
    function verifyExclusion(uint256 datasetId, bytes32 x, LeafProof[] calldata neighbors) public view returns (bool) {
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
        StoredDataset storage dataset = _requireDataset(datasetId);
        if (dataset.misordered) revert DatasetRegistryMisordered(datasetId);
        if (!_excludes(dataset, x, neighbors)) revert DatasetRegistryInvalidProof(datasetId);
        emit ExclusionRecorded(datasetId, x, msg.sender);
    }

    /// @inheritdoc IDatasetRegistry
    function reportMisordered(uint256 datasetId, LeafProof calldata left, LeafProof calldata right) external {
        StoredDataset storage dataset = _requireDataset(datasetId);
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
        StoredDataset storage dataset,
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

    /// @dev The codec and digest of the binary manifest CID, or revert {DatasetRegistryUnsupportedManifestCid}.
    function _manifestDigest(bytes calldata cid) private pure returns (uint8 codec, bytes32 digest) {
        bool ok;
        (ok, codec, digest) = CidV1.decode(cid);
        if (!ok) revert DatasetRegistryUnsupportedManifestCid();
    }

    function _manifestCid(StoredDataset storage d) private view returns (string memory) {
        return CidV1.toText(d.manifestCodec, d.manifestDigest);
    }

    /// @dev The record of dataset `id`, or revert {DatasetRegistryUnknownToken}.
    function _requireDataset(uint256 id) private view returns (StoredDataset storage dataset) {
        dataset = _datasets[id];
        if (dataset.n == 0) revert DatasetRegistryUnknownToken(id);
    }
}
