// Keras-style early stopping: stop when the monitored validation metric has not improved by
// min_delta for `patience` epochs, optionally going back to the best epoch's parameters.
import NN

/// The running state of early stopping on rank 0.
struct EarlyStopping {
    let config: EarlyStoppingConfig
    private(set) var best: Double?
    private(set) var bestEpoch = 0
    private var epochsWithoutImprovement = 0
    private var bestParameters: [Float] = []

    init(config: EarlyStoppingConfig) {
        self.config = config
    }

    /// Records the epoch's validation result; returns whether training should stop now.
    mutating func update(_ validation: (loss: Double, accuracy: Double)?, epoch: Int, parameters: ParameterStore) -> Bool {
        guard let validation else { return false }
        let value = config.monitor == "val_accuracy" ? validation.accuracy : validation.loss
        let delta = Double(config.minDelta)
        let improved = best.map { config.maximizes ? value > $0 + delta : value < $0 - delta } ?? value.isFinite
        if improved {
            best = value
            bestEpoch = epoch
            epochsWithoutImprovement = 0
            if config.restoreBestWeights { bestParameters = Array(parameters.values.buffer) }
            return false
        }
        epochsWithoutImprovement += 1
        return epochsWithoutImprovement >= max(config.patience, 1)   // Keras: stop after `patience` epochs without improvement
    }

    /// Copies the best epoch's parameters back (rank 0; the caller broadcasts them).
    func restoreBest(into store: ParameterStore) {
        guard bestParameters.count == store.count else { return }
        _ = store.values.buffer.update(fromContentsOf: bestParameters)
    }

    /// The console line when stopping.
    var message: String {
        "early stopping: \(config.monitor) did not improve by more than \(config.minDelta) for \(epochsWithoutImprovement) epoch(s); "
            + "best \(best.map { "\($0)" } ?? "-") at epoch \(bestEpoch)"
            + (config.restoreBestWeights ? "; restoring the parameters of epoch \(bestEpoch)" : "")
    }
}
