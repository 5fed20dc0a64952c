// Binary cross-entropy on logits, fused with the sigmoid (as PyTorch's BCEWithLogitsLoss): stable
// for any logit, with the simple gradient σ(z) − t.
import Glibc
import Tensors

/// The mean binary cross-entropy of σ(z) against targets t ∈ [0, 1], over all N·K outputs.
///
/// Per element, −[t log σ(z) + (1 − t) log(1 − σ(z))] = max(z, 0) − z·t + log(1 + e^(−|z|)), which
/// never overflows; ∂/∂z = σ(z) − t, divided by NK, with σ from the vector `Tensors.logistic`
/// (within 2e-7 of the exact σ). Targets are floats (N, K) for multi-label data (K independent
/// yes/no outputs), or class ids 0/1 for a model with one output.
///
/// ### References
/// 1. PyTorch `BCEWithLogitsLoss` (the same stable form).
public final class BinaryCrossEntropy: ElementwiseLoss {
    /// Creates the loss.
    override public init() {}

    override public var summary: String { "BinaryCrossEntropy" }

    override var acceptsClasses: Bool { true }

    // The value lane by lane with libm's expf and log1pf (there is no vector log1p here); the
    // derivative σ(z) − t with the vector σ of Tensors.logistic, within 2e-7 of the exact σ.
    override func values(_ z: SIMD16<Float>, _ t: SIMD16<Float>) -> SIMD16<Float> {
        var softplus = absoluteValue(z)                                   // log(1 + e^(−|z|)), in place
        withUnsafeMutableBytes(of: &softplus) { bytes in
            let lanes = bytes.bindMemory(to: Float.self)
            for lane in lanes.indices { lanes[lane] = log1pf(expf(-lanes[lane])) }
        }
        return z.replacing(with: 0, where: z .<= 0) - z * t + softplus
    }

    override func derivatives(_ z: SIMD16<Float>, _ t: SIMD16<Float>) -> SIMD16<Float> { logistic(z) - t }
}
