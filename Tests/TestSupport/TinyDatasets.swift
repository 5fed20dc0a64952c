// Small deterministic classification datasets written in the real shard format.
import Data
import Foundation
import Tensors

/// Gaussian blobs: `classes` clusters in `features` dimensions, seeded, so a small MLP can learn
/// them in a few epochs.
public enum TinyDatasets {
    /// Samples and labels of `count` blob points.
    public static func blobs(count: Int, features: Int = 8, classes: Int = 3, seed: UInt64 = 1) -> (values: [Float], labels: [Int32]) {
        var centres = Generator(seed: 1000 + UInt64(classes))
        let means = (0..<(classes * features)).map { _ in centres.normal(standardDeviation: 2) }
        var generator = Generator(seed: seed)
        var values: [Float] = []
        var labels: [Int32] = []
        for _ in 0..<count {
            let label = generator.nextInt(below: classes)
            labels.append(Int32(label))
            for j in 0..<features { values.append(means[label * features + j] + generator.normal(standardDeviation: 0.7)) }
        }
        return (values, labels)
    }

    /// Writes a dataset directory: `shards` training shards of `perShard` samples (sizes may be
    /// given per shard), `val.h5` and `test.h5`.
    public static func writeBlobDirectory(_ path: String, shardSizes: [Int], evalCount: Int = 60,
                                          features: Int = 8, classes: Int = 3, featureShape: [Int]? = nil) throws {
        try writeDirectory(path, shardSizes: shardSizes, evalCount: evalCount, classes: classes,
                           featureShape: featureShape ?? [features], source: "TinyDatasets.blobs") { count, seed in
            blobs(count: count, features: features, classes: classes, seed: seed)
        }
    }

    /// A sequence task for recurrent layers: `count` sequences of `steps` steps of `features`
    /// Gaussian noise values (σ 0.5), where one random step carries a pulse of +2 on feature
    /// `label` (so there are `features` classes). Values are (count, steps · features), row-major.
    public static func pulses(count: Int, steps: Int = 8, features: Int = 3, seed: UInt64 = 1) -> (values: [Float], labels: [Int32]) {
        var generator = Generator(seed: seed, keys: [0x7075_6C73])
        var values: [Float] = []
        var labels: [Int32] = []
        for _ in 0..<count {
            let (label, step) = (generator.nextInt(below: features), generator.nextInt(below: steps))
            labels.append(Int32(label))
            for t in 0..<steps {
                for j in 0..<features { values.append(generator.normal(standardDeviation: 0.5) + (t == step && j == label ? 2 : 0)) }
            }
        }
        return (values, labels)
    }

    /// Writes a dataset directory of `pulses` (feature shape [steps · features], as flat as
    /// Fashion-MNIST's rows are before a reshape layer).
    public static func writePulseDirectory(_ path: String, shardSizes: [Int], evalCount: Int = 60,
                                           steps: Int = 8, features: Int = 3) throws {
        try writeDirectory(path, shardSizes: shardSizes, evalCount: evalCount, classes: features,
                           featureShape: [steps * features], source: "TinyDatasets.pulses") { count, seed in
            pulses(count: count, steps: steps, features: features, seed: seed)
        }
    }

    private static func writeDirectory(_ path: String, shardSizes: [Int], evalCount: Int, classes: Int, featureShape: [Int], source: String,
                                       sample: (Int, UInt64) -> (values: [Float], labels: [Int32])) throws {
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        for (index, size) in shardSizes.enumerated() {
            let (values, labels) = sample(size, UInt64(index + 1))
            try DatasetShard.write(path: "\(path)/\(DatasetFormat.trainShardName(index: index, count: shardSizes.count))",
                                   features: values, labels: labels,
                                   metadata: metadata(classes: classes, split: .train, index: index, count: shardSizes.count, shape: featureShape, source: source))
        }
        for (split, seed) in [(DatasetSplit.validation, UInt64(100)), (.test, 200)] {
            let (values, labels) = sample(evalCount, seed)
            try DatasetShard.write(path: "\(path)/\(split == .test ? DatasetFormat.testFileName : DatasetFormat.validationFileName)",
                                   features: values, labels: labels,
                                   metadata: metadata(classes: classes, split: split, index: 0, count: 1, shape: featureShape, source: source))
        }
    }

    private static func metadata(classes: Int, split: DatasetSplit, index: Int, count: Int, shape: [Int], source: String) -> DatasetMetadata {
        DatasetMetadata(numClasses: classes, featureShape: shape, scale: 1,
                        classNames: (0..<classes).map { "class\($0)" }, source: source,
                        split: split, shardIndex: index, shardCount: count)
    }

    /// A config for a small MLP on blobs, as YAML.
    public static func blobConfig(dataDirectory: String, classes: Int = 3, epochs: Int = 3, batchSize: Int = 16,
                                  extra: String = "") -> String {
        """
        name: blobs
        seed: 7
        data:
          dir: '\(dataDirectory)'
        model:
          layers:
            - {type: dense, units: 16}
            - {type: relu}
            - {type: dense, units: \(classes), init: xavier_uniform}
        optimizer:
          type: sgd
          learning_rate: 0.1
          momentum: 0.9
        training:
          batch_size: \(batchSize)
          epochs: \(epochs)
          log_every: 5
        \(extra)
        """
    }
}

extension TinyDatasets {
    /// Rewrites the shard at `path` with `value` in every feature of row `row`: infinite by
    /// default (preflight refuses the shard), or a huge finite value that overflows in the first
    /// layer (the anomaly tests).
    public static func poison(_ path: String, value: Float = .infinity, row: Int = 0, shardIndex: Int = 0, shardCount: Int = 1) throws {
        let shard = try DatasetShard.load(path: path)
        var values = shard.features.toArray()
        let width = shard.features.rowLength
        for j in 0..<width { values[row * width + j] = value }
        try DatasetShard.write(path: path, features: values, labels: shard.labels,
                               metadata: DatasetMetadata(numClasses: shard.numClasses, featureShape: shard.featureShape, scale: 1,
                                                         classNames: shard.classNames, source: "poisoned",
                                                         shardIndex: shardIndex, shardCount: shardCount))
    }
}
