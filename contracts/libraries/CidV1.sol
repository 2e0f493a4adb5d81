// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

/// @title A manifest CID kept as its digest
/// @notice Both registries keep a manifest's CID in one slot, as its sha2-256 digest and codec, and give it
/// back as the usual text. Only CIDv1 with codec raw (0x55) or dag-pb (0x70) and a 32-byte sha2-256 digest
/// is accepted, so that the text rebuilt is exactly the CID minted.
library CidV1 {
    uint8 internal constant RAW = 0x55;
    uint8 internal constant DAG_PB = 0x70;

    /// @notice The codec and digest of the binary CID `0x01 codec 0x12 0x20 digest[32]`; `ok` is false for
    /// anything else (CIDv0, other versions, codecs or hashes, other lengths, trailing bytes).
    function decode(bytes calldata cid) internal pure returns (bool ok, uint8 codec, bytes32 digest) {
        if (cid.length != 36 || cid[0] != 0x01 || cid[2] != 0x12 || cid[3] != 0x20) return (false, 0, 0);
        codec = uint8(cid[1]);
        if (codec != RAW && codec != DAG_PB) return (false, 0, 0);
        return (true, codec, bytes32(cid[4:36]));
    }

    /// @notice The CID in its usual text form: "b" then the 36 CID bytes in lower-case base32 (RFC 4648, no
    /// padding), 59 characters. For views: never paid for in a transaction.
    function toText(uint8 codec, bytes32 digest) internal pure returns (string memory) {
        bytes memory cid = abi.encodePacked(uint8(0x01), codec, uint8(0x12), uint8(0x20), digest);
        bytes memory alphabet = "abcdefghijklmnopqrstuvwxyz234567";
        bytes memory out = new bytes(59);
        out[0] = "b";
        uint256 buffer;
        uint256 bits;
        uint256 o = 1;
        for (uint256 i = 0; i < cid.length; ++i) {
            buffer = (buffer << 8) | uint8(cid[i]);
            bits += 8;
            while (bits >= 5) {
                bits -= 5;
                out[o++] = alphabet[(buffer >> bits) & 31];
            }
        }
        // 288 bits leave 3 over: the last character carries them, zero-padded on the right.
        out[o] = alphabet[(buffer << (5 - bits)) & 31];
        return string(out);
    }
}
