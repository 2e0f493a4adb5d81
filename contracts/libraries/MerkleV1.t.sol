// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {MerkleV1} from "./MerkleV1.sol";
import {Test} from "../test-utils/Test.t.sol";
import {ReferenceTree} from "../test-utils/ReferenceTree.t.sol";

/// @notice Exposes MerkleV1's internal functions with calldata arguments.
contract MerkleV1Harness {
    function verify(
        bytes32 root,
        uint256 n,
        bytes32 leaf,
        uint256 index,
        bytes32[] calldata siblings
    ) external view returns (bool) {
        return MerkleV1.verify(root, n, leaf, index, siblings);
    }

    function computeRoot(
        uint256 n,
        bytes32 leaf,
        uint256 index,
        bytes32[] calldata siblings
    ) external view returns (bytes32) {
        return MerkleV1.computeRoot(n, leaf, index, siblings);
    }

    function tryComputeRoot(
        uint256 n,
        bytes32 leaf,
        uint256 index,
        bytes32[] calldata siblings
    ) external view returns (bool, bytes32) {
        return MerkleV1.tryComputeRoot(n, leaf, index, siblings);
    }

    function expectedProofLength(uint256 index, uint256 n) external pure returns (uint256) {
        return MerkleV1.expectedProofLength(index, n);
    }

    function hashPair(bytes32 left, bytes32 right) external view returns (bytes32) {
        return MerkleV1.hashPair(left, right);
    }
}

