// Running sums for classification metrics over batches: loss and accuracy.

/// Accumulates the loss and the number of correct arg-max predictions over batches.
///
/// Sums are kept in `Double` and can be combined across ranks by adding `sums`.
public struct ClassificationTally: Sendable {
    /// Σ (batch mean loss × batch rows).
    public private(set) var lossSum: Double = 0
    /// Correct predictions.
    public private(set) var correct = 0
    /// Samples seen.
    public private(set) var count = 0

    /// An empty tally.
    public init() {}

    /// Adds one batch: `logits` is `rows × classes`, row-major.
    public mutating func add(meanLoss: Float, logits: UnsafePointer<Float>, rows: Int, classes: Int, labels: [Int32]) {
        lossSum += Double(meanLoss) * Double(rows)
        count += rows
        for row in 0..<rows {
            let z = logits + row * classes
            var best = 0
            for j in 1..<classes where z[j] > z[best] { best = j }
            if best == Int(labels[row]) { correct += 1 }
        }
    }

    /// The mean loss per sample.
    public var loss: Double { count > 0 ? lossSum / Double(count) : .nan }

    /// The fraction of correct predictions.
    public var accuracy: Double { count > 0 ? Double(correct) / Double(count) : .nan }
}
