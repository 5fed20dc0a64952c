// The absolute error |z − t|, averaged: the regression loss whose minimizer is the conditional median.
import Tensors

/// The mean absolute error over all N·K outputs: loss = (1/NK) Σ |z − t|;
/// ∂loss/∂z = sign(z − t)/NK, taken as 0 where z = t (PyTorch's `L1Loss` does the same).
public final class MeanAbsoluteError: ElementwiseLoss {
    /// Creates the loss.
    override public init() {}

    override public var summary: String { "MeanAbsoluteError" }

    override func values(_ z: SIMD16<Float>, _ t: SIMD16<Float>) -> SIMD16<Float> { absoluteValue(z - t) }

    override func derivatives(_ z: SIMD16<Float>, _ t: SIMD16<Float>) -> SIMD16<Float> {
        let e = z - t
        return SIMD16(repeating: 0).replacing(with: 1, where: e .> 0).replacing(with: -1, where: e .< 0)
    }
}
