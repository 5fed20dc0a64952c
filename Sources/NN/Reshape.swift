// Reshape: one sample seen with another shape of the same size, without copying.
import Tensors

/// Gives each sample a new shape with the same number of elements, as Keras' `Reshape`:
/// (N, d₁, …, d_r) → (N, s₁, …, s_q) in row-major order. It is how a recurrent layer reads a
/// (1, 28, 28) image as 28 steps of 28 features: `Reshape([28, 28])`.
///
/// Forward returns a view of the input and backward a view of the gradient (no copies).
public final class Reshape: Layer {
    /// The shape of one output sample.
    public let shape: [Int]
    private var inputShape: [Int] = []
    private var outputShapes = ShapeCache()          // (N, shape…)
    private var inputShapes = ShapeCache()           // (N, inputShape…)

    /// Creates the layer; every dimension of `shape` must be positive.
    public init(_ shape: [Int]) {
        precondition(!shape.isEmpty && shape.allSatisfy { $0 > 0 }, "Reshape: shape \(shape) must list positive sizes")
        self.shape = shape
    }

    public var summary: String { "Reshape(\(inputShape) → \(shape))" }

    public func build(inputShape: [Int]) throws -> (outputShape: [Int], parameters: [ParameterSpec]) {
        guard inputShape.reduce(1, *) == shape.reduce(1, *) else {
            throw ModelError("Reshape(\(shape)): input shape \(inputShape) has \(inputShape.reduce(1, *)) elements, "
                             + "not \(shape.reduce(1, *))")
        }
        self.inputShape = inputShape
        return (shape, [])
    }

    public func forward(_ x: Tensor, mode: Mode) -> Tensor {
        x.reshaped(outputShapes.shape(leading: x.rowCount, shape))
    }

    public func backward(_ dy: Tensor, progress: (any GradientProgress)?) -> Tensor {
        dy.reshaped(inputShapes.shape(leading: dy.rowCount, inputShape))
    }
}
