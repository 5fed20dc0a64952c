// The leaky rectified linear unit, y = x for x > 0 and slope·x otherwise, forward and backward.
import Tensors

/// Applies `x > 0 ? x : slope·x` element-wise; the gradient is 1 where the input is positive and
/// `slope` elsewhere.
///
/// ### References
/// 1. Maas, Hannun & Ng, "Rectifier Nonlinearities Improve Neural Network Acoustic Models", 2013.
public final class LeakyReLU: Layer {
    /// The factor applied to non-positive inputs.
    public let slope: Float
    private var output = Workspace()
    private var saved: Tensor?                 // x, kept by forward: the mask is x > 0 (whatever the slope's sign)
    private var inputGradient = Workspace()

    /// Creates the activation with `slope` for non-positive inputs.
    public init(slope: Float = 0.01) {
        self.slope = slope
    }

    public var summary: String { "LeakyReLU(\(slope))" }

    public func build(inputShape: [Int]) throws -> (outputShape: [Int], parameters: [ParameterSpec]) {
        (inputShape, [])
    }

    // MARK: - Forward

    public func forward(_ x: Tensor, mode: Mode) -> Tensor {
        let y = output.tensor(x.shape)
        let (source, target, slope) = (x.pointer, y.pointer, slope)
        for i in 0..<x.count {
            let v = source[i]
            target[i] = v > 0 ? v : slope * v
        }
        saved = x
        return y
    }

    // MARK: - Backward

    public func backward(_ dy: Tensor, progress: (any GradientProgress)?) -> Tensor {
        guard let x = saved else { preconditionFailure("LeakyReLU.backward called before forward") }
        let dx = inputGradient.tensor(x.shape)
        let (mask, upstream, target, slope) = (x.pointer, dy.pointer, dx.pointer, slope)
        for i in 0..<x.count {
            let u = upstream[i]   // load first: the select then compiles branch-free
            target[i] = mask[i] > 0 ? u : slope * u
        }
        return dx
    }
}
