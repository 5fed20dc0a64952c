// The Huber loss: squared near the target, linear far from it, so outliers pull less than in MSE.
import Tensors

/// The mean Huber loss over all N·K outputs, with e = z − t:
/// ½e² where |e| ≤ δ, and δ(|e| − ½δ) beyond; ∂/∂z = e clamped to [−δ, δ], divided by NK.
///
/// As PyTorch's `HuberLoss(delta=δ)` and Keras's `Huber(delta=δ)`.
///
/// ### References
/// 1. Huber, "Robust Estimation of a Location Parameter", Annals of Mathematical Statistics, 1964.
public final class Huber: ElementwiseLoss {
    /// The threshold δ > 0 between the quadratic and the linear part.
    public let delta: Float

    /// Creates the loss.
    public init(delta: Float = 1) {
        precondition(delta > 0 && delta.isFinite, "Huber: delta must be > 0, got \(delta)")
        self.delta = delta
    }

    override public var summary: String { "Huber(delta: \(delta))" }

    override func values(_ z: SIMD16<Float>, _ t: SIMD16<Float>) -> SIMD16<Float> {
        let e = absoluteValue(z - t)
        let linear = delta * (e - 0.5 * delta)
        return linear.replacing(with: 0.5 * e * e, where: e .<= delta)
    }

    override func derivatives(_ z: SIMD16<Float>, _ t: SIMD16<Float>) -> SIMD16<Float> {
        let e = z - t                                                   // clamped to [−δ, δ]; NaN stays NaN
        return e.replacing(with: -delta, where: e .<= -delta).replacing(with: delta, where: e .> delta)
    }
}
