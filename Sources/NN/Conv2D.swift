// A 2-D convolution lowered onto sgemm: im2col per sample, then y = W · columns + b.
import Tensors

/// Applies a 2-D cross-correlation with `filters` square kernels (what deep-learning libraries
/// call convolution):
///
///     y[n, f, oh, ow] = b[f] + Σ_{c,i,j} W[f, c, i, j] · x[n, c, oh·s − p + i, ow·s − p + j]
///
/// with zero padding p and stride s. Shapes (NCHW): `x` is (N, C, H, W), `y` is (N, F, Ho, Wo)
/// with `Ho = ⌊(H + 2p − k)/s⌋ + 1` (likewise Wo), `weight` is (F, C·k·k) — PyTorch's
/// `nn.Conv2d` weight (F, C, k, k) flattened row-major — and `bias` is (F).
///
/// Forward lowers each sample to its column matrix `X̂ₙ = im2col(xₙ)` (C·k·k, Ho·Wo) and computes
/// `yₙ = W · X̂ₙ + b·1ᵀ`; the column matrices of the whole batch are kept. Backward:
/// `dW += Σₙ dyₙ · X̂ₙᵀ`, `db += Σₙ dyₙ · 1`, `dxₙ = col2im(Wᵀ · dyₙ)`.
///
/// ```swift
/// let conv = Conv2D(filters: 32, kernelSize: 3, padding: 1)
/// ```
///
/// ### References
/// 1. Chellapilla, Puri & Simard, "High Performance Convolutional Neural Networks for Document
///    Processing", 2006 (the im2col lowering).
/// 2. Dumoulin & Visin, "A guide to convolution arithmetic for deep learning", 2016 (output sizes).
public final class Conv2D: Layer {
    /// The number of output channels F.
    public let filters: Int
    /// The kernel's side k.
    public let kernelSize: Int
    /// The step between windows s.
    public let stride: Int
    /// The zeros added on every side p.
    public let padding: Int
    /// How the weight is initialized.
    public let weightInitializer: Initializer
    /// Whether the layer has a bias.
    public let useBias: Bool

    private var store: ParameterStore?
    private var weight: Parameter?
    private var bias: Parameter?
    private var geometry = ConvGeometry(channels: 0, height: 0, width: 0, kernel: 1)
    private var lowering: ConvLowering?             // im2col / col2im for `geometry`, made by build
    private var batchSize = 0                       // N of the last forward
    private var columns = Workspace()               // (N, C·k·k, Ho·Wo)
    private var savedColumns: Tensor?               // the column matrices, kept by forward for backward
    private var evaluationColumns = Workspace()     // (1, C·k·k, Ho·Wo): evaluation keeps no columns, so one sample's suffice
    private var output = Workspace()                // (N, F, Ho, Wo)
    private var columnGradient = Workspace()        // (C·k·k, Ho·Wo), one sample at a time
    private var inputGradient = Workspace()         // (N, C, H, W)

    /// Creates a layer with `filters` kernels of size `kernelSize` × `kernelSize`.
    public init(filters: Int, kernelSize: Int, stride: Int = 1, padding: Int = 0,
                weightInitializer: Initializer = .heNormal, useBias: Bool = true) {
        precondition(filters > 0, "Conv2D: filters must be > 0, got \(filters)")
        precondition(kernelSize > 0, "Conv2D: kernelSize must be > 0, got \(kernelSize)")
        precondition(stride > 0, "Conv2D: stride must be > 0, got \(stride)")
        precondition(padding >= 0, "Conv2D: padding must be >= 0, got \(padding)")
        self.filters = filters
        self.kernelSize = kernelSize
        self.stride = stride
        self.padding = padding
        self.weightInitializer = weightInitializer
        self.useBias = useBias
    }

    public var summary: String {
        "Conv2D(\(geometry.channels) → \(filters), \(kernelSize)×\(kernelSize), stride \(stride), padding \(padding))"
    }

    public func build(inputShape: [Int]) throws -> (outputShape: [Int], parameters: [ParameterSpec]) {
        let name = "Conv2D(filters: \(filters), kernelSize: \(kernelSize), stride: \(stride), padding: \(padding))"
        guard inputShape.count == 3, inputShape.allSatisfy({ $0 > 0 }) else {
            throw ModelError("\(name): input shape \(inputShape) is not [channels, height, width]")
        }
        let g = ConvGeometry(channels: inputShape[0], height: inputShape[1], width: inputShape[2],
                             kernel: kernelSize, stride: stride, padding: padding)
        guard g.isValid else {
            throw ModelError("\(name): kernel \(kernelSize)×\(kernelSize) does not fit input shape \(inputShape) "
                             + "padded to [\(g.channels), \(g.height + 2 * padding), \(g.width + 2 * padding)]")
        }
        geometry = g
        lowering = ConvLowering(geometry: g)
        let fanIn = g.columnRows, fanOut = filters * kernelSize * kernelSize
        var specs = [ParameterSpec(name: "weight", shape: [filters, g.columnRows], initializer: weightInitializer,
                                   fanIn: fanIn, fanOut: fanOut)]
        if useBias {
            specs.append(ParameterSpec(name: "bias", shape: [filters], initializer: .zeros, fanIn: fanIn, fanOut: fanOut))
        }
        return ([filters, g.outputHeight, g.outputWidth], specs)
    }

