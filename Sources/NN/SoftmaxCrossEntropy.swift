// Softmax followed by the negative log-likelihood, fused (as llm.c fuses them): stable and with
// the simple gradient p − onehot.
import Glibc
import Tensors

/// The mean cross-entropy of softmax(logits) against integer class labels, with optional label
/// smoothing.
///
/// With smoothing ε the target is q = (1 − ε)·onehot(y) + ε/K:
/// loss = −(1/N) Σₙ Σⱼ qₙⱼ log softmax(zₙ)ⱼ;  ∂loss/∂zₙ = (softmax(zₙ) − qₙ) / N.
/// Logits are (N, K); labels are N class indices in 0..<K. The exponentials run 16 lanes at a
/// time with the vector exp of `Tensors.exponential(ofNonPositive:)` (within 2 ulp of expf).
///
/// ### References
/// 1. Szegedy et al., "Rethinking the Inception Architecture", 2015 (label smoothing).
public final class SoftmaxCrossEntropy: Loss {
    /// The label smoothing ε in [0, 1).
    public let labelSmoothing: Float
    private var probabilities = Workspace()     // (N, K), kept by forward for backward
    private var saved: (probabilities: Tensor, labels: [Int32])?
    private var logitGradient = Workspace()

    /// Creates the loss.
    public init(labelSmoothing: Float = 0) {
        precondition(labelSmoothing >= 0 && labelSmoothing < 1, "SoftmaxCrossEntropy: label smoothing must be in [0, 1), got \(labelSmoothing)")
        self.labelSmoothing = labelSmoothing
    }

    public var summary: String { labelSmoothing > 0 ? "SoftmaxCrossEntropy(label_smoothing: \(labelSmoothing))" : "SoftmaxCrossEntropy" }

    // MARK: - Forward

    /// Returns the mean loss against class ids (`.classes`); float targets are a misuse.
    public func forward(_ logits: Tensor, targets: Targets) -> Float {
        guard case .classes(let labels) = targets else { preconditionFailure("SoftmaxCrossEntropy needs class ids, got float targets") }
        return forward(logits, labels: labels)
    }

    /// Returns the mean loss over the batch and keeps the probabilities for `backward`.
    public func forward(_ logits: Tensor, labels: [Int32]) -> Float {
        let (n, k) = (logits.rowCount, logits.rowLength)
        precondition(labels.count == n, "SoftmaxCrossEntropy: \(n) rows of logits but \(labels.count) labels")
        let p = probabilities.tensor(n, k)
        var total: Double = 0
        let (z, out) = (logits.pointer, p.pointer)
        // Rows are short (K = 10 classes): z − max z for every row, then one vector exp over the
        // whole (N, K) block, then the row sums; 16 lanes per row would be mostly padding.
        for row in 0..<n {
            let zRow = z + row * k, pRow = out + row * k
            let maximum = largest(zRow, count: k)
            for j in 0..<k { pRow[j] = zRow[j] - maximum }
        }
        exponential(ofNonPositive: out, into: out, count: n * k)             // 16 lanes, within 2 ulp of expf
        for row in 0..<n {
            let zRow = z + row * k, pRow = out + row * k
            let maximum = largest(zRow, count: k)
            var sum: Float = 0
            for j in 0..<k { sum += pRow[j] }
            let inverse = 1 / sum
            for j in 0..<k { pRow[j] *= inverse }
            let label = Int(labels[row])
            precondition(label >= 0 && label < k, "SoftmaxCrossEntropy: label \(label) in row \(row) is outside 0..<\(k)")
            // −log p[j] = log Σ e^(z − max) − (z[j] − max), exact even when p underflows
            let logSum = logf(sum)
            total += Double(logSum - (zRow[label] - maximum)) * Double(1 - labelSmoothing)
            if labelSmoothing > 0 {
                var all: Double = 0
                for j in 0..<k { all += Double(logSum - (zRow[j] - maximum)) }
                total += all * Double(labelSmoothing) / Double(k)
            }
        }
        saved = (p, labels)
        return n > 0 ? Float(total / Double(n)) : 0
    }

    private func largest(_ row: UnsafePointer<Float>, count: Int) -> Float {
        var maximum = row[0]
        for j in 1..<count { maximum = max(maximum, row[j]) }
        return maximum
    }

    // MARK: - Backward

    /// Returns `scale` · ∂loss/∂logits, (N, K), for the last `forward`. Data-parallel training
    /// passes `scale` = 1 / ranks, so that summing the ranks' gradients gives their mean.
    public func backward(scale outerScale: Float) -> Tensor {
        guard let (p, labels) = saved else { preconditionFailure("SoftmaxCrossEntropy.backward called before forward") }
        let (n, k) = (p.rowCount, p.rowLength)
        let dz = logitGradient.tensor(n, k)
        let scale = outerScale / Float(n)
        let (source, target) = (p.pointer, dz.pointer)
        let uniform = labelSmoothing / Float(k)           // (p − q)·scale with q = (1 − ε)·onehot + ε/K
        for i in 0..<(n * k) { target[i] = (source[i] - uniform) * scale }
        for row in 0..<n { target[row * k + Int(labels[row])] -= (1 - labelSmoothing) * scale }
        return dz
    }
}
