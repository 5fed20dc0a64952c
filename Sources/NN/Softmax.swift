// Softmax over the last dimension as a layer, forward and backward (for models that output
// probabilities; a classifier trained with softmax_cross_entropy ends in logits instead, because
// the loss fuses the softmax).
import Glibc
import Tensors

/// Applies yᵢ = e^(xᵢ − max x) / Σⱼ e^(xⱼ − max x) to every row of the last dimension;
/// dx = y ⊙ (dy − ⟨dy, y⟩) per row, computed from the saved output.
///
/// ### References
/// 1. Goodfellow, Bengio & Courville, *Deep Learning*, 2016, §6.2.2.3 (softmax units).
public final class Softmax: Layer {
    private var output = Workspace()
    private var saved: Tensor?                 // y, kept by forward
    private var inputGradient = Workspace()

    /// Creates the activation.
    public init() {}

    public var summary: String { "Softmax" }

    public func build(inputShape: [Int]) throws -> (outputShape: [Int], parameters: [ParameterSpec]) {
        guard let last = inputShape.last, last >= 1 else { throw ModelError("Softmax needs inputs with a last dimension, got \(inputShape)") }
        return (inputShape, [])
    }

    // MARK: - Forward

    public func forward(_ x: Tensor, mode: Mode) -> Tensor {
        let y = output.tensor(x.shape)
        let k = x.shape.last ?? 1
        let (source, target) = (x.pointer, y.pointer)
        for row in 0..<(x.count / k) {
            let (z, p) = (source + row * k, target + row * k)
            var largest = z[0]
            for j in 1..<k { largest = max(largest, z[j]) }
            var sum: Float = 0
            for j in 0..<k {
                p[j] = expf(z[j] - largest)     // ≤ 1: never overflows
                sum += p[j]
            }
            let inverse = 1 / sum
            for j in 0..<k { p[j] *= inverse }
        }
        saved = y
        return y
    }

    // MARK: - Backward

    public func backward(_ dy: Tensor, progress: (any GradientProgress)?) -> Tensor {
        guard let y = saved else { preconditionFailure("Softmax.backward called before forward") }
        let dx = inputGradient.tensor(y.shape)
        let k = y.shape.last ?? 1
        for row in 0..<(y.count / k) {
            let (p, g, out) = (y.pointer + row * k, dy.pointer + row * k, dx.pointer + row * k)
            var dot: Float = 0
            for j in 0..<k { dot += g[j] * p[j] }
            for j in 0..<k { out[j] = p[j] * (g[j] - dot) }
        }
        return dx
    }
}
