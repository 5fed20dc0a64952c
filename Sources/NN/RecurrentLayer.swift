// What SimpleRNN, LSTM and GRU share: shapes and parameters, the time-major layout, the input
// projection of all steps as one sgemm, the loop over steps forward and backward (through time),
// and the weight and input gradients of all steps as one sgemm each. Subclasses add their
// per-step gate maths.
import Tensors

/// The base of the recurrent layers: input (N, T, F), H units, G gate blocks.
///
/// Inside, everything is time-major: row `t·N + n` of a (T, N, ·) buffer is sample n at step t,
/// so one step of the whole batch is a contiguous (N, ·) block. Forward:
///
///     A = X·W_ihᵀ + 1·bᵀ                      (T·N, G·H), one sgemm for all steps
///     for t = 0 … T−1: the subclass turns A_t and h_t into h_{t+1}, with one sgemm h_t·W_hhᵀ
///
/// with h₀ = 0 (no state is kept between batches). Backward, after the subclass has filled dA,
/// the gradients of the gate pre-activations, step by step from t = T−1 down to 0:
///
///     dW_ih += dAᵀ·X,   dW_hh += dA_hᵀ·[h₀ … h_{T−1}],   db += dAᵀ·1,   dX = dA·W_ih
///
/// each one sgemm (a gemv for db) over all T·N rows. dA_h is dA, except for GRU, whose candidate
/// gate sees the hidden projection through the reset gate. After the first batch of a given size
/// no step allocates: every buffer is a `Workspace`, and per-step matrices are `MatrixView`s.
///
/// Parameters: `weight_ih` (G·H, F), `weight_hh` (G·H, H) and the bias (G·H), in PyTorch's
/// layout and gate order (`weight_ih_l0`, `weight_hh_l0`).
public class RecurrentLayer: Layer {
    /// H, the size of the hidden state.
    public let units: Int
    /// Whether the output is every step's hidden state (N, T, H) rather than the last (N, H).
    public let returnSequences: Bool
    /// G, the number of gate blocks (SimpleRNN 1, GRU 3, LSTM 4).
    let gates: Int
    private let name: String
    private let biasName: String
    private let weightInitializer: Initializer
    private let recurrentInitializer: Initializer
    private let biasInitializer: Initializer?

    /// T and F, from `build`; N of the last forward.
    private(set) var steps = 0
    private(set) var features = 0
    private(set) var batch = 0

    private(set) var store: ParameterStore?
    private var weightIH: Parameter?                     // (G·H, F)
    private var weightHH: Parameter?                     // (G·H, H)
    private var bias: Parameter?                         // (G·H)

    private var inputWorkspace = Workspace()
    private var gateWorkspace = Workspace()
    private var hiddenWorkspace = Workspace()
    private var sequenceWorkspace = Workspace()
    private var gateGradientWorkspace = Workspace()
    private var hiddenGradientWorkspace = Workspace()
    private var inputGradientTimeMajor = Workspace()
    private var inputGradientWorkspace = Workspace()
    private var lastStepShape = ShapeCache()             // (N, H), the output without returnSequences

    /// X of the last forward, time-major (T, N, F).
    private(set) var inputs = Tensor(zeros: [0])
    /// A (T, N, G·H): the pre-activations; subclasses overwrite them with what backward needs.
    private(set) var gateValues = Tensor(zeros: [0])
    /// h₀ … h_T (T + 1, N, H).
    private(set) var hidden = Tensor(zeros: [0])
    /// dA (T, N, G·H), filled by `backwardStep`.
    private(set) var gateGradients = Tensor(zeros: [0])

    init(name: String, units: Int, gates: Int, returnSequences: Bool, weightInitializer: Initializer,
         recurrentInitializer: Initializer, biasName: String = "bias", biasInitializer: Initializer?) {
        precondition(units > 0, "\(name): units must be > 0, got \(units)")
        self.name = name
        self.units = units
        self.gates = gates
        self.returnSequences = returnSequences
        self.weightInitializer = weightInitializer
        self.recurrentInitializer = recurrentInitializer
        self.biasName = biasName
        self.biasInitializer = biasInitializer
    }

    /// G·H, the gate pre-activations per sample and step.
    var width: Int { gates * units }

    public var summary: String {
        "\(name)((\(steps), \(features)) → \(returnSequences ? "(\(steps), \(units))" : "\(units)"))"
    }

    // MARK: - Hooks for subclasses

