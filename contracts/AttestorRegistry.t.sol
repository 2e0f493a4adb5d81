// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {P256} from "@openzeppelin/contracts/utils/cryptography/P256.sol";
import {AttestorRegistry} from "./AttestorRegistry.sol";
import {IAttestorRegistry} from "./interfaces/IAttestorRegistry.sol";
import {TpmQuote} from "./libraries/TpmQuote.sol";
import {Test} from "./test-utils/Test.t.sol";

/// @dev Exposes the library so that its reverts can be caught.
contract TpmQuoteHarness {
    function parse(bytes calldata attest) external pure returns (TpmQuote.Quote memory) {
        return TpmQuote.parse(attest);
    }
}

/// @notice Fuzz tests of the TPMS_ATTEST parser (well-formed quotes of any field values parse to those values;
/// truncations, trailing bytes and out-of-profile size fields revert with the error naming them) and of the
/// registry's registration rules. Real TPM quotes and signatures are tested in test/contracts/AttestorRegistry.test.ts.
contract AttestorRegistryTest is Test {
    TpmQuoteHarness internal harness;
    AttestorRegistry internal registry;

    // A real AK from a swtpm (test/tpm/vectors/quote-pcr23.json): a point on P-256.
    bytes32 internal constant AK_X = 0x8b42fdd82d2ccd65905de9913b52ce2c48f0a157d8719790ce8d9d651007f50c;
    bytes32 internal constant AK_Y = 0x81d28b2d22f59d11175a6e52ecd543288af35d08eb62fdb28977e6f80442a121;

    function setUp() public {
        harness = new TpmQuoteHarness();
        registry = new AttestorRegistry(address(this));
    }

    struct Fields {
        bytes32 signer;
        bytes32 nonce;
        uint64 clock;
        uint32 resetCount;
        uint32 restartCount;
        bool safe;
        uint64 firmwareVersion;
        uint24 select;
        bytes32 pcrDigest;
    }

    function _attest(Fields memory f) internal pure returns (bytes memory) {
        // The bitmap is little-endian by byte: PCR 8j + i is bit i of byte j.
        bytes3 bitmap = bytes3(uint24(((f.select & 0xff) << 16) | (((f.select >> 8) & 0xff) << 8) | (f.select >> 16)));
        bytes memory head = abi.encodePacked(
            bytes4(0xff544347),
            bytes2(0x8018),
            bytes2(0x0022),
            bytes2(0x000b),
            f.signer,
            bytes2(0x0020),
            f.nonce
        );
        bytes memory clockInfo = abi.encodePacked(
            f.clock,
            f.resetCount,
            f.restartCount,
            f.safe ? bytes1(0x01) : bytes1(0x00),
            f.firmwareVersion
        );
        bytes memory selection = abi.encodePacked(uint32(1), bytes2(0x000b), bytes1(0x03), bitmap);
        return bytes.concat(head, clockInfo, selection, abi.encodePacked(bytes2(0x0020), f.pcrDigest));
    }

    function _sample() internal pure returns (Fields memory) {
        return
            Fields(
                keccak256("signer"),
                keccak256("nonce"),
                1671,
                2,
                0,
                true,
                0x2019102300163636,
                1 << 23,
                keccak256("pcr")
            );
    }

    function _expectError(bytes memory data, bytes4 selector, string memory message) internal view {
        try harness.parse(data) returns (TpmQuote.Quote memory) {
            revert AssertionFailed(message);
        } catch (bytes memory reason) {
            assertEq(uint256(uint32(bytes4(reason))), uint256(uint32(selector)), message);
        }
    }

    // ---- parser --------------------------------------------------------------------------------------------

    function testFuzz_WellFormedQuoteParsesToItsFields(Fields memory f) public view {
        bytes memory a = _attest(f);
        assertEq(a.length, 145, "145 bytes for one bank");
        TpmQuote.Quote memory q = harness.parse(a);
        assertEq(q.qualifiedSigner, f.signer, "qualifiedSigner");
        assertEq(q.extraData, f.nonce, "extraData");
        assertEq(q.clock, f.clock, "clock");
        assertEq(q.resetCount, f.resetCount, "resetCount");
        assertEq(q.restartCount, f.restartCount, "restartCount");
        assertTrue(q.safe == f.safe, "safe");
        assertEq(q.firmwareVersion, f.firmwareVersion, "firmwareVersion");
        assertEq(q.pcrSelect, f.select, "pcrSelect");
        assertEq(q.pcrDigest, f.pcrDigest, "pcrDigest");
    }

    function testFuzz_EveryTruncationRevertsTruncated(uint256 cut) public view {
        bytes memory a = _attest(_sample());
        cut = bound(cut, 0, a.length - 1);
        bytes memory t = new bytes(cut);
        for (uint256 i = 0; i < cut; i++) t[i] = a[i];
        _expectError(t, TpmQuote.TpmQuoteTruncated.selector, "truncated quote");
    }

    function testFuzz_TrailingBytesRevert(bytes memory extra) public view {
        vm.assume(extra.length > 0);
        _expectError(
            bytes.concat(_attest(_sample()), extra),
            TpmQuote.TpmQuoteTrailingBytes.selector,
            "trailing bytes"
        );
    }

    function testFuzz_OutOfProfileFieldsRevertNamingTheField(uint256 which, uint8 value) public view {
        bytes memory a = _attest(_sample());
        which = bound(which, 0, 8);
        // (offset, value the profile requires, error)
        uint256[9] memory offsets = [uint256(0), 5, 7, 9, 43, 92, 104, 106, 112];
        uint8[9] memory required = [uint8(0xff), 0x18, 0x22, 0x0b, 0x20, 0x01, 0x01, 0x0b, 0x20];
        bytes4[9] memory errors = [
            TpmQuote.TpmQuoteNotTpmGenerated.selector,
            TpmQuote.TpmQuoteNotAQuote.selector,
            TpmQuote.TpmQuoteUnsupportedSigner.selector,
            TpmQuote.TpmQuoteUnsupportedSigner.selector,
            TpmQuote.TpmQuoteUnsupportedNonceSize.selector,
            TpmQuote.TpmQuoteInvalidSafe.selector,
            TpmQuote.TpmQuoteUnsupportedBankCount.selector,
            TpmQuote.TpmQuoteUnsupportedBank.selector,
            TpmQuote.TpmQuoteUnsupportedPcrDigestSize.selector
        ];
        // safe may be 0 or 1; everything else has exactly one accepted value.
        vm.assume(value != required[which] && !(which == 5 && value == 0));
        a[offsets[which]] = bytes1(value);
        _expectError(a, errors[which], "out-of-profile field");
    }

    function testFuzz_SelectSizeOutsideOneToEightReverts(uint8 size) public view {
        vm.assume(size == 0 || size > 8);
        bytes memory a = _attest(_sample());
        a[107] = bytes1(size);
        _expectError(a, TpmQuote.TpmQuoteUnsupportedSelectSize.selector, "select size");
    }

    function testFuzz_ExtendIsSha256OfPcrAndDigest(bytes32 pcr, bytes32 digest) public pure {
        assertEq(TpmQuote.extend(pcr, digest), sha256(abi.encodePacked(pcr, digest)), "extend");
    }

    // ---- registry ------------------------------------------------------------------------------------------

    function _params(address who, bytes32 qn) internal pure returns (IAttestorRegistry.RegisterParams memory) {
        return
            IAttestorRegistry.RegisterParams(who, AK_X, AK_Y, qn, keccak256("ek"), IAttestorRegistry.TpmKind.Software);
    }

    function testFuzz_RegistersOnlyPointsOnTheCurve(bytes32 x, bytes32 y) public {
        IAttestorRegistry.RegisterParams memory p = _params(address(0xA77E5), keccak256("qn"));
        p.akX = x;
        p.akY = y;
        try registry.register(p) {
            assertTrue(P256.isValidPublicKey(x, y), "registered a point off the curve");
        } catch (bytes memory reason) {
            assertFalse(P256.isValidPublicKey(x, y), "refused a point on the curve");
            assertEq(
                reason,
                abi.encodeWithSelector(IAttestorRegistry.AttestorRegistryInvalidPublicKey.selector, x, y),
                "AttestorRegistryInvalidPublicKey"
            );
        }
    }

    function testFuzz_RegisterThenRevoke(address who, bytes32 qn) public {
        vm.assume(who != address(0) && qn != bytes32(0));
        registry.register(_params(who, qn));
        assertTrue(registry.isActive(who), "active after register");
        assertEq(uint256(uint160(registry.attestorOfQualifiedName(qn))), uint256(uint160(who)), "by qualified name");
        registry.revoke(who);
        assertFalse(registry.isActive(who), "inactive after revoke");
        try registry.register(_params(who, keccak256(abi.encode(qn)))) {
            revert AssertionFailed("re-registered a revoked attestor");
        } catch (bytes memory reason) {
            assertEq(
                reason,
                abi.encodeWithSelector(IAttestorRegistry.AttestorRegistryAlreadyRegistered.selector, who),
                "AttestorRegistryAlreadyRegistered"
            );
        }
    }

    function testFuzz_OnlyTheOwnerRegisters(address caller) public {
        vm.assume(caller != address(this) && caller != address(0));
        AttestorRegistry other = new AttestorRegistry(caller);
        try other.register(_params(address(0xA77E5), keccak256("qn"))) {
            revert AssertionFailed("a non-owner registered");
        } catch {}
    }
}
