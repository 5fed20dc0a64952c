// Running sums for independent yes/no outputs (binary cross-entropy): loss and accuracy.

/// Accumulates the loss and the fraction of outputs on the right side of 0.5, over batches.
///
/// An output z (a logit) predicts "yes" when z > 0, i.e. σ(z) > 0.5; a target t counts as "yes"
/// when t ≥ 0.5. With K outputs per sample every one of the N·K outputs is judged on its own
/// (Keras's `binary_accuracy`).
public struct BinaryTally: Sendable, Equatable {
    /// Σ (batch mean loss × batch rows).
    public private(set) var lossSum: Double = 0
    /// Samples seen.
    public private(set) var count = 0
    /// Outputs judged, N·K.
    public private(set) var outputs = 0
    /// Outputs on the right side.
    public private(set) var correct = 0

    /// An empty tally.
    public init() {}

    /// Adds one batch of `rows` samples with `values` outputs (logits) and as many targets.
    public mutating func add(meanLoss: Float, logits: UnsafePointer<Float>, targets: UnsafePointer<Float>, rows: Int, values: Int) {
        lossSum += Double(meanLoss) * Double(rows)
        count += rows
        outputs += values
        for i in 0..<values where (logits[i] > 0) == (targets[i] >= 0.5) { correct += 1 }
    }

    /// Adds one batch of `rows` samples of one output each, against class ids 0/1.
    public mutating func add(meanLoss: Float, logits: UnsafePointer<Float>, labels: [Int32]) {
        lossSum += Double(meanLoss) * Double(labels.count)
        count += labels.count
        outputs += labels.count
        for (i, label) in labels.enumerated() where (logits[i] > 0) == (label == 1) { correct += 1 }
    }

    /// The mean loss per sample.
    public var loss: Double { count > 0 ? lossSum / Double(count) : .nan }

    /// The fraction of outputs on the right side of 0.5.
    public var accuracy: Double { outputs > 0 ? Double(correct) / Double(outputs) : .nan }
}
