// Errors that stop a run: bad data for the model, unhealthy training.

/// Why a run could not start or had to stop.
public enum TrainingError: Error, CustomStringConvertible {
    /// The model does not fit the data (wrong output size, wrong input shape).
    case modelDoesNotFitData(String)
    /// The loss on some rank (the lowest, `lossRank`) or the averaged gradient was not finite,
    /// and `training.nonfinite` said stop (or its skips were used up); Keras `TerminateOnNaN`.
    /// `anomaliesChecked`: the run had `--detect-anomalies`, so every layer's values were finite
    /// on every rank, and the hint does not suggest it again.
    case nonFinite(step: Int, lossRank: Int?, gradient: NonFiniteElement?, action: String, skipped: Int, anomaliesChecked: Bool = false)
    /// A checkpoint was about to be written with a non-finite value in it.
    case nonFiniteCheckpoint(step: Int, what: String, element: NonFiniteElement)
    /// Preflight found problems with the data, the run directory or the agreement of the ranks.
    case preflightFailed(problems: [String])
    /// `--resume`/`--resume-from` found no usable checkpoint (rank 0's reason).
    case cannotResume(String)
    /// The data directory lacks a file the run needs.
    case missingData(String)
    /// `--detect-anomalies` found a non-finite value.
    case anomaly(step: Int, rank: Int, layer: String, what: String, value: Float, index: Int)
    /// `--detect-anomalies` found the loss non-finite although the model's outputs were finite
    /// (`largestOutput`: their largest magnitude): the loss itself overflowed.
    case anomalousLoss(step: Int, rank: Int, loss: String, value: Float, largestOutput: Float)
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
        case .nonFinite, .nonFiniteCheckpoint, .preflightFailed, .cannotResume, .parametersDiverged, .gradientCheckFailed, .ranksDisagree,
             .modelDoesNotFitData:   // built from the config and the data schema that preflight made every rank agree on
            return true
        case .missingData, .anomaly, .anomalousLoss: return false
        }
    }

    public var description: String {
        switch self {
        case .modelDoesNotFitData(let message):
            return message
        case .nonFinite(_, _, _, let action, let skipped, let anomaliesChecked):
            let why = action == "skip" ? "after \(skipped) skipped step(s), the most training.nonfinite_max_skips allows" : "training.nonfinite: stop"
            // suggest only what the run does not do already
            var hints = ["lower optimizer.learning_rate", "clip with optimizer.clip_norm"]
            if action != "skip" { hints.append("set training.nonfinite: skip to skip such steps") }
            if !anomaliesChecked { hints.append("rerun with --detect-anomalies to find the layer") }
            let hint = hints.dropLast().joined(separator: ", ") + ", or " + hints.last!
            let cause = anomaliesChecked ? " (--detect-anomalies found every layer's values finite on every rank: the sum of the ranks' gradients overflowed)" : ""
            return "\(finding)\(cause); training stopped (\(why)). Hint: \(hint)"
        case .nonFiniteCheckpoint(let step, let what, let element):
            return "not writing the checkpoint of step \(step): \(what) of \(element.parameter) element \(element.index) is \(element.value); "
                + "the newest checkpoint on disk is the last good one"
        case .preflightFailed(let problems):
            return "preflight found \(problems.count) problem(s); nothing was written:\n  " + problems.joined(separator: "\n  ")
        case .missingData(let message), .cannotResume(let message):
            return message
        case .anomaly(let step, let rank, let layer, let what, let value, let index):
            return "non-finite value \(value) in the \(what) of \(layer) at step \(step) on rank \(rank) (element \(index))"
        case .anomalousLoss(let step, let rank, let loss, let value, let largestOutput):
            return "non-finite loss \(value) (\(loss)) at step \(step) on rank \(rank), from finite model outputs (largest magnitude "
                + "\(largestOutput)): the loss overflowed; scale the targets down, lower optimizer.learning_rate or clip with optimizer.clip_norm"
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

    /// For `.nonFinite`: what was found, e.g. "step 5: the loss became non-finite on rank 1 and
    /// the averaged gradient of layers.0.weight is nan (element 0)".
    var finding: String {
        guard case .nonFinite(let step, let lossRank, let gradient, _, _, _) = self else { return description }
        var parts: [String] = []
        if let lossRank { parts.append("the loss became non-finite on rank \(lossRank)") }
        if let gradient { parts.append("the averaged gradient of \(gradient.parameter) is \(gradient.value) (element \(gradient.index))") }
        return "step \(step): " + parts.joined(separator: " and ")
    }
}
