// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {P256} from "@openzeppelin/contracts/utils/cryptography/P256.sol";

/// @title P-256 verification paths, for gas measurements (test utility, not deployed)
/// @notice The precompile path (EIP-7951 / RIP-7212 at 0x100, what {P256-verify} takes where it exists) and
/// OpenZeppelin's Solidity verifier (what it falls back to on chains without the precompile).
contract P256Probe {
    function viaVerify(bytes32 h, bytes32 r, bytes32 s, bytes32 x, bytes32 y) external view returns (bool) {
        return P256.verify(h, r, s, x, y);
    }

    function viaSolidity(bytes32 h, bytes32 r, bytes32 s, bytes32 x, bytes32 y) external view returns (bool) {
        return P256.verifySolidity(h, r, s, x, y);
    }
}
