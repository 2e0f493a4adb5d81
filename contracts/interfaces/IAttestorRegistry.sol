// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

/// @title Provenant attestor registry
/// @notice The attestors whose TPM-signed training certificates the model registry accepts, and the check
/// of such a certificate's quote. An attestor is an address standing for one TPM attestation key (AK): an
/// ECC P-256 restricted signing key that the registry's owner enrolled off-chain (EK certificate chain to
/// a configured root, AK attributes, MakeCredential/ActivateCredential; see docs/attestor.md) and then
/// registered here. The owner can revoke an attestor; a revoked attestor's quotes are refused.
/// @dev A training run's measurements are extended, in a fixed order, into PCR 23 of the attestor's TPM,
/// starting from zeros (see docs/formats/training-certificate-v1.md, "Event log"):
///
///     run, dataset_1 .. dataset_n, parent_1 .. parent_m, code, command, config, environment, output
///
/// Each event digest is `sha256(abi.encode(tag, fields...))` with a 32-byte ASCII tag (e.g.
/// `bytes32("provenant/dataset/v1")`), so events of different kinds can never be taken for one another.
/// The registry recomputes every event from the lineage being registered, replays PCR 23, and requires the
/// quote's pcrDigest to equal the replay: the datasets, parents and output registered on-chain are exactly
/// those the TPM measured, in order. The quote's nonce (extraData) must be the certificate digest, the
/// SHA-256 of the full certificate payload stored off-chain.
///
/// Two trust levels. A PCR-23-only certificate says what some process holding the attestor's TPM measured.
/// A boot-state certificate (`evidence.bootPcrs` not empty) also quotes the boot PCRs (0-7, and any of 8-15
/// the state names): their values must be a boot state the owner approved for this attestor (after appraising
/// its boot event log against a boot policy off-chain, see docs/attestor.md "Boot states"), and the quote's
/// pcrDigest must be `sha256(bootPcrs ‖ PCR 23)`. Once an attestor has a boot state approved, its PCR-23-only
/// quotes are refused: the owner has said its word counts only with its boot state. The same rules hold for
/// every measured run an attestor quotes, training or evaluation ({checkRunQuote}), and {checkQuote}, which
/// takes PCR 23 alone, refuses such an attestor.
interface IAttestorRegistry {
    /// @notice What anchors the attestor's EK certificate: a TPM vendor's root, or a local CA of a
    /// software TPM (swtpm). A software TPM's keys are files on the attested machine.
    enum TpmKind {
        Software,
        Hardware
    }

    /// @notice The on-chain record of one attestor.
    /// @dev `registeredAt != 0` is the existence test.
    struct Attestor {
        /// @notice AK public key, P-256 affine coordinates.
        bytes32 akX;
        bytes32 akY;
        /// @notice SHA-256 part of the AK's qualified name `000b ‖ SHA-256(QN(EK) ‖ Name(AK))`: what every
        /// quote by this AK under this EK carries as qualifiedSigner. Binds the AK to the enrolled EK.
        bytes32 akQualifiedName;
        /// @notice SHA-256 of the EK certificate (DER) the enrollment verified.
        bytes32 ekCertificateHash;
        TpmKind kind;
        /// @notice `block.timestamp` of the registration.
        uint64 registeredAt;
        /// @notice `block.timestamp` of the revocation; 0 while active.
        uint64 revokedAt;
        /// @notice Set by the first {approveBootState}: from then on the attestor's quotes must cover a boot state.
        bool bootStateRequired;
    }

    /// @notice A boot state the owner approved for an attestor, keyed by its id: `sha256` of the boot PCR values
    /// concatenated in ascending PCR order (what a quote over those PCRs alone would carry as pcrDigest).
    /// @dev `approvedAt != 0` is the existence test.
    struct BootState {
        /// @notice The boot PCRs the state covers (bit i: PCR i): 0-7, and any of 8-15.
        uint32 pcrSelect;
        /// @notice `block.timestamp` of the (latest) approval.
        uint64 approvedAt;
        /// @notice `block.timestamp` of the withdrawal; 0 while approved.
        uint64 withdrawnAt;
        /// @notice SHA-256 of the boot policy (`provenant-boot-policy-v1`, canonical JSON) the owner appraised the
        /// boot's event log against; certificates of this state must name the same policy.
        bytes32 policyDigest;
    }

