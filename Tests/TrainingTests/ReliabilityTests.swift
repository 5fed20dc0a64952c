// Non-finite checks, the nonfinite policy, fault-injection parsing and preflight's problem list
// (issue 7); the end-to-end faults under mpirun are in DistributedTests/FaultTests.
import Comm
import Foundation
import NN
import Testing
import TestSupport
@testable import Training

struct ReliabilityTests {
    private func store() throws -> ParameterStore {
        let model = try Sequential([Dense(units: 3), ReLU(), Dense(units: 2)], inputShape: [4])
        model.initializeParameters(seed: 1)
        return model.store
    }

    @Test func firstNonFiniteNamesTheParameterAndElement() throws {
        let store = try store()
        #expect(firstNonFinite(store.values.buffer, in: store) == nil)
        let bias = try #require(store.parameter(named: "layers.2.bias"))
        store.gradients.buffer[bias.offset] = -.infinity
        store.gradients.buffer[store.count - 1] = .nan
        #expect(firstNonFinite(store.gradients.buffer, in: store) == NonFiniteElement(parameter: "layers.2.bias", index: 0, value: -.infinity))
    }

    @Test func policyStopsOrSkipsUpToItsLimit() throws {
        let store = try store()
        let console = Console(rank: 0, quiet: true)
        var config = TrainingConfig()
        var stop = NonFinitePolicy(config: config)
        #expect(try !stop.skips(step: 0, lossRank: nil, gradients: store.gradients.buffer, store: store, console: console))
        let error = #expect(throws: TrainingError.self) {
            try stop.skips(step: 3, lossRank: 1, gradients: store.gradients.buffer, store: store, console: console)
        }
        #expect(error?.description.hasPrefix("step 3: the loss became non-finite on rank 1; training stopped (training.nonfinite: stop)") == true, "\(String(describing: error))")

