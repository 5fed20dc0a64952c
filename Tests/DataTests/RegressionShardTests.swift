// Regression shards: float targets (N) or (N, K) under task = "regression", per-feature
// standardization, and batches that carry the targets.
import Foundation
import Testing
@testable import Data

@Suite struct RegressionShardTests {
    /// 4 samples × 2 features; feature j of row i is 10·i + j, targets (i, −i) or i.
    private func write(_ path: String, targetsPerSample k: Int, mean: [Float]? = nil, std: [Float]? = nil) throws {
        var metadata = DatasetMetadata(numClasses: 1, featureShape: [2], scale: 1, source: "test", mean: mean, std: std)
        metadata.featureNames = ["a", "b"]
        metadata.targetNames = k == 2 ? ["up", "down"] : ["y"]
        let features = (0..<4).flatMap { i in [Float(10 * i), Float(10 * i + 1)] }
        let targets = (0..<4).flatMap { i in k == 2 ? [Float(i), -Float(i)] : [Float(i)] }
        try DatasetShard.write(path: path, features: features, targets: targets, targetsPerSample: k, metadata: metadata)
    }

    @Test func multiTargetShardRoundTripsWithPerFeatureStandardization() throws {
        let directory = TemporaryDirectory()
        let path = directory.file("train.h5")
        try write(path, targetsPerSample: 2, mean: [15, 16], std: [5, 10])
        let shard = try DatasetShard.load(path: path)
        #expect(shard.task == .regression)
        #expect(shard.count == 4 && shard.numTargets == 2 && shard.labels.isEmpty && shard.numClasses == 0)
        #expect(shard.targets?.toArray() == [0, 0, 1, -1, 2, -2, 3, -3])
        // (x − mean_j) / std_j per column
        let expected: [Float] = [-3, -1.5, -1, -0.5, 1, 0.5, 3, 1.5]
        #expect(zip(shard.features.toArray(), expected).allSatisfy { abs($0 - $1) < 1e-6 }, "\(shard.features)")
        let part = try DatasetShard.load(path: path, rows: 2..<4)
        #expect(part.targets?.shape == [2, 2] && part.targets?.toArray() == [2, -2, 3, -3])

        let file = try HDF5File.open(path: path)
        defer { try? file.close() }
        #expect(try file.readStringAttribute("task") == "regression")
        #expect(try file.readIntAttribute("num_targets") == 2)
        #expect(try file.datasetInfo("/labels") == ([4, 2], .float32))
        #expect(try file.readStringArrayAttribute("target_names") == ["up", "down"])
        #expect(try file.readStringArrayAttribute("feature_names") == ["a", "b"])
        #expect(!file.hasAttribute("num_classes"))
    }

    @Test func oneTargetIsStoredAsAVectorAndLoadsAsOneColumn() throws {
        let directory = TemporaryDirectory()
        let path = directory.file("val.h5")
        try write(path, targetsPerSample: 1)
        let file = try HDF5File.open(path: path)
        #expect(try file.datasetInfo("/labels") == ([4], .float32))
        try file.close()
        let shard = try DatasetShard.load(path: path)
        #expect(shard.targets?.shape == [4, 1] && shard.targets?.toArray() == [0, 1, 2, 3])
        #expect(shard.features.toArray() == [0, 1, 10, 11, 20, 21, 30, 31])   // no mean/std: unchanged
        // inspect summarizes the targets: mean 1.5, population std √1.25, range 0…3
        let report = try describeHDF5File(path: path)
        #expect(report.contains("swiftddp dataset: 4 samples, 1 regression target(s)"), "\(report)")
        #expect(report.contains("  y                1.5       1.118           0           3"), "\(report)")
    }

