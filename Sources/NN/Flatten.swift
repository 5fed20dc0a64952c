// Flatten: one sample's (C, H, W) seen as a vector, without copying.
import Tensors

/// Reshapes each sample to one dimension: (N, d₁, …, d_r) → (N, d₁·…·d_r), e.g. a convolutional
/// feature map (N, C, H, W) → (N, C·H·W) in row-major (C, H, W) order, as PyTorch's
/// `nn.Flatten()`.
///
/// Forward returns a view of the input (no copy); backward returns `dy` viewed with the input's
/// shape. The identity map, so both Jacobians are permutation-free reshapes.
public final class Flatten: Layer {
    private var inputShape: [Int] = []               // one sample's shape, from build
    private var lastInputShape: [Int]?               // (N, inputShape…), kept by forward
    private var inputShapes = ShapeCache()           // (N, inputShape…)
    private var outputShapes = ShapeCache()          // (N, features)

    /// Creates the layer.
    public init() {}

    public var summary: String { "Flatten(\(inputShape) → [\(inputShape.reduce(1, *))])" }

    public func build(inputShape: [Int]) throws -> (outputShape: [Int], parameters: [ParameterSpec]) {
        guard !inputShape.isEmpty, inputShape.allSatisfy({ $0 > 0 }) else {
            throw ModelError("Flatten: input shape \(inputShape) is empty")
        }
        self.inputShape = inputShape
        return ([inputShape.reduce(1, *)], [])
    }

    // MARK: - Forward

    public func forward(_ x: Tensor, mode: Mode) -> Tensor {
        let features = inputShape.reduce(1, *)
        precondition(x.rowLength == features, "Flatten.forward: input \(x.shape) does not hold \(inputShape) samples")
        lastInputShape = inputShapes.shape(leading: x.rowCount, inputShape)
        return x.reshaped(outputShapes.shape(x.rowCount, features))
    }

    // MARK: - Backward

    public func backward(_ dy: Tensor, progress: (any GradientProgress)?) -> Tensor {
        guard let shape = lastInputShape else { preconditionFailure("Flatten.backward called before forward") }
        return dy.reshaped(shape)
    }
}
