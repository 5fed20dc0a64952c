// Bad input through the real `swiftddp` binary: one clear error line naming the file or key,
// and a non-zero exit (issue 2, "Done when" 5).
import Data
import Foundation
import Testing
import TestSupport

struct CLIErrorTests {
    /// A valid tiny dataset and config in a fresh directory.
    private func workspace() throws -> TemporaryDirectory {
        let directory = try TemporaryDirectory("cli")
        try TinyDatasets.writeBlobDirectory(directory.file("data"), shardSizes: [64])
        try TinyDatasets.blobConfig(dataDirectory: directory.file("data"), epochs: 1)
            .write(toFile: directory.file("config.yaml"), atomically: true, encoding: .utf8)
        return directory
    }

    private func train(_ directory: TemporaryDirectory, _ extra: String...) throws -> CommandResult {
        try runCommand(builtProduct("swiftddp"),
                       ["train", "--config", directory.file("config.yaml"), "--run-dir", directory.file("run")] + extra)
    }

    private func expectFailure(_ result: CommandResult, mentions: [String], sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(result.status != 0, "exit status 0; stdout: \(result.output)", sourceLocation: sourceLocation)
        for text in mentions {
            #expect(result.error.contains(text), "stderr lacks \"\(text)\": \(result.error)", sourceLocation: sourceLocation)
        }
    }

    @Test func validRunSucceeds() throws {
        let directory = try workspace()
        let result = try train(directory)
        #expect(result.status == 0, "\(result.error)")
        #expect(result.output.contains("test accuracy"))
        #expect(FileManager.default.fileExists(atPath: directory.file("run/metrics.jsonl")))
    }

    @Test func missingSourceFileIsNamed() throws {
        let directory = try TemporaryDirectory("cli-source")
        let result = try runCommand(builtProduct("swiftddp"), ["prepare", "fashion-mnist", "--source", directory.path, "--out", directory.file("out")])
        expectFailure(result, mentions: [directory.path + "/train-images-idx3-ubyte", "dataset-fashion-mnist"])
    }

    @Test func missingDataDirectoryIsNamed() throws {
        let directory = try workspace()
        expectFailure(try train(directory, "--data", directory.file("nowhere")), mentions: [directory.file("nowhere")])
    }

    @Test func fileThatIsNotHDF5IsNamed() throws {
        let directory = try workspace()
        let shard = directory.file("data/train-00000-of-00001.h5")
        try "not hdf5".write(toFile: shard, atomically: true, encoding: .utf8)
        expectFailure(try train(directory), mentions: [shard, "not an HDF5 file"])
    }

    @Test func missingDatasetInAShardIsNamed() throws {
        let directory = try workspace()
        let shard = directory.file("data/train-00000-of-00001.h5")
        try HDF5File.writeAtomically(path: shard) { file in
            try file.write([Float](repeating: 0, count: 16), shape: [2, 8], to: "/features")
        }
        expectFailure(try train(directory), mentions: [shard, "labels"])
    }

    @Test func featuresAndLabelsOfDifferentLengthsAreNamed() throws {
        let directory = try workspace()
        let shard = directory.file("data/train-00000-of-00001.h5")
        try HDF5File.writeAtomically(path: shard) { file in
            try file.write([Float](repeating: 0, count: 80), shape: [10, 8], to: "/features")
            try file.write([Int32](repeating: 0, count: 9), shape: [9], to: "/labels")
        }
        expectFailure(try train(directory), mentions: [shard, "10", "9"])
    }

    @Test func layerSizeThatDoesNotMatchTheDataIsNamed() throws {
        let directory = try workspace()
        expectFailure(try train(directory, "--set", "model.layers.2.units=5"), mentions: ["model.layers.2", "num_classes 3"])
        expectFailure(try train(directory, "--set", "model.input_shape=[3]"), mentions: ["model.input_shape", "[8]"])
    }

    @Test func unknownConfigKeyIsNamed() throws {
        let directory = try workspace()
        expectFailure(try train(directory, "--set", "training.batchsize=3"), mentions: ["training.batchsize", "did you mean 'training.batch_size'"])
        try (try String(contentsOfFile: directory.file("config.yaml"), encoding: .utf8) + "\nlearning_rate: 0.1\n")
            .write(toFile: directory.file("config.yaml"), atomically: true, encoding: .utf8)
        expectFailure(try train(directory), mentions: [directory.file("config.yaml"), "learning_rate is not a known key"])
    }

    @Test func nonPositiveLearningRateOrBatchSizeIsNamed() throws {
        let directory = try workspace()
        expectFailure(try train(directory, "--set", "optimizer.learning_rate=-0.1"), mentions: ["optimizer.learning_rate", "must be > 0"])
        expectFailure(try train(directory, "--set", "training.batch_size=0"), mentions: ["training.batch_size", "must be ≥ 1"])
        expectFailure(try train(directory, "--epochs", "0"), mentions: ["--epochs"])
    }

    @Test func helpExplainsEveryCommand() throws {
        let top = try runCommand(builtProduct("swiftddp"), ["--help"])
        #expect(top.status == 0)
        for command in ["train", "prepare", "inspect"] { #expect(top.output.contains(command)) }
        let train = try runCommand(builtProduct("swiftddp"), ["train", "--help"])
        for flag in ["--config", "--set", "--data", "--run-dir", "--epochs", "--seed", "--max-steps"] {
            #expect(train.output.contains(flag), "train --help lacks \(flag)")
        }
    }

    @Test func inspectDescribesAShard() throws {
        let directory = try workspace()
        let result = try runCommand(builtProduct("swiftddp"), ["inspect", directory.file("data/val.h5")])
        #expect(result.status == 0, "\(result.error)")
        #expect(result.output.contains("features") && result.output.contains("num_classes"))
        expectFailure(try runCommand(builtProduct("swiftddp"), ["inspect", directory.file("missing.h5")]), mentions: [directory.file("missing.h5")])
    }
}
