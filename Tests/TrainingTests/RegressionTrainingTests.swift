// Training with the regression losses and binary cross-entropy, in process: the records carry the
// task's metrics, and a loss that does not fit the data is refused naming the key and the file.
import Comm
import Data
import Foundation
import Testing
import TestSupport
@testable import Training

struct RegressionTrainingTests {
    private func train(_ directory: TemporaryDirectory, _ yaml: String, overrides: [String] = []) throws -> TrainingSummary {
        try yaml.write(toFile: directory.file("config.yaml"), atomically: true, encoding: .utf8)
        let config = try TrainingConfig.load(path: directory.file("config.yaml"), overrides: overrides)
        var options = RunOptions(runDirectory: directory.file("run"))
        options.overwrite = true
        return try Trainer(config: config, options: options, communicator: SingleProcessCommunicator(),
                           console: Console(rank: 0, quiet: true)).run()
    }

    private func records(_ directory: TemporaryDirectory) throws -> [[String: Any]] {
        try String(contentsOfFile: directory.file("run/metrics.jsonl"), encoding: .utf8).split(separator: "\n")
            .map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] ?? [:] }
    }

    @Test func learnsALinearMapAndReportsRegressionMetrics() throws {
        let directory = try TemporaryDirectory("regression")
        try TinyDatasets.writeLinearDirectory(directory.file("data"), shardSizes: [320])
        let summary = try train(directory, TinyDatasets.regressionConfig(dataDirectory: directory.file("data"), epochs: 4))
        #expect(summary.testAccuracy == nil && summary.steps == 4 * 20)
        let all = try records(directory)
        for split in ["train", "val", "test"] {
            let record = try #require(all.last { $0["split"] as? String == split })
            for key in ["loss", "mae", "mse", "rmse", "r2"] { #expect(record[key] is Double, "\(split) record lacks \(key)") }
            #expect(record["accuracy"] == nil)
        }
        let test = try #require(all.last)
        let (mse, rmse, r2) = (test["mse"] as? Double ?? .nan, test["rmse"] as? Double ?? .nan, test["r2"] as? Double ?? .nan)
        #expect(r2 > 0.9, "test R² \(r2)")
        #expect(abs(rmse * rmse - mse) < 1e-9 * max(1, mse))
        // the MSE loss is the MSE metric (summed in Float per batch, in Double over the set)
        #expect(abs((test["loss"] as? Double ?? .nan) - mse) < 1e-4 * max(1, mse))
        #expect(try String(contentsOfFile: directory.file("run/train.log"), encoding: .utf8).contains("val_r2"))
    }

    @Test(arguments: ["huber", "mae"])
    func severalTargetsTrainWithRobustLosses(loss: String) throws {
        let directory = try TemporaryDirectory("regression-\(loss)")
        try TinyDatasets.writeLinearDirectory(directory.file("data"), shardSizes: [160, 160], targets: 2)
        _ = try train(directory, TinyDatasets.regressionConfig(dataDirectory: directory.file("data"), targets: 2, loss: loss, epochs: 4))
        let test = try #require(try records(directory).last)
        #expect(test["split"] as? String == "test")
        #expect((test["r2"] as? Double ?? 0) > 0.8, "\(test)")
    }

    @Test func binaryCrossEntropyLearnsTwoClassesWithOneOutput() throws {
        let directory = try TemporaryDirectory("bce")
        try TinyDatasets.writeBlobDirectory(directory.file("data"), shardSizes: [200], classes: 2)
        let yaml = TinyDatasets.blobConfig(dataDirectory: directory.file("data"), classes: 1, extra: "loss: {type: binary_cross_entropy}")
        let summary = try train(directory, yaml)
        #expect((summary.testAccuracy ?? 0) > 0.9, "test accuracy \(String(describing: summary.testAccuracy))")
        #expect(try records(directory).last?["accuracy"] is Double)
    }

    @Test func binaryCrossEntropyLearnsSeveralYesNoTargets() throws {
        // multi-label: two outputs, each "is the linear target above 3" for its own weights
        let directory = try TemporaryDirectory("bce-multi")
        let data = directory.file("data")
        try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
        for (name, count, seed) in [("train-00000-of-00001.h5", 320, UInt64(1)), ("val.h5", 80, 100), ("test.h5", 80, 200)] {
            let (values, targets) = TinyDatasets.linear(count: count, targets: 2, seed: seed)
            try DatasetShard.write(path: "\(data)/\(name)", features: values, targets: targets.map { $0 > 3 ? 1 : 0 }, targetsPerSample: 2,
                                   metadata: DatasetMetadata(numClasses: 1, featureShape: [4], scale: 1))
        }
        let summary = try train(directory, TinyDatasets.regressionConfig(dataDirectory: data, targets: 2, loss: "binary_cross_entropy", epochs: 4))
        #expect((summary.testAccuracy ?? 0) > 0.9, "test accuracy \(String(describing: summary.testAccuracy))")
        let test = try #require(try records(directory).last)
        #expect(test["accuracy"] is Double && test["r2"] == nil)
    }

    @Test func lossThatDoesNotFitTheDataIsNamed() throws {
        let directory = try TemporaryDirectory("loss-fit")
        try TinyDatasets.writeBlobDirectory(directory.file("classes"), shardSizes: [64])
        try TinyDatasets.writeLinearDirectory(directory.file("values"), shardSizes: [64])
        let classes = TinyDatasets.blobConfig(dataDirectory: directory.file("classes"))
        let values = TinyDatasets.regressionConfig(dataDirectory: directory.file("values"))
        let shard = { (name: String) in directory.file("\(name)/train-00000-of-00001.h5") }
        let cases: [(String, [String], [String])] = [
            (classes, ["loss=mse"], ["loss.type mse needs float targets", shard("classes"), "num_classes 3", "--task regression"]),
            (values, ["loss=softmax_cross_entropy"], ["loss.type softmax_cross_entropy needs class ids", shard("values"), "num_targets 1"]),
            (classes, ["loss=binary_cross_entropy"], ["needs labels 0 and 1", "num_classes 3"]),
            (values, ["loss=binary_cross_entropy"], ["needs targets in [0, 1]", shard("values"), "row 2 has"]),
            (values, ["model.layers.2.units=3"], ["model.layers.2 outputs [3]", "num_targets 1", "units to 1"]),
        ]
        for (yaml, overrides, mentions) in cases {
            let error = #expect(throws: TrainingError.self) { try train(directory, yaml, overrides: overrides) }
            for text in mentions { #expect(error?.description.contains(text) == true, "\(overrides): \(String(describing: error))") }
        }
    }
}