    /// @notice Arguments of {register}; see {Attestor} for the fields.
    struct RegisterParams {
        address attestor;
        bytes32 akX;
        bytes32 akY;
        bytes32 akQualifiedName;
        bytes32 ekCertificateHash;
        TpmKind kind;
    }

    /// @notice A dataset the run measured. `role` is the model registry's `DatasetRole` as a number.
    struct DatasetInput {
        uint256 datasetId;
        uint8 role;
        /// @notice The dataset's `merkle-v1` root as recorded on-chain.
        bytes32 root;
    }

    /// @notice A parent model the run measured. `relation` is the model registry's `ParentRelation`.
    struct ParentInput {
        uint256 modelId;
        uint8 relation;
        /// @notice The parent's weights digest as recorded on-chain.
        bytes32 weightsDigest;
    }

    /// @notice The lineage being registered, as the model registry knows it (roots and digests read from
    /// the chain, not from the caller).
    struct TrainingLineage {
        /// @notice The registry the model is registered in (bound into the run event).
        address modelRegistry;
        /// @notice The account registering the model (bound into the run event).
        address registrant;
        /// @notice The new model's weights digest (the output event).
        bytes32 weightsDigest;
        DatasetInput[] datasets;
        ParentInput[] parents;
    }

    /// @notice The certificate's on-chain part: who signed, the certificate digest, the measured values
    /// that are not lineage, and the quote.
    struct TrainingEvidence {
        address attestor;
        /// @notice SHA-256 of the certificate payload (RFC 8785 canonical JSON); the quote's nonce.
        bytes32 certificateDigest;
        /// @notice The run's random id (bound into the run event).
        bytes32 runId;
        bytes32 codeDigest;
        bytes32 commandDigest;
        bytes32 configDigest;
        bytes32 environmentDigest;
        /// @notice The quoted boot PCR values in ascending PCR order, for a boot-state certificate; empty for a
        /// PCR-23-only one. Their SHA-256 is the boot state's id.
        bytes32[] bootPcrs;
        /// @notice TPMS_ATTEST as the TPM signed it.
        bytes attest;
        /// @notice ECDSA P-256 signature over `sha256(attest)`, with `s` in the lower half of the order
        /// (TPMs do not normalise: submit `n - s` when `s > n/2`).
        bytes32 r;
        bytes32 s;
    }

    /// @notice Attestor `attestor` was registered with AK (`akX`, `akY`).
    event AttestorRegistered(
        address indexed attestor,
        bytes32 indexed akQualifiedName,
        TpmKind kind,
        bytes32 akX,
        bytes32 akY,
        bytes32 ekCertificateHash
    );

    /// @notice Attestor `attestor` was revoked; its quotes are refused from now on.
    event AttestorRevoked(address indexed attestor);

    /// @notice Boot state `bootState` (boot PCRs `pcrSelect`, appraised against policy `policyDigest`) was approved
    /// for `attestor`.
    event BootStateApproved(
        address indexed attestor,
        bytes32 indexed bootState,
        uint32 pcrSelect,
        bytes32 policyDigest
    );

    /// @notice Boot state `bootState` of `attestor` was withdrawn: certificates quoting it are refused from now on.
    event BootStateWithdrawn(address indexed attestor, bytes32 indexed bootState);

