// The rectified linear unit, y = max(0, x), forward and backward.
import Tensors

/// Applies `max(0, x)` element-wise; the gradient passes where the output is positive.
///
/// ### References
/// 1. Nair & Hinton, "Rectified Linear Units Improve Restricted Boltzmann Machines", 2010.
public final class ReLU: Layer {
    private var output = Workspace()
    private var saved: Tensor?                 // y, kept by forward: the mask is y > 0
    private var inputGradient = Workspace()

    /// Creates the activation.
    public init() {}

    public var summary: String { "ReLU" }

    public func build(inputShape: [Int]) throws -> (outputShape: [Int], parameters: [ParameterSpec]) {
        (inputShape, [])
    }

    // MARK: - Forward

    public func forward(_ x: Tensor, mode: Mode) -> Tensor {
        let y = output.tensor(x.shape)
        let (source, target) = (x.pointer, y.pointer)
        for i in 0..<x.count { target[i] = max(source[i], 0) }
        saved = y
        return y
    }

    // MARK: - Backward

    public func backward(_ dy: Tensor, progress: (any GradientProgress)?) -> Tensor {
        guard let y = saved else { preconditionFailure("ReLU.backward called before forward") }
        let dx = inputGradient.tensor(y.shape)
        let (mask, upstream, target) = (y.pointer, dy.pointer, dx.pointer)
        for i in 0..<y.count {
            let u = upstream[i]   // load first: the select then compiles branch-free (a branch mispredicts on mixed signs)
            target[i] = mask[i] > 0 ? u : 0
        }
        return dx
    }
}
