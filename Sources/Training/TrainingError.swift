// Errors that stop a run: bad data for the model, unhealthy training.

/// Why a run could not start or had to stop.
public enum TrainingError: Error, CustomStringConvertible {
    /// The model does not fit the data (wrong output size, wrong input shape).
    case modelDoesNotFitData(String)
    /// A rank saw a non-finite loss (Keras `TerminateOnNaN`).
    case nonFiniteLoss(step: Int, loss: Float, rank: Int)
    /// The data directory lacks a file the run needs.
    case missingData(String)
    /// `--detect-anomalies` found a non-finite value.
    case anomaly(step: Int, rank: Int, layer: String, what: String, value: Float, index: Int)
    /// The ranks' parameters differ (they must stay identical in data-parallel training).
    case parametersDiverged(step: Int, ranks: [Int], checksums: [UInt64])
    /// The ranks do not run the same config or do not hold data of the same schema.
    case ranksDisagree(what: String, ranks: [Int])
    /// `--check-gradients` found a parameter whose backward disagrees with finite differences.
    case gradientCheckFailed(parameter: String, relativeError: Double, analytic: Double, numeric: Double, rank: Int)

    /// Whether every rank raises this error at the same point (it came out of a collective
    /// decision), so the job can end cleanly, reported once by rank 0, without MPI_Abort.
    public var isRaisedByEveryRank: Bool {
        switch self {
        case .nonFiniteLoss, .parametersDiverged, .gradientCheckFailed, .ranksDisagree: return true
        case .modelDoesNotFitData, .missingData, .anomaly: return false
        }
    }

    public var description: String {
        switch self {
        case .modelDoesNotFitData(let message):
            return message
        case .nonFiniteLoss(let step, let loss, let rank):
            return "loss became \(loss) at step \(step) on rank \(rank); training stopped. "
                + "Hint: lower optimizer.learning_rate, or rerun with --detect-anomalies to find the layer"
        case .missingData(let message):
            return message
        case .anomaly(let step, let rank, let layer, let what, let value, let index):
            return "non-finite value \(value) in the \(what) of \(layer) at step \(step) on rank \(rank) (element \(index))"
        case .parametersDiverged(let step, let ranks, let checksums):
            return "parameters differ across ranks at step \(step): rank(s) \(ranks.map(String.init).joined(separator: ", ")) "
                + "disagree with rank 0 (checksums \(checksums.map { String($0, radix: 16) }.joined(separator: ", ")))"
        case .ranksDisagree(let what, let ranks):
            return "rank(s) \(ranks.map(String.init).joined(separator: ", ")) disagree with rank 0 about \(what); "
                + "every rank must run the same config on data of the same schema"
        case .gradientCheckFailed(let parameter, let error, let analytic, let numeric, let rank):
            return "gradient check failed on rank \(rank): \(parameter) has relative error \(error) "
                + "(backward \(analytic) vs finite differences \(numeric)); its layer's backward is wrong"
        }
    }
}