    /// @notice The attestor address is zero.
    error AttestorRegistryZeroAddress();
    /// @notice `attestor` is already registered (revoked attestors stay registered, and revoked).
    error AttestorRegistryAlreadyRegistered(address attestor);
    /// @notice The AK is not a point on P-256.
    error AttestorRegistryInvalidPublicKey(bytes32 x, bytes32 y);
    /// @notice The qualified name or the EK certificate hash is zero.
    error AttestorRegistryMissingIdentity();
    /// @notice This AK (by qualified name) is already registered, as `attestor`.
    error AttestorRegistryKeyInUse(address attestor);
    /// @notice `attestor` was never registered.
    error AttestorRegistryUnknownAttestor(address attestor);
    /// @notice `attestor` was revoked at `revokedAt`.
    error AttestorRegistryAttestorRevoked(address attestor, uint64 revokedAt);
    /// @notice The quote's qualifiedSigner is not the registered AK under the registered EK.
    error AttestorRegistryWrongSigner(bytes32 expected, bytes32 actual);
    /// @notice The quote's nonce (extraData) is not the certificate digest.
    error AttestorRegistryNonceMismatch(bytes32 expected, bytes32 actual);
    /// @notice The quote selects PCRs `selected` (bitmap); it must select PCR 23 alone, or for a boot-state
    /// certificate the boot state's PCRs and PCR 23.
    error AttestorRegistryWrongPcrSelection(uint64 selected);
    /// @notice The quote's pcrDigest is not the digest of the replayed event log.
    error AttestorRegistryPcrDigestMismatch(bytes32 expected, bytes32 actual);
    /// @notice The signature's `s` is above n/2 (submit `n - s`).
    error AttestorRegistryHighS(bytes32 s);
    /// @notice The signature does not verify under the registered AK.
    error AttestorRegistryInvalidSignature();
    /// @notice The lineage has more than `max` datasets plus parents.
    error AttestorRegistryTooManyInputs(uint256 count, uint256 max);
    /// @notice A boot state's id or policy digest is zero.
    error AttestorRegistryMissingBootState();
    /// @notice A boot state must cover PCRs 0-7 and none above 15; `pcrSelect` does not.
    error AttestorRegistryInvalidBootPcrs(uint32 pcrSelect);
    /// @notice Boot state `bootState` is already approved (and not withdrawn) for `attestor`.
    error AttestorRegistryBootStateAlreadyApproved(address attestor, bytes32 bootState);
    /// @notice No boot state `bootState` was ever approved for `attestor`.
    error AttestorRegistryUnknownBootState(address attestor, bytes32 bootState);
    /// @notice Boot state `bootState` of `attestor` was withdrawn at `withdrawnAt`.
    error AttestorRegistryBootStateWithdrawn(address attestor, bytes32 bootState, uint64 withdrawnAt);
    /// @notice `attestor` has an approved boot state: a quote of PCR 23 alone is not enough from it.
    error AttestorRegistryBootStateRequired(address attestor);
    /// @notice The evidence has `actual` boot PCR values; the boot state covers `expected` PCRs.
    error AttestorRegistryBootPcrCount(uint256 expected, uint256 actual);

    /// @notice The PCR a training run's events are extended into.
    function TRAINING_PCR() external view returns (uint256);

    /// @notice The most datasets plus parents one training certificate may name.
    function MAX_INPUTS() external view returns (uint256);

    /// @notice Registers `p.attestor` with its AK and EK identity. Only the owner, after verifying the
    /// enrollment off-chain. Emits {AttestorRegistered}. Reverts {AttestorRegistryZeroAddress},
    /// {AttestorRegistryAlreadyRegistered}, {AttestorRegistryInvalidPublicKey},
    /// {AttestorRegistryMissingIdentity} or {AttestorRegistryKeyInUse}.
    function register(RegisterParams calldata p) external;

    /// @notice Revokes `attestor`. Only the owner. Emits {AttestorRevoked}. Reverts
    /// {AttestorRegistryUnknownAttestor} or {AttestorRegistryAttestorRevoked} when already revoked.
    function revoke(address attestor) external;

    /// @notice Approves boot state `bootState` (the SHA-256 of the boot PCR values, ascending) covering the boot
    /// PCRs `pcrSelect` for `attestor`, appraised against the boot policy `policyDigest`. Only the owner; the
    /// attestor must be registered and not revoked. A withdrawn state may be approved again. From the first
    /// approval on, the attestor's PCR-23-only quotes are refused. Emits {BootStateApproved}. Reverts
    /// {AttestorRegistryUnknownAttestor}, {AttestorRegistryAttestorRevoked}, {AttestorRegistryMissingBootState},
    /// {AttestorRegistryInvalidBootPcrs} or {AttestorRegistryBootStateAlreadyApproved}.
    function approveBootState(address attestor, bytes32 bootState, uint32 pcrSelect, bytes32 policyDigest) external;

