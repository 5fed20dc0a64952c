// Callbacks on the validation metric, Keras-style: early stopping, and reducing the learning
// rate on a plateau. Both watch one metric through a MetricMonitor; rank 0 judges, and the
// training loop makes every rank follow.
import NN

/// Tracks the best value of a validation metric and the epochs since it last improved.
struct MetricMonitor {
    let monitor: String
    let maximizes: Bool
    let minDelta: Double
    private(set) var best: Double?
    private(set) var bestEpoch = 0
    private(set) var epochsWithoutImprovement = 0

    init(monitor: String, mode: String, minDelta: Float) {
        self.monitor = monitor
        self.maximizes = mode == "max" || (mode == "auto" && monitor == "val_accuracy")
        self.minDelta = Double(minDelta)
    }

    /// Records an epoch's validation result; returns whether it improved on the best.
    mutating func update(_ validation: (loss: Double, accuracy: Double), epoch: Int) -> Bool {
        let value = monitor == "val_accuracy" ? validation.accuracy : validation.loss
        let improved = best.map { maximizes ? value > $0 + minDelta : value < $0 - minDelta } ?? value.isFinite
        if improved {
            best = value
            bestEpoch = epoch
            epochsWithoutImprovement = 0
        } else {
            epochsWithoutImprovement += 1
        }
        return improved
    }

    /// Starts counting epochs without improvement afresh (after a learning-rate reduction).
    mutating func resetWait() { epochsWithoutImprovement = 0 }

    /// The state as named scalars, for checkpoints.
    func scalars(_ prefix: String) -> [String: Double] {
        var result = [prefix + ".best_epoch": Double(bestEpoch), prefix + ".wait": Double(epochsWithoutImprovement)]
        if let best { result[prefix + ".best"] = best }
        return result
    }

    /// Restores the state saved by `scalars`.
    mutating func restore(_ scalars: [String: Double], _ prefix: String) {
        best = scalars[prefix + ".best"]
        bestEpoch = Int(scalars[prefix + ".best_epoch"] ?? 0)
        epochsWithoutImprovement = Int(scalars[prefix + ".wait"] ?? 0)
    }
}

/// Keras-style early stopping: stop when the monitored metric has not improved by `min_delta`
/// for `patience` epochs, optionally going back to the best epoch's parameters.
struct EarlyStopping {
    let config: EarlyStoppingConfig
    private var metric: MetricMonitor
    private var bestParameters: [Float] = []
    private var bestBuffers: [Float] = []

    init(config: EarlyStoppingConfig) {
        self.config = config
        metric = MetricMonitor(monitor: config.monitor, mode: config.mode, minDelta: config.minDelta)
    }

    /// Records the epoch's validation result; returns whether training should stop now.
    mutating func update(_ validation: (loss: Double, accuracy: Double)?, epoch: Int, parameters: ParameterStore,
                         buffers: BufferStore) -> Bool {
        guard let validation else { return false }
        if metric.update(validation, epoch: epoch) {
            if config.restoreBestWeights {
                bestParameters = Array(parameters.values.buffer)
                bestBuffers = Array(buffers.flatValues)   // the running statistics validation used
            }
            return false
        }
        return metric.epochsWithoutImprovement >= max(config.patience, 1)   // Keras: after `patience` epochs without improvement
    }

    /// The state for checkpoints (the best parameters themselves are not saved).
    var scalars: [String: Double] { metric.scalars("early_stopping") }

    /// Restores the state saved in a checkpoint.
    mutating func restore(_ scalars: [String: Double]) { metric.restore(scalars, "early_stopping") }

    /// Copies the best epoch's parameters and buffers back (rank 0; the caller broadcasts them).
    func restoreBest(into store: ParameterStore, buffers: BufferStore) {
        guard bestParameters.count == store.count, bestBuffers.count == buffers.count else { return }
        _ = store.values.buffer.update(fromContentsOf: bestParameters)
        _ = buffers.flatValues.update(fromContentsOf: bestBuffers)
    }

    /// The console line when stopping.
    var message: String {
        "early stopping: \(config.monitor) did not improve by more than \(config.minDelta) for \(metric.epochsWithoutImprovement) epoch(s); "
            + "best \(metric.best.map { "\($0)" } ?? "-") at epoch \(metric.bestEpoch)"
            + (config.restoreBestWeights ? "; restoring the parameters of epoch \(metric.bestEpoch)" : "")
    }
}

/// Keras' ReduceLROnPlateau: multiply the learning rate by `factor` after `patience` epochs
/// without improvement, not below `min_lr`.
struct PlateauReduction {
    let config: PlateauConfig
    private var metric: MetricMonitor
    /// The multiplier applied to the scheduled learning rate (identical on every rank).
    private(set) var scale: Float = 1

    init(config: PlateauConfig) {
        self.config = config
        metric = MetricMonitor(monitor: config.monitor, mode: config.mode, minDelta: config.minDelta)
    }

    /// Records the epoch's validation result; returns whether to reduce now.
    mutating func update(_ validation: (loss: Double, accuracy: Double)?, epoch: Int) -> Bool {
        guard let validation, !metric.update(validation, epoch: epoch) else { return false }
        if metric.epochsWithoutImprovement >= max(config.patience, 1) {
            metric.resetWait()
            return true
        }
        return false
    }

    /// The state for checkpoints.
    var scalars: [String: Double] { metric.scalars("reduce_lr_on_plateau").merging(["reduce_lr_on_plateau.scale": Double(scale)]) { $1 } }

    /// Restores the state saved in a checkpoint.
    mutating func restore(_ scalars: [String: Double]) {
        metric.restore(scalars, "reduce_lr_on_plateau")
        scale = Float(scalars["reduce_lr_on_plateau.scale"] ?? 1)
    }

    /// Applies one reduction (every rank calls it when rank 0 decided to reduce).
    mutating func reduce(peak: Float) {
        scale = max(scale * config.factor, config.minLearningRate / peak)
    }
}
