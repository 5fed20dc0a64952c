// The squared error (z − t)², averaged: the regression loss whose minimizer is the conditional mean.

/// The mean squared error over all N·K outputs: loss = (1/NK) Σ (z − t)²; ∂loss/∂z = 2(z − t)/NK.
///
/// As PyTorch's `MSELoss()` and Keras's `MeanSquaredError` (mean over outputs, then over rows:
/// the same number).
public final class MeanSquaredError: ElementwiseLoss {
    /// Creates the loss.
    override public init() {}

    override public var summary: String { "MeanSquaredError" }

    override func values(_ z: SIMD16<Float>, _ t: SIMD16<Float>) -> SIMD16<Float> {
        let e = z - t
        return e * e
    }

    override func derivatives(_ z: SIMD16<Float>, _ t: SIMD16<Float>) -> SIMD16<Float> { 2 * (z - t) }
}
