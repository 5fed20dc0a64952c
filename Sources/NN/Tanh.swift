// The hyperbolic tangent, y = tanh(x), forward and backward.
import Tensors

/// Applies tanh(x) = (e^x − e^(−x)) / (e^x + e^(−x)) element-wise; d tanh/dx = 1 − tanh²(x),
/// computed from the saved output.
///
/// Forward runs 16 lanes at a time with `Tensors.hyperbolicTangent` (the recurrent gates' kernel):
/// within 2e-7 of the exact tanh (absolute, tested in VectorMathTests), not libm's tanhf. The
/// error is absolute: for |x| below about 1e-4 the relative error grows (tanh(1e-8) gives 0).
///
/// ### References
/// 1. LeCun, Bottou, Orr & Müller, "Efficient BackProp", 1998, §4.4 (tanh as the activation).
public final class Tanh: Layer {
    private var output = Workspace()
    private var saved: Tensor?                 // y, kept by forward: dx = dy · (1 − y²)
    private var inputGradient = Workspace()

    /// Creates the activation.
    public init() {}

    public var summary: String { "Tanh" }

    public func build(inputShape: [Int]) throws -> (outputShape: [Int], parameters: [ParameterSpec]) {
        (inputShape, [])
    }

    // MARK: - Forward

    public func forward(_ x: Tensor, mode: Mode) -> Tensor {
        let y = output.tensor(x.shape)
        hyperbolicTangent(x.pointer, into: y.pointer, count: x.count)   // 16 lanes, within 2e-7 of tanh (VectorMath)
        saved = y
        return y
    }

    // MARK: - Backward

    public func backward(_ dy: Tensor, progress: (any GradientProgress)?) -> Tensor {
        guard let y = saved else { preconditionFailure("Tanh.backward called before forward") }
        let dx = inputGradient.tensor(y.shape)
        let (out, upstream, target) = (y.pointer, dy.pointer, dx.pointer)
        for i in 0..<y.count {
            let t = out[i]
            target[i] = upstream[i] * (1 - t * t)
        }
        return dx
    }
}
