// The logistic sigmoid, y = 1 / (1 + e^(−x)), forward and backward.
import Tensors

/// Applies σ(x) = 1 / (1 + e^(−x)) element-wise; dσ/dx = σ(x)·(1 − σ(x)), computed from the saved
/// output.
///
/// Forward is stable for any finite x: with e = e^(−|x|) ∈ (0, 1], σ(x) = 1/(1 + e) for x ≥ 0 and
/// e/(1 + e) for x < 0, so e never overflows. It runs 16 lanes at a time with the vector exp of
/// `Tensors.logistic` (the recurrent gates' kernel): within 2e-7 of the exact σ (absolute, tested
/// in VectorMathTests), not libm's expf.
///
/// ### References
/// 1. Goodfellow, Bengio & Courville, *Deep Learning*, 2016, §3.10 (the logistic sigmoid).
public final class Sigmoid: Layer {
    private var output = Workspace()
    private var saved: Tensor?                 // y, kept by forward: dx = dy · y(1 − y)
    private var inputGradient = Workspace()

    /// Creates the activation.
    public init() {}

    public var summary: String { "Sigmoid" }

    public func build(inputShape: [Int]) throws -> (outputShape: [Int], parameters: [ParameterSpec]) {
        (inputShape, [])
    }

    // MARK: - Forward

    public func forward(_ x: Tensor, mode: Mode) -> Tensor {
        let y = output.tensor(x.shape)
        logistic(x.pointer, into: y.pointer, count: x.count)   // 16 lanes, within 2e-7 of the exact σ (VectorMath)
        saved = y
        return y
    }

    // MARK: - Backward

    public func backward(_ dy: Tensor, progress: (any GradientProgress)?) -> Tensor {
        guard let y = saved else { preconditionFailure("Sigmoid.backward called before forward") }
        let dx = inputGradient.tensor(y.shape)
        let (out, upstream, target) = (y.pointer, dy.pointer, dx.pointer)
        for i in 0..<y.count {
            let s = out[i]
            target[i] = upstream[i] * s * (1 - s)
        }
        return dx
    }
}
