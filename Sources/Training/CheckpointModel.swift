// A trained model brought back from a checkpoint for `swiftddp evaluate`: the model is built
// from the config stored in the checkpoint, every parameter is loaded by name, and predictions
// come from the same evaluation pass as validation during training.
import Checkpoints
import Comm
import Data
import Metrics
import NN
import Tensors

/// What a checkpoint's model predicts.
public enum EvaluationTask: Sendable, Equatable {
    /// Softmax cross-entropy: class probabilities, classification metrics.
    case classification
    /// A regression loss (MSE, MAE, Huber): predicted values, MAE/MSE/RMSE/R²
    /// (`RegressionTally`).
    case regression
    /// Binary cross-entropy (independent yes/no outputs): not evaluated by `evaluate` yet.
    case binary
}

/// A checkpoint's parameters and the config it was trained with.
public struct CheckpointModel: Sendable {
    /// The checkpoint file.
    public let path: String
    /// The optimizer steps it was saved after.
    public let step: Int
    /// The resolved config stored in the checkpoint.
    public let config: TrainingConfig
    private let parameters: [(name: String, shape: [Int], values: [Float])]
    private let buffers: [(name: String, shape: [Int], values: [Float])]

    /// Reads and verifies `path` (its checksum) and parses its stored config.
    /// - Throws: `CheckpointError` naming the file (not a checkpoint — a `--save-weights` file
    ///   has no config —, damaged, newer format), or `ConfigError` for its config.
    public static func read(path: String) throws -> CheckpointModel {
        let file = try HDF5File.open(path: path)
        let format = (try? file.readStringAttribute("format")) ?? ""
        try file.close()
        if format == WeightsFile.format {
            throw CheckpointError.unreadable(path: path, reason: "it is a --save-weights file, which holds no config to build the model from; "
                + "evaluate a checkpoint (runs/<run>/checkpoints/ckpt-*.h5 or best.h5)")
        }
        let checkpoint = try Checkpoint.read(path: path)
        let tree = try ConfigTree.parse(yaml: checkpoint.config, source: "\(path) (config attribute)")
        let config = try TrainingConfig(tree: tree, source: "\(path) (config attribute)")
        return CheckpointModel(path: path, step: checkpoint.step, config: config, parameters: checkpoint.parameters, buffers: checkpoint.buffers)
    }

    /// What the model predicts, from its loss.
    public var task: EvaluationTask {
        switch config.loss {
        case "softmax_cross_entropy": .classification
        case "binary_cross_entropy": .binary
        default: .regression
        }
    }

    /// Builds the model for the samples of `shard`, loads every parameter, and returns the
    /// class probabilities of every sample (evaluation mode, batches of `batchSize`, by default
    /// the config's `training.eval_batch_size`).
    /// - Throws: `TrainingError.modelDoesNotFitData` when the data does not fit the model,
    ///   `CheckpointError.doesNotFitModel` when a parameter is missing or has another size.
    public func predict(_ shard: DatasetShard, batchSize: Int? = nil) throws -> ClassificationPredictions {
        let model = try loadedModel(for: shard, outputs: shard.numClasses, source: "\(shard.path) has num_classes \(shard.numClasses)")
        let result = evaluate(model, loss: SoftmaxCrossEntropy(), on: shard, batchSize: batchSize ?? config.evalBatchSize)
        return result.predictions!   // softmax cross-entropy always keeps them
    }

    /// Builds the regression model for the samples of `shard` (which must hold float targets),
    /// loads every parameter, and returns every sample's predicted values, (N, K) row-major.
    /// - Throws: as `predict`, and `TrainingError.modelDoesNotFitData` when `shard` holds class ids.
    public func predictValues(_ shard: DatasetShard, batchSize: Int? = nil) throws -> [Float] {
        guard let targets = shard.targets else {
            throw TrainingError.modelDoesNotFitData("\(path) was trained with loss \(config.loss) (a regression) but \(shard.path) holds class ids, not float targets")
        }
        let model = try loadedModel(for: shard, outputs: targets.rowLength, source: "\(shard.path) has \(targets.rowLength) target(s)")
        var values = [Float](repeating: 0, count: targets.count)
        let step = batchSize ?? config.evalBatchSize
        var start = 0
        while start < shard.count {
            let end = min(start + step, shard.count)
            let outputs = model.forward(shard.features.rows(start..<end), mode: .evaluation)
            values.withUnsafeMutableBufferPointer { $0.baseAddress!.advanced(by: start * targets.rowLength).update(from: outputs.pointer, count: outputs.count) }
            start = end
        }
        return values
    }

    /// The model built exactly as training built it, for the samples of `shard` and `outputs`
    /// values per sample (the data's requirement, explained by `source`), with every parameter
    /// and buffer of the checkpoint loaded.
    private func loadedModel(for shard: DatasetShard, outputs: Int, source: String) throws -> Sequential {
        let builder = Trainer(config: config, options: RunOptions(runDirectory: ""), communicator: SingleProcessCommunicator(),
                              console: Console(rank: 0, quiet: true))
        let model = try builder.buildModel(sampleShape: shard.featureShape, outputs: outputs, source: source, dataPath: shard.path)
        try load(into: model)
        return model
    }

    /// Copies every parameter and every buffer (BatchNorm's running statistics) by name; the
    /// names and sizes must match the model's exactly, so a model is never evaluated with
    /// initial values or default statistics.
    private func load(into model: Sequential) throws {
        try copy(parameters, into: model.store.parameters, what: "parameter") { model.store.value($0) }
        try copy(buffers, into: model.buffers.buffers, what: "buffer") { model.buffers.value($0) }
    }

    private func copy(_ entries: [(name: String, shape: [Int], values: [Float])], into views: [Parameter], what: String,
                      value: (Parameter) -> Tensor) throws {
        var saved: [String: [Float]] = [:]
        for entry in entries { saved[entry.name] = entry.values }
        for view in views {
            guard let values = saved.removeValue(forKey: view.name) else {
                throw CheckpointError.doesNotFitModel(path: path, detail: "it has no \(what) \(view.name)")
            }
            guard values.count == view.count else {
                throw CheckpointError.doesNotFitModel(path: path, detail: "\(what) \(view.name) has \(values.count) values, the model \(view.count)")
            }
            _ = value(view).buffer.update(fromContentsOf: values)
        }
        if let extra = saved.keys.sorted().first {
            throw CheckpointError.doesNotFitModel(path: path, detail: "its \(what) \(extra) is not in the model built from its config")
        }
    }
}
