// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {IERC721Metadata} from "@openzeppelin/contracts/token/ERC721/extensions/IERC721Metadata.sol";

/// @title Provenant dataset registry
/// @notice Each token is one dataset: an immutable record whose `root` is the `merkle-v1` commitment
/// (docs/formats/merkle-v1.md) over the dataset's `n` distinct, sorted sample hashes. Anyone can check
/// on-chain that a sample hash is in a dataset (inclusion) or is not (exclusion).
/// Exclusion is sound only if the committed leaves really are strictly increasing, which no one can check
/// at mint (it would read every leaf). Anyone who finds two adjacent leaves out of order proves it with
/// {reportMisordered}; the dataset is then marked misordered for good and proves no exclusion any more.
/// @dev Token ids start at 1 and are never burned, so a dataset id is known iff `1 <= id <= totalMinted()`.
/// `tokenURI(id)` is `"ipfs://" ++ manifestCid`, the CID rebuilt on read from its stored digest.
interface IDatasetRegistry is IERC721Metadata {
    /// @notice The on-chain record of one dataset, as {datasetOf} returns it. Written once at mint;
    /// afterwards only `misordered` can change, once, from false to true ({reportMisordered}).
    /// @dev Storage holds three slots per dataset (root | publisher, n, totalSamples, manifest codec,
    /// misordered | manifest digest), plus the mint block and a digest of the event-only fields beside the
    /// id in the (publisher, root) index.
    /// The encoding, license, previous version and mint time are in the {DatasetMinted} event (at block
    /// `mintBlock`) and in the manifest, whose CID commits to them; they are not kept in storage.
    struct DatasetRecord {
        /// @notice `merkle-v1` root over the distinct sample hashes (never zero).
        bytes32 root;
        /// @notice Number of leaves: distinct sample hashes (at least 1, below 2^40).
        uint64 n;
        /// @notice Number of samples, duplicates included (at least `n`, below 2^40).
        uint64 totalSamples;
        /// @notice Whether two adjacent leaves were proven out of order ({reportMisordered}): the commitment
        /// is not `merkle-v1`, and {verifyExclusion} returns false for every proof. False at mint.
        bool misordered;
        /// @notice The account that minted the dataset (the token may have moved since).
        address publisher;
        /// @notice The block of the mint, where its {DatasetMinted} event is.
        uint64 mintBlock;
        /// @notice IPFS CID of the dataset manifest: CIDv1, base32, raw or dag-pb codec, sha2-256.
        string manifestCid;
    }

    /// @notice Arguments of {mint}.
    struct MintParams {
        bytes32 root;
        uint64 n;
        uint64 totalSamples;
        /// @notice Dataset id this one supersedes (must be owned by the caller), or 0 for none.
        uint256 previousVersion;
        /// @notice Sample encoding identifier, see docs/formats/encodings-v1.md (non-empty). Event only.
        string encoding;
        /// @notice Binary CIDv1 of the manifest: 0x01, codec 0x55 (raw) or 0x70 (dag-pb), 0x12 0x20
        /// (sha2-256, 32 bytes), then the 32-byte digest.
        bytes manifestCid;
        /// @notice License identifier of the dataset, e.g. an SPDX id (may be empty). Event only.
        string license;
    }

    /// @notice A `merkle-v1` inclusion proof of one leaf, as used by {verifyExclusion}.
    struct LeafProof {
        /// @notice The leaf: a sample hash.
        bytes32 sampleHash;
        /// @notice Position of the leaf among the sorted leaves.
        uint256 index;
        /// @notice Sibling hashes, bottom-up, exactly as many as `(index, n)` imply.
        bytes32[] siblings;
    }

    /// @notice A dataset was minted as token `id` to `publisher`: everything a list of datasets shows, from
    /// one log. The only on-chain copy of `encoding`, `license` and `previousVersion` (the manifest holds
    /// them too). `manifestCid` is binary, as minted ({MintParams}).
    event DatasetMinted(
        uint256 indexed id,
        address indexed publisher,
        bytes32 indexed root,
        uint64 n,
        uint64 totalSamples,
        uint256 previousVersion,
        string encoding,
        bytes manifestCid,
        string license
    );

