// A fully connected layer: y = x · Wᵀ + b, forward and backward as three sgemm-family calls.
import Tensors

/// Applies an affine map, `y = x · weightᵀ + bias`.
///
/// Shapes: `x` is (N, inFeatures), `y` is (N, outFeatures), `weight` is (outFeatures,
/// inFeatures) as in PyTorch's `nn.Linear`, `bias` is (outFeatures). Inputs with more than one
/// feature dimension are flattened.
///
/// ```swift
/// let layer = Dense(units: 10, weightInitializer: .xavierUniform)
/// ```
public final class Dense: Layer {
    /// The number of outputs per sample.
    public let units: Int
    /// How the weight is initialized.
    public let weightInitializer: Initializer
    /// Whether the layer has a bias.
    public let useBias: Bool

    private var store: ParameterStore?
    private var weight: Parameter?
    private var bias: Parameter?
    private var inFeatures = 0
    private var input: Tensor?                     // (N, inFeatures), kept by forward for backward
    private var output = Workspace()               // (N, outFeatures)
    private var inputGradient = Workspace()        // (N, inFeatures)

    /// Creates a layer with `units` outputs.
    public init(units: Int, weightInitializer: Initializer = .heNormal, useBias: Bool = true) {
        precondition(units > 0, "Dense: units must be > 0, got \(units)")
        self.units = units
        self.weightInitializer = weightInitializer
        self.useBias = useBias
    }

    public var summary: String { "Dense(\(inFeatures) → \(units))" }

    public func build(inputShape: [Int]) throws -> (outputShape: [Int], parameters: [ParameterSpec]) {
        inFeatures = inputShape.reduce(1, *)
        guard inFeatures > 0 else { throw ModelError("Dense(\(units)): input shape \(inputShape) is empty") }
        var specs = [ParameterSpec(name: "weight", shape: [units, inFeatures], initializer: weightInitializer,
                                   fanIn: inFeatures, fanOut: units)]
        if useBias {
            specs.append(ParameterSpec(name: "bias", shape: [units], initializer: .zeros,
                                       fanIn: inFeatures, fanOut: units))
        }
        return ([units], specs)
    }

    public func bind(store: ParameterStore, parameters: [Parameter]) {
        self.store = store
        weight = parameters[0]
        bias = useBias ? parameters[1] : nil
    }

    // MARK: - Forward

    public func forward(_ x: Tensor, mode: Mode) -> Tensor {
        guard let store, let weight else { preconditionFailure("Dense.forward called before bind") }
        let x = x.reshaped([x.rowCount, inFeatures])
        input = x
        let y = output.tensor([x.rowCount, units])
        gemm(x, store.value(weight), transposeB: true, into: y)      // y = x · Wᵀ
        if let bias { addToEveryRow(store.value(bias).pointer, of: y) }  // y += 1 · bᵀ
        return y
    }

    // MARK: - Backward

    public func backward(_ dy: Tensor) -> Tensor {
        accumulateParameterGradients(dy)
        guard let store, let weight, let x = input else { preconditionFailure("Dense.backward called before forward") }
        let dx = inputGradient.tensor(x.shape)
        gemm(dy, store.value(weight), into: dx)                      // dx = dy · W
        return dx
    }

    public func accumulateParameterGradients(_ dy: Tensor) {
        guard let store, let weight, let x = input else { preconditionFailure("Dense.backward called before forward") }
        gemm(dy, transposeA: true, x, into: store.gradient(weight), beta: 1)  // dW += dyᵀ · x
        if let bias { addColumnSums(of: dy, into: store.gradient(bias).pointer) }  // db += Σₙ dy
    }
}
