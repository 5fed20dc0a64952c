// The gated recurrent unit with PyTorch's reset-gate placement: the per-step maths, forward and
// backward (RecurrentLayer runs the steps and the sgemms).
import Tensors

/// A GRU layer, as PyTorch's `nn.GRU` (and Keras' `GRU` with `reset_after=True`), gate order
/// r, z, n:
///
///     [i_r i_z i_n] = x_t·W_ihᵀ + b_ih          [h_r h_z h_n] = h_{t−1}·W_hhᵀ + b_hh
///     r = σ(i_r + h_r)   z = σ(i_z + h_z)   n = tanh(i_n + r ⊙ h_n)
///     h_t = (1 − z) ⊙ n + z ⊙ h_{t−1}
///
/// with h₀ = 0. The reset gate scales the hidden projection *after* W_hh (PyTorch's placement),
/// so b_hh's n block is not interchangeable with b_ih's and both biases are kept. Input
/// (N, T, F); output h_T (N, H), or h₁ … h_T (N, T, H) with `returnSequences`. Parameters
/// `weight_ih` (3H, F), `weight_hh` (3H, H), `bias_ih` (3H) and `bias_hh` (3H), PyTorch's
/// names with `_l0` dropped. Keras orders its kernel's gates z, r, h instead.
///
/// Backward, with a_n = i_n + r ⊙ h_n:
///
///     da_n = dh ⊙ (1 − z) ⊙ (1 − n²)    da_z = dh ⊙ (h_{t−1} − n) ⊙ z(1−z)
///     da_r = da_n ⊙ h_n ⊙ r(1−r)
///     dA_t = [da_r da_z da_n]   dA_h,t = [da_r da_z da_n ⊙ r]
///     dh_{t−1} = dh ⊙ z + dA_h,t·W_hh
///
/// ### References
/// 1. Cho et al., "Learning Phrase Representations using RNN Encoder–Decoder for Statistical
///    Machine Translation", 2014. https://arxiv.org/abs/1406.1078
public final class GRU: RecurrentLayer {
    private var hiddenBias: Parameter?                           // b_hh (3H)
    private var noHiddenBias = Tensor(zeros: [0])                // zeros (3H) when there is no bias
    private var hiddenProjectionWorkspace = Workspace()
    private var hiddenGradientWorkspace = Workspace()
    private var hiddenProjections = Tensor(zeros: [0])           // h_t·W_hhᵀ + b_hh (T, N, 3H)
    private var hiddenGateGradients = Tensor(zeros: [0])         // dA_h (T, N, 3H)
    private let useBias: Bool

    /// Creates a GRU with `units` hidden units.
    /// - Parameters:
    ///   - returnSequences: output every step (N, T, H) instead of the last (N, H).
    ///   - useBias: whether the layer has `bias_ih` and `bias_hh`.
    public init(units: Int, returnSequences: Bool = false, weightInitializer: Initializer = .xavierUniform,
                recurrentInitializer: Initializer = .orthogonal, useBias: Bool = true) {
        self.useBias = useBias
        super.init(name: "GRU", units: units, gates: 3, returnSequences: returnSequences, weightInitializer: weightInitializer,
                   recurrentInitializer: recurrentInitializer, biasName: "bias_ih", biasInitializer: useBias ? .zeros : nil)
        if !useBias { noHiddenBias = Tensor(zeros: [3 * units]) }
    }

    override func extraParameters() -> [ParameterSpec] {
        guard useBias else { return [] }
        return [ParameterSpec(name: "bias_hh", shape: [width], initializer: .zeros, fanIn: units, fanOut: width)]
    }

    override func bindExtra(_ parameters: ArraySlice<Parameter>) {
        hiddenBias = parameters.first
    }

    override var recurrentGateGradients: Tensor? { hiddenGateGradients }

    /// b_hh, or zeros without a bias.
    private var hiddenBiasValues: UnsafePointer<Float> {
        guard let store, let hiddenBias else { return UnsafePointer(noHiddenBias.pointer) }
        return UnsafePointer(store.value(hiddenBias).pointer)
    }

    // MARK: - Forward

    override func beginSteps() {
        hiddenProjections = hiddenProjectionWorkspace.tensor(steps, batch, width)
    }

    override func forwardStep(_ t: Int) {
        let (n, h) = (batch, units)
        projectHidden(t, into: hiddenProjections, accumulate: false)            // h_t·W_hhᵀ
        let a = gateValues.pointer + t * n * 3 * h                             // (N, 3H) x·W_ihᵀ + b_ih, becomes r z n
        let p = hiddenProjections.pointer + t * n * 3 * h                      // (N, 3H); its n block keeps h_n
        let b = hiddenBiasValues
        let previous = hidden.pointer + t * n * h
        let output = previous + n * h
        for sample in 0..<n {
            let (row, projection) = (a + sample * 3 * h, p + sample * 3 * h)
            for j in 0..<(2 * h) { row[j] += projection[j] + b[j] }              // i_r + h_r, i_z + h_z
            logistic(row, into: row, count: 2 * h)                              // r, z
            for j in 0..<h {
                projection[2 * h + j] += b[2 * h + j]                           // h_n, kept for backward
                row[2 * h + j] += row[j] * projection[2 * h + j]                // i_n + r ⊙ h_n
            }
            hyperbolicTangent(row + 2 * h, into: row + 2 * h, count: h)         // n
            let (hPrevious, out) = (previous + sample * h, output + sample * h)
            for j in 0..<h {
                let z = row[h + j]
                out[j] = (1 - z) * row[2 * h + j] + z * hPrevious[j]            // h = (1 − z) ⊙ n + z ⊙ h_{t−1}
            }
        }
    }

    // MARK: - Backward

    override func beginBackwardSteps() {
        hiddenGateGradients = hiddenGradientWorkspace.tensor(steps, batch, width)
    }

    override func backwardStep(_ t: Int, _ dh: UnsafeMutablePointer<Float>) {
        let (n, h) = (batch, units)
        let gates = gateValues.pointer + t * n * 3 * h
        let p = hiddenProjections.pointer + t * n * 3 * h
        let (dA, dAh) = (gateGradients.pointer + t * n * 3 * h, hiddenGateGradients.pointer + t * n * 3 * h)
        let previous = hidden.pointer + t * n * h
        for sample in 0..<n {
            let offset = sample * 3 * h
            let (row, projection, dRow, dRowH) = (gates + offset, p + offset, dA + offset, dAh + offset)
            for j in 0..<h {
                let k = sample * h + j
                let (r, z, candidate, hn, dhk) = (row[j], row[h + j], row[2 * h + j], projection[2 * h + j], dh[k])
                let dn = dhk * (1 - z) * (1 - candidate * candidate)
                let dz = dhk * (previous[k] - candidate) * z * (1 - z)
                let dr = dn * hn * r * (1 - r)
                (dRow[j], dRow[h + j], dRow[2 * h + j]) = (dr, dz, dn)
                (dRowH[j], dRowH[h + j], dRowH[2 * h + j]) = (dr, dz, dn * r)
                dh[k] = dhk * z                                               // the direct path h_{t−1} → h_t
            }
        }
        if t > 0 { propagateToPreviousStep(t, gradients: hiddenGateGradients, into: dh, accumulate: true) }  // dh_t += dA_h·W_hh
    }

    override func finishBackward() {                                         // db_hh += dA_hᵀ·1
        guard let store, let hiddenBias else { return }
        addColumnSums(of: hiddenGateGradients.reshaped([steps * batch, width]), into: store.gradient(hiddenBias).pointer)
    }
}
