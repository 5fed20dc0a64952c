// The absolute error |z − t|, averaged: the regression loss whose minimizer is the conditional median.

/// The mean absolute error over all N·K outputs: loss = (1/NK) Σ |z − t|;
/// ∂loss/∂z = sign(z − t)/NK, taken as 0 where z = t (PyTorch's `L1Loss` does the same).
public final class MeanAbsoluteError: ElementwiseLoss {
    /// Creates the loss.
    override public init() {}

    override public var summary: String { "MeanAbsoluteError" }

    override func value(_ z: Float, _ t: Float) -> Float { abs(z - t) }

    override func derivative(_ z: Float, _ t: Float) -> Float {
        let e = z - t
        return e > 0 ? 1 : e < 0 ? -1 : 0
    }
}