    /// Parameters after W_ih, W_hh and the bias (GRU: `bias_hh`), built for `features` inputs.
    func extraParameters() -> [ParameterSpec] { [] }

    /// Receives the parameters `extraParameters` asked for.
    func bindExtra(_ parameters: ArraySlice<Parameter>) {}

    /// Called after A is computed and before step 0 (allocate and clear per-sequence state).
    func beginSteps() {}

    /// Turns A_t (block t of `gateValues`) and h_t into h_{t+1} (block t + 1 of `hidden`),
    /// keeping in `gateValues` whatever `backwardStep` needs.
    func forwardStep(_ t: Int) {}

    /// Called before the backward steps (clear per-sequence gradient state).
    func beginBackwardSteps() {}

    /// Given dL/dh_{t+1} in `dh` (N, H), writes dA_t (block t of `gateGradients`) and leaves
    /// dL/dh_t in `dh` (not needed for t = 0).
    func backwardStep(_ t: Int, _ dh: UnsafeMutablePointer<Float>) {}

    /// Called after the parameter gradients of all steps are accumulated (GRU: `bias_hh`).
    func finishBackward() {}

    /// dA_h (T, N, G·H) if it differs from dA (GRU).
    var recurrentGateGradients: Tensor? { nil }

    // MARK: - Build

    public func build(inputShape: [Int]) throws -> (outputShape: [Int], parameters: [ParameterSpec]) {
        guard inputShape.count == 2, inputShape.allSatisfy({ $0 > 0 }) else {
            // the hint fits the input: an image [1, H, W] reads as H rows of W, anything else as T·F = its size
            let rows = inputShape.count == 3 && inputShape[0] == 1 ? "[\(inputShape[1]), \(inputShape[2])]" : nil
            throw ModelError("\(name)(units: \(units)): input shape \(inputShape) is not [steps, features]; "
                             + (rows.map { "read images as sequences of rows with {type: reshape, shape: \($0)} in front" }
                                ?? "put {type: reshape, shape: [T, F]} in front, with T·F = \(inputShape.reduce(1, *))"))
        }
        (steps, features) = (inputShape[0], inputShape[1])
        var specs = [
            ParameterSpec(name: "weight_ih", shape: [width, features], initializer: weightInitializer,
                          fanIn: features, fanOut: width),
            ParameterSpec(name: "weight_hh", shape: [width, units], initializer: recurrentInitializer,
                          fanIn: units, fanOut: width),
        ]
        if let biasInitializer {
            specs.append(ParameterSpec(name: biasName, shape: [width], initializer: biasInitializer,
                                       fanIn: features, fanOut: width))
        }
        return (returnSequences ? [steps, units] : [units], specs + extraParameters())
    }

    public func bind(store: ParameterStore, parameters: [Parameter]) {
        self.store = store
        weightIH = parameters[0]
        weightHH = parameters[1]
        bias = biasInitializer == nil ? nil : parameters[2]
        bindExtra(parameters[(biasInitializer == nil ? 2 : 3)...])
    }

    // MARK: - Forward

    public func forward(_ x: Tensor, mode: Mode) -> Tensor {
        guard let store, let weightIH else { preconditionFailure("\(name).forward called before bind") }
        precondition(x.rowLength == steps * features, "\(name).forward: input \(x.shape) does not hold [\(steps), \(features)] samples")
        let n = x.rowCount
        batch = n
        inputs = inputWorkspace.tensor(steps, n, features)
        swapLeadingAxes(x.pointer, into: inputs.pointer, outer: n, inner: steps, length: features)
        gateValues = gateWorkspace.tensor(steps, n, width)
        let rows = gateValues.reshaped([steps * n, width])
        gemm(inputs.reshaped([steps * n, features]), store.value(weightIH), transposeB: true, into: rows)  // A = X·W_ihᵀ
        if let bias { addToEveryRow(store.value(bias).pointer, of: rows) }                                    // A += 1·bᵀ
        hidden = hiddenWorkspace.tensor(steps + 1, n, units)
        hidden.pointer.update(repeating: 0, count: n * units)                                               // h₀ = 0
        beginSteps()
        for t in 0..<steps { forwardStep(t) }
        guard returnSequences else {                                                                        // h_T (N, H)
            return Tensor(shape: lastStepShape.shape(n, units), storage: hidden.storage, offset: hidden.offset + steps * n * units)
        }
        let sequence = sequenceWorkspace.tensor(n, steps, units)                                           // h₁ … h_T (N, T, H)
        swapLeadingAxes(hidden.pointer + n * units, into: sequence.pointer, outer: steps, inner: n, length: units)
        return sequence
    }