    @Test func classificationFilesWithoutTaskStayClassification() throws {
        let directory = TemporaryDirectory()
        let path = directory.file("old.h5")
        try HDF5File.writeAtomically(path: path) { file in   // as files were written before `task` existed
            try file.write([Float](repeating: 1, count: 4), shape: [2, 2], to: "/features")
            try file.write([1, 0] as [Int32], shape: [2], to: "/labels")
            try file.writeAttribute("num_classes", 2)
        }
        let shard = try DatasetShard.load(path: path)
        #expect(shard.task == .classification && shard.labels == [1, 0] && shard.targets == nil && shard.numTargets == 0)
    }

    @Test func badRegressionFilesAreNamed() throws {
        let directory = TemporaryDirectory()
        func fixture(_ name: String, _ body: (HDF5File) throws -> Void) throws -> String {
            let path = directory.file(name)
            try HDF5File.writeAtomically(path: path) { file in
                try file.write([Float](repeating: 0, count: 6), shape: [3, 2], to: "/features")
                try body(file)
            }
            return path
        }
        let infinite = try fixture("inf.h5") { file in
            try file.write([1, 2, 3, Float.infinity, 5, 6] as [Float], shape: [3, 2], to: "/labels")
            try file.writeAttribute("task", "regression")
        }
        let error = #expect(throws: DatasetError.nonFiniteTarget(file: infinite, key: "labels", row: 1, value: .infinity)) {
            try DatasetShard.load(path: infinite)
        }
        #expect(error?.description == "\(infinite): labels row 1 is inf; regression targets must be finite")

        let count = try fixture("count.h5") { file in
            try file.write([1, 2, 3] as [Float], shape: [3], to: "/labels")
            try file.writeAttribute("task", "regression")
            try file.writeAttribute("num_targets", 2)
        }
        let countError = #expect(throws: DatasetError.self) { try DatasetShard.load(path: count) }
        #expect(countError?.description == "\(count): attribute num_targets is 2 but labels has 1 target(s) per sample (shape [3])")

        let task = try fixture("task.h5") { file in
            try file.write([1, 2, 3] as [Float], shape: [3], to: "/labels")
            try file.writeAttribute("task", "ranking")
        }
        let taskError = #expect(throws: DatasetError.self) { try DatasetShard.load(path: task) }
        #expect(taskError?.description == "\(task): attribute task must be \"classification\" or \"regression\"")

        let untagged = try fixture("untagged.h5") { file in
            try file.write([Float](repeating: 0.5, count: 6), shape: [3, 2], to: "/labels")
        }
        let shapeError = #expect(throws: DatasetError.self) { try DatasetShard.load(path: untagged) }
        #expect(shapeError?.description.contains("need the attribute task = \"regression\"") == true)
    }

    @Test func batchesCarryTheTargetsOfTheirRows() throws {
        let directory = TemporaryDirectory()
        try write(directory.file("a.h5"), targetsPerSample: 2)
        let shard = try DatasetShard.load(path: directory.file("a.h5"))
        let loader = try TrainingLoader(shards: [(index: 0, shard: shard)], batchSize: 2, seed: 3)
        var seen: [Float] = []
        for step in 0..<loader.stepsPerEpoch {
            let batch = loader.batch(epoch: 1, step: step)
            let targets = try #require(batch.targets)
            #expect(batch.labels.isEmpty && targets.shape == [2, 2])
            for row in 0..<2 {   // row i has features (10i, 10i + 1) and targets (i, −i)
                let i = batch.features[row, 0] / 10
                #expect(targets[row, 0] == i && targets[row, 1] == -i && batch.features[row, 1] == 10 * i + 1)
                seen.append(i)
            }
        }
        #expect(seen.sorted() == [0, 1, 2, 3])

        let classes = DatasetShard(features: shard.features.tensor!, labels: [0, 1, 0, 1], numClasses: 2)
        let error = #expect(throws: LoaderError.self) {
            try TrainingLoader(shards: [(index: 0, shard: shard), (index: 1, shard: classes)], batchSize: 2, seed: 3)
        }
        #expect(error?.description.contains("holds classification data with 0 target(s) but") == true)
    }
}
