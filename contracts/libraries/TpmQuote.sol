// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

/// @title TPM 2.0 quotes in calldata
/// @notice Parses a TPMS_ATTEST of type TPM_ST_ATTEST_QUOTE (TPM 2.0 Library Part 2, 10.12.12) produced by
/// TPM2_Quote with a SHA-256 name algorithm, a 32-byte nonce and one SHA-256 PCR bank, and replays a PCR.
/// @dev The bytes come from an attestor and are attacker-controlled: every size field is read and checked
/// against the bytes that remain before anything behind it is read, sizes are checked against what this
/// profile accepts, and trailing bytes are rejected. Each rejection is a custom error naming the field.
/// Layout (145 bytes for one bank of 24 PCRs):
/// magic u32 (ff544347) | type u16 (8018) | qualifiedSigner TPM2B_NAME (u16 size, 000b ‖ 32 bytes) |
/// extraData TPM2B_DATA (the nonce) | clockInfo (clock u64, resetCount u32, restartCount u32, safe u8) |
/// firmwareVersion u64 | TPML_PCR_SELECTION (count u32, then per bank: hash u16, sizeofSelect u8, bitmap) |
/// pcrDigest TPM2B_DIGEST. Integers are big-endian.
library TpmQuote {
    /// @notice TPM_GENERATED_VALUE: the TPM signs only structures that start with it (restricted keys).
    uint32 internal constant TPM_GENERATED_VALUE = 0xff544347;
    /// @notice TPM_ST_ATTEST_QUOTE.
    uint16 internal constant TPM_ST_ATTEST_QUOTE = 0x8018;
    /// @notice TPM_ALG_SHA256.
    uint16 internal constant TPM_ALG_SHA256 = 0x000b;
    /// @notice PCR_SELECT bitmaps longer than this (64 PCRs) are rejected.
    uint256 internal constant MAX_PCR_SELECT_SIZE = 8;

    /// @notice A parsed quote. The qualified signer's algorithm (SHA-256) and every size are fixed by the
    /// profile, so only the values remain.
    struct Quote {
        /// @notice The 32-byte digest of the signer's qualified name (its nameAlg 000b is checked, not kept).
        bytes32 qualifiedSigner;
        /// @notice The caller's nonce (qualifyingData), exactly 32 bytes.
        bytes32 extraData;
        /// @notice TPM clock in milliseconds.
        uint64 clock;
        uint32 resetCount;
        uint32 restartCount;
        /// @notice False when the clock may have been set back (e.g. after a non-orderly shutdown).
        bool safe;
        uint64 firmwareVersion;
        /// @notice The selected PCRs of the single SHA-256 bank as a bitmap: bit i set means PCR i.
        uint64 pcrSelect;
        /// @notice SHA-256 over the selected PCR values, in PCR order.
        bytes32 pcrDigest;
    }

    /// @notice The quote ends before `field` (at byte `offset`).
    error TpmQuoteTruncated(uint256 offset);
    /// @notice The quote does not start with TPM_GENERATED_VALUE: the TPM did not make it.
    error TpmQuoteNotTpmGenerated(uint32 magic);
    /// @notice The attestation is of another type than a quote.
    error TpmQuoteNotAQuote(uint16 attestType);
    /// @notice The qualified signer is not a SHA-256 name (000b ‖ 32 bytes): `size` bytes or algorithm `alg`.
    error TpmQuoteUnsupportedSigner(uint256 size, uint16 alg);
    /// @notice The nonce (extraData) is `size` bytes; this profile uses 32-byte nonces.
    error TpmQuoteUnsupportedNonceSize(uint256 size);
    /// @notice `safe` is neither 0 nor 1.
    error TpmQuoteInvalidSafe(uint8 value);
    /// @notice The quote selects `count` PCR banks; this profile quotes exactly one.
    error TpmQuoteUnsupportedBankCount(uint256 count);
    /// @notice The quoted bank uses hash algorithm `alg`, not SHA-256.
    error TpmQuoteUnsupportedBank(uint16 alg);
    /// @notice The PCR bitmap is `size` bytes: zero, or more than {MAX_PCR_SELECT_SIZE}.
    error TpmQuoteUnsupportedSelectSize(uint256 size);
    /// @notice The PCR digest is `size` bytes, not 32.
    error TpmQuoteUnsupportedPcrDigestSize(uint256 size);
    /// @notice `count` bytes follow the last field.
    error TpmQuoteTrailingBytes(uint256 count);

    /// @notice Parses `attest` (TPMS_ATTEST bytes as signed) under the profile above; reverts with a
    /// `TpmQuote*` error naming the first field that does not fit.
    function parse(bytes calldata attest) internal pure returns (Quote memory q) {
        uint256 len = attest.length;
        uint256 o = 0;

        uint32 magic = uint32(_read(attest, len, o, 4));
        if (magic != TPM_GENERATED_VALUE) revert TpmQuoteNotTpmGenerated(magic);
        uint16 attestType = uint16(_read(attest, len, o + 4, 2));
        if (attestType != TPM_ST_ATTEST_QUOTE) revert TpmQuoteNotAQuote(attestType);
        o += 6;

        // qualifiedSigner: TPM2B_NAME holding nameAlg ‖ digest.
        uint256 size = _read(attest, len, o, 2);
        uint16 alg = size >= 2 ? uint16(_read(attest, len, o + 2, 2)) : 0;
        if (size != 34 || alg != TPM_ALG_SHA256) revert TpmQuoteUnsupportedSigner(size, alg);
        q.qualifiedSigner = bytes32(_read(attest, len, o + 4, 32));
        o += 36;

        size = _read(attest, len, o, 2);
        if (size != 32) revert TpmQuoteUnsupportedNonceSize(size);
        q.extraData = bytes32(_read(attest, len, o + 2, 32));
        o += 34;

        // clockInfo and firmwareVersion: 8 + 4 + 4 + 1 + 8 bytes.
        q.clock = uint64(_read(attest, len, o, 8));
        q.resetCount = uint32(_read(attest, len, o + 8, 4));
        q.restartCount = uint32(_read(attest, len, o + 12, 4));
        uint8 safe = uint8(_read(attest, len, o + 16, 1));
        if (safe > 1) revert TpmQuoteInvalidSafe(safe);
        q.safe = safe == 1;
        q.firmwareVersion = uint64(_read(attest, len, o + 17, 8));
        o += 25;

        uint256 count = _read(attest, len, o, 4);
        if (count != 1) revert TpmQuoteUnsupportedBankCount(count);
        uint16 bank = uint16(_read(attest, len, o + 4, 2));
        if (bank != TPM_ALG_SHA256) revert TpmQuoteUnsupportedBank(bank);
        size = _read(attest, len, o + 6, 1);
        if (size == 0 || size > MAX_PCR_SELECT_SIZE) revert TpmQuoteUnsupportedSelectSize(size);
        o += 7;
        // The bitmap is little-endian by byte: byte j, bit i selects PCR 8j + i.
        uint64 select = 0;
        for (uint256 j = 0; j < size; j++) {
            select |= uint64(_read(attest, len, o + j, 1)) << uint64(8 * j);
        }
        q.pcrSelect = select;
        o += size;

        size = _read(attest, len, o, 2);
        if (size != 32) revert TpmQuoteUnsupportedPcrDigestSize(size);
        q.pcrDigest = bytes32(_read(attest, len, o + 2, 32));
        o += 34;

        if (o != len) revert TpmQuoteTrailingBytes(len - o);
    }

    /// @notice TPM2_PCR_Extend in the SHA-256 bank: `sha256(pcr ‖ digest)`.
    function extend(bytes32 pcr, bytes32 digest) internal pure returns (bytes32) {
        return sha256(abi.encodePacked(pcr, digest));
    }

    /// @notice The pcrDigest of a quote selecting exactly one SHA-256 PCR whose value is `pcr`.
    function singlePcrDigest(bytes32 pcr) internal pure returns (bytes32) {
        return sha256(abi.encodePacked(pcr));
    }

    /// @dev Reads `n` (1..32) big-endian bytes of `data` at `offset`, after checking they lie inside `len`.
    function _read(bytes calldata data, uint256 len, uint256 offset, uint256 n) private pure returns (uint256 v) {
        // offset <= len is checked first, so `len - offset` cannot underflow.
        if (offset > len || len - offset < n) revert TpmQuoteTruncated(offset);
        assembly ("memory-safe") {
            // In bounds by the check above: the load starts inside `data` and the shift keeps only its n bytes.
            v := shr(sub(256, mul(8, n)), calldataload(add(data.offset, offset)))
        }
    }
}
