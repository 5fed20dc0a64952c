// The Gaussian error linear unit (exact erf form), y = x·Φ(x), forward and backward.
import Glibc
import Tensors

/// Applies GELU(x) = x·Φ(x) = 0.5·x·(1 + erf(x/√2)) element-wise, Φ being the standard normal
/// CDF. The derivative is Φ(x) + x·φ(x) = 0.5·(1 + erf(x/√2)) + x·e^(−x²/2)/√(2π), computed from
/// the saved input.
///
/// This is the exact form (PyTorch's `GELU(approximate='none')`), not the tanh approximation.
///
/// ### References
/// 1. Hendrycks & Gimpel, "Gaussian Error Linear Units (GELUs)", arXiv:1606.08415, 2016.
public final class GELU: Layer {
    private var output = Workspace()
    private var saved: Tensor?                 // x, kept by forward: the derivative needs Φ(x) and φ(x)
    private var inputGradient = Workspace()

    private static let inverseSquareRootTwo: Float = 0.70710678118654752440
    private static let inverseSquareRootTwoPi: Float = 0.39894228040143267794

    /// Creates the activation.
    public init() {}

    public var summary: String { "GELU" }

    public func build(inputShape: [Int]) throws -> (outputShape: [Int], parameters: [ParameterSpec]) {
        (inputShape, [])
    }

    // MARK: - Forward

    public func forward(_ x: Tensor, mode: Mode) -> Tensor {
        let y = output.tensor(x.shape)
        let (source, target) = (x.pointer, y.pointer)
        let k = Self.inverseSquareRootTwo
        for i in 0..<x.count {
            let v = source[i]
            target[i] = 0.5 * v * (1 + erff(v * k))
        }
        saved = x
        return y
    }

    // MARK: - Backward

    public func backward(_ dy: Tensor, progress: (any GradientProgress)?) -> Tensor {
        guard let x = saved else { preconditionFailure("GELU.backward called before forward") }
        let dx = inputGradient.tensor(x.shape)
        let (input, upstream, target) = (x.pointer, dy.pointer, dx.pointer)
        let (k, c) = (Self.inverseSquareRootTwo, Self.inverseSquareRootTwoPi)
        for i in 0..<x.count {
            let v = input[i]
            let cdf = 0.5 * (1 + erff(v * k))
            let pdf = c * expf(-0.5 * v * v)
            target[i] = upstream[i] * (cdf + v * pdf)
        }
        return dx
    }
}
