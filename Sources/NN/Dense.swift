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
        let x = x.shape.count == 2 ? x : x.reshaped([x.rowCount, inFeatures])   // no new shape array in the common case
        input = x
        let y = output.tensor(x.rowCount, units)
        gemm(x, store.value(weight), transposeB: true, into: y)      // y = x · Wᵀ
        if let bias { addToEveryRow(store.value(bias).pointer, of: y) }  // y += 1 · bᵀ
        return y
    }

    // MARK: - Backward

    public func backward(_ dy: Tensor, progress: (any GradientProgress)?) -> Tensor {
        accumulateParameterGradients(dy, progress: progress)
        guard let store, let weight, let x = input else { preconditionFailure("Dense.backward called before forward") }
        let dx = inputGradient.tensor(x.shape)
        gemm(dy, store.value(weight), into: dx)                      // dx = dy · W
        return dx
    }

    /// The fewest rows of dW computed per GEMM when someone listens for progress: small enough
    /// to report a few times during a large layer, large enough to keep sgemm near its peak.
    /// Blocks are larger when the listener has nothing to do before a later row
    /// (`GradientProgress.nextReport`).
    static let progressRows = 64

    /// Every block of dW starts at a multiple of this many rows. OpenBLAS's x86 kernels walk the
    /// rows of dW (columns of C in its column-major terms) in groups of 4, 8, 12 or 16 that take
    /// different code paths, and a row summed in a different group gets different bits: on Zen
    /// (Haswell kernels, groups of 12) 64-row blocks changed 7 % of the default first layer's dW
    /// (docs/performance.md, "A second CPU"). Blocks that start at a multiple of 48 start a group
    /// in every kernel, so they give the bits of one GEMM, and the bucket size changes only speed.
    static let blockAlignment = 48

    public func accumulateParameterGradients(_ dy: Tensor, progress: (any GradientProgress)?) {
        guard let store, let weight, let x = input else { preconditionFailure("Dense.backward called before forward") }
        // The flat layout is [weight (units × in) | bias (units)]: report the bias first, then
        // weight rows from the last block up, so what is final is always a suffix.
        if let bias {
            addColumnSums(of: dy, into: store.gradient(bias).pointer)                // db += Σₙ dy
            progress?.gradientsFinal(from: bias.offset)
        }
        let dW = store.gradient(weight)
        guard let progress, units > 2 * Dense.progressRows else {
            gemm(dy, transposeA: true, x, into: dW, beta: 1)                           // dW += dyᵀ · x
            progress?.gradientsFinal(from: weight.offset)
            return
        }
        precondition(dy.rowLength == units, "Dense.backward: gradient \(dy.shape) for \(units) units")
        var end = units
        while end > 0 {
            // the next row whose report matters, at least `progressRows` below `end`, rounded
            // down to a block start (`blockAlignment`): the report then covers it as well
            let wanted = progress.nextReport(below: weight.offset + end * inFeatures) - weight.offset
            let cut = max(0, min(end - Dense.progressRows, wanted < 0 ? 0 : wanted / inFeatures))
            let start = cut / Dense.blockAlignment * Dense.blockAlignment
            // dW[start..<end] += dy[:, start..<end]ᵀ · x, a strided view of dy's columns (views
            // without shape arrays: the step allocates nothing)
            gemmColumns(dy, columns: start..<end, x, into: MatrixView(dW.pointer + start * inFeatures, rows: end - start, columns: inFeatures))
            progress.gradientsFinal(from: weight.offset + start * inFeatures)
            end = start
        }
    }
}
