// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";
import {P256} from "@openzeppelin/contracts/utils/cryptography/P256.sol";
import {IAttestorRegistry} from "./interfaces/IAttestorRegistry.sol";
import {TpmQuote} from "./libraries/TpmQuote.sol";

/// @title Provenant attestor registry
/// @notice Enrolled TPM attestors and the on-chain check of their training certificates' quotes.
/// @dev P-256 signatures are verified with OpenZeppelin's {P256-verify}: the precompile at 0x100
/// (EIP-7951 / RIP-7212; FEVM since nv28) where the chain has one, Solidity otherwise. Both reject
/// `s > n/2`; a high `s` is reported as {AttestorRegistryHighS} before verification is attempted.
contract AttestorRegistry is Ownable2Step, IAttestorRegistry {
    /// @inheritdoc IAttestorRegistry
    uint256 public constant TRAINING_PCR = 23;
    /// @inheritdoc IAttestorRegistry
    uint256 public constant MAX_INPUTS = 64;

    /// @dev Event tags: left-aligned ASCII, zero-padded, the first word of every event's preimage.
    bytes32 internal constant TAG_RUN = bytes32("provenant/run/v1");
    bytes32 internal constant TAG_DATASET = bytes32("provenant/dataset/v1");
    bytes32 internal constant TAG_PARENT = bytes32("provenant/parent/v1");
    bytes32 internal constant TAG_CODE = bytes32("provenant/code/v1");
    bytes32 internal constant TAG_COMMAND = bytes32("provenant/command/v1");
    bytes32 internal constant TAG_CONFIG = bytes32("provenant/config/v1");
    bytes32 internal constant TAG_ENVIRONMENT = bytes32("provenant/environment/v1");
    bytes32 internal constant TAG_OUTPUT = bytes32("provenant/output/v1");

    /// @dev PCR 23 alone, as a selection bitmap.
    uint64 internal constant TRAINING_PCR_SELECT = uint64(1) << 23;
    /// @dev PCRs 0-7: every boot state covers them.
    uint32 internal constant REQUIRED_BOOT_PCRS = 0xff;
    /// @dev Boot states cover PCRs 0-15 at most (16 and up are resettable or not the firmware's).
    uint32 internal constant MAX_BOOT_PCR_SELECT = 0xffff;
    /// @dev n/2 of P-256: the largest `s` {P256-verify} accepts.
    uint256 internal constant P256_HALF_N = 0x7fffffff800000007fffffffffffffffde737d56d38bcf4279dce5617e3192a8;

    mapping(address attestor => Attestor) private _attestors;
    mapping(bytes32 akQualifiedName => address attestor) private _attestorOfQualifiedName;
    uint256 private _totalRegistered;
    mapping(address attestor => mapping(bytes32 bootState => BootState)) private _bootStates;

    constructor(address initialOwner) Ownable(initialOwner) {}

    /// @inheritdoc IAttestorRegistry
    function register(RegisterParams calldata p) external onlyOwner {
        if (p.attestor == address(0)) revert AttestorRegistryZeroAddress();
        if (_attestors[p.attestor].registeredAt != 0) revert AttestorRegistryAlreadyRegistered(p.attestor);
        if (!P256.isValidPublicKey(p.akX, p.akY)) revert AttestorRegistryInvalidPublicKey(p.akX, p.akY);
        if (p.akQualifiedName == bytes32(0) || p.ekCertificateHash == bytes32(0)) {
            revert AttestorRegistryMissingIdentity();
        }
        address holder = _attestorOfQualifiedName[p.akQualifiedName];
        if (holder != address(0)) revert AttestorRegistryKeyInUse(holder);

        _attestors[p.attestor] = Attestor({
            akX: p.akX,
            akY: p.akY,
            akQualifiedName: p.akQualifiedName,
            ekCertificateHash: p.ekCertificateHash,
            kind: p.kind,
            // A uint64 of seconds lasts until the year 584,942,419,325; the cast cannot truncate.
            registeredAt: uint64(block.timestamp),
            revokedAt: 0,
            bootStateRequired: false
        });
        _attestorOfQualifiedName[p.akQualifiedName] = p.attestor;
        ++_totalRegistered;
        emit AttestorRegistered(p.attestor, p.akQualifiedName, p.kind, p.akX, p.akY, p.ekCertificateHash);
    }

    /// @inheritdoc IAttestorRegistry
    function revoke(address attestor) external onlyOwner {
        Attestor storage a = _requireAttestor(attestor);
        if (a.revokedAt != 0) revert AttestorRegistryAttestorRevoked(attestor, a.revokedAt);
        a.revokedAt = uint64(block.timestamp);
        emit AttestorRevoked(attestor);
    }

    /// @inheritdoc IAttestorRegistry
    function approveBootState(
        address attestor,
        bytes32 bootState,
        uint32 pcrSelect,
        bytes32 policyDigest
    ) external onlyOwner {
        Attestor storage a = _requireActive(attestor);
        if (bootState == bytes32(0) || policyDigest == bytes32(0)) revert AttestorRegistryMissingBootState();
        if (pcrSelect & REQUIRED_BOOT_PCRS != REQUIRED_BOOT_PCRS || pcrSelect > MAX_BOOT_PCR_SELECT) {
            revert AttestorRegistryInvalidBootPcrs(pcrSelect);
        }
        BootState storage b = _bootStates[attestor][bootState];
        if (b.approvedAt != 0 && b.withdrawnAt == 0)
            revert AttestorRegistryBootStateAlreadyApproved(attestor, bootState);
        _bootStates[attestor][bootState] = BootState({
            pcrSelect: pcrSelect,
            approvedAt: uint64(block.timestamp),
            withdrawnAt: 0,
            policyDigest: policyDigest
        });
        a.bootStateRequired = true;
        emit BootStateApproved(attestor, bootState, pcrSelect, policyDigest);
    }

    /// @inheritdoc IAttestorRegistry
    function withdrawBootState(address attestor, bytes32 bootState) external onlyOwner {
        BootState storage b = _bootStates[attestor][bootState];
        if (b.approvedAt == 0) revert AttestorRegistryUnknownBootState(attestor, bootState);
        if (b.withdrawnAt != 0) revert AttestorRegistryBootStateWithdrawn(attestor, bootState, b.withdrawnAt);
        b.withdrawnAt = uint64(block.timestamp);
        emit BootStateWithdrawn(attestor, bootState);
    }

    /// @inheritdoc IAttestorRegistry
    function bootStateOf(address attestor, bytes32 bootState) external view returns (BootState memory) {
        return _bootStates[attestor][bootState];
    }

    /// @inheritdoc IAttestorRegistry
    function requiresBootState(address attestor) external view returns (bool) {
        return _attestors[attestor].bootStateRequired;
    }

    /// @inheritdoc IAttestorRegistry
    function attestorOf(address attestor) external view returns (Attestor memory) {
        return _requireAttestor(attestor);
    }

    /// @inheritdoc IAttestorRegistry
    function attestorOfQualifiedName(bytes32 akQualifiedName) external view returns (address) {
        return _attestorOfQualifiedName[akQualifiedName];
    }

    /// @inheritdoc IAttestorRegistry
    function isActive(address attestor) external view returns (bool) {
        Attestor storage a = _attestors[attestor];
        return a.registeredAt != 0 && a.revokedAt == 0;
    }

    /// @inheritdoc IAttestorRegistry
    function totalRegistered() external view returns (uint256) {
        return _totalRegistered;
    }

    /// @inheritdoc IAttestorRegistry
    function checkQuote(
        address attestor,
        bytes32 nonce,
        bytes32 pcrDigest,
        bytes calldata attest,
        bytes32 r,
        bytes32 s
    ) external view returns (bool) {
        Attestor storage a = _requireActive(attestor);
        _requirePcr23Level(a, attestor);
        _checkQuote(a, nonce, pcrDigest, TRAINING_PCR_SELECT, attest, r, s);
        return true;
    }

    /// @inheritdoc IAttestorRegistry
    function checkRunQuote(
        address attestor,
        bytes32 nonce,
        bytes32 pcr,
        bytes32[] calldata bootPcrs,
        bytes calldata attest,
        bytes32 r,
        bytes32 s
    ) external view returns (bool) {
        _checkRunQuote(attestor, nonce, pcr, bootPcrs, attest, r, s);
        return true;
    }

    /// @inheritdoc IAttestorRegistry
    function trainingEvents(
        TrainingLineage calldata lineage,
        TrainingEvidence calldata evidence
    ) external view returns (bytes32[] memory events, bytes32 pcr, bytes32 pcrDigest) {
        events = _trainingEvents(lineage, evidence);
        for (uint256 i = 0; i < events.length; i++) pcr = TpmQuote.extend(pcr, events[i]);
        pcrDigest = TpmQuote.singlePcrDigest(pcr);
    }

    /// @inheritdoc IAttestorRegistry
    function checkTrainingCertificate(
        TrainingLineage calldata lineage,
        TrainingEvidence calldata evidence
    ) external view returns (bool) {
        bytes32[] memory events = _trainingEvents(lineage, evidence);
        bytes32 pcr = bytes32(0);
        for (uint256 i = 0; i < events.length; i++) pcr = TpmQuote.extend(pcr, events[i]);
        _checkRunQuote(
            evidence.attestor,
            evidence.certificateDigest,
            pcr,
            evidence.bootPcrs,
            evidence.attest,
            evidence.r,
            evidence.s
        );
        return true;
    }

    /// @dev {checkRunQuote}: the trust-level rules (one copy, for training and evaluation runs), then the quote.
    function _checkRunQuote(
        address attestor,
        bytes32 nonce,
        bytes32 pcr,
        bytes32[] calldata bootPcrs,
        bytes calldata attest,
        bytes32 r,
        bytes32 s
    ) private view {
        Attestor storage a = _requireActive(attestor);
        (uint64 pcrSelect, bytes32 pcrDigest) = bootPcrs.length == 0
            ? _pcr23Only(a, attestor, pcr)
            : _withBootState(attestor, bootPcrs, pcr);
        _checkQuote(a, nonce, pcrDigest, pcrSelect, attest, r, s);
    }

    /// @dev The selection and pcrDigest of a PCR-23-only quote, refused for an attestor with a boot state.
    function _pcr23Only(Attestor storage a, address attestor, bytes32 pcr) private view returns (uint64, bytes32) {
        _requirePcr23Level(a, attestor);
        return (TRAINING_PCR_SELECT, TpmQuote.singlePcrDigest(pcr));
    }

    /// @dev A quote of PCR 23 alone counts only from an attestor without an approved boot state.
    function _requirePcr23Level(Attestor storage a, address attestor) private view {
        if (a.bootStateRequired) revert AttestorRegistryBootStateRequired(attestor);
    }

    /// @dev The selection and pcrDigest of a boot-state quote: the values must be an approved, not withdrawn
    /// boot state of `attestor` covering as many PCRs as given; the digest is over them and then PCR 23 (the
    /// TPM concatenates selected PCRs in ascending order, and 23 is above every boot PCR).
    function _withBootState(
        address attestor,
        bytes32[] calldata bootPcrs,
        bytes32 pcr
    ) private view returns (uint64, bytes32) {
        bytes32 id = sha256(abi.encodePacked(bootPcrs));
        BootState storage b = _bootStates[attestor][id];
        if (b.approvedAt == 0) revert AttestorRegistryUnknownBootState(attestor, id);
        if (b.withdrawnAt != 0) revert AttestorRegistryBootStateWithdrawn(attestor, id, b.withdrawnAt);
        uint32 select = b.pcrSelect;
        uint256 count = 0;
        for (uint32 bits = select; bits != 0; bits &= bits - 1) ++count;
        if (count != bootPcrs.length) revert AttestorRegistryBootPcrCount(count, bootPcrs.length);
        return (uint64(select) | TRAINING_PCR_SELECT, sha256(abi.encodePacked(bootPcrs, pcr)));
    }

    /// @dev The checks of {checkQuote} for the active attestor `a`, cheapest first; the signature last.
    function _checkQuote(
        Attestor storage a,
        bytes32 nonce,
        bytes32 pcrDigest,
        uint64 pcrSelect,
        bytes calldata attest,
        bytes32 r,
        bytes32 s
    ) private view {
        TpmQuote.Quote memory q = TpmQuote.parse(attest);
        if (q.qualifiedSigner != a.akQualifiedName) {
            revert AttestorRegistryWrongSigner(a.akQualifiedName, q.qualifiedSigner);
        }
        if (q.extraData != nonce) revert AttestorRegistryNonceMismatch(nonce, q.extraData);
        if (q.pcrSelect != pcrSelect) revert AttestorRegistryWrongPcrSelection(q.pcrSelect);
        if (q.pcrDigest != pcrDigest) revert AttestorRegistryPcrDigestMismatch(pcrDigest, q.pcrDigest);

        if (uint256(s) > P256_HALF_N) revert AttestorRegistryHighS(s);
        if (!P256.verify(sha256(attest), r, s, a.akX, a.akY)) revert AttestorRegistryInvalidSignature();
    }

    /// @dev The run's events in extend order (see {IAttestorRegistry}), each `sha256(abi.encode(tag, ...))`.
    function _trainingEvents(
        TrainingLineage calldata lineage,
        TrainingEvidence calldata evidence
    ) private view returns (bytes32[] memory events) {
        uint256 nd = lineage.datasets.length;
        uint256 np = lineage.parents.length;
        if (nd + np > MAX_INPUTS) revert AttestorRegistryTooManyInputs(nd + np, MAX_INPUTS);

        events = new bytes32[](nd + np + 6);
        events[0] = sha256(
            abi.encode(
                TAG_RUN,
                block.chainid,
                address(this),
                lineage.modelRegistry,
                lineage.registrant,
                evidence.attestor,
                evidence.runId
            )
        );
        uint256 k = 1;
        for (uint256 i = 0; i < nd; i++) {
            DatasetInput calldata d = lineage.datasets[i];
            events[k++] = sha256(abi.encode(TAG_DATASET, d.datasetId, d.role, d.root));
        }
        for (uint256 i = 0; i < np; i++) {
            ParentInput calldata p = lineage.parents[i];
            events[k++] = sha256(abi.encode(TAG_PARENT, p.modelId, p.relation, p.weightsDigest));
        }
        events[k++] = sha256(abi.encode(TAG_CODE, evidence.codeDigest));
        events[k++] = sha256(abi.encode(TAG_COMMAND, evidence.commandDigest));
        events[k++] = sha256(abi.encode(TAG_CONFIG, evidence.configDigest));
        events[k++] = sha256(abi.encode(TAG_ENVIRONMENT, evidence.environmentDigest));
        events[k] = sha256(abi.encode(TAG_OUTPUT, lineage.weightsDigest));
    }

    /// @dev The record of `attestor`, or revert {AttestorRegistryUnknownAttestor} or {AttestorRegistryAttestorRevoked}.
    function _requireActive(address attestor) private view returns (Attestor storage a) {
        a = _requireAttestor(attestor);
        if (a.revokedAt != 0) revert AttestorRegistryAttestorRevoked(attestor, a.revokedAt);
    }

    /// @dev The record of `attestor`, or revert {AttestorRegistryUnknownAttestor}.
    function _requireAttestor(address attestor) private view returns (Attestor storage a) {
        a = _attestors[attestor];
        if (a.registeredAt == 0) revert AttestorRegistryUnknownAttestor(attestor);
    }
}