    /// h_t·W_hhᵀ into the (N, G·H) block `t` of `target`, added to what is there if `accumulate`.
    func projectHidden(_ t: Int, into target: Tensor, accumulate: Bool) {
        gemm(hidden.matrix(block: t, rows: batch), recurrentWeight, transposeB: true,
             into: target.matrix(block: t, rows: batch), beta: accumulate ? 1 : 0)
    }

    // MARK: - Backward

    public func backward(_ dy: Tensor, progress: (any GradientProgress)?) -> Tensor {
        guard let dx = backpropagate(dy, inputGradient: true) else { preconditionFailure("\(name): no input gradient") }
        return dx
    }

    public func accumulateParameterGradients(_ dy: Tensor, progress: (any GradientProgress)?) {
        _ = backpropagate(dy, inputGradient: false)
    }

    /// dL/dh_t = dA_t·W_hh for block `t` of `gradients` (T, N, G·H), added to `dh` if `accumulate`.
    func propagateToPreviousStep(_ t: Int, gradients: Tensor, into dh: UnsafeMutablePointer<Float>, accumulate: Bool) {
        gemm(gradients.matrix(block: t, rows: batch), recurrentWeight,
             into: MatrixView(dh, rows: batch, columns: units), beta: accumulate ? 1 : 0)
    }

    /// Backpropagation through time, then the parameter gradients of all steps, and dX (N, T, F)
    /// if `inputGradient`.
    private func backpropagate(_ dy: Tensor, inputGradient: Bool) -> Tensor? {
        guard let store, let weightIH, let weightHH else { preconditionFailure("\(name).backward called before forward") }
        let (n, h) = (batch, units)
        precondition(dy.count == (returnSequences ? n * steps * h : n * h),
                     "\(name).backward: gradient \(dy.shape) does not match the output of the last forward")
        gateGradients = gateGradientWorkspace.tensor(steps, n, width)
        let dh = hiddenGradientWorkspace.tensor(n, h).pointer
        dh.update(repeating: 0, count: n * h)
        let upstream = dy.pointer
        beginBackwardSteps()
        for t in stride(from: steps - 1, through: 0, by: -1) {
            if returnSequences {                                           // dh += dy[:, t, :]
                for sample in 0..<n {
                    let (target, source) = (dh + sample * h, upstream + (sample * steps + t) * h)
                    for j in 0..<h { target[j] += source[j] }
                }
            } else if t == steps - 1 {
                dh.update(from: upstream, count: n * h)
            }
            backwardStep(t, dh)
        }

        let rows = steps * n
        let dA = gateGradients.reshaped([rows, width])
        let dAh = (recurrentGateGradients ?? gateGradients).reshaped([rows, width])
        gemm(dA, transposeA: true, inputs.reshaped([rows, features]), into: store.gradient(weightIH), beta: 1)  // dW_ih += dAᵀ·X
        gemm(dAh.matrix, transposeA: true, MatrixView(hidden.pointer, rows: rows, columns: h),                 // dW_hh += dA_hᵀ·[h₀ … h_{T−1}]
             into: store.gradient(weightHH).matrix, beta: 1)
        if let bias { addColumnSums(of: dA, into: store.gradient(bias).pointer) }                              // db += dAᵀ·1
        finishBackward()
        guard inputGradient else { return nil }
        let dxTimeMajor = inputGradientTimeMajor.tensor(rows, features)
        gemm(dA, store.value(weightIH), into: dxTimeMajor)                                                   // dX = dA·W_ih
        let dx = inputGradientWorkspace.tensor(n, steps, features)
        swapLeadingAxes(dxTimeMajor.pointer, into: dx.pointer, outer: steps, inner: n, length: features)
        return dx
    }

    private var recurrentWeight: MatrixView {
        guard let store, let weightHH else { preconditionFailure("\(name) used before bind") }
        return store.value(weightHH).matrix
    }
}

// MARK: - Kernels

/// Copies an (outer, inner, length) array into (inner, outer, length) order.
func swapLeadingAxes(_ source: UnsafePointer<Float>, into target: UnsafeMutablePointer<Float>,
                     outer: Int, inner: Int, length: Int) {
    for o in 0..<outer {
        for i in 0..<inner {
            (target + (i * outer + o) * length).update(from: source + (o * inner + i) * length, count: length)
        }
    }
}