    /// @notice Withdraws boot state `bootState` of `attestor`. Only the owner. Emits {BootStateWithdrawn}. Reverts
    /// {AttestorRegistryUnknownBootState} or {AttestorRegistryBootStateWithdrawn} when already withdrawn.
    function withdrawBootState(address attestor, bytes32 bootState) external;

    /// @notice Boot state `bootState` of `attestor`; all zero when it was never approved.
    function bootStateOf(address attestor, bytes32 bootState) external view returns (BootState memory);

    /// @notice True once a boot state was approved for `attestor`: its quotes must then cover a boot state.
    function requiresBootState(address attestor) external view returns (bool);

    /// @notice The record of `attestor`. Reverts {AttestorRegistryUnknownAttestor}.
    function attestorOf(address attestor) external view returns (Attestor memory);

    /// @notice The attestor registered with the AK whose qualified-name digest is `akQualifiedName`, or zero.
    function attestorOfQualifiedName(bytes32 akQualifiedName) external view returns (address);

    /// @notice True when `attestor` is registered and not revoked.
    function isActive(address attestor) external view returns (bool);

    /// @notice Number of attestors ever registered (revoked ones included).
    function totalRegistered() external view returns (uint256);

    /// @notice Checks a quote by `attestor` over PCR 23 alone: the attestor is registered and not revoked, and
    /// has no approved boot state ({AttestorRegistryBootStateRequired}: such an attestor's quotes must also cover
    /// its boot PCRs, see {checkRunQuote}), `attest` parses, its qualifiedSigner is the registered AK's qualified
    /// name, its nonce is `nonce`, its pcrDigest is `pcrDigest`, and (`r`, `s`) is a low-s P-256 signature by the
    /// AK over `sha256(attest)`. Returns true or reverts with the error naming the first failed check (`TpmQuote*`
    /// for a malformed quote).
    function checkQuote(
        address attestor,
        bytes32 nonce,
        bytes32 pcrDigest,
        bytes calldata attest,
        bytes32 r,
        bytes32 s
    ) external view returns (bool);

    /// @notice The quote check of a measured run, at the attestor's trust level: the run's events replayed give
    /// PCR 23 the value `pcr`. Without `bootPcrs` the quote must select PCR 23 alone and carry its digest, and is
    /// refused ({AttestorRegistryBootStateRequired}) from an attestor with an approved boot state; with
    /// `bootPcrs` (the boot PCR values, ascending) they must be an approved, not withdrawn boot state of the
    /// attestor covering as many PCRs, and the quote must select those PCRs and PCR 23 and carry
    /// `sha256(bootPcrs ‖ pcr)`. Then {checkQuote}'s checks. {checkTrainingCertificate} is this check over a
    /// training run's events; EvaluationRegistry makes it over an evaluation's. Returns true or reverts naming
    /// the failed check.
    function checkRunQuote(
        address attestor,
        bytes32 nonce,
        bytes32 pcr,
        bytes32[] calldata bootPcrs,
        bytes calldata attest,
        bytes32 r,
        bytes32 s
    ) external view returns (bool);

    /// @notice The event digests of a training run, in extend order, as {checkTrainingCertificate} recomputes
    /// them; the final PCR 23 value; and the pcrDigest a quote over PCR 23 alone must carry.
    function trainingEvents(
        TrainingLineage calldata lineage,
        TrainingEvidence calldata evidence
    ) external view returns (bytes32[] memory events, bytes32 pcr, bytes32 pcrDigest);

    /// @notice The check the model registry makes before an attested registration: {checkRunQuote} with
    /// `nonce = evidence.certificateDigest` and `pcr` from {trainingEvents}, so the quote covers exactly
    /// this lineage (datasets with roots and roles, parents with digests and relations, output), this model
    /// registry and registrant, on this chain. With `evidence.bootPcrs`, the quote must instead select the boot
    /// state's PCRs and PCR 23, the values must be an approved, not withdrawn boot state of the attestor, and the
    /// pcrDigest must be `sha256(bootPcrs ‖ PCR 23)`. Returns true or reverts naming the failed check.
    function checkTrainingCertificate(
        TrainingLineage calldata lineage,
        TrainingEvidence calldata evidence
    ) external view returns (bool);
}
