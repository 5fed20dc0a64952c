// Binary cross-entropy on logits, fused with the sigmoid (as PyTorch's BCEWithLogitsLoss): stable
// for any logit, with the simple gradient σ(z) − t.
import Glibc

/// The mean binary cross-entropy of σ(z) against targets t ∈ [0, 1], over all N·K outputs.
///
/// Per element, −[t log σ(z) + (1 − t) log(1 − σ(z))] = max(z, 0) − z·t + log(1 + e^(−|z|)), which
/// never overflows; ∂/∂z = σ(z) − t, divided by NK. Targets are floats (N, K) for multi-label data
/// (K independent yes/no outputs), or class ids 0/1 for a model with one output.
///
/// ### References
/// 1. PyTorch `BCEWithLogitsLoss` (the same stable form).
public final class BinaryCrossEntropy: ElementwiseLoss {
    /// Creates the loss.
    override public init() {}

    override public var summary: String { "BinaryCrossEntropy" }

    override var acceptsClasses: Bool { true }

    override func value(_ z: Float, _ t: Float) -> Float {
        max(z, 0) - z * t + log1pf(expf(-abs(z)))
    }

    override func derivative(_ z: Float, _ t: Float) -> Float {
        let e = expf(-abs(z))                  // in (0, 1]: never overflows
        let sigmoid = z >= 0 ? 1 / (1 + e) : e / (1 + e)
        return sigmoid - t
    }
}
