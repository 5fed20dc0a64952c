import Comm
import Foundation
import Testing
import TestSupport
@testable import Training

struct TrainerTests {
    private func train(_ directory: TemporaryDirectory, overrides: [String] = [], runName: String = "run") throws -> TrainingSummary {
        let configPath = directory.file("config.yaml")
        try TinyDatasets.blobConfig(dataDirectory: directory.file("data")).write(toFile: configPath, atomically: true, encoding: .utf8)
        let config = try TrainingConfig.load(path: configPath, overrides: overrides)
        var options = RunOptions(runDirectory: directory.file(runName))
        options.overwrite = true
        return try Trainer(config: config, options: options, communicator: SingleProcessCommunicator(),
                           console: Console(rank: 0, quiet: true)).run()
    }

    /// Early stopping or reduce-on-plateau without a val.h5 to monitor: the error names the
    /// section that is configured, not both.
    @Test func aMonitorWithoutValidationDataNamesItsSection() throws {
        let directory = try TemporaryDirectory("no-val")
        try TinyDatasets.writeBlobDirectory(directory.file("data"), shardSizes: [64])
        try FileManager.default.removeItem(atPath: directory.file("data/val.h5"))
        for (override, expected) in [("early_stopping={patience: 2}", "early_stopping monitors a validation metric but "),
                                     ("reduce_lr_on_plateau={patience: 2}", "reduce_lr_on_plateau monitors a validation metric but ")] {
            let error = #expect(throws: TrainingError.self) { try train(directory, overrides: [override]) }
            #expect(error?.description.hasPrefix(expected) == true, "\(String(describing: error))")
            #expect(error?.description.hasSuffix("has no val.h5 (prepare it with a validation split, or remove \(override.prefix { $0 != "=" }))") == true)
        }
    }

    /// A layer that cannot take its input is named by its config key, with the data's sample shape.
    @Test func aLayerThatCannotTakeItsInputIsNamedByItsKey() throws {
        let directory = try TemporaryDirectory("layer-shape")
        try TinyDatasets.writeBlobDirectory(directory.file("data"), shardSizes: [64])
        let error = #expect(throws: TrainingError.self) {
            try train(directory, overrides: ["model.layers=[{type: dense, units: 4}, {type: reshape, shape: [3, 3]}, {type: dense, units: 3}]"])
        }
        #expect(error?.description == "model.layers.1: Reshape([3, 3]): input shape [4] has 4 elements, not 9 "
            + "(the samples in \(directory.file("data/train-00000-of-00001.h5")) have shape [8])", "\(String(describing: error))")
    }

    @Test func learnsBlobsAndWritesTheRunDirectory() throws {
        let directory = try TemporaryDirectory("trainer")
        try TinyDatasets.writeBlobDirectory(directory.file("data"), shardSizes: [300])
        let summary = try train(directory)
        #expect(summary.steps == 3 * (300 / 16))
        #expect((summary.testAccuracy ?? 0) > 0.9, "test accuracy \(String(describing: summary.testAccuracy))")

        let run = RunDirectory(path: directory.file("run"))
        let lines = try String(contentsOfFile: run.metricsPath, encoding: .utf8).split(separator: "\n")
        let records = try lines.map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] ?? [:] }
        #expect(records.filter { $0["split"] as? String == "val" }.count == 3)
        let test = try #require(records.last)
        #expect(test["split"] as? String == "test")
        #expect(abs((test["accuracy"] as? Double ?? 0) - (summary.testAccuracy ?? 1)) < 1e-12)
        let train = try #require(records.first)
        for key in ["time", "step", "epoch", "loss", "accuracy", "lr", "grad_norm", "samples_per_sec", "compute_ms", "comm_ms", "data_ms"] {
            #expect(train[key] != nil, "train record lacks \(key)")
        }
        // every step is counted in exactly one train record
        #expect(records.filter { $0["split"] as? String == "train" }.compactMap { $0["steps"] as? Int }.reduce(0, +) == summary.steps)
        #expect(FileManager.default.fileExists(atPath: run.configPath))
        #expect(try String(contentsOfFile: run.logPath, encoding: .utf8).contains("epoch 3/3"))
    }

    @Test func sameSeedGivesIdenticalParameters() throws {
        let directory = try TemporaryDirectory("determinism")
        try TinyDatasets.writeBlobDirectory(directory.file("data"), shardSizes: [200, 150])
        let first = try train(directory, runName: "a")
        let second = try train(directory, runName: "b")
        #expect(first.parameters == second.parameters)
        let third = try train(directory, overrides: ["seed=8"], runName: "c")
        #expect(first.parameters != third.parameters)
    }

    @Test func maxStepsStopsEarly() throws {
        let directory = try TemporaryDirectory("maxsteps")
        try TinyDatasets.writeBlobDirectory(directory.file("data"), shardSizes: [300])
        #expect(try train(directory, overrides: ["training.max_steps=5"]).steps == 5)
    }

    @Test func refusesToOverwriteAnEarlierRun() throws {
        let directory = try TemporaryDirectory("overwrite")
        try TinyDatasets.writeBlobDirectory(directory.file("data"), shardSizes: [100])
        _ = try train(directory, overrides: ["training.max_steps=2"])
        let configPath = directory.file("config.yaml")
        let config = try TrainingConfig.load(path: configPath)
        let trainer = Trainer(config: config, options: RunOptions(runDirectory: directory.file("run")),
                              communicator: SingleProcessCommunicator(), console: Console(rank: 0, quiet: true))
        let error = #expect(throws: TrainingError.self) { try trainer.run() }   // preflight, before any file changes
        #expect(error?.description.contains("--overwrite") == true)
    }

    @Test func aShardMissingOnThisHostIsNamedWithRankAndHost() throws {
        // a per-host copy with only the second of two shards: fine for a rank that reads only
        // that one (MultiHostTests), but this single rank reads both
        let directory = try TemporaryDirectory("host-data")
        try TinyDatasets.writeBlobDirectory(directory.file("data"), shardSizes: [50, 50])
        try FileManager.default.removeItem(atPath: directory.file("data/train-00000-of-00002.h5"))
        let error = #expect(throws: TrainingError.self) { try train(directory) }
        #expect(error?.description.contains("rank 0 of 1 on host ") == true, "\(String(describing: error))")
        #expect(error?.description.contains("reads train-00000-of-00002.h5, which is not in \(directory.file("data")) there (it holds 1 of the 2 shards)") == true)
    }

    @Test func modelThatDoesNotFitTheDataIsNamed() throws {
        let directory = try TemporaryDirectory("fit")
        try TinyDatasets.writeBlobDirectory(directory.file("data"), shardSizes: [100])
        let outputs = #expect(throws: TrainingError.self) { try train(directory, overrides: ["model.layers.2.units=12"]) }
        #expect(outputs?.description.contains("model.layers.2 outputs [12]") == true)
        #expect(outputs?.description.contains("num_classes 3") == true)
        let input = #expect(throws: TrainingError.self) { try train(directory, overrides: ["model.input_shape=[784]"]) }
        #expect(input?.description.contains("model.input_shape is [784]") == true)
    }
}