    /// @notice `recorder` proved on-chain that leaf `sampleHash` is at `index` in dataset `datasetId`.
    event InclusionRecorded(
        uint256 indexed datasetId,
        bytes32 indexed sampleHash,
        uint256 index,
        address indexed recorder
    );

    /// @notice `recorder` proved on-chain that `x` is not a leaf of dataset `datasetId`.
    event ExclusionRecorded(uint256 indexed datasetId, bytes32 indexed x, address indexed recorder);

    /// @notice `reporter` proved that leaves `index` and `index + 1` of dataset `datasetId` are out of order;
    /// the dataset is misordered from now on.
    event DatasetMisordered(uint256 indexed datasetId, uint256 index, address indexed reporter);

    /// @notice No dataset has id `id`.
    error DatasetRegistryUnknownToken(uint256 id);
    /// @notice The Merkle root to mint is zero.
    error DatasetRegistryZeroRoot();
    /// @notice The leaf count `n` to mint is zero (an empty dataset has no commitment).
    error DatasetRegistryZeroLeafCount();
    /// @notice `totalSamples` is below the number of distinct samples `n`.
    error DatasetRegistryTotalSamplesBelowLeafCount(uint64 totalSamples, uint64 n);
    /// @notice The sample encoding to mint is empty.
    error DatasetRegistryEmptyEncoding();
    /// @notice The manifest CID to mint is not a binary CIDv1 with codec raw or dag-pb and a sha2-256
    /// digest (36 bytes).
    error DatasetRegistryUnsupportedManifestCid();
    /// @notice `n` or `totalSamples` is 2^40 or more (a trillion samples: the record keeps 40 bits).
    error DatasetRegistryCountTooLarge(uint64 count);
    /// @notice `previousVersion` names no dataset.
    error DatasetRegistryUnknownPreviousVersion(uint256 previousVersion);
    /// @notice `previousVersion` is owned by `owner`, not by the minting `sender`.
    error DatasetRegistryPreviousVersionNotOwned(uint256 previousVersion, address sender, address owner);
    /// @notice A proof submitted to {recordInclusion}, {recordExclusion} or {reportMisordered} does not verify.
    error DatasetRegistryInvalidProof(uint256 datasetId);
    /// @notice The caller already minted `root` as token `existingId` with other fields (n, totalSamples,
    /// encoding, manifest CID, license or previous version): a root is minted once per publisher.
    error DatasetRegistryRootAlreadyMinted(bytes32 root, uint256 existingId);
    /// @notice Dataset `datasetId` was reported misordered: it proves no exclusion.
    error DatasetRegistryMisordered(uint256 datasetId);
    /// @notice Dataset `datasetId` was already reported misordered.
    error DatasetRegistryAlreadyMisordered(uint256 datasetId);
    /// @notice The two leaves of a misorder report must be at adjacent indexes `i` and `i + 1`.
    error DatasetRegistryLeavesNotAdjacent(uint256 leftIndex, uint256 rightIndex);
    /// @notice Leaves `index` and `index + 1` of the report are in order (left below right): nothing to report.
    error DatasetRegistryLeavesInOrder(uint256 datasetId, uint256 index);

    /// @notice Mints a dataset token to the caller, or returns the caller's existing token for `p.root`.
    /// @dev Idempotent per (caller, root): if the caller already minted `p.root` with exactly these fields,
    /// returns that id without minting or emitting; with any other field different, reverts
    /// {DatasetRegistryRootAlreadyMinted} naming that id (a repeat never silently keeps other values than
    /// the ones asked for). Otherwise validates `p` and mints id `totalMinted() + 1`, emitting
    /// {IERC721-Transfer} then {DatasetMinted}.
    /// Reverts {DatasetRegistryZeroRoot}, {DatasetRegistryZeroLeafCount},
    /// {DatasetRegistryTotalSamplesBelowLeafCount}, {DatasetRegistryCountTooLarge},
    /// {DatasetRegistryEmptyEncoding}, {DatasetRegistryUnsupportedManifestCid}, {DatasetRegistryUnknownPreviousVersion} or
    /// {DatasetRegistryPreviousVersionNotOwned} (the caller must currently own `p.previousVersion`), or
    /// {DatasetRegistryRootAlreadyMinted}.
    /// @param p The record to mint.
    /// @return id The dataset's token id (at least 1).
    function mint(MintParams calldata p) external returns (uint256 id);