        config.nonFinite = "skip"
        config.nonFiniteMaxSkips = 2
        var skip = NonFinitePolicy(config: config)
        store.gradients.buffer[0] = .nan
        #expect(try skip.skips(step: 1, lossRank: nil, gradients: store.gradients.buffer, store: store, console: console))
        #expect(try skip.skips(step: 2, lossRank: 0, gradients: store.gradients.buffer, store: store, console: console))
        let third = #expect(throws: TrainingError.self) {
            try skip.skips(step: 3, lossRank: nil, gradients: store.gradients.buffer, store: store, console: console)
        }
        #expect(third?.description.contains("the averaged gradient of layers.0.weight is nan (element 0); training stopped (after 2 skipped step(s)") == true,
                "\(String(describing: third))")
    }

    @Test func checkpointsWithNonFiniteValuesAreRefused() throws {
        let directory = try TemporaryDirectory("refuse")
        let store = try store()
        let trainer = Trainer(config: TrainingConfig(), options: RunOptions(runDirectory: directory.path),
                              communicator: SingleProcessCommunicator(), console: Console(rank: 0, quiet: true))
        let optimizer = TrainingConfig().makeOptimizer(parameterCount: store.count)
        try trainer.refuseNonFinite(store, optimizer, step: 9)
        store.values.buffer[4] = .infinity
        let error = #expect(throws: TrainingError.self) { try trainer.refuseNonFinite(store, optimizer, step: 9) }
        #expect(error?.description == "not writing the checkpoint of step 9: parameters of layers.0.weight element 4 is inf; "
            + "the newest checkpoint on disk is the last good one")
    }

    @Test func faultSpecificationsParseAndBadOnesAreNamed() throws {
        let faults = try FaultInjection(parsing: "kill:rank=1:step=30,slow:rank=0:seconds=2.5,nan_grad:rank=3:step=5").faults
        #expect(faults == [.init(kind: .kill, rank: 1, step: 30), .init(kind: .slow(seconds: 2.5), rank: 0, step: 0),
                           .init(kind: .nanGradient, rank: 3, step: 5)])
        for (text, problem) in [("explode:rank=1", "the kind must be kill, slow or nan_grad"), ("kill:step=3", "rank=R is required"),
                                ("slow:rank=1", "seconds=T (> 0) is required"), ("kill:rank=1:when=3", "unknown field 'when=3'"),
                                ("kill:rank=1:step=-2", "step must be an integer ≥ 0")] {
            let error = #expect(throws: ConfigError.self) { try FaultInjection(parsing: text) }
            #expect(error?.description.contains("SWIFTDDP_FAULT has a bad fault '\(text)': \(problem)") == true, "\(String(describing: error))")
        }
    }

    @Test func preflightListsEveryRanksProblemsOnEveryRank() throws {
        let directory = try TemporaryDirectory("preflight")
        try TinyDatasets.writeBlobDirectory(directory.file("data"), shardSizes: [64, 64, 64, 64])
        try TinyDatasets.poison(directory.file("data/train-00001-of-00004.h5"), row: 5, shardIndex: 1, shardCount: 4)
        try TinyDatasets.poison(directory.file("data/train-00003-of-00004.h5"), value: -.infinity, row: 2, shardIndex: 3, shardCount: 4)
        try "not hdf5".write(toFile: directory.file("data/test.h5"), atomically: true, encoding: .utf8)
        try TinyDatasets.blobConfig(dataDirectory: directory.file("data")).write(toFile: directory.file("config.yaml"), atomically: true, encoding: .utf8)
        let config = try TrainingConfig.load(path: directory.file("config.yaml"))
        let errors = try LocalCommunicator.run(ranks: 4) { comm -> String in
            do {
                _ = try Trainer(config: config, options: RunOptions(runDirectory: directory.file("run")), communicator: comm,
                                console: Console(rank: comm.rank, quiet: true)).run()
                return "no error"
            } catch let error as TrainingError {
                return error.description
            }
        }
        #expect(Set(errors).count == 1, "ranks report different problems: \(errors)")
        let report = errors[0]
        #expect(report.hasPrefix("preflight found 3 problem(s); nothing was written:"), "\(report)")
        #expect(report.contains("rank(s) 0: \(directory.file("data/test.h5")) is not an HDF5 file"), "\(report)")
        #expect(report.contains("rank(s) 1: \(directory.file("data/train-00001-of-00004.h5")): features row 5 holds inf"), "\(report)")
        #expect(report.contains("rank(s) 3: \(directory.file("data/train-00003-of-00004.h5")): features row 2 holds -inf"), "\(report)")
        #expect(!FileManager.default.fileExists(atPath: directory.file("run")))
    }

    @Test func theSameProblemOnEveryRankIsListedOnce() throws {
        let directory = try TemporaryDirectory("preflight-once")
        try TinyDatasets.blobConfig(dataDirectory: directory.file("missing")).write(toFile: directory.file("config.yaml"), atomically: true, encoding: .utf8)
        let config = try TrainingConfig.load(path: directory.file("config.yaml"))
        let error = #expect(throws: TrainingError.self) {
            _ = try LocalCommunicator.run(ranks: 3) { comm in
                try Trainer(config: config, options: RunOptions(runDirectory: directory.file("run")), communicator: comm,
                            console: Console(rank: comm.rank, quiet: true)).run()
            }
        }
        #expect(error?.description == "preflight found 1 problem(s); nothing was written:\n  rank(s) 0, 1, 2: dataset directory "
            + "\(directory.file("missing")) does not exist (run `swiftddp prepare fashion-mnist --out \(directory.file("missing"))`)")
    }

    @Test func ranksWithAnotherConfigAreNamed() throws {
        let directory = try TemporaryDirectory("preflight-config")
        try TinyDatasets.writeBlobDirectory(directory.file("data"), shardSizes: [64, 64])
        try TinyDatasets.blobConfig(dataDirectory: directory.file("data")).write(toFile: directory.file("config.yaml"), atomically: true, encoding: .utf8)
        let error = #expect(throws: TrainingError.self) {
            _ = try LocalCommunicator.run(ranks: 3) { comm in
                let config = try TrainingConfig.load(path: directory.file("config.yaml"), overrides: comm.rank == 2 ? ["seed=8"] : [])
                return try Trainer(config: config, options: RunOptions(runDirectory: directory.file("run")), communicator: comm,
                                   console: Console(rank: comm.rank, quiet: true)).run()
            }
        }
        #expect(error?.description.contains("rank(s) 2 resolved another config than rank 0: rank 2 has seed: 8 where rank 0 has seed: 7")
                == true, "\(String(describing: error))")
        #expect(!FileManager.default.fileExists(atPath: directory.file("run")))
        // a key inside a section is named with its section
        let nested = #expect(throws: TrainingError.self) {
            _ = try LocalCommunicator.run(ranks: 2) { comm in
                let config = try TrainingConfig.load(path: directory.file("config.yaml"),
                                                     overrides: comm.rank == 1 ? ["optimizer.learning_rate=0.5"] : [])
                return try Trainer(config: config, options: RunOptions(runDirectory: directory.file("run")), communicator: comm,
                                   console: Console(rank: comm.rank, quiet: true)).run()
            }
        }
        #expect(nested?.description.contains("rank 1 has optimizer.learning_rate: 0.5 where rank 0 has optimizer.learning_rate: 0.1")
                == true, "\(String(describing: nested))")
    }

    @Test func reliabilityKeysHaveDefaultsAndRoundTrip() throws {
        let defaults = TrainingConfig()
        #expect(defaults.nonFinite == "stop" && defaults.nonFiniteMaxSkips == 10 && defaults.collectiveTimeout == 300)
        var config = defaults
        config.layers = [.dense(units: 2, initializer: .heNormal, bias: true)]
        config.nonFinite = "skip"
        config.nonFiniteMaxSkips = 3
        config.collectiveTimeout = 12.5
        let tree = try ConfigTree.parse(yaml: config.yaml, source: "resolved")
        #expect(try TrainingConfig(tree: tree, source: "resolved") == config)
    }
}
