// Errors that stop a run: bad data for the model, unhealthy training.

/// Why a run could not start or had to stop.
public enum TrainingError: Error, CustomStringConvertible {
    /// The model does not fit the data (wrong output size, wrong input shape).
    case modelDoesNotFitData(String)
    /// A rank saw a non-finite loss (Keras `TerminateOnNaN`).
    case nonFiniteLoss(step: Int, loss: Float, rank: Int)
    /// The data directory lacks a file the run needs.
    case missingData(String)

    public var description: String {
        switch self {
        case .modelDoesNotFitData(let message):
            return message
        case .nonFiniteLoss(let step, let loss, let rank):
            return "loss became \(loss) at step \(step) on rank \(rank); training stopped. "
                + "Hint: lower optimizer.learning_rate, or rerun with --detect-anomalies to find the layer"
        case .missingData(let message):
            return message
        }
    }
}
