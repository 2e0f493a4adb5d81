// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {DatasetRegistry} from "./DatasetRegistry.sol";
import {EvaluationRegistry} from "./EvaluationRegistry.sol";
import {ModelRegistry} from "./ModelRegistry.sol";
import {IAttestorRegistry} from "./interfaces/IAttestorRegistry.sol";
import {IDatasetRegistry} from "./interfaces/IDatasetRegistry.sol";
import {IEvaluationRegistry} from "./interfaces/IEvaluationRegistry.sol";
import {IModelRegistry} from "./interfaces/IModelRegistry.sol";
import {TpmQuote} from "./libraries/TpmQuote.sol";
import {Test} from "./test-utils/Test.t.sol";

/// @notice Stands in for AttestorRegistry.checkRunQuote: records nothing, accepts a PCR 23 whose quote digest is
/// the one it was told to expect (any, when told zero), otherwise reverts {QuoteCheckStubMismatch}. Real quotes
/// are checked in test/contracts/EvaluationRegistry.test.ts.
contract QuoteCheckStub {
    bytes32 private _expected;

    error QuoteCheckStubMismatch(bytes32 expected, bytes32 actual);

    function expectPcrDigest(bytes32 digest) external {
        _expected = digest;
    }

    function checkRunQuote(
        address,
        bytes32,
        bytes32 pcr,
        bytes32[] calldata,
        bytes calldata,
        bytes32,
        bytes32
    ) external view returns (bool) {
        bytes32 pcrDigest = TpmQuote.singlePcrDigest(pcr);
        if (_expected != bytes32(0) && pcrDigest != _expected) revert QuoteCheckStubMismatch(_expected, pcrDigest);
        return true;
    }
}

/// @notice Registers from another address than the test.
contract OtherEvaluator {
    function register(
        IEvaluationRegistry registry,
        IEvaluationRegistry.EvaluationParams calldata p,
        IEvaluationRegistry.EvaluationEvidence calldata e
    ) external returns (uint256) {
        return registry.registerEvaluation(p, e, "bafkreievaluation");
    }
}

