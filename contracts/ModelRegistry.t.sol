// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {DatasetRegistry} from "./DatasetRegistry.sol";
import {ModelRegistry} from "./ModelRegistry.sol";
import {IAttestorRegistry} from "./interfaces/IAttestorRegistry.sol";
import {IDatasetRegistry} from "./interfaces/IDatasetRegistry.sol";
import {IModelRegistry} from "./interfaces/IModelRegistry.sol";
import {Test} from "./test-utils/Test.t.sol";

/// @notice Stands in for the attestor registry's certificate check: accepts exactly the (lineage, evidence) it
/// was told to expect; otherwise reverts with the refusal it was given, or {CertificateCheckStubMismatch}
/// naming the digest of what it received. Real quotes are checked in test/contracts/AttestorRegistry.test.ts.
contract CertificateCheckStub {
    bytes32 private _expected;
    bytes private _refusal;

    error CertificateCheckStubMismatch(bytes32 expected, bytes32 actual);

    function expectInput(bytes32 digest) external {
        _expected = digest;
        delete _refusal;
    }

    function refuse(bytes calldata reason) external {
        _refusal = reason;
    }

    function checkTrainingCertificate(
        IAttestorRegistry.TrainingLineage calldata lineage,
        IAttestorRegistry.TrainingEvidence calldata evidence
    ) external view returns (bool) {
        bytes memory refusal = _refusal;
        if (refusal.length != 0) {
            assembly {
                revert(add(refusal, 32), mload(refusal))
            }
        }
        bytes32 actual = keccak256(abi.encode(lineage, evidence));
        if (actual != _expected) revert CertificateCheckStubMismatch(_expected, actual);
        return true;
    }
}

/// @notice Calls the registry from another address than the test.
contract OtherRegistrant {
    function registerAttested(
        IModelRegistry registry,
        IModelRegistry.RegisterParams calldata p,
        IAttestorRegistry.TrainingEvidence calldata evidence
    ) external returns (uint256) {
        return registry.registerAttested(p, evidence, "bafkreicertificate");
    }
}

