// Long short-term memory over (N, T, F) sequences: the per-step gate maths, forward and backward
// (RecurrentLayer runs the steps and the sgemms).
import Tensors

/// An LSTM layer, with the gate order i, f, g, o of PyTorch and Keras:
///
///     [a_i a_f a_g a_o] = x_t·W_ihᵀ + h_{t−1}·W_hhᵀ + b
///     i = σ(a_i)   f = σ(a_f)   g = tanh(a_g)   o = σ(a_o)
///     c_t = f ⊙ c_{t−1} + i ⊙ g        h_t = o ⊙ tanh(c_t)
///
/// with h₀ = c₀ = 0. Input (N, T, F); output h_T (N, H), or h₁ … h_T (N, T, H) with
/// `returnSequences`. Parameters `weight_ih` (4H, F) and `weight_hh` (4H, H), PyTorch's
/// `weight_ih_l0` and `weight_hh_l0`, and one `bias` (4H), PyTorch's `bias_ih_l0 + bias_hh_l0`.
/// Defaults as in Keras: W_ih Glorot uniform, W_hh orthogonal, the bias 0 except the forget
/// gate's block at 1 (`unit_forget_bias`).
///
/// Backward runs the steps in reverse from the saved gates, cell states and tanh(c_t):
///
///     dc = dc_{t+1} + dh ⊙ o ⊙ (1 − tanh²c_t)
///     da_i = dc ⊙ g ⊙ i(1−i)   da_f = dc ⊙ c_{t−1} ⊙ f(1−f)   da_g = dc ⊙ i ⊙ (1−g²)
///     da_o = dh ⊙ tanh(c_t) ⊙ o(1−o)      dc_t = dc ⊙ f      dh_{t−1} = da·W_hh
///
/// ```swift
/// let model = try Sequential([Reshape([28, 28]), LSTM(units: 128), Dense(units: 10)], inputShape: [1, 28, 28])
/// ```
///
/// ### References
/// 1. Hochreiter & Schmidhuber, "Long Short-Term Memory", 1997.
/// 2. Gers, Schmidhuber & Cummins, "Learning to Forget: Continual Prediction with LSTM", 2000.
/// 3. Jozefowicz, Zaremba & Sutskever, "An Empirical Exploration of Recurrent Network
///    Architectures", 2015 (the forget-gate bias of 1).
public final class LSTM: RecurrentLayer {
    private var cellWorkspace = Workspace()
    private var cellTanhWorkspace = Workspace()
    private var cellGradientWorkspace = Workspace()
    private var cells = Tensor(zeros: [0])          // c₀ … c_T (T + 1, N, H)
    private var cellTanh = Tensor(zeros: [0])       // tanh(c₁) … tanh(c_T) (T, N, H)
    private var cellGradient = Tensor(zeros: [0])   // dL/dc of the current step (N, H)

    /// Creates an LSTM with `units` hidden units.
    /// - Parameters:
    ///   - returnSequences: output every step (N, T, H) instead of the last (N, H).
    ///   - useBias: whether the layer has `bias`.
    ///   - unitForgetBias: start the forget gate's bias at 1 (Keras' default), the rest at 0.
    public init(units: Int, returnSequences: Bool = false, weightInitializer: Initializer = .xavierUniform,
                recurrentInitializer: Initializer = .orthogonal, useBias: Bool = true, unitForgetBias: Bool = true) {
        let bias: Initializer = unitForgetBias ? .blocks([.zeros, .constant(1), .zeros, .zeros]) : .zeros
        super.init(name: "LSTM", units: units, gates: 4, returnSequences: returnSequences, weightInitializer: weightInitializer,
                   recurrentInitializer: recurrentInitializer, biasInitializer: useBias ? bias : nil)
    }

    // MARK: - Forward

    override func beginSteps() {
        cells = cellWorkspace.tensor(steps + 1, batch, units)
        cells.pointer.update(repeating: 0, count: batch * units)              // c₀ = 0
        cellTanh = cellTanhWorkspace.tensor(steps, batch, units)
    }

    override func forwardStep(_ t: Int) {
        let (n, h) = (batch, units)
        projectHidden(t, into: gateValues, accumulate: true)                   // a += h_t·W_hhᵀ
        let a = gateValues.pointer + t * n * 4 * h                             // (N, 4H), becomes i f g o
        for sample in 0..<n {
            let row = a + sample * 4 * h
            logistic(row, into: row, count: 2 * h)                             // i, f
            hyperbolicTangent(row + 2 * h, into: row + 2 * h, count: h)        // g
            logistic(row + 3 * h, into: row + 3 * h, count: h)                 // o
        }
        let previous = cells.pointer + t * n * h
        let cell = previous + n * h
        for sample in 0..<n {
            let (row, c, cPrevious) = (a + sample * 4 * h, cell + sample * h, previous + sample * h)
            for j in 0..<h { c[j] = row[h + j] * cPrevious[j] + row[j] * row[2 * h + j] }   // c = f ⊙ c_{t−1} + i ⊙ g
        }
        let tanhC = cellTanh.pointer + t * n * h
        hyperbolicTangent(cell, into: tanhC, count: n * h)
        let output = hidden.pointer + (t + 1) * n * h
        for sample in 0..<n {
            let (row, tc, out) = (a + sample * 4 * h, tanhC + sample * h, output + sample * h)
            for j in 0..<h { out[j] = row[3 * h + j] * tc[j] }                 // h = o ⊙ tanh(c)
        }
    }

    // MARK: - Backward

    override func beginBackwardSteps() {
        cellGradient = cellGradientWorkspace.tensor(batch, units)
        cellGradient.fill(0)
    }

    override func backwardStep(_ t: Int, _ dh: UnsafeMutablePointer<Float>) {
        let (n, h) = (batch, units)
        let gates = gateValues.pointer + t * n * 4 * h
        let gradients = gateGradients.pointer + t * n * 4 * h
        let previous = cells.pointer + t * n * h
        let tanhC = cellTanh.pointer + t * n * h
        let dc = cellGradient.pointer
        for sample in 0..<n {
            let (row, dRow) = (gates + sample * 4 * h, gradients + sample * 4 * h)
            for j in 0..<h {
                let k = sample * h + j
                let (i, f, g, o) = (row[j], row[h + j], row[2 * h + j], row[3 * h + j])
                let (tc, dhk) = (tanhC[k], dh[k])
                let dck = dc[k] + dhk * o * (1 - tc * tc)
                dRow[j] = dck * g * i * (1 - i)
                dRow[h + j] = dck * previous[k] * f * (1 - f)
                dRow[2 * h + j] = dck * i * (1 - g * g)
                dRow[3 * h + j] = dhk * tc * o * (1 - o)
                dc[k] = dck * f
            }
        }
        if t > 0 { propagateToPreviousStep(t, gradients: gateGradients, into: dh, accumulate: false) }   // dh_t = da·W_hh
    }
}