contract MerkleV1Test is Test {
    using ReferenceTree for bytes32[];
    using ReferenceTree for bytes32[][];
    using ReferenceTree for bytes32;

    uint256 internal constant MAX_N = 70;

    MerkleV1Harness internal merkle;

    function setUp() public {
        merkle = new MerkleV1Harness();
    }

    function _tree(uint256 seed, uint256 n) internal pure returns (bytes32[][] memory levels) {
        return ReferenceTree.build(ReferenceTree.sortedLeaves(seed, n));
    }

    // ---- fixed cases -------------------------------------------------------------------------------

    function test_HashPairIsSha256OfTheConcatenation() public view {
        bytes32 a = keccak256("a");
        bytes32 b = keccak256("b");
        assertEq(merkle.hashPair(a, b), sha256(abi.encodePacked(a, b)), "hashPair");
        assertEq(merkle.hashPair(0, 0), sha256(new bytes(64)), "hashPair of zeros");
    }

    function test_OneLeafTreeRootIsTheLeafAndItsProofIsEmpty() public view {
        bytes32 leaf = sha256("only");
        assertTrue(merkle.verify(leaf, 1, leaf, 0, new bytes32[](0)), "one-leaf proof");
        assertEq(merkle.expectedProofLength(0, 1), 0, "one-leaf length");
        assertFalse(merkle.verify(leaf, 1, leaf, 0, new bytes32[](1)), "one-leaf proof with a sibling");
        assertFalse(merkle.verify(leaf, 1, leaf, 1, new bytes32[](0)), "index 1 of one leaf");
    }

    function test_ThreeLeafTreeMovesTheOddLeafUp() public view {
        // Level 1 is [H(a‖b), c]; the root is H(H(a‖b)‖c); leaf c's proof is just [H(a‖b)].
        bytes32 a = bytes32(uint256(1));
        bytes32 b = bytes32(uint256(2));
        bytes32 c = bytes32(uint256(3));
        bytes32 ab = sha256(abi.encodePacked(a, b));
        bytes32 root = sha256(abi.encodePacked(ab, c));
        bytes32[] memory proofC = new bytes32[](1);
        proofC[0] = ab;
        assertTrue(merkle.verify(root, 3, c, 2, proofC), "odd last leaf");
        assertEq(merkle.expectedProofLength(2, 3), 1, "odd last leaf length");
        assertEq(merkle.expectedProofLength(0, 3), 2, "first leaf length");
        bytes32[] memory proofA = new bytes32[](2);
        proofA[0] = b;
        proofA[1] = c;
        assertTrue(merkle.verify(root, 3, a, 0, proofA), "first leaf");
        // Hashing the odd node with itself (Bitcoin style) is not merkle-v1.
        bytes32[] memory selfPaired = new bytes32[](2);
        selfPaired[0] = c;
        selfPaired[1] = ab;
        assertFalse(
            merkle.verify(sha256(abi.encodePacked(ab, sha256(abi.encodePacked(c, c)))), 3, c, 2, selfPaired),
            "self-paired"
        );
    }

    function test_ComputeRootRevertsOnMalformedProofs() public view {
        bytes32[] memory none = new bytes32[](0);
        try merkle.computeRoot(4, 0, 4, none) {
            revert AssertionFailed("index >= n accepted");
        } catch (bytes memory reason) {
            assertEq(reason, abi.encodeWithSelector(MerkleV1.MerkleV1IndexOutOfRange.selector, 4, 4), "out of range");
        }
        try merkle.computeRoot(4, 0, 1, none) {
            revert AssertionFailed("short proof accepted");
        } catch (bytes memory reason) {
            assertEq(
                reason,
                abi.encodeWithSelector(MerkleV1.MerkleV1InvalidProofLength.selector, 1, 4, 2, 0),
                "bad length"
            );
        }
        try merkle.expectedProofLength(0, 0) {
            revert AssertionFailed("n == 0 accepted");
        } catch (bytes memory reason) {
            assertEq(reason, abi.encodeWithSelector(MerkleV1.MerkleV1IndexOutOfRange.selector, 0, 0), "n == 0");
        }
    }

    function test_HugeLeafCountsDoNotOverflow() public view {
        uint256 max = type(uint256).max;
        assertEq(merkle.expectedProofLength(0, max), 256, "first of 2^256 - 1");
        // The last of 2^256 - 1 moves up once, then is an odd (right) node on each of the 255 levels above.
        assertEq(merkle.expectedProofLength(max - 1, max), 255, "last of 2^256 - 1");
        // The last of 2^255 + 1 moves up unchanged 255 times, then meets the other half's root.
        uint256 half = 1 << 255;
        assertEq(merkle.expectedProofLength(half, half + 1), 1, "last of 2^255 + 1");
        bytes32[] memory one = new bytes32[](1);
        one[0] = keccak256("left half");
        (bool ok, bytes32 root) = merkle.tryComputeRoot(half + 1, keccak256("leaf"), half, one);
        assertTrue(ok, "last of 2^255 + 1 folds");
        assertEq(root, sha256(abi.encodePacked(one[0], keccak256("leaf"))), "last of 2^255 + 1 root");
    }

    /// @notice Why the registry reads `n` from the record: leaf 0 has the shape R, R, R in trees of 5 and
    /// of 6 leaves, so its siblings fold to the same root under either claim.
    function test_AProofDependsOnTheLeafCountOnlyThroughItsShape() public view {
        bytes32[][] memory levels = _tree(7, 5);
        bytes32[] memory siblings = levels.proof(0);
        assertTrue(merkle.verify(levels.root(), 5, levels[0][0], 0, siblings), "n = 5");
        assertTrue(merkle.verify(levels.root(), 6, levels[0][0], 0, siblings), "n = 6, same shape");
        assertFalse(merkle.verify(levels.root(), 4, levels[0][0], 0, siblings), "n = 4, shorter shape");
        assertFalse(merkle.verify(levels.root(), 9, levels[0][0], 0, siblings), "n = 9, longer shape");
    }

    // ---- honest proofs -----------------------------------------------------------------------------

    function testFuzz_EveryLeafOfATreeVerifies(uint256 seed, uint256 n) public view {
        n = bound(n, 1, MAX_N);
        bytes32[][] memory levels = _tree(seed, n);
        bytes32 root = levels.root();
        for (uint256 i = 0; i < n; i++) {
            bytes32[] memory siblings = levels.proof(i);
            assertEq(siblings.length, merkle.expectedProofLength(i, n), "expectedProofLength");
            assertEq(siblings.length, ReferenceTree.shape(i, n).length, "shape length");
            assertTrue(merkle.verify(root, n, levels[0][i], i, siblings), "honest proof");
            assertEq(merkle.computeRoot(n, levels[0][i], i, siblings), root, "computeRoot");
        }
    }

    // ---- tampered proofs ---------------------------------------------------------------------------

    function testFuzz_FlippedLeafBitFails(uint256 seed, uint256 n, uint256 index, uint256 bit) public view {
        n = bound(n, 1, MAX_N);
        index = bound(index, 0, n - 1);
        bytes32[][] memory levels = _tree(seed, n);
        bytes32 leaf = levels[0][index].flipBit(bit);
        assertFalse(merkle.verify(levels.root(), n, leaf, index, levels.proof(index)), "flipped leaf");
    }

    function testFuzz_FlippedSiblingBitFails(
        uint256 seed,
        uint256 n,
        uint256 index,
        uint256 which,
        uint256 bit
    ) public view {
        n = bound(n, 2, MAX_N);
        index = bound(index, 0, n - 1);
        bytes32[][] memory levels = _tree(seed, n);
        bytes32[] memory siblings = levels.proof(index);
        which = bound(which, 0, siblings.length - 1);
        siblings[which] = siblings[which].flipBit(bit);
        assertFalse(merkle.verify(levels.root(), n, levels[0][index], index, siblings), "flipped sibling");
    }

    function testFuzz_FlippedRootBitFails(uint256 seed, uint256 n, uint256 index, uint256 bit) public view {
        n = bound(n, 1, MAX_N);
        index = bound(index, 0, n - 1);
        bytes32[][] memory levels = _tree(seed, n);
        bytes32 root = levels.root().flipBit(bit);
        assertFalse(merkle.verify(root, n, levels[0][index], index, levels.proof(index)), "flipped root");
    }

    function testFuzz_WrongIndexFails(uint256 seed, uint256 n, uint256 index, uint256 other) public view {
        n = bound(n, 1, MAX_N);
        index = bound(index, 0, n - 1);
        // Mostly nearby indexes, some in range of a bigger tree, some anything at all.
        if (other % 4 != 0) other = bound(other, 0, 2 * MAX_N);
        vm.assume(other != index);
        bytes32[][] memory levels = _tree(seed, n);
        assertFalse(merkle.verify(levels.root(), n, levels[0][index], other, levels.proof(index)), "wrong index");
    }

    /// @notice A claimed `n` only matters through the proof shape it implies: with a different shape the
    /// proof fails, with the same shape it folds identically. (On-chain, `n` comes from the record.)
    function testFuzz_WrongLeafCountFailsUnlessTheShapeIsTheSame(
        uint256 seed,
        uint256 n,
        uint256 index,
        uint256 otherN
    ) public view {
        n = bound(n, 1, MAX_N);
        index = bound(index, 0, n - 1);
        otherN = bound(otherN, 0, 2 * MAX_N);
        vm.assume(otherN != n);
        bytes32[][] memory levels = _tree(seed, n);
        bytes32[] memory siblings = levels.proof(index);
        bool sameShape =
            index < otherN && keccak256(ReferenceTree.shape(index, otherN)) == keccak256(ReferenceTree.shape(index, n));
        bool ok = merkle.verify(levels.root(), otherN, levels[0][index], index, siblings);
        assertTrue(ok == sameShape, "wrong n");
        if (index < otherN && merkle.expectedProofLength(index, otherN) != siblings.length) {
            assertFalse(ok, "wrong n with another proof length");
        }
    }

    function testFuzz_TruncatedProofFails(uint256 seed, uint256 n, uint256 index, uint256 at) public view {
        n = bound(n, 2, MAX_N);
        index = bound(index, 0, n - 1);
        bytes32[][] memory levels = _tree(seed, n);
        bytes32[] memory siblings = levels.proof(index);
        at = bound(at, 0, siblings.length - 1);
        siblings = siblings.without(at);
        assertFalse(merkle.verify(levels.root(), n, levels[0][index], index, siblings), "truncated");
    }

    function testFuzz_ExtendedProofFails(
        uint256 seed,
        uint256 n,
        uint256 index,
        uint256 at,
        bytes32 extra
    ) public view {
        n = bound(n, 1, MAX_N);
        index = bound(index, 0, n - 1);
        bytes32[][] memory levels = _tree(seed, n);
        bytes32[] memory siblings = levels.proof(index);
        at = bound(at, 0, siblings.length);
        siblings = siblings.with(at, extra);
        assertFalse(merkle.verify(levels.root(), n, levels[0][index], index, siblings), "extended");
    }

    /// @notice No inner node, with its own (shorter) path to the root, verifies as a leaf at any index.
    /// The only nodes above level 0 that verify are odd last leaves that moved up unchanged, and only at
    /// their own index.
    function testFuzz_InnerNodeIsNotALeaf(uint256 seed, uint256 n, uint256 level, uint256 pos) public view {
        n = bound(n, 2, MAX_N);
        bytes32[][] memory levels = _tree(seed, n);
        level = bound(level, 1, levels.length - 1);
        pos = bound(pos, 0, levels[level].length - 1);
        bytes32 node = levels[level][pos];
        bytes32[] memory siblings = levels.proofFrom(level, pos);
        bytes32 root = levels.root();
        for (uint256 j = 0; j < n; j++) {
            bool ok = merkle.verify(root, n, node, j, siblings);
            assertTrue(ok == (node == levels[0][j]), "inner node verified as a leaf");
        }
    }

    function testFuzz_MatchesTheReferenceProofLength(uint256 n, uint256 index) public view {
        n = bound(n, 1, 1 << 40);
        index = bound(index, 0, n - 1);
        assertEq(merkle.expectedProofLength(index, n), ReferenceTree.shape(index, n).length, "length");
    }
}
