// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

/// @title merkle-v1 inclusion proofs
/// @notice Verifier of the `merkle-v1` commitment (docs/formats/merkle-v1.md): leaves are the sorted,
/// distinct sample hashes, used as they are; `parent = SHA-256(left ‖ right)`; a level's odd last node
/// moves up unchanged. A proof is `(leaf, index, siblings)` checked against `(root, n)`; the shape of the
/// path (which levels consume a sibling, and on which side) follows from `(index, n)` alone, and the
/// sibling list must have exactly the implied length. That length check is what keeps an inner node
/// from being proven as a leaf, so no domain prefixes are needed.
/// @dev The functions that hash are `view`, not `pure`: they `staticcall` the SHA-256 precompile.
library MerkleV1 {
    /// @notice `index` is not below the leaf count `n`, so it has no proof.
    error MerkleV1IndexOutOfRange(uint256 index, uint256 n);
    /// @notice The proof of `index` in an `n`-leaf tree needs `expected` siblings, not `actual`.
    error MerkleV1InvalidProofLength(uint256 index, uint256 n, uint256 expected, uint256 actual);
    /// @notice The SHA-256 precompile call failed (only possible when out of gas).
    error MerkleV1HashFailed();

    /// @notice Whether `leaf` is the leaf at `index` of the `n`-leaf tree with root `root`.
    /// @dev False when `index >= n`, when `siblings.length` is not the implied length, or when the
    /// folded root differs from `root`. Never reverts (except out of gas).
    /// @param siblings Sibling hashes, bottom-up.
    function verify(
        bytes32 root,
        uint256 n,
        bytes32 leaf,
        uint256 index,
        bytes32[] calldata siblings
    ) internal view returns (bool) {
        (bool ok, bytes32 computed) = tryComputeRoot(n, leaf, index, siblings);
        return ok && computed == root;
    }

    /// @notice The root that the proof `(leaf, index, siblings)` implies for an `n`-leaf tree.
    /// @dev Reverts {MerkleV1IndexOutOfRange} or {MerkleV1InvalidProofLength} for a malformed proof.
    function computeRoot(
        uint256 n,
        bytes32 leaf,
        uint256 index,
        bytes32[] calldata siblings
    ) internal view returns (bytes32 root) {
        bool ok;
        (ok, root) = tryComputeRoot(n, leaf, index, siblings);
        if (!ok) {
            if (index >= n) revert MerkleV1IndexOutOfRange(index, n);
            revert MerkleV1InvalidProofLength(index, n, expectedProofLength(index, n), siblings.length);
        }
    }

    /// @notice Like {computeRoot}, but returns `(false, 0)` for a malformed proof instead of reverting.
    /// @dev The walk of merkle-v1.md: at each level above the leaves, the node at `pos` either is the odd
    /// last node (even `pos == width - 1`) and moves up unchanged, or is hashed with the next sibling
    /// (node on the left when `pos` is even). Fails as soon as the siblings run out, and at the end unless
    /// every sibling was used.
    function tryComputeRoot(
        uint256 n,
        bytes32 leaf,
        uint256 index,
        bytes32[] calldata siblings
    ) internal view returns (bool ok, bytes32 root) {
        if (index >= n) return (false, bytes32(0));
        uint256 length = siblings.length;
        uint256 used = 0;
        uint256 pos = index;
        uint256 width = n;
        bytes4 hashFailed = MerkleV1HashFailed.selector;
        root = leaf;
        // Nothing in this loop can overflow: `width > 1` inside it, so `width - 1` cannot underflow; `used`
        // is incremented only after `used < length` was checked; ceil(width / 2) is computed as
        // `(width >> 1) + (width & 1)`, at most 2^255 for any width. Skipping the checks saves gas per level.
        unchecked {
            while (width > 1) {
                uint256 isRight = pos & 1;
                // Every node but a level's odd last node (even `pos == width - 1`) is hashed with a sibling;
                // the odd last node moves up unchanged, consuming none.
                if (isRight == 1 || pos != width - 1) {
                    if (used == length) return (false, bytes32(0));
                    // root := SHA-256(root ‖ sibling) for a left node, SHA-256(sibling ‖ root) for a right
                    // one, with sibling = siblings[used]. Inlined rather than a call to {hashPair}: saves
                    // ~80 gas per level. Branch-free order in the scratch space 0x00..0x3f (free to
                    // overwrite): `root` goes to word `isRight`, the sibling to the other word. The sibling
                    // is read straight from calldata at `siblings.offset + 32 * used`, in bounds because
                    // `used < length` (no second bounds check). The SHA-256 precompile (0x02) hashes the
                    // 64 bytes and writes its 32-byte output back to 0x00; it fails only when out of gas,
                    // and then this reverts with MerkleV1HashFailed().
                    assembly ("memory-safe") {
                        let nodeWord := shl(5, isRight)
                        mstore(nodeWord, root)
                        mstore(xor(nodeWord, 0x20), calldataload(add(siblings.offset, shl(5, used))))
                        if iszero(staticcall(gas(), 0x02, 0x00, 0x40, 0x00, 0x20)) {
                            mstore(0x00, hashFailed)
                            revert(0x00, 0x04)
                        }
                        root := mload(0x00)
                    }
                    ++used;
                }
                pos >>= 1;
                width = (width >> 1) + (width & 1);
            }
        }
        if (used != length) return (false, bytes32(0));
        return (true, root);
    }

    /// @notice Number of siblings in the proof of leaf `index` of an `n`-leaf tree: the number of levels
    /// at which that leaf's ancestor is not the odd last node. Between 0 (`n == 1`) and `ceil(log2 n)`.
    /// @dev Reverts {MerkleV1IndexOutOfRange} if `index >= n`.
    function expectedProofLength(uint256 index, uint256 n) internal pure returns (uint256 length) {
        if (index >= n) revert MerkleV1IndexOutOfRange(index, n);
        uint256 pos = index;
        uint256 width = n;
        while (width > 1) {
            // Cannot overflow: `length` grows by at most one per halving of `width`, so it stays below 257;
            // `width - 1` is safe since `width > 1`; ceil(width / 2) as in {tryComputeRoot}.
            unchecked {
                if ((pos & 1) == 1 || pos != width - 1) ++length;
                pos >>= 1;
                width = (width >> 1) + (width & 1);
            }
        }
    }

    /// @notice `SHA-256(left ‖ right)`, the parent of two nodes.
    /// @dev A 64-byte staticcall to the SHA-256 precompile, cheaper than `sha256(abi.encodePacked(...))`
    /// because nothing is copied to free memory.
    function hashPair(bytes32 left, bytes32 right) internal view returns (bytes32 parent) {
        bytes4 hashFailed = MerkleV1HashFailed.selector;
        // Writes `left ‖ right` to the scratch space 0x00..0x3f (Solidity never expects it preserved),
        // calls the precompile at address 0x02 on those 64 bytes, and writes its 32-byte output back to
        // 0x00. The call only fails when it runs out of gas; then revert with MerkleV1HashFailed().
        assembly ("memory-safe") {
            mstore(0x00, left)
            mstore(0x20, right)
            if iszero(staticcall(gas(), 0x02, 0x00, 0x40, 0x00, 0x20)) {
                mstore(0x00, hashFailed)
                revert(0x00, 0x04)
            }
            parent := mload(0x00)
        }
    }
}
