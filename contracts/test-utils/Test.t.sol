// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

/// @notice The few Foundry-compatible cheatcodes these tests use (Hardhat 3's Solidity test runner serves
/// them at the standard cheatcode address).
interface Vm {
    /// @notice Discards the current fuzz input when `condition` is false.
    function assume(bool condition) external pure;
}

/// @notice A minimal test base instead of forge-std (npm has only forge-std 1.1.2): a failing assertion
/// reverts, and a reverting test fails.
abstract contract Test {
    /// @dev keccak256("hevm cheat code"), the address every Foundry-compatible runner serves cheatcodes at.
    Vm internal constant vm = Vm(0x7109709ECfa91a80626fF3989D68f67F5b1DD12D);

    error AssertionFailed(string message);
    error AssertionFailedBytes32(string message, bytes32 actual, bytes32 expected);
    error AssertionFailedUint(string message, uint256 actual, uint256 expected);
    error AssertionFailedBytes(string message, bytes actual, bytes expected);

    function assertTrue(bool condition, string memory message) internal pure {
        if (!condition) revert AssertionFailed(message);
    }

    function assertFalse(bool condition, string memory message) internal pure {
        if (condition) revert AssertionFailed(message);
    }

    function assertEq(bytes32 actual, bytes32 expected, string memory message) internal pure {
        if (actual != expected) revert AssertionFailedBytes32(message, actual, expected);
    }

    function assertEq(uint256 actual, uint256 expected, string memory message) internal pure {
        if (actual != expected) revert AssertionFailedUint(message, actual, expected);
    }

    function assertEq(bytes memory actual, bytes memory expected, string memory message) internal pure {
        if (keccak256(actual) != keccak256(expected)) revert AssertionFailedBytes(message, actual, expected);
    }

    /// @notice Maps any `x` into `[min, max]` (inclusive), keeping small inputs unchanged where possible.
    function bound(uint256 x, uint256 min, uint256 max) internal pure returns (uint256) {
        if (min > max) revert AssertionFailed("bound: min > max");
        if (x >= min && x <= max) return x;
        uint256 span = max - min;
        if (span == type(uint256).max) return x;
        return min + (x % (span + 1));
    }
}