    public func bind(store: ParameterStore, parameters: [Parameter]) {
        self.store = store
        weight = parameters[0]
        bias = useBias ? parameters[1] : nil
    }

    // MARK: - Forward

    public func forward(_ x: Tensor, mode: Mode) -> Tensor {
        guard let store, let weight, let lowering else { preconditionFailure("Conv2D.forward called before bind") }
        let g = geometry
        precondition(x.rowLength == g.imageCount, "Conv2D.forward: input \(x.shape) does not hold [\(g.channels), \(g.height), \(g.width)] samples")
        let n = x.rowCount
        batchSize = n
        let (rows, positions) = (g.columnRows, g.columnCount)
        // Training keeps every sample's columns for backward; evaluation (often at a much larger
        // batch, training.eval_batch_size) reuses one sample's, so its memory does not grow with N.
        let training = mode == .training
        let cols = training ? columns.tensor(n, rows, positions) : evaluationColumns.tensor(1, rows, positions)
        savedColumns = training ? cols : nil
        let y = output.tensor(n, filters, g.outputHeight, g.outputWidth)
        let w = store.value(weight).matrix                            // (F, C·k·k)
        let b = bias.map { UnsafePointer(store.value($0).pointer) }
        for sample in 0..<n {
            let xn = x.pointer + sample * g.imageCount
            let colsN = cols.matrix(block: training ? sample : 0, rows: rows)   // (C·k·k, Ho·Wo)
            lowering.im2col(xn, into: colsN.base)                     // X̂ₙ = im2col(xₙ)
            let yn = MatrixView(y.pointer + sample * filters * positions, rows: filters, columns: positions)
            gemm(w, colsN, into: yn)                                  // yₙ = W · X̂ₙ
            if let b {                                                // yₙ += b · 1ᵀ
                let target = yn.base
                for f in 0..<filters {
                    let value = b[f], row = target + f * positions
                    for i in 0..<positions { row[i] += value }
                }
            }
        }
        return y
    }

    // MARK: - Backward

    public func backward(_ dy: Tensor, progress: (any GradientProgress)?) -> Tensor {
        accumulateParameterGradients(dy, progress: progress)
        guard let store, let weight, let lowering else { preconditionFailure("Conv2D.backward called before forward") }
        let g = geometry
        let (rows, positions, n) = (g.columnRows, g.columnCount, batchSize)
        let dx = inputGradient.tensor(n, g.channels, g.height, g.width)
        let dcols = columnGradient.tensor(rows, positions)
        let w = store.value(weight).matrix
        for sample in 0..<n {
            let dyn = MatrixView(dy.pointer + sample * filters * positions, rows: filters, columns: positions)
            gemm(w, transposeA: true, dyn, into: dcols.matrix)        // dX̂ₙ = Wᵀ · dyₙ
            lowering.col2im(dcols.pointer, into: dx.pointer + sample * g.imageCount)   // dxₙ = col2im(dX̂ₙ)
        }
        return dx
    }

    public func accumulateParameterGradients(_ dy: Tensor, progress: (any GradientProgress)?) {
        guard let store, let weight, let cols = savedColumns else { preconditionFailure("Conv2D.backward needs a forward in training mode first") }
        let g = geometry
        let (rows, positions, n) = (g.columnRows, g.columnCount, batchSize)
        precondition(dy.count == n * filters * positions, "Conv2D.backward: gradient \(dy.shape) does not match output [\(n), \(filters), \(g.outputHeight), \(g.outputWidth)]")
        // The flat layout is [weight | bias]: finish the bias first so what is final is a suffix.
        if let bias {
            let db = store.gradient(bias).pointer
            let upstream = dy.pointer
            for sample in 0..<n {                                    // db += Σₙ dyₙ · 1
                for f in 0..<filters {
                    let row = upstream + (sample * filters + f) * positions
                    var sum: Float = 0
                    for i in 0..<positions { sum += row[i] }
                    db[f] += sum
                }
            }
            progress?.gradientsFinal(from: bias.offset)
        }
        let dW = store.gradient(weight).matrix                        // (F, C·k·k)
        for sample in 0..<n {
            let dyn = MatrixView(dy.pointer + sample * filters * positions, rows: filters, columns: positions)
            let colsN = cols.matrix(block: sample, rows: rows)
            gemm(dyn, colsN, transposeB: true, into: dW, beta: 1)     // dW += dyₙ · X̂ₙᵀ
        }
        progress?.gradientsFinal(from: weight.offset)
    }
}
