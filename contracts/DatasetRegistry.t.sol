// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {DatasetRegistry} from "./DatasetRegistry.sol";
import {IDatasetRegistry} from "./interfaces/IDatasetRegistry.sol";
import {Test} from "./test-utils/Test.t.sol";
import {ReferenceTree} from "./test-utils/ReferenceTree.t.sol";

/// @notice Fuzz tests of the registry's on-chain inclusion and exclusion checks against trees built
/// level by level (ReferenceTree), for every n in 1..MAX_N.
contract DatasetRegistryTest is Test {
    using ReferenceTree for bytes32[];
    using ReferenceTree for bytes32[][];
    using ReferenceTree for bytes32;

    uint256 internal constant MAX_N = 70;

    DatasetRegistry internal registry;

    function setUp() public {
        registry = new DatasetRegistry();
    }

    // ---- helpers -----------------------------------------------------------------------------------

    function _mintLeaves(bytes32[] memory leaves) internal returns (uint256 id, bytes32[][] memory levels) {
        levels = ReferenceTree.build(leaves);
        id = registry.mint(
            IDatasetRegistry.MintParams({
                root: levels.root(),
                n: uint64(leaves.length),
                totalSamples: uint64(leaves.length),
                previousVersion: 0,
                encoding: "raw-v1",
                manifestCid: abi.encodePacked(hex"01551220", keccak256("test manifest")),
                license: "CC0-1.0"
            })
        );
    }

    function _mintTree(uint256 seed, uint256 n) internal returns (uint256 id, bytes32[][] memory levels) {
        return _mintLeaves(ReferenceTree.sortedLeaves(seed, n));
    }

    function _leafProof(
        bytes32[][] memory levels,
        uint256 index
    ) internal pure returns (IDatasetRegistry.LeafProof memory) {
        return IDatasetRegistry.LeafProof({sampleHash: levels[0][index], index: index, siblings: levels.proof(index)});
    }

    function _one(IDatasetRegistry.LeafProof memory a) internal pure returns (IDatasetRegistry.LeafProof[] memory p) {
        p = new IDatasetRegistry.LeafProof[](1);
        p[0] = a;
    }

    function _two(
        IDatasetRegistry.LeafProof memory a,
        IDatasetRegistry.LeafProof memory b
    ) internal pure returns (IDatasetRegistry.LeafProof[] memory p) {
        p = new IDatasetRegistry.LeafProof[](2);
        p[0] = a;
        p[1] = b;
    }

    /// @notice The honest exclusion proof of an absent `x`: the neighbours around its sorted position.
    function _neighbors(
        bytes32[][] memory levels,
        bytes32 x
    ) internal pure returns (IDatasetRegistry.LeafProof[] memory) {
        bytes32[] memory leaves = levels[0];
        uint256 n = leaves.length;
        uint256 below = 0;
        while (below < n && leaves[below] < x) below++;
        if (below == 0) return _one(_leafProof(levels, 0));
        if (below == n) return _one(_leafProof(levels, n - 1));
        return _two(_leafProof(levels, below - 1), _leafProof(levels, below));
    }

    function _isLeaf(bytes32[][] memory levels, bytes32 x) internal pure returns (bool) {
        for (uint256 i = 0; i < levels[0].length; i++) if (levels[0][i] == x) return true;
        return false;
    }

    function _plus(bytes32 value, uint256 delta) internal pure returns (bytes32) {
        return bytes32(uint256(value) + delta);
    }

    function _minus(bytes32 value, uint256 delta) internal pure returns (bytes32) {
        return bytes32(uint256(value) - delta);
    }

    function _expectInvalidProof(bytes memory reason, uint256 id) internal pure {
        assertEq(
            reason,
            abi.encodeWithSelector(IDatasetRegistry.DatasetRegistryInvalidProof.selector, id),
            "DatasetRegistryInvalidProof"
        );
    }

    // ---- inclusion ---------------------------------------------------------------------------------

    function testFuzz_HonestInclusionVerifiesAndRecords(uint256 seed, uint256 n, uint256 index) public {
        n = bound(n, 1, MAX_N);
        index = bound(index, 0, n - 1);
        (uint256 id, bytes32[][] memory levels) = _mintTree(seed, n);
        bytes32[] memory siblings = levels.proof(index);
        assertTrue(registry.verifyInclusion(id, levels[0][index], index, siblings), "honest inclusion");
        registry.recordInclusion(id, levels[0][index], index, siblings);
    }

    function testFuzz_TamperedInclusionFailsAndIsNotRecorded(
        uint256 seed,
        uint256 n,
        uint256 index,
        uint256 what,
        uint256 bit
    ) public {
        n = bound(n, 1, MAX_N);
        index = bound(index, 0, n - 1);
        (uint256 id, bytes32[][] memory levels) = _mintTree(seed, n);
        bytes32 leaf = levels[0][index];
        bytes32[] memory siblings = levels.proof(index);
        what = bound(what, 0, 4);
        if (what == 0 || siblings.length == 0) leaf = leaf.flipBit(bit);
        else if (what == 1) siblings[bit % siblings.length] = siblings[bit % siblings.length].flipBit(bit >> 8);
        else if (what == 2)
            index += 1 + (bit % (2 * MAX_N)); // another leaf's index, or out of range
        else if (what == 3) siblings = siblings.without(bit % siblings.length);
        else siblings = siblings.with(bit % (siblings.length + 1), bytes32(bit));

        assertFalse(registry.verifyInclusion(id, leaf, index, siblings), "tampered inclusion");
        try registry.recordInclusion(id, leaf, index, siblings) {
            revert AssertionFailed("tampered inclusion recorded");
        } catch (bytes memory reason) {
            _expectInvalidProof(reason, id);
        }
    }

    function testFuzz_InnerNodeIsNotALeafOfADataset(uint256 seed, uint256 n, uint256 level, uint256 pos) public {
        n = bound(n, 2, MAX_N);
        (uint256 id, bytes32[][] memory levels) = _mintTree(seed, n);
        level = bound(level, 1, levels.length - 1);
        pos = bound(pos, 0, levels[level].length - 1);
        bytes32 node = levels[level][pos];
        bytes32[] memory siblings = levels.proofFrom(level, pos);
        for (uint256 j = 0; j < n; j++) {
            bool ok = registry.verifyInclusion(id, node, j, siblings);
            // Only an odd last leaf that moved up unchanged "is" a node above level 0, at its own index.
            assertTrue(ok == (node == levels[0][j]), "inner node verified as a leaf");
        }
    }

    // ---- exclusion ---------------------------------------------------------------------------------

    /// @notice Absent values anywhere: random, just below or just above a leaf, and the extremes.
    function testFuzz_HonestExclusionVerifiesAndRecords(uint256 seed, uint256 n, uint256 mode, uint256 i) public {
        n = bound(n, 1, MAX_N);
        i = bound(i, 0, n - 1);
        (uint256 id, bytes32[][] memory levels) = _mintTree(seed, n);
        bytes32 leaf = levels[0][i];
        bytes32 x;
        mode = mode % 5;
        if (mode == 0) x = sha256(abi.encode(seed, "absent", i));
        else if (mode == 1) x = _minus(leaf, 1);
        else if (mode == 2) x = _plus(leaf, 1);
        else if (mode == 3) x = bytes32(0);
        else x = bytes32(type(uint256).max);
        vm.assume(!_isLeaf(levels, x));

        IDatasetRegistry.LeafProof[] memory neighbors = _neighbors(levels, x);
        assertTrue(registry.verifyExclusion(id, x, neighbors), "honest exclusion");
        registry.recordExclusion(id, x, neighbors);
    }

    function test_OneLeafDatasetExcludesOnBothSides() public {
        (uint256 id, bytes32[][] memory levels) = _mintTree(1, 1);
        bytes32 leaf = levels[0][0];
        IDatasetRegistry.LeafProof[] memory only = _one(_leafProof(levels, 0));
        assertTrue(registry.verifyExclusion(id, _minus(leaf, 1), only), "before the only leaf");
        assertTrue(registry.verifyExclusion(id, _plus(leaf, 1), only), "after the only leaf");
        assertFalse(registry.verifyExclusion(id, leaf, only), "the only leaf itself");
    }

    /// @notice No neighbour construction (any adjacent pair, the first or the last leaf) excludes a leaf.
    function testFuzz_ExclusionOfALeafFails(uint256 seed, uint256 n, uint256 i) public {
        n = bound(n, 1, MAX_N);
        i = bound(i, 0, n - 1);
        (uint256 id, bytes32[][] memory levels) = _mintTree(seed, n);
        bytes32 x = levels[0][i];
        for (uint256 j = 0; j + 1 < n; j++) {
            assertFalse(
                registry.verifyExclusion(id, x, _two(_leafProof(levels, j), _leafProof(levels, j + 1))),
                "leaf excluded by a pair"
            );
        }
        assertFalse(registry.verifyExclusion(id, x, _one(_leafProof(levels, 0))), "leaf excluded by the first");
        assertFalse(registry.verifyExclusion(id, x, _one(_leafProof(levels, n - 1))), "leaf excluded by the last");
        try registry.recordExclusion(id, x, _neighbors(levels, x)) {
            revert AssertionFailed("leaf exclusion recorded");
        } catch (bytes memory reason) {
            _expectInvalidProof(reason, id);
        }
    }

    function testFuzz_SwappedNeighborsFail(uint256 seed, uint256 n, uint256 i) public {
        n = bound(n, 2, MAX_N);
        i = bound(i, 0, n - 2);
        (uint256 id, bytes32[][] memory levels) = _mintTree(seed, n);
        bytes32 x = _plus(levels[0][i], 1);
        vm.assume(x < levels[0][i + 1]);
        IDatasetRegistry.LeafProof memory left = _leafProof(levels, i);
        IDatasetRegistry.LeafProof memory right = _leafProof(levels, i + 1);
        assertTrue(registry.verifyExclusion(id, x, _two(left, right)), "honest pair");
        assertFalse(registry.verifyExclusion(id, x, _two(right, left)), "swapped pair");
    }

    function testFuzz_NonAdjacentNeighborsFail(uint256 seed, uint256 n, uint256 i, uint256 gap) public {
        n = bound(n, 2, MAX_N);
        i = bound(i, 0, n - 2);
        (uint256 id, bytes32[][] memory levels) = _mintTree(seed, n);
        // gap 0 (the same leaf twice), or 2.. (skipping leaves); gap 1 is the honest case.
        gap = bound(gap, 0, n - 1 - i);
        vm.assume(gap != 1);
        bytes32 x = _plus(levels[0][i], 1);
        vm.assume(x < levels[0][i + 1]);
        assertFalse(
            registry.verifyExclusion(id, x, _two(_leafProof(levels, i), _leafProof(levels, i + gap))),
            "non-adjacent pair"
        );
    }

    /// @notice A single neighbour must be the first leaf with x below it, or the last with x above it.
    function testFuzz_SingleNeighborOnTheWrongSideFails(uint256 seed, uint256 n, uint256 i) public {
        n = bound(n, 2, MAX_N);
        i = bound(i, 0, n - 1);
        (uint256 id, bytes32[][] memory levels) = _mintTree(seed, n);
        IDatasetRegistry.LeafProof[] memory only = _one(_leafProof(levels, i));
        if (i != 0) assertFalse(registry.verifyExclusion(id, _minus(levels[0][i], 1), only), "below a later leaf");
        if (i != n - 1)
            assertFalse(registry.verifyExclusion(id, _plus(levels[0][i], 1), only), "above an earlier leaf");
    }

    function testFuzz_TamperedNeighborFails(uint256 seed, uint256 n, uint256 which, uint256 what, uint256 bit) public {
        n = bound(n, 2, MAX_N);
        (uint256 id, bytes32[][] memory levels) = _mintTree(seed, n);
        bytes32 x = sha256(abi.encode(seed, "absent"));
        vm.assume(!_isLeaf(levels, x));
        IDatasetRegistry.LeafProof[] memory neighbors = _neighbors(levels, x);
        assertTrue(registry.verifyExclusion(id, x, neighbors), "honest exclusion");

        IDatasetRegistry.LeafProof memory victim = neighbors[which % neighbors.length];
        what = bound(what, 0, 4);
        if (what == 0 || victim.siblings.length == 0) victim.sampleHash = victim.sampleHash.flipBit(bit);
        else if (what == 1) {
            uint256 k = bit % victim.siblings.length;
            victim.siblings[k] = victim.siblings[k].flipBit(bit >> 8);
        } else if (what == 2) victim.siblings = victim.siblings.without(bit % victim.siblings.length);
        else if (what == 3) victim.siblings = victim.siblings.with(bit % (victim.siblings.length + 1), bytes32(bit));
        else {
            // Shift every index by the same amount: adjacency still holds, the proofs do not.
            uint256 shift = bound(bit, 1, n);
            for (uint256 k = 0; k < neighbors.length; k++) neighbors[k].index += shift;
        }
        assertFalse(registry.verifyExclusion(id, x, neighbors), "tampered exclusion");
    }

    function testFuzz_WrongNeighborCountFails(uint256 seed, uint256 n) public {
        n = bound(n, 2, MAX_N);
        (uint256 id, bytes32[][] memory levels) = _mintTree(seed, n);
        bytes32 x = _plus(levels[0][0], 1);
        vm.assume(x < levels[0][1]);
        IDatasetRegistry.LeafProof[] memory none = new IDatasetRegistry.LeafProof[](0);
        IDatasetRegistry.LeafProof[] memory three = new IDatasetRegistry.LeafProof[](3);
        three[0] = _leafProof(levels, 0);
        three[1] = _leafProof(levels, 1);
        three[2] = _leafProof(levels, 1);
        assertFalse(registry.verifyExclusion(id, x, none), "no neighbours");
        assertFalse(registry.verifyExclusion(id, x, three), "three neighbours");
        assertTrue(registry.verifyExclusion(id, x, _two(three[0], three[1])), "the honest pair");
    }

    // ---- repeat mints ------------------------------------------------------------------------------

    /// @notice A repeat of the same (publisher, root) returns the token only when every field is the same;
    /// any other field named differently reverts, naming the token, and leaves its record as it was.
    function testFuzz_RepeatMintWithAnyOtherFieldReverts(uint256 seed, uint256 what, uint64 value) public {
        (uint256 id, bytes32[][] memory levels) = _mintTree(seed, 5);
        IDatasetRegistry.MintParams memory p = IDatasetRegistry.MintParams({
            root: levels.root(),
            n: 5,
            totalSamples: 5,
            previousVersion: 0,
            encoding: "raw-v1",
            manifestCid: abi.encodePacked(hex"01551220", keccak256("test manifest")),
            license: "CC0-1.0"
        });
        assertEq(registry.mint(p), id, "identical repeat");
        what = what % 6;
        if (what == 0) p.n = value == 5 ? 4 : value;
        else if (what == 1) p.totalSamples = value == 5 ? 6 : value;
        else if (what == 2) p.previousVersion = uint256(value) + 1;
        else if (what == 3) p.encoding = "jsonl";
        else if (what == 4) p.manifestCid = abi.encodePacked(hex"01701220", keccak256("test manifest"));
        else p.license = "";
        try registry.mint(p) {
            revert AssertionFailed("repeat with another field accepted");
        } catch (bytes memory reason) {
            assertEq(
                reason,
                abi.encodeWithSelector(IDatasetRegistry.DatasetRegistryRootAlreadyMinted.selector, p.root, id),
                "RootAlreadyMinted"
            );
        }
        assertEq(registry.datasetOf(id).n, 5, "record unchanged");
        assertEq(registry.totalMinted(), id, "nothing minted");
    }

    // ---- misordered commitments (reportMisordered) -------------------------------------------------

    function _expectError(bytes memory reason, bytes memory expected, string memory what) internal pure {
        assertEq(reason, expected, what);
    }

    /// @notice The attack: a publisher mints a root over sorted leaves with leaves i and i + 1 swapped. The
    /// leaf L[i], now at index i + 1, gets a valid exclusion proof from the neighbours around its sorted
    /// place, until anyone reports the swapped pair; from then on no exclusion verifies or records, and
    /// every leaf still proves its inclusion.
    function testFuzz_MisorderedCommitmentExcludesNothingOnceReported(uint256 seed, uint256 n, uint256 i) public {
        n = bound(n, 2, MAX_N);
        i = bound(i, 0, n - 2);
        bytes32[] memory leaves = ReferenceTree.sortedLeaves(seed, n);
        bytes32 victim = leaves[i];
        (leaves[i], leaves[i + 1]) = (leaves[i + 1], leaves[i]);
        (uint256 id, bytes32[][] memory levels) = _mintLeaves(leaves);

        // Where `victim` would sit if the leaves were sorted: after leaf i - 1, before leaf i (now L[i + 1]).
        IDatasetRegistry.LeafProof[] memory forged =
            i == 0 ? _one(_leafProof(levels, 0)) : _two(_leafProof(levels, i - 1), _leafProof(levels, i));
        assertTrue(registry.verifyInclusion(id, victim, i + 1, levels.proof(i + 1)), "the victim is a leaf");
        assertTrue(registry.verifyExclusion(id, victim, forged), "the attack: a leaf excluded");

        registry.reportMisordered(id, _leafProof(levels, i), _leafProof(levels, i + 1));
        assertTrue(registry.datasetOf(id).misordered, "flagged");
        assertFalse(registry.verifyExclusion(id, victim, forged), "forged exclusion after the report");
        bytes32 absent = sha256(abi.encode(seed, "absent"));
        vm.assume(!_isLeaf(levels, absent));
        assertFalse(registry.verifyExclusion(id, absent, _neighbors(levels, absent)), "any exclusion after the report");
        try registry.recordExclusion(id, victim, forged) {
            revert AssertionFailed("exclusion recorded after the report");
        } catch (bytes memory reason) {
            _expectError(
                reason,
                abi.encodeWithSelector(IDatasetRegistry.DatasetRegistryMisordered.selector, id),
                "Misordered"
            );
        }
        for (uint256 j = 0; j < n; j++) {
            assertTrue(registry.verifyInclusion(id, leaves[j], j, levels.proof(j)), "inclusion after the report");
        }
        try registry.reportMisordered(id, _leafProof(levels, i), _leafProof(levels, i + 1)) {
            revert AssertionFailed("reported twice");
        } catch (bytes memory reason) {
            _expectError(
                reason,
                abi.encodeWithSelector(IDatasetRegistry.DatasetRegistryAlreadyMisordered.selector, id),
                "AlreadyMisordered"
            );
        }
    }

    /// @notice No report against a sound dataset goes through: true neighbours are in order, and claiming
    /// them at each other's index, or a tampered proof, does not verify.
    function testFuzz_SoundDatasetCannotBeReported(uint256 seed, uint256 n, uint256 i, uint256 bit) public {
        n = bound(n, 2, MAX_N);
        i = bound(i, 0, n - 2);
        (uint256 id, bytes32[][] memory levels) = _mintTree(seed, n);
        IDatasetRegistry.LeafProof memory left = _leafProof(levels, i);
        IDatasetRegistry.LeafProof memory right = _leafProof(levels, i + 1);
        try registry.reportMisordered(id, left, right) {
            revert AssertionFailed("sound pair reported");
        } catch (bytes memory reason) {
            _expectError(
                reason,
                abi.encodeWithSelector(IDatasetRegistry.DatasetRegistryLeavesInOrder.selector, id, i),
                "LeavesInOrder"
            );
        }
        // The two hashes claimed at each other's index: in the wrong order, as a report needs, but unproven.
        (left.sampleHash, right.sampleHash) = (right.sampleHash, left.sampleHash);
        if (bit % 2 == 1) (left.siblings, right.siblings) = (right.siblings, left.siblings);
        try registry.reportMisordered(id, left, right) {
            revert AssertionFailed("swapped hashes reported");
        } catch (bytes memory reason) {
            _expectError(
                reason,
                abi.encodeWithSelector(IDatasetRegistry.DatasetRegistryInvalidProof.selector, id),
                "InvalidProof"
            );
        }
        try registry.reportMisordered(id, _leafProof(levels, i + 1), _leafProof(levels, i)) {
            revert AssertionFailed("reversed pair reported");
        } catch (bytes memory reason) {
            _expectError(
                reason,
                abi.encodeWithSelector(IDatasetRegistry.DatasetRegistryLeavesNotAdjacent.selector, i + 1, i),
                "LeavesNotAdjacent"
            );
        }
        assertFalse(registry.datasetOf(id).misordered, "sound dataset flagged");
    }

    // ---- unknown datasets --------------------------------------------------------------------------

    function testFuzz_UnknownDatasetReverts(uint256 id) public {
        (uint256 known, ) = _mintTree(1, 3);
        vm.assume(id != known);
        bytes memory expected = abi.encodeWithSelector(IDatasetRegistry.DatasetRegistryUnknownToken.selector, id);
        try registry.verifyInclusion(id, 0, 0, new bytes32[](0)) {
            revert AssertionFailed("verifyInclusion of an unknown dataset");
        } catch (bytes memory reason) {
            assertEq(reason, expected, "verifyInclusion");
        }
        try registry.verifyExclusion(id, 0, new IDatasetRegistry.LeafProof[](0)) {
            revert AssertionFailed("verifyExclusion of an unknown dataset");
        } catch (bytes memory reason) {
            assertEq(reason, expected, "verifyExclusion");
        }
        try
            registry.reportMisordered(
                id,
                IDatasetRegistry.LeafProof(0, 0, new bytes32[](0)),
                IDatasetRegistry.LeafProof(0, 1, new bytes32[](0))
            )
        {
            revert AssertionFailed("reportMisordered of an unknown dataset");
        } catch (bytes memory reason) {
            assertEq(reason, expected, "reportMisordered");
        }
    }
}
