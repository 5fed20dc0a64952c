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
    /// - Throws: `EvaluationError` naming `shard`'s file and the checkpoint when the data does not
    ///   fit the checkpoint (regression data, other features, other classes) or the checkpoint
    ///   does not fit its own config.
    public func predict(_ shard: DatasetShard, batchSize: Int? = nil) throws -> ClassificationPredictions {
        let model = try loadedModel(for: shard, outputs: shard.numClasses)
        let result = evaluate(model, loss: SoftmaxCrossEntropy(), on: shard, batchSize: batchSize ?? config.evalBatchSize)
        return result.predictions!   // softmax cross-entropy always keeps them
    }

    /// Builds the regression model for the samples of `shard` (which must hold float targets),
    /// loads every parameter, and returns every sample's predicted values, (N, K) row-major.
    /// - Throws: as `predict`; `EvaluationError.task` when `shard` holds class ids.
    public func predictValues(_ shard: DatasetShard, batchSize: Int? = nil) throws -> [Float] {
        let model = try loadedModel(for: shard, outputs: shard.numTargets)
        var values = [Float](repeating: 0, count: shard.count * shard.numTargets)
        let step = batchSize ?? config.evalBatchSize
        var start = 0
        while start < shard.count {
            let end = min(start + step, shard.count)
            let outputs = model.forward(shard.features.rows(start..<end), mode: .evaluation)
            values.withUnsafeMutableBufferPointer { $0.baseAddress!.advanced(by: start * shard.numTargets).update(from: outputs.pointer, count: outputs.count) }
            start = end
        }
        return values
    }

    /// The error for evaluating this checkpoint on `shard` when one holds class labels and the
    /// other predicts values (or the reverse), or nil when their tasks agree.
    private func taskMismatch(with shard: DatasetShard) -> EvaluationError? {
        let predictsClasses = task != .regression
        guard predictsClasses != (shard.task == .classification) else { return nil }
        let outputs = try? Sequential(config.layers.map { $0.makeLayer() }, inputShape: shard.featureShape).outputShape.reduce(1, *)
        return .task(data: shard.path, dataTask: shard.task, dataSize: shard.task == .classification ? shard.numClasses : shard.numTargets,
                     checkpoint: path, loss: config.loss, outputs: outputs)
    }

    /// The model built exactly as training built it, for the samples of `shard` and `outputs`
    /// values per sample, with every parameter and buffer of the checkpoint loaded. Checks first
    /// that the data is what the checkpoint was trained on: the task, then the samples' shape
    /// (through the sizes of the stored parameters), then the classes or targets.
    private func loadedModel(for shard: DatasetShard, outputs: Int) throws -> Sequential {
        if let mismatch = taskMismatch(with: shard) { throw mismatch }
        let shape = shard.featureShape
        func shapeError(trained: [Int]?, detail: String) -> EvaluationError {
            .sampleShape(data: shard.path, shape: shape, checkpoint: path, trainedShape: trained, detail: detail)
        }
        if let trained = config.inputShape, trained.reduce(1, *) != shape.reduce(1, *) {
            throw shapeError(trained: trained, detail: "its model.input_shape is \(trained)")
        }
        let candidate: Sequential
        do {
            candidate = try Sequential(config.layers.map { $0.makeLayer() }, inputShape: shape)
        } catch {
            throw shapeError(trained: nil, detail: "\(error)")
        }
        if let mismatch = firstSizeMismatch(candidate) {
            throw shapeError(trained: trainedSampleShape(near: shape, stored: mismatch.stored, built: mismatch.built),
                             detail: "its parameter \(mismatch.name) has \(mismatch.stored) values, a model for these samples \(mismatch.built)")
        }
        if candidate.outputShape.reduce(1, *) != outputs {
            let trained = candidate.outputShape.reduce(1, *)
            throw shard.task == .classification
                ? EvaluationError.classCount(data: shard.path, classes: outputs, checkpoint: path, trained: trained)
                : EvaluationError.targetCount(data: shard.path, targets: outputs, checkpoint: path, trained: trained)
        }
        let builder = Trainer(config: config, options: RunOptions(runDirectory: ""), communicator: SingleProcessCommunicator(),
                              console: Console(rank: 0, quiet: true))
        let model = try builder.buildModel(sampleShape: shape, outputs: outputs, source: "\(shard.path) has \(outputs) outputs per sample",
                                           dataPath: shard.path)
        try load(into: model)
        return model
    }

    /// The first parameter of `model` whose size differs from the checkpoint's parameter of that
    /// name: its name, the stored and the built number of values.
    private func firstSizeMismatch(_ model: Sequential) -> (name: String, stored: Int, built: Int)? {
        var stored: [String: Int] = [:]
        for entry in parameters { stored[entry.name] = entry.values.count }
        for view in model.store.parameters {
            if let count = stored[view.name], count != view.count { return (view.name, count, view.count) }
        }
        return nil
    }

    /// The sample shape the checkpoint was trained on, if one axis of `shape` scaled by
    /// `stored / built` (a parameter's stored and built sizes) gives a model whose every
    /// parameter has the stored size, or else, for images [C, H, W], a square [C, s, s] with
    /// s ≤ `largestSquareSide` does (an image model evaluated on images of another size); nil
    /// when no such shape is found.
    private func trainedSampleShape(near shape: [Int], stored: Int, built: Int) -> [Int]? {
        var candidates: [[Int]] = shape.indices.compactMap { axis in
            guard (shape[axis] * stored) % built == 0 else { return nil }
            var trained = shape
            trained[axis] = shape[axis] * stored / built
            return trained[axis] > 0 ? trained : nil
        }
        if shape.count == 3 { candidates += (1...Self.largestSquareSide).map { [shape[0], $0, $0] } }
        // each candidate from the layers' parameter shapes alone, without allocating a model
        var storedSizes: [String: Int] = [:]
        for entry in parameters { storedSizes[entry.name] = entry.values.count }
        let layers = config.layers.map { $0.makeLayer() }
        return candidates.first { $0 != shape && parameterSizes(layers, inputShape: $0) == storedSizes }
    }

    /// The largest side of the square images `trainedSampleShape` tries.
    static let largestSquareSide = 256

    /// The number of values of every parameter, by name, of `layers` built for samples of
    /// `inputShape`, or nil when a layer cannot take its input.
    private func parameterSizes(_ layers: [any Layer], inputShape: [Int]) -> [String: Int]? {
        var shape = inputShape
        var sizes: [String: Int] = [:]
        for (index, layer) in layers.enumerated() {
            guard let built = try? layer.build(inputShape: shape) else { return nil }
            for spec in built.parameters { sizes["layers.\(index).\(spec.name)"] = spec.shape.reduce(1, *) }
            shape = built.outputShape
        }
        return sizes
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
                throw EvaluationError.inconsistentCheckpoint(checkpoint: path, detail: "it has no \(what) \(view.name)")
            }
            guard values.count == view.count else {
                throw EvaluationError.inconsistentCheckpoint(checkpoint: path, detail: "its \(what) \(view.name) has \(values.count) values, the model \(view.count)")
            }
            _ = value(view).buffer.update(fromContentsOf: values)
        }
        if let extra = saved.keys.sorted().first {
            throw EvaluationError.inconsistentCheckpoint(checkpoint: path, detail: "its \(what) \(extra) is not in the model")
        }
    }
}
