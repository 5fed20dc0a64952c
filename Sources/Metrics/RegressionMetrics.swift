// Running sums for regression metrics over batches: the loss, and MAE, MSE, RMSE and R² per
// target and averaged over targets.

/// Accumulates the errors of float predictions against float targets, (N, K) row-major, batch
/// after batch, without allocating per batch.
///
/// Per target j, with eᵢ = predictionᵢⱼ − targetᵢⱼ over the n samples seen:
/// MAE = Σ|eᵢ|/n, MSE = Σeᵢ²/n, RMSE = √MSE, and R² = 1 − Σeᵢ² / Σ(targetᵢⱼ − mean_j)². The
/// averages over targets are unweighted means of the per-target values (scikit-learn's
/// `multioutput="uniform_average"`), so with one target they are that target's values. A target
/// that is constant over the samples has R² = 1 if every error is 0 and 0 otherwise (as
/// scikit-learn's `r2_score` with `force_finite=True`).
///
/// Sums are `Double`; the targets' mean and spread are merged with Chan et al.'s pairwise update,
/// so two tallies of disjoint samples `merge` into the tally of their union.
///
/// ### References
/// 1. Chan, Golub & LeVeque, "Updating Formulae and a Pairwise Algorithm for Computing Sample
///    Variances", 1979.
public struct RegressionTally: Sendable, Equatable {
    /// The number of targets K per sample.
    public let targetCount: Int
    /// Σ (batch mean loss × batch rows).
    public private(set) var lossSum: Double = 0
    /// Samples seen.
    public private(set) var count = 0
    private var absoluteErrors: [Double]      // Σ|e| per target
    private var squaredErrors: [Double]       // Σe² per target
    private var targetMeans: [Double]         // mean of the targets seen, per target
    private var targetSpreads: [Double]       // Σ(t − mean)² per target

    /// An empty tally for `targets` targets per sample.
    public init(targets: Int) {
        precondition(targets >= 1, "RegressionTally: \(targets) targets per sample")
        targetCount = targets
        absoluteErrors = [Double](repeating: 0, count: targets)
        squaredErrors = absoluteErrors
        targetMeans = absoluteErrors
        targetSpreads = absoluteErrors
    }

    /// Adds one batch of `rows` samples: `predictions` and `targets` are `rows × targetCount`,
    /// row-major; `meanLoss` is the batch's mean loss.
    public mutating func add(meanLoss: Float, predictions: UnsafePointer<Float>, targets: UnsafePointer<Float>, rows: Int) {
        guard rows > 0 else { return }
        lossSum += Double(meanLoss) * Double(rows)
        let k = targetCount
        for j in 0..<k {
            var absolute = 0.0, squared = 0.0, sum = 0.0
            for i in 0..<rows {
                let t = Double(targets[i * k + j])
                let e = Double(predictions[i * k + j]) - t
                absolute += abs(e)
                squared += e * e
                sum += t
            }
            let batchMean = sum / Double(rows)
            var spread = 0.0
            for i in 0..<rows {
                let d = Double(targets[i * k + j]) - batchMean
                spread += d * d
            }
            absoluteErrors[j] += absolute
            squaredErrors[j] += squared
            (targetMeans[j], targetSpreads[j]) = Self.combine(
                (count, targetMeans[j], targetSpreads[j]), (rows, batchMean, spread))
        }
        count += rows
    }

    /// Adds the samples of `other`, a tally of other samples with the same number of targets.
    public mutating func merge(_ other: RegressionTally) {
        precondition(other.targetCount == targetCount, "RegressionTally.merge: \(other.targetCount) targets into \(targetCount)")
        lossSum += other.lossSum
        for j in 0..<targetCount {
            absoluteErrors[j] += other.absoluteErrors[j]
            squaredErrors[j] += other.squaredErrors[j]
            (targetMeans[j], targetSpreads[j]) = Self.combine(
                (count, targetMeans[j], targetSpreads[j]), (other.count, other.targetMeans[j], other.targetSpreads[j]))
        }
        count += other.count
    }

    /// The mean and Σ(t − mean)² of the union of two disjoint sets of samples.
    private static func combine(_ a: (n: Int, mean: Double, spread: Double),
                                _ b: (n: Int, mean: Double, spread: Double)) -> (Double, Double) {
        let n = Double(a.n + b.n)
        guard n > 0 else { return (0, 0) }
        let delta = b.mean - a.mean
        return (a.mean + delta * Double(b.n) / n, a.spread + b.spread + delta * delta * Double(a.n) * Double(b.n) / n)
    }

    // MARK: - Results

    /// The mean loss per sample.
    public var loss: Double { count > 0 ? lossSum / Double(count) : .nan }

    /// The mean absolute error of target `j`.
    public func meanAbsoluteError(target j: Int) -> Double { count > 0 ? absoluteErrors[j] / Double(count) : .nan }

    /// The mean squared error of target `j`.
    public func meanSquaredError(target j: Int) -> Double { count > 0 ? squaredErrors[j] / Double(count) : .nan }

    /// The root mean squared error of target `j`.
    public func rootMeanSquaredError(target j: Int) -> Double { meanSquaredError(target: j).squareRoot() }

    /// The coefficient of determination R² of target `j` (1 is perfect, 0 is predicting the mean).
    public func r2(target j: Int) -> Double {
        guard count > 0 else { return .nan }
        guard targetSpreads[j] > 0 else { return squaredErrors[j] == 0 ? 1 : 0 }
        return 1 - squaredErrors[j] / targetSpreads[j]
    }

    /// MAE averaged over targets.
    public var meanAbsoluteError: Double { average(meanAbsoluteError(target:)) }

    /// MSE averaged over targets.
    public var meanSquaredError: Double { average(meanSquaredError(target:)) }

    /// RMSE averaged over targets (the mean of the per-target RMSEs).
    public var rootMeanSquaredError: Double { average(rootMeanSquaredError(target:)) }

    /// R² averaged over targets.
    public var r2: Double { average(r2(target:)) }

    private func average(_ metric: (Int) -> Double) -> Double {
        (0..<targetCount).reduce(0) { $0 + metric($1) } / Double(targetCount)
    }
}
