// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

/// @notice An independent, level-by-level `merkle-v1` builder for tests (docs/formats/merkle-v1.md):
/// it materialises every level with the `sha256` builtin, so it shares no code with MerkleV1's fold.
library ReferenceTree {
    /// @notice `n` distinct pseudo-random sample hashes derived from `seed`, sorted ascending.
    function sortedLeaves(uint256 seed, uint256 n) internal pure returns (bytes32[] memory leaves) {
        leaves = new bytes32[](n);
        for (uint256 i = 0; i < n; i++) {
            leaves[i] = sha256(abi.encode(seed, i));
        }
        // Insertion sort: n is small in these tests.
        for (uint256 i = 1; i < n; i++) {
            bytes32 key = leaves[i];
            uint256 j = i;
            while (j > 0 && leaves[j - 1] > key) {
                leaves[j] = leaves[j - 1];
                j--;
            }
            leaves[j] = key;
        }
    }

    /// @notice Every level of the tree: `levels[0]` is `leaves`, the last level is `[root]`.
    function build(bytes32[] memory leaves) internal pure returns (bytes32[][] memory levels) {
        uint256 depth = 0;
        for (uint256 w = leaves.length; w > 1; w = (w + 1) / 2) depth++;
        levels = new bytes32[][](depth + 1);
        levels[0] = leaves;
        for (uint256 k = 0; k < depth; k++) {
            bytes32[] memory below = levels[k];
            bytes32[] memory above = new bytes32[]((below.length + 1) / 2);
            for (uint256 p = 0; p < above.length; p++) {
                above[p] =
                    2 * p + 1 < below.length ? sha256(abi.encodePacked(below[2 * p], below[2 * p + 1])) : below[2 * p]; // odd last node moves up unchanged
            }
            levels[k + 1] = above;
        }
    }

    function root(bytes32[][] memory levels) internal pure returns (bytes32) {
        return levels[levels.length - 1][0];
    }

    /// @notice The siblings of the node at (`level`, `pos`) up to the root, bottom-up; for level 0 this
    /// is the inclusion proof of leaf `pos`.
    function proofFrom(
        bytes32[][] memory levels,
        uint256 level,
        uint256 pos
    ) internal pure returns (bytes32[] memory siblings) {
        bytes32[] memory buffer = new bytes32[](levels.length);
        uint256 count = 0;
        for (uint256 k = level; k + 1 < levels.length; k++) {
            uint256 sib = pos ^ 1;
            if (sib < levels[k].length) buffer[count++] = levels[k][sib];
            pos >>= 1;
        }
        siblings = new bytes32[](count);
        for (uint256 i = 0; i < count; i++) siblings[i] = buffer[i];
    }

    function proof(bytes32[][] memory levels, uint256 index) internal pure returns (bytes32[] memory) {
        return proofFrom(levels, 0, index);
    }

    /// @notice The shape of the proof of `index` in an `n`-leaf tree as a string of sides, bottom-up:
    /// 'L' when the sibling is on the left, 'R' when on the right. Two (index, n) with the same shape fold
    /// any (leaf, siblings) to the same root.
    function shape(uint256 index, uint256 n) internal pure returns (bytes memory sides) {
        sides = "";
        for (uint256 w = n; w > 1; w = (w + 1) / 2) {
            if (index % 2 == 1) sides = bytes.concat(sides, "L");
            else if (index + 1 < w) sides = bytes.concat(sides, "R");
            index /= 2;
        }
    }

    function copy(bytes32[] memory a) internal pure returns (bytes32[] memory b) {
        b = new bytes32[](a.length);
        for (uint256 i = 0; i < a.length; i++) b[i] = a[i];
    }

    /// @notice `a` without its element at `at`.
    function without(bytes32[] memory a, uint256 at) internal pure returns (bytes32[] memory b) {
        b = new bytes32[](a.length - 1);
        for (uint256 i = 0; i < b.length; i++) b[i] = a[i < at ? i : i + 1];
    }

    /// @notice `a` with `value` inserted before position `at` (`at == a.length` appends).
    function with(bytes32[] memory a, uint256 at, bytes32 value) internal pure returns (bytes32[] memory b) {
        b = new bytes32[](a.length + 1);
        for (uint256 i = 0; i < b.length; i++)
            b[i] =
                i < at
                    ? a[i]
                    : i == at
                        ? value
                        : a[i - 1];
    }

    function flipBit(bytes32 value, uint256 bit) internal pure returns (bytes32) {
        return value ^ bytes32(uint256(1) << (bit % 256));
    }
}
