// Softmax followed by the negative log-likelihood, fused (as llm.c fuses them): stable and with
// the simple gradient p − onehot.
import Glibc
import Tensors

/// The mean cross-entropy of softmax(logits) against integer class labels.
///
/// loss = −(1/N) Σₙ log softmax(zₙ)[yₙ];  ∂loss/∂zₙ = (softmax(zₙ) − onehot(yₙ)) / N.
/// Logits are (N, K); labels are N class indices in 0..<K.
public final class SoftmaxCrossEntropy {
    private var probabilities = Workspace()     // (N, K), kept by forward for backward
    private var saved: (probabilities: Tensor, labels: [Int32])?
    private var logitGradient = Workspace()

    /// Creates the loss.
    public init() {}

    // MARK: - Forward

    /// Returns the mean loss over the batch and keeps the probabilities for `backward`.
    public func forward(_ logits: Tensor, labels: [Int32]) -> Float {
        let (n, k) = (logits.rowCount, logits.rowLength)
        precondition(labels.count == n, "SoftmaxCrossEntropy: \(n) rows of logits but \(labels.count) labels")
        let p = probabilities.tensor([n, k])
        var total: Double = 0
        let (z, out) = (logits.pointer, p.pointer)
        for row in 0..<n {
            let zRow = z + row * k, pRow = out + row * k
            var maximum = zRow[0]
            for j in 1..<k { maximum = max(maximum, zRow[j]) }
            var sum: Float = 0
            for j in 0..<k {
                let e = expf(zRow[j] - maximum)
                pRow[j] = e
                sum += e
            }
            let inverse = 1 / sum
            for j in 0..<k { pRow[j] *= inverse }
            let label = Int(labels[row])
            precondition(label >= 0 && label < k, "SoftmaxCrossEntropy: label \(label) in row \(row) is outside 0..<\(k)")
            // log p[label] = z[label] − max − log Σ e^(z − max), exact even when p underflows
            total += Double(logf(sum) - (zRow[label] - maximum))
        }
        saved = (p, labels)
        return n > 0 ? Float(total / Double(n)) : 0
    }

    // MARK: - Backward

    /// Returns `scale` · ∂loss/∂logits, (N, K), for the last `forward`. Data-parallel training
    /// passes `scale` = 1 / ranks, so that summing the ranks' gradients gives their mean.
    public func backward(scale outerScale: Float = 1) -> Tensor {
        guard let (p, labels) = saved else { preconditionFailure("SoftmaxCrossEntropy.backward called before forward") }
        let (n, k) = (p.rowCount, p.rowLength)
        let dz = logitGradient.tensor([n, k])
        let scale = outerScale / Float(n)
        let (source, target) = (p.pointer, dz.pointer)
        for i in 0..<(n * k) { target[i] = source[i] * scale }
        for row in 0..<n { target[row * k + Int(labels[row])] -= scale }
        return dz
    }
}