struct TrainerVocabularyTests {
    @Test(arguments: ["adam", "adamw", "rmsprop", "adagrad"])
    func otherOptimizersSchedulesAndActivationsLearnBlobs(optimizer: String) throws {
        let directory = try TemporaryDirectory("vocabulary")
        try TinyDatasets.writeBlobDirectory(directory.file("data"), shardSizes: [300])
        let yaml = """
            seed: 3
            data: {dir: '\(directory.file("data"))'}
            model:
              layers:
                - {type: dense, units: 16, init: xavier_uniform}
                - {type: gelu}
                - {type: dense, units: 16}
                - {type: leaky_relu, slope: 0.1}
                - {type: dense, units: 3}
            optimizer: {type: \(optimizer), learning_rate: 0.01}
            schedule: {type: cosine, warmup_steps: 5, final_fraction: 0.1}
            training: {batch_size: 16, epochs: 4}
            """
        try yaml.write(toFile: directory.file("config.yaml"), atomically: true, encoding: .utf8)
        var options = RunOptions(runDirectory: directory.file("run"))
        options.overwrite = true
        let summary = try Trainer(config: try TrainingConfig.load(path: directory.file("config.yaml")), options: options,
                                  communicator: SingleProcessCommunicator(), console: Console(rank: 0, quiet: true)).run()
        #expect((summary.testAccuracy ?? 0) > 0.9, "\(optimizer): test accuracy \(String(describing: summary.testAccuracy))")
        let records = try String(contentsOfFile: directory.file("run/metrics.jsonl"), encoding: .utf8)
        #expect(records.contains("\"lr\":"))
    }
}

struct ConvolutionalTrainingTests {
    @Test func aSmallCNNLearnsImageShapedBlobs() throws {
        let directory = try TemporaryDirectory("cnn")
        try TinyDatasets.writeBlobDirectory(directory.file("data"), shardSizes: [240], features: 16, featureShape: [1, 4, 4])
        let yaml = """
            seed: 5
            data: {dir: '\(directory.file("data"))'}
            model:
              input_shape: [1, 4, 4]
              layers:
                - {type: conv2d, filters: 4, kernel_size: 3, padding: 1}
                - {type: relu}
                - {type: max_pool2d, pool_size: 2}
                - {type: flatten}
                - {type: dropout, rate: 0.1}
                - {type: dense, units: 3, init: xavier_uniform}
            optimizer: {type: adam, learning_rate: 0.01}
            training: {batch_size: 16, epochs: 4}
            """
        try yaml.write(toFile: directory.file("config.yaml"), atomically: true, encoding: .utf8)
        let config = try TrainingConfig.load(path: directory.file("config.yaml"))
        #expect(try TrainingConfig(tree: ConfigTree.parse(yaml: config.yaml, source: "r"), source: "r") == config)
        var runOptions = RunOptions(runDirectory: directory.file("run"))
        runOptions.overwrite = true
        let options = runOptions
        let summaries = try LocalCommunicator.run(ranks: 2) { communicator in
            try Trainer(config: config, options: options, communicator: communicator,
                        console: Console(rank: communicator.rank, quiet: true)).run()
        }
        #expect(summaries[0].checksum == summaries[1].checksum)
        #expect((summaries[0].testAccuracy ?? 0) > 0.9, "\(String(describing: summaries[0].testAccuracy))")
    }
}