/// @notice Fuzz tests of the evaluation registry: random evaluations of random models read back exactly and are
/// listed per model in order; the pcrDigest handed to the quote check binds the model id (even between two
/// models with the same weights), the dataset, the metrics and the registrant; unknown models and datasets are
/// refused by name.
contract EvaluationRegistryTest is Test {
    uint256 internal constant MODELS = 4;
    uint256 internal constant DATASETS = 3;

    DatasetRegistry internal datasets;
    QuoteCheckStub internal attestors;
    ModelRegistry internal models;
    EvaluationRegistry internal registry;

    function setUp() public {
        datasets = new DatasetRegistry();
        attestors = new QuoteCheckStub();
        models = new ModelRegistry(datasets, IAttestorRegistry(address(attestors)));
        registry = new EvaluationRegistry(models);
        for (uint256 i = 1; i <= DATASETS; i++) {
            datasets.mint(
                IDatasetRegistry.MintParams({
                    root: keccak256(abi.encode("dataset", i)),
                    n: 1,
                    totalSamples: 1,
                    previousVersion: 0,
                    encoding: "files",
                    manifestCid: abi.encodePacked(hex"01551220", keccak256(abi.encode("dataset manifest", i))),
                    license: ""
                })
            );
        }
        // Models 1..MODELS; model 2 has model 1's weights (registered by another account, as the registry allows).
        for (uint256 i = 1; i <= MODELS; i++) {
            bytes32 digest = keccak256(abi.encode("weights", i == 2 ? 1 : i));
            IModelRegistry.RegisterParams memory p = IModelRegistry.RegisterParams({
                weightsDigest: digest,
                manifestCid: abi.encodePacked(hex"01551220", keccak256(abi.encode("model manifest", i))),
                license: "",
                parents: new IModelRegistry.ParentEdge[](0),
                datasets: new IModelRegistry.DatasetEdge[](0)
            });
            if (i == 2) new ModelRegistrant().register(models, p);
            else models.register(p);
        }
    }

    function _evidence(uint256 seed) internal pure returns (IEvaluationRegistry.EvaluationEvidence memory) {
        return
            IEvaluationRegistry.EvaluationEvidence({
                attestor: address(uint160(uint256(keccak256(abi.encode("attestor", seed))))),
                certificateDigest: keccak256(abi.encode("certificate", seed)),
                runId: keccak256(abi.encode("run", seed)),
                codeDigest: bytes32(0),
                commandDigest: bytes32(0),
                configDigest: bytes32(0),
                environmentDigest: bytes32(0),
                bootPcrs: new bytes32[](0),
                attest: "",
                r: bytes32(0),
                s: bytes32(0)
            });
    }

    function _pcrDigest(
        IEvaluationRegistry.EvaluationParams memory p,
        IEvaluationRegistry.EvaluationEvidence memory e,
        address registrant
    ) internal view returns (bytes32 digest) {
        (, , digest) = registry.evaluationEvents(p, e, registrant);
    }

    /// @notice Evaluations of random models on random datasets: each record reads back, and each model's list is
    /// exactly its evaluations in registration order.
    function testFuzz_recordsAndListsPerModel(uint256 seed, uint8 count) public {
        uint256 n = bound(count, 1, 16);
        uint256[][] memory expected = new uint256[][](MODELS + 1);
        for (uint256 m = 1; m <= MODELS; m++) expected[m] = new uint256[](n);
        uint256[] memory lengths = new uint256[](MODELS + 1);
        for (uint256 i = 0; i < n; i++) {
            uint256 salt = uint256(keccak256(abi.encode(seed, i)));
            IEvaluationRegistry.EvaluationParams memory p = IEvaluationRegistry.EvaluationParams({
                modelId: (salt % MODELS) + 1,
                datasetId: ((salt >> 8) % DATASETS) + 1,
                metricsDigest: keccak256(abi.encode("metrics", salt))
            });
            uint256 id = registry.registerEvaluation(p, _evidence(salt), "bafkreievaluation");
            assertEq(id, i + 1, "ids count up from 1");
            expected[p.modelId][lengths[p.modelId]++] = id;
            IEvaluationRegistry.EvaluationRecord memory r = registry.evaluationOf(id);
            assertEq(r.modelId, p.modelId, "model id");
            assertEq(r.datasetId, p.datasetId, "dataset id");
            assertEq(r.metricsDigest, p.metricsDigest, "metrics digest");
            assertEq(r.certificateDigest, keccak256(abi.encode("certificate", salt)), "certificate digest");
            assertTrue(r.registrant == address(this), "registrant");
            assertEq(registry.evaluationOfCertificate(r.certificateDigest), id, "evaluation of the certificate");
        }
        for (uint256 m = 1; m <= MODELS; m++) {
            uint256[] memory ids = registry.evaluationsOf(m);
            assertEq(ids.length, lengths[m], "list length");
            assertEq(registry.evaluationCountOf(m), lengths[m], "count");
            for (uint256 k = 0; k < ids.length; k++) assertEq(ids[k], expected[m][k], "list order");
        }
        assertEq(registry.totalRegistered(), n, "total");
    }

    /// @notice Changing any one bound value changes the pcrDigest the quote must carry.
    function testFuzz_pcrDigestBindsModelDatasetMetricsRegistrant(
        uint256 seed,
        bytes32 metrics,
        address other
    ) public view {
        vm.assume(metrics != bytes32(0) && other != address(this));
        IEvaluationRegistry.EvaluationParams memory p = IEvaluationRegistry.EvaluationParams({
            modelId: (seed % MODELS) + 1,
            datasetId: ((seed >> 8) % DATASETS) + 1,
            metricsDigest: metrics
        });
        IEvaluationRegistry.EvaluationEvidence memory e = _evidence(seed);
        bytes32 base = _pcrDigest(p, e, address(this));
        assertTrue(base != _pcrDigest(p, e, other), "registrant bound");
        IEvaluationRegistry.EvaluationParams memory q = p;
        q.modelId = p.modelId == 1 ? 2 : 1; // models 1 and 2 share their weights: only the id differs
        assertTrue(base != _pcrDigest(q, e, address(this)), "model id bound");
        q = IEvaluationRegistry.EvaluationParams(p.modelId, (p.datasetId % DATASETS) + 1, p.metricsDigest);
        assertTrue(base != _pcrDigest(q, e, address(this)), "dataset bound");
        q = IEvaluationRegistry.EvaluationParams(p.modelId, p.datasetId, keccak256(abi.encode(metrics)));
        assertTrue(base != _pcrDigest(q, e, address(this)), "metrics bound");
    }

    /// @notice The quote check gets the replay of the events the registry builds, for the caller as registrant: a
    /// quote for another registrant is refused.
    function testFuzz_quoteCheckedForTheCaller(uint256 seed) public {
        IEvaluationRegistry.EvaluationParams memory p = IEvaluationRegistry.EvaluationParams({
            modelId: (seed % MODELS) + 1,
            datasetId: ((seed >> 8) % DATASETS) + 1,
            metricsDigest: keccak256(abi.encode(seed))
        });
        IEvaluationRegistry.EvaluationEvidence memory e = _evidence(seed);
        attestors.expectPcrDigest(_pcrDigest(p, e, address(this)));
        OtherEvaluator other = new OtherEvaluator();
        try other.register(registry, p, e) {
            revert AssertionFailed("another caller registered the caller's certificate");
        } catch (bytes memory reason) {
            assertEq(bytes4(reason), QuoteCheckStub.QuoteCheckStubMismatch.selector, "refused by the quote check");
        }
        assertEq(registry.registerEvaluation(p, e, "bafkreievaluation"), 1, "the registrant registers it");
    }

    /// @notice Ids beyond the registries' tokens are refused by name, before any quote is looked at.
    function testFuzz_unknownModelAndDataset(uint256 modelId, uint256 datasetId) public {
        modelId = modelId == 0 ? 0 : bound(modelId, MODELS + 1, type(uint256).max);
        datasetId = datasetId == 0 ? 0 : bound(datasetId, DATASETS + 1, type(uint256).max);
        IEvaluationRegistry.EvaluationEvidence memory e = _evidence(1);
        try
            registry.registerEvaluation(
                IEvaluationRegistry.EvaluationParams(modelId, 1, keccak256("m")),
                e,
                "bafkreievaluation"
            )
        {
            revert AssertionFailed("an unknown model was evaluated");
        } catch (bytes memory reason) {
            assertEq(
                reason,
                abi.encodeWithSelector(IEvaluationRegistry.EvaluationRegistryUnknownModel.selector, modelId),
                "unknown model"
            );
        }
        try
            registry.registerEvaluation(
                IEvaluationRegistry.EvaluationParams(1, datasetId, keccak256("m")),
                e,
                "bafkreievaluation"
            )
        {
            revert AssertionFailed("an unknown dataset was used");
        } catch (bytes memory reason) {
            assertEq(
                reason,
                abi.encodeWithSelector(IEvaluationRegistry.EvaluationRegistryUnknownDataset.selector, datasetId),
                "unknown dataset"
            );
        }
    }
}

/// @notice Registers a model from another account.
contract ModelRegistrant {
    function register(ModelRegistry models, IModelRegistry.RegisterParams calldata p) external returns (uint256) {
        return models.register(p);
    }
}