/// @notice Fuzz tests of the model registry's lineage: random DAGs register and read back exactly, every edge
/// points backwards, records never change, and every malformed edge (unknown, self, forward, duplicate, too
/// many) is refused with its error. Attested registrations: the lineage handed to the certificate check is
/// the chain's (roots, parent digests, this registry, the caller), a refusal bubbles up unchanged, and a
/// certificate registers one model.
contract ModelRegistryTest is Test {
    uint256 internal constant DATASETS = 5;
    uint256 internal constant MAX_MODELS = 12;

    DatasetRegistry internal datasets;
    CertificateCheckStub internal attestors;
    ModelRegistry internal registry;

    function setUp() public {
        datasets = new DatasetRegistry();
        attestors = new CertificateCheckStub();
        registry = new ModelRegistry(datasets, IAttestorRegistry(address(attestors)));
        for (uint256 i = 1; i <= DATASETS; i++) {
            datasets.mint(
                IDatasetRegistry.MintParams({
                    root: keccak256(abi.encode("dataset", i)),
                    n: 1,
                    totalSamples: 1,
                    previousVersion: 0,
                    encoding: "files",
                    manifestCid: abi.encodePacked(hex"01551220", keccak256(abi.encode("dataset manifest", i))),
                    license: "CC0-1.0"
                })
            );
        }
    }

    // ---- helpers -----------------------------------------------------------------------------------

    function _rand(uint256 seed, uint256 salt) internal pure returns (uint256) {
        return uint256(keccak256(abi.encode(seed, salt)));
    }

    function _params(
        bytes32 digest,
        IModelRegistry.ParentEdge[] memory parents,
        IModelRegistry.DatasetEdge[] memory ds
    ) internal pure returns (IModelRegistry.RegisterParams memory) {
        return
            IModelRegistry.RegisterParams({
                weightsDigest: digest,
                manifestCid: abi.encodePacked(hex"01551220", keccak256("model manifest")),
                license: "Apache-2.0",
                parents: parents,
                datasets: ds
            });
    }

    /// @notice Up to `max` distinct parents among models 1..known, in a random order, with random relations.
    function _randomParents(
        uint256 seed,
        uint256 known,
        uint256 max
    ) internal pure returns (IModelRegistry.ParentEdge[] memory parents) {
        uint256 count = known == 0 ? 0 : _rand(seed, 1) % (_min(known, max) + 1);
        parents = new IModelRegistry.ParentEdge[](count);
        uint256 start = known == 0 ? 0 : _rand(seed, 2) % known;
        for (uint256 i = 0; i < count; i++) {
            parents[i] = IModelRegistry.ParentEdge({
                modelId: ((start + i) % known) + 1,
                relation: IModelRegistry.ParentRelation(_rand(seed, 10 + i) % 5)
            });
        }
    }

    /// @notice Up to `max` distinct (dataset, role) pairs.
    function _randomDatasets(uint256 seed, uint256 max) internal pure returns (IModelRegistry.DatasetEdge[] memory ds) {
        uint256 count = _rand(seed, 3) % (_min(DATASETS * 3, max) + 1);
        ds = new IModelRegistry.DatasetEdge[](count);
        uint256 start = _rand(seed, 4) % (DATASETS * 3);
        for (uint256 i = 0; i < count; i++) {
            uint256 pair = (start + i) % (DATASETS * 3);
            ds[i] = IModelRegistry.DatasetEdge({datasetId: (pair / 3) + 1, role: IModelRegistry.DatasetRole(pair % 3)});
        }
    }

    function _min(uint256 a, uint256 b) internal pure returns (uint256) {
        return a < b ? a : b;
    }

    function _fingerprint(uint256 id) internal view returns (bytes32) {
        return keccak256(abi.encode(registry.modelOf(id), registry.parentsOf(id), registry.datasetsOf(id)));
    }

    function _expectRevert(IModelRegistry.RegisterParams memory p, bytes memory expected, string memory what) internal {
        try registry.register(p) {
            revert AssertionFailed(what);
        } catch (bytes memory reason) {
            assertEq(reason, expected, what);
        }
    }

    /// @notice Registers `count` more models with random valid lineage; returns their fingerprints.
    function _registerRandomDag(uint256 seed, uint256 count) internal returns (bytes32[] memory prints) {
        prints = new bytes32[](count);
        uint256 base = registry.totalRegistered();
        for (uint256 k = 0; k < count; k++) {
            uint256 s = _rand(seed, 1000 + k);
            IModelRegistry.ParentEdge[] memory parents = _randomParents(s, base + k, 6);
            IModelRegistry.DatasetEdge[] memory ds = _randomDatasets(s, registry.MAX_EDGES() - parents.length);
            uint256 id = registry.register(_params(keccak256(abi.encode(seed, "model", k)), parents, ds));
            assertEq(id, base + k + 1, "ids count up from 1");

            IModelRegistry.ParentEdge[] memory storedParents = registry.parentsOf(id);
            IModelRegistry.DatasetEdge[] memory storedDatasets = registry.datasetsOf(id);
            assertEq(keccak256(abi.encode(storedParents)), keccak256(abi.encode(parents)), "parents read back");
            assertEq(keccak256(abi.encode(storedDatasets)), keccak256(abi.encode(ds)), "datasets read back");
            for (uint256 i = 0; i < storedParents.length; i++) {
                assertTrue(storedParents[i].modelId < id, "every parent is an earlier model");
            }
            prints[k] = _fingerprint(id);
        }
    }

    // ---- valid lineage -----------------------------------------------------------------------------

    function testFuzz_RandomLineageReadsBackAndPointsBackwards(uint256 seed, uint256 count) public {
        count = bound(count, 1, MAX_MODELS);
        _registerRandomDag(seed, count);
        assertEq(registry.totalRegistered(), count, "totalRegistered");
    }

    function testFuzz_RecordsAndEdgesNeverChange(uint256 seed, uint256 count, uint256 extra) public {
        count = bound(count, 1, MAX_MODELS);
        extra = bound(extra, 1, 4);
        bytes32[] memory before = _registerRandomDag(seed, count);
        // More models, a repeated registration of an existing digest, and a transfer of every token.
        _registerRandomDag(_rand(seed, 7), extra);
        registry.register(
            _params(
                keccak256(abi.encode(seed, "model", uint256(0))),
                new IModelRegistry.ParentEdge[](0),
                _randomDatasets(seed, 3)
            )
        );
        for (uint256 id = 1; id <= count; id++) {
            registry.transferFrom(address(this), address(0xBEEF), id);
        }
        for (uint256 id = 1; id <= count; id++) {
            assertEq(_fingerprint(id), before[id - 1], "record or edges changed");
        }
    }

    function testFuzz_RegistrationIsIdempotentPerRegistrantAndDigest(uint256 seed) public {
        IModelRegistry.RegisterParams memory p = _params(
            keccak256(abi.encode(seed)),
            new IModelRegistry.ParentEdge[](0),
            _randomDatasets(seed, 4)
        );
        uint256 id = registry.register(p);
        // Same digest again, even with edges that would otherwise be refused: the existing id, nothing written.
        p.parents = new IModelRegistry.ParentEdge[](1);
        p.parents[0] = IModelRegistry.ParentEdge({modelId: 99, relation: IModelRegistry.ParentRelation.Merge});
        assertEq(registry.register(p), id, "existing id");
        assertEq(registry.totalRegistered(), 1, "nothing registered");
        assertEq(registry.parentsOf(id).length, 0, "edges unchanged");
    }

    // ---- refused edges -----------------------------------------------------------------------------

    /// @notice Zero, the model's own future id (self-reference) and any later id (forward reference) are unknown.
    function testFuzz_UnknownSelfOrForwardParentReverts(uint256 seed, uint256 count, uint256 bad, uint256 at) public {
        count = bound(count, 0, 6);
        _registerRandomDag(seed, count);
        uint256 mode = bad % 3;
        if (mode == 0) bad = 0;
        else if (mode == 1)
            bad = count + 1; // the id this registration would take: itself
        else bad = bound(bad, count + 2, type(uint256).max); // a model that does not exist yet

        IModelRegistry.ParentEdge[] memory parents = _randomParents(_rand(seed, 5), count, 4);
        IModelRegistry.ParentEdge[] memory withBad = new IModelRegistry.ParentEdge[](parents.length + 1);
        at = bound(at, 0, parents.length);
        for (uint256 i = 0; i < withBad.length; i++) {
            if (i < at) withBad[i] = parents[i];
            else if (i == at)
                withBad[i] = IModelRegistry.ParentEdge({
                    modelId: bad,
                    relation: IModelRegistry.ParentRelation.Finetune
                });
            else withBad[i] = parents[i - 1];
        }
        _expectRevert(
            _params(keccak256(abi.encode(seed, "bad")), withBad, new IModelRegistry.DatasetEdge[](0)),
            abi.encodeWithSelector(IModelRegistry.ModelRegistryUnknownParent.selector, bad),
            "unknown parent registered"
        );
        assertEq(registry.totalRegistered(), count, "nothing registered");
    }

    function testFuzz_UnknownDatasetReverts(uint256 seed, uint256 bad) public {
        bad = bad % 2 == 0 ? 0 : bound(bad, DATASETS + 1, type(uint256).max);
        IModelRegistry.DatasetEdge[] memory ds = _randomDatasets(seed, 5);
        IModelRegistry.DatasetEdge[] memory withBad = new IModelRegistry.DatasetEdge[](ds.length + 1);
        for (uint256 i = 0; i < ds.length; i++) withBad[i] = ds[i];
        withBad[ds.length] = IModelRegistry.DatasetEdge({datasetId: bad, role: IModelRegistry.DatasetRole.Training});
        _expectRevert(
            _params(keccak256(abi.encode(seed)), new IModelRegistry.ParentEdge[](0), withBad),
            abi.encodeWithSelector(IModelRegistry.ModelRegistryUnknownDataset.selector, bad),
            "unknown dataset registered"
        );
    }

    function testFuzz_DuplicateEdgesRevert(uint256 seed, uint256 count) public {
        count = bound(count, 1, 6);
        _registerRandomDag(seed, count);
        uint256 parent = (_rand(seed, 8) % count) + 1;
        IModelRegistry.ParentEdge[] memory parents = new IModelRegistry.ParentEdge[](2);
        // The same parent twice, even under two relations.
        parents[0] = IModelRegistry.ParentEdge({modelId: parent, relation: IModelRegistry.ParentRelation.Finetune});
        parents[1] = IModelRegistry.ParentEdge({modelId: parent, relation: IModelRegistry.ParentRelation.Merge});
        _expectRevert(
            _params(keccak256(abi.encode(seed, "dup")), parents, new IModelRegistry.DatasetEdge[](0)),
            abi.encodeWithSelector(IModelRegistry.ModelRegistryDuplicateParent.selector, parent),
            "duplicate parent registered"
        );

        uint256 dataset = (_rand(seed, 9) % DATASETS) + 1;
        IModelRegistry.DatasetRole role = IModelRegistry.DatasetRole(_rand(seed, 10) % 3);
        IModelRegistry.DatasetEdge[] memory ds = new IModelRegistry.DatasetEdge[](3);
        ds[0] = IModelRegistry.DatasetEdge({datasetId: dataset, role: role});
        ds[1] = IModelRegistry.DatasetEdge({
            datasetId: dataset,
            role: IModelRegistry.DatasetRole((uint8(role) + 1) % 3)
        });
        ds[2] = IModelRegistry.DatasetEdge({datasetId: dataset, role: role});
        _expectRevert(
            _params(keccak256(abi.encode(seed, "dup")), new IModelRegistry.ParentEdge[](0), ds),
            abi.encodeWithSelector(IModelRegistry.ModelRegistryDuplicateDataset.selector, dataset, role),
            "duplicate dataset registered"
        );
    }

    function testFuzz_MoreThanMaxEdgesReverts(uint256 nParents, uint256 nDatasets) public {
        uint256 max = registry.MAX_EDGES();
        // Enough models that any parent count up to MAX_EDGES + 8 can be distinct.
        for (uint256 k = 0; k < max + 8; k++) {
            registry.register(
                _params(bytes32(k + 1), new IModelRegistry.ParentEdge[](0), new IModelRegistry.DatasetEdge[](0))
            );
        }
        nParents = bound(nParents, 0, max + 8);
        nDatasets = bound(nDatasets, 0, max + 8);
        IModelRegistry.ParentEdge[] memory parents = new IModelRegistry.ParentEdge[](nParents);
        for (uint256 i = 0; i < nParents; i++) parents[i].modelId = i + 1;
        IModelRegistry.DatasetEdge[] memory ds = new IModelRegistry.DatasetEdge[](nDatasets);
        // Distinct (dataset, role) pairs where possible; beyond 15 pairs the edge count check fires first.
        for (uint256 i = 0; i < nDatasets; i++) {
            ds[i] = IModelRegistry.DatasetEdge({
                datasetId: ((i / 3) % DATASETS) + 1,
                role: IModelRegistry.DatasetRole(i % 3)
            });
        }
        IModelRegistry.RegisterParams memory p = _params(keccak256("many"), parents, ds);
        if (nParents + nDatasets > max) {
            _expectRevert(
                p,
                abi.encodeWithSelector(IModelRegistry.ModelRegistryTooManyEdges.selector, nParents + nDatasets, max),
                "too many edges registered"
            );
        } else if (nDatasets <= DATASETS * 3) {
            uint256 id = registry.register(p);
            assertEq(registry.parentsOf(id).length + registry.datasetsOf(id).length, nParents + nDatasets, "edges");
        }
    }

    function testFuzz_UnknownTokenReverts(uint256 id) public {
        _registerRandomDag(1, 2);
        vm.assume(id == 0 || id > 2);
        bytes memory expected = abi.encodeWithSelector(IModelRegistry.ModelRegistryUnknownToken.selector, id);
        try registry.modelOf(id) {
            revert AssertionFailed("modelOf of an unknown model");
        } catch (bytes memory reason) {
            assertEq(reason, expected, "modelOf");
        }
        try registry.parentsOf(id) {
            revert AssertionFailed("parentsOf of an unknown model");
        } catch (bytes memory reason) {
            assertEq(reason, expected, "parentsOf");
        }
        try registry.datasetsOf(id) {
            revert AssertionFailed("datasetsOf of an unknown model");
        } catch (bytes memory reason) {
            assertEq(reason, expected, "datasetsOf");
        }
    }

    // ---- attested registration ---------------------------------------------------------------------

    function _evidence(bytes32 certificateDigest) internal pure returns (IAttestorRegistry.TrainingEvidence memory) {
        return
            IAttestorRegistry.TrainingEvidence({
                attestor: address(0xA77E5708),
                certificateDigest: certificateDigest,
                runId: keccak256("run"),
                codeDigest: keccak256("code"),
                commandDigest: keccak256("command"),
                configDigest: keccak256("config"),
                environmentDigest: keccak256("environment"),
                bootPcrs: new bytes32[](0),
                attest: hex"ff54434780180022000b",
                r: keccak256("r"),
                s: keccak256("s")
            });
    }

    /// @notice The lineage the registry must hand to the check, computed here from what setUp and
    /// _registerRandomDag(seed, ...) wrote: roots keccak256("dataset", i), model k's digest keccak256(seed, "model", k).
    function _expectedLineage(
        uint256 seed,
        address registrant,
        IModelRegistry.RegisterParams memory p
    ) internal view returns (IAttestorRegistry.TrainingLineage memory lineage) {
        lineage.modelRegistry = address(registry);
        lineage.registrant = registrant;
        lineage.weightsDigest = p.weightsDigest;
        lineage.datasets = new IAttestorRegistry.DatasetInput[](p.datasets.length);
        for (uint256 i = 0; i < p.datasets.length; i++) {
            uint256 id = p.datasets[i].datasetId;
            lineage.datasets[i] = IAttestorRegistry.DatasetInput(
                id,
                uint8(p.datasets[i].role),
                keccak256(abi.encode("dataset", id))
            );
        }
        lineage.parents = new IAttestorRegistry.ParentInput[](p.parents.length);
        for (uint256 i = 0; i < p.parents.length; i++) {
            uint256 id = p.parents[i].modelId;
            lineage.parents[i] = IAttestorRegistry.ParentInput(
                id,
                uint8(p.parents[i].relation),
                keccak256(abi.encode(seed, "model", id - 1))
            );
        }
    }

    function _expectAttestedRevert(
        IModelRegistry.RegisterParams memory p,
        IAttestorRegistry.TrainingEvidence memory evidence,
        string memory cid,
        bytes memory expected,
        string memory what
    ) internal {
        try registry.registerAttested(p, evidence, cid) {
            revert AssertionFailed(what);
        } catch (bytes memory reason) {
            assertEq(reason, expected, what);
        }
    }

    function testFuzz_AttestedLineageIsReadFromTheChainAndRecorded(uint256 seed, uint256 count) public {
        count = bound(count, 0, 6);
        _registerRandomDag(seed, count);
        IModelRegistry.ParentEdge[] memory parents = _randomParents(_rand(seed, 11), count, 4);
        IModelRegistry.RegisterParams memory p = _params(
            keccak256(abi.encode(seed, "attested")),
            parents,
            _randomDatasets(_rand(seed, 12), registry.MAX_EDGES() - parents.length)
        );
        bytes32 certificateDigest = keccak256(abi.encode(seed, "certificate"));
        IAttestorRegistry.TrainingEvidence memory evidence = _evidence(certificateDigest);
        attestors.expectInput(keccak256(abi.encode(_expectedLineage(seed, address(this), p), evidence)));

        uint256 id = registry.registerAttested(p, evidence, "bafkreicertificate");
        assertEq(id, count + 1, "next id");
        assertEq(uint256(uint160(registry.ownerOf(id))), uint256(uint160(address(this))), "minted to the caller");
        IModelRegistry.ModelRecord memory r = registry.modelOf(id);
        assertTrue(r.provenance == IModelRegistry.Provenance.Attested, "provenance Attested");
        assertEq(uint256(uint160(r.attestor)), uint256(uint160(evidence.attestor)), "attestor");
        assertEq(r.certificateDigest, certificateDigest, "certificate digest");
        assertEq(r.registrationBlock, block.number, "registration block, where the certificate CID is logged");
        assertEq(uint256(uint160(r.registrant)), uint256(uint160(address(this))), "registrant");
        assertEq(r.weightsDigest, p.weightsDigest, "weights digest");
        assertEq(keccak256(abi.encode(registry.parentsOf(id))), keccak256(abi.encode(p.parents)), "parents read back");
        assertEq(
            keccak256(abi.encode(registry.datasetsOf(id))),
            keccak256(abi.encode(p.datasets)),
            "datasets read back"
        );
        assertEq(registry.modelOfCertificate(certificateDigest), id, "modelOfCertificate");
        assertEq(registry.tokenOfRegistrantDigest(address(this), p.weightsDigest), id, "tokenOfRegistrantDigest");
    }

    function testFuzz_ACertificateRegistersOneModel(uint256 seed) public {
        IModelRegistry.RegisterParams memory p = _params(
            keccak256(abi.encode(seed, "attested")),
            new IModelRegistry.ParentEdge[](0),
            _randomDatasets(seed, 3)
        );
        IAttestorRegistry.TrainingEvidence memory evidence = _evidence(keccak256(abi.encode(seed)));
        attestors.expectInput(keccak256(abi.encode(_expectedLineage(seed, address(this), p), evidence)));
        uint256 id = registry.registerAttested(p, evidence, "bafkreicertificate");
        // Again, and with other weights: refused before the check, whatever it would say.
        _expectAttestedRevert(
            p,
            evidence,
            "bafkreicertificate",
            abi.encodeWithSelector(
                IModelRegistry.ModelRegistryCertificateUsed.selector,
                evidence.certificateDigest,
                id
            ),
            "certificate used twice"
        );
        p.weightsDigest = keccak256(abi.encode(seed, "other weights"));
        _expectAttestedRevert(
            p,
            evidence,
            "bafkreicertificate",
            abi.encodeWithSelector(
                IModelRegistry.ModelRegistryCertificateUsed.selector,
                evidence.certificateDigest,
                id
            ),
            "certificate used for other weights"
        );
        assertEq(registry.totalRegistered(), 1, "one model");
    }

    function testFuzz_ARefusedCertificateRevertsWithTheAttestorRegistryError(uint256 seed, uint64 revokedAt) public {
        _registerRandomDag(seed, 2);
        IModelRegistry.RegisterParams memory p = _params(
            keccak256(abi.encode(seed, "attested")),
            _randomParents(seed, 2, 2),
            _randomDatasets(seed, 3)
        );
        IAttestorRegistry.TrainingEvidence memory evidence = _evidence(keccak256(abi.encode(seed)));
        bytes memory refusal = abi.encodeWithSelector(
            IAttestorRegistry.AttestorRegistryAttestorRevoked.selector,
            evidence.attestor,
            revokedAt
        );
        attestors.refuse(refusal);
        _expectAttestedRevert(p, evidence, "bafkreicertificate", refusal, "refused certificate registered");
        assertEq(registry.totalRegistered(), 2, "nothing registered");
        assertEq(registry.modelOfCertificate(evidence.certificateDigest), 0, "certificate unused");
    }

    function testFuzz_TheRegistrantIsTheCaller(uint256 seed) public {
        OtherRegistrant other = new OtherRegistrant();
        IModelRegistry.RegisterParams memory p = _params(
            keccak256(abi.encode(seed, "attested")),
            new IModelRegistry.ParentEdge[](0),
            _randomDatasets(seed, 3)
        );
        IAttestorRegistry.TrainingEvidence memory evidence = _evidence(keccak256(abi.encode(seed)));
        // Certified for this test contract as registrant: another caller cannot register it.
        bytes32 certified = keccak256(abi.encode(_expectedLineage(seed, address(this), p), evidence));
        attestors.expectInput(certified);
        try other.registerAttested(registry, p, evidence) {
            revert AssertionFailed("registered by another caller");
        } catch (bytes memory reason) {
            bytes32 asOther = keccak256(abi.encode(_expectedLineage(seed, address(other), p), evidence));
            assertEq(
                reason,
                abi.encodeWithSelector(CertificateCheckStub.CertificateCheckStubMismatch.selector, certified, asOther),
                "the lineage names the caller"
            );
        }
        attestors.expectInput(keccak256(abi.encode(_expectedLineage(seed, address(other), p), evidence)));
        uint256 id = other.registerAttested(registry, p, evidence);
        assertEq(uint256(uint160(registry.modelOf(id).registrant)), uint256(uint160(address(other))), "registrant");
    }

    /// @notice Unknown parents and datasets, too many edges and an empty CID are refused with the model
    /// registry's errors, before the check (which here would refuse everything with another error).
    function testFuzz_BadAttestedRegistrationsRevertBeforeTheCheck(uint256 seed, uint256 bad) public {
        _registerRandomDag(seed, 3);
        attestors.refuse(abi.encodeWithSelector(IAttestorRegistry.AttestorRegistryInvalidSignature.selector));
        IAttestorRegistry.TrainingEvidence memory evidence = _evidence(keccak256(abi.encode(seed)));
        IModelRegistry.ParentEdge[] memory noParents = new IModelRegistry.ParentEdge[](0);
        IModelRegistry.DatasetEdge[] memory noDatasets = new IModelRegistry.DatasetEdge[](0);

        uint256 badModel = bad % 2 == 0 ? 0 : bound(bad, 4, type(uint256).max);
        IModelRegistry.ParentEdge[] memory parents = new IModelRegistry.ParentEdge[](2);
        parents[0] = IModelRegistry.ParentEdge({modelId: 1, relation: IModelRegistry.ParentRelation.Finetune});
        parents[1] = IModelRegistry.ParentEdge({modelId: badModel, relation: IModelRegistry.ParentRelation.Merge});
        _expectAttestedRevert(
            _params(keccak256("a"), parents, noDatasets),
            evidence,
            "bafkreicertificate",
            abi.encodeWithSelector(IModelRegistry.ModelRegistryUnknownParent.selector, badModel),
            "unknown parent"
        );

        uint256 badDataset = bad % 2 == 0 ? 0 : bound(bad, DATASETS + 1, type(uint256).max);
        IModelRegistry.DatasetEdge[] memory ds = new IModelRegistry.DatasetEdge[](2);
        ds[0] = IModelRegistry.DatasetEdge({datasetId: 1, role: IModelRegistry.DatasetRole.Training});
        ds[1] = IModelRegistry.DatasetEdge({datasetId: badDataset, role: IModelRegistry.DatasetRole.Evaluation});
        _expectAttestedRevert(
            _params(keccak256("b"), noParents, ds),
            evidence,
            "bafkreicertificate",
            abi.encodeWithSelector(IModelRegistry.ModelRegistryUnknownDataset.selector, badDataset),
            "unknown dataset"
        );

        uint256 max = registry.MAX_EDGES();
        IModelRegistry.DatasetEdge[] memory many = new IModelRegistry.DatasetEdge[](max + 1);
        for (uint256 i = 0; i < many.length; i++) many[i].datasetId = (i % DATASETS) + 1;
        _expectAttestedRevert(
            _params(keccak256("c"), noParents, many),
            evidence,
            "bafkreicertificate",
            abi.encodeWithSelector(IModelRegistry.ModelRegistryTooManyEdges.selector, max + 1, max),
            "too many edges"
        );

        _expectAttestedRevert(
            _params(keccak256("d"), noParents, noDatasets),
            evidence,
            "",
            abi.encodeWithSelector(IModelRegistry.ModelRegistryEmptyCertificateCid.selector),
            "empty certificate CID"
        );
        assertEq(registry.totalRegistered(), 3, "nothing registered");
    }

    function test_AttestedRegistrationOfWeightsRegisteredBeforeIsANewToken() public {
        IModelRegistry.RegisterParams memory p = _params(
            keccak256("weights"),
            new IModelRegistry.ParentEdge[](0),
            new IModelRegistry.DatasetEdge[](0)
        );
        uint256 selfDeclared = registry.register(p);
        IAttestorRegistry.TrainingEvidence memory evidence = _evidence(keccak256("certificate"));
        attestors.expectInput(keccak256(abi.encode(_expectedLineage(0, address(this), p), evidence)));
        uint256 attested = registry.registerAttested(p, evidence, "bafkreicertificate");
        assertEq(attested, selfDeclared + 1, "a new token");
        assertTrue(
            registry.modelOf(selfDeclared).provenance == IModelRegistry.Provenance.SelfDeclared,
            "first unchanged"
        );
        assertEq(
            registry.tokenOfRegistrantDigest(address(this), p.weightsDigest),
            attested,
            "the index names the latest"
        );
        assertEq(registry.register(p), attested, "register answers with it");
    }

    function test_ConstructorRefusesAZeroAttestorRegistry() public {
        try new ModelRegistry(datasets, IAttestorRegistry(address(0))) {
            revert AssertionFailed("deployed without an attestor registry");
        } catch (bytes memory reason) {
            assertEq(
                reason,
                abi.encodeWithSelector(IModelRegistry.ModelRegistryZeroAttestorRegistry.selector),
                "error"
            );
        }
    }
}
