// The identity layer, y = x, forward and backward.
import Tensors

/// Passes its input through unchanged: y = x, dL/dx = dL/dy.
///
/// Forward returns the input tensor itself and backward the output gradient itself (no copies),
/// so the result shares storage with the argument rather than being owned by the layer.
///
/// ### References
/// 1. PyTorch, `torch.nn.Identity` (the same placeholder layer).
public final class Identity: Layer {
    /// Creates the layer.
    public init() {}

    public var summary: String { "Identity" }

    public func build(inputShape: [Int]) throws -> (outputShape: [Int], parameters: [ParameterSpec]) {
        (inputShape, [])
    }

    // MARK: - Forward

    public func forward(_ x: Tensor, mode: Mode) -> Tensor {
        x
    }

    // MARK: - Backward

    public func backward(_ dy: Tensor, progress: (any GradientProgress)?) -> Tensor {
        dy
    }
}
