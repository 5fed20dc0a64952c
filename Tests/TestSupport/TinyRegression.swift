// Small deterministic regression datasets: a noisy linear map, written as shards or as CSV.
import Data
import Foundation
import Tensors

extension TinyDatasets {
    /// `count` samples of `features` standard-normal features and `targets` targets
    /// yₖ = 3 + Σⱼ wₖⱼ xⱼ + 0.1·noise, with fixed weights wₖⱼ in [−2, 2].
    public static func linear(count: Int, features: Int = 4, targets: Int = 1, seed: UInt64 = 1) -> (values: [Float], targets: [Float]) {
        var weights = Generator(seed: 2000 + UInt64(features * 10 + targets))
        let w = (0..<(targets * features)).map { _ in weights.uniform(-2, 2) }
        var generator = Generator(seed: seed)
        var values: [Float] = [], outputs: [Float] = []
        for _ in 0..<count {
            let x = (0..<features).map { _ in generator.normal(standardDeviation: 1) }
            values += x
            for k in 0..<targets {
                outputs.append(3 + zip(w[(k * features)..<((k + 1) * features)], x).reduce(0) { $0 + $1.0 * $1.1 }
                    + generator.normal(standardDeviation: 0.1))
            }
        }
        return (values, outputs)
    }

    /// Writes a regression dataset directory: training shards of the given sizes, `val.h5` and `test.h5`.
    public static func writeLinearDirectory(_ path: String, shardSizes: [Int], evalCount: Int = 60, features: Int = 4, targets: Int = 1) throws {
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        let shards: [(String, Int, UInt64)] = shardSizes.enumerated().map {
            (DatasetFormat.trainShardName(index: $0, count: shardSizes.count), $1, UInt64($0 + 1))
        }
        let files = shards + [(DatasetFormat.validationFileName, evalCount, 100), (DatasetFormat.testFileName, evalCount, 200)]
        for (name, count, seed) in files {
            let (values, outputs) = linear(count: count, features: features, targets: targets, seed: seed)
            try DatasetShard.write(path: "\(path)/\(name)", features: values, targets: outputs, targetsPerSample: targets,
                                   metadata: DatasetMetadata(numClasses: 1, featureShape: [features], scale: 1, source: "TinyDatasets.linear"))
        }
    }

    /// The same samples as CSV text: columns `x0 … x{D−1}`, then `y0 …`.
    public static func linearCSV(count: Int, features: Int = 4, targets: Int = 1, seed: UInt64 = 1) -> String {
        let (values, outputs) = linear(count: count, features: features, targets: targets, seed: seed)
        let header = (0..<features).map { "x\($0)" } + (0..<targets).map { "y\($0)" }
        let rows = (0..<count).map { i in
            (values[(i * features)..<((i + 1) * features)] + outputs[(i * targets)..<((i + 1) * targets)]).map { "\($0)" }
        }
        return ([header] + rows).map { $0.joined(separator: ",") }.joined(separator: "\n") + "\n"
    }

    /// A config for a small regression MLP, as YAML.
    public static func regressionConfig(dataDirectory: String, targets: Int = 1, loss: String = "mse", epochs: Int = 3,
                                        batchSize: Int = 16, extra: String = "") -> String {
        """
        name: linear
        seed: 7
        data:
          dir: '\(dataDirectory)'
        model:
          layers:
            - {type: dense, units: 16}
            - {type: relu}
            - {type: dense, units: \(targets), init: xavier_uniform}
        loss: {type: \(loss)}
        optimizer:
          type: adam
          learning_rate: 0.02
        training:
          batch_size: \(batchSize)
          epochs: \(epochs)
          log_every: 5
        \(extra)
        """
    }
}