    /// @notice The record of dataset `id`. Reverts {DatasetRegistryUnknownToken} for an unknown id.
    function datasetOf(uint256 id) external view returns (DatasetRecord memory);

    /// @notice The root of dataset `id`, or zero if there is none (a minted root is never zero).
    /// @dev One storage read: what a contract binding a dataset needs, without copying the whole record as
    /// {datasetOf} does. The model registry reads it for every dataset of an attested registration.
    function rootOf(uint256 id) external view returns (bytes32);

    /// @notice The id of the dataset `publisher` minted with `root`, or 0 if there is none.
    function tokenOfPublisherRoot(address publisher, bytes32 root) external view returns (uint256);

    /// @notice Number of datasets minted so far; also the highest id.
    function totalMinted() external view returns (uint256);

    /// @notice Whether `sampleHash` is the leaf at `index` of dataset `datasetId`, per `merkle-v1`.
    /// @dev `n` and `root` come from the record. Returns false for any bad proof (index >= n, a sibling
    /// count other than the one `(index, n)` implies, a root mismatch). Reverts only
    /// {DatasetRegistryUnknownToken}.
    /// @param siblings Sibling hashes, bottom-up.
    function verifyInclusion(
        uint256 datasetId,
        bytes32 sampleHash,
        uint256 index,
        bytes32[] calldata siblings
    ) external view returns (bool);

    /// @notice Whether `x` is provably not a leaf of dataset `datasetId`, per `merkle-v1`.
    /// @dev `neighbors` is one of:
    /// - `[left, right]`: `right.index == left.index + 1` and `left.sampleHash < x < right.sampleHash`;
    /// - `[first]`: `first.index == 0` and `x < first.sampleHash`;
    /// - `[last]`: `last.index == n - 1` and `x > last.sampleHash`;
    /// and every entry's inclusion proof must verify. Anything else returns false, and so does every
    /// proof once the dataset is misordered ({reportMisordered}): its leaves are not sorted, so adjacent
    /// neighbours prove nothing. Reverts only {DatasetRegistryUnknownToken}.
    function verifyExclusion(uint256 datasetId, bytes32 x, LeafProof[] calldata neighbors) external view returns (bool);

    /// @notice Verifies like {verifyInclusion} and records the result as an {InclusionRecorded} event.
    /// @dev Reverts {DatasetRegistryInvalidProof} when the proof does not verify.
    function recordInclusion(
        uint256 datasetId,
        bytes32 sampleHash,
        uint256 index,
        bytes32[] calldata siblings
    ) external;

    /// @notice Verifies like {verifyExclusion} and records the result as an {ExclusionRecorded} event.
    /// @dev Reverts {DatasetRegistryMisordered} for a misordered dataset, {DatasetRegistryInvalidProof} when
    /// the proof does not verify.
    function recordExclusion(uint256 datasetId, bytes32 x, LeafProof[] calldata neighbors) external;

    /// @notice Fraud proof of a commitment whose leaves are not strictly increasing: marks dataset
    /// `datasetId` misordered for good and emits {DatasetMisordered}. Anyone may call it.
    /// @dev `left` and `right` are inclusion proofs against the record, at indexes `i` and `i + 1`, with
    /// `left.sampleHash >= right.sampleHash`. Reverts {DatasetRegistryUnknownToken},
    /// {DatasetRegistryAlreadyMisordered}, {DatasetRegistryLeavesNotAdjacent}, {DatasetRegistryLeavesInOrder},
    /// or {DatasetRegistryInvalidProof} (also for `left.index >= n`).
    function reportMisordered(uint256 datasetId, LeafProof calldata left, LeafProof calldata right) external;
}
