// The Elman recurrent layer, h_t = tanh(x_t·W_ihᵀ + h_{t−1}·W_hhᵀ + b): the per-step maths,
// forward and backward (RecurrentLayer runs the steps and the sgemms).
import Tensors

/// A fully connected recurrent layer with tanh, as PyTorch's `nn.RNN` and Keras' `SimpleRNN`:
///
///     h_t = tanh(x_t·W_ihᵀ + h_{t−1}·W_hhᵀ + b),   h₀ = 0
///
/// Input (N, T, F); output h_T (N, H), or h₁ … h_T (N, T, H) with `returnSequences`.
/// Parameters `weight_ih` (H, F), `weight_hh` (H, H) and `bias` (H), PyTorch's
/// `bias_ih_l0 + bias_hh_l0`. Backward: da_t = dh ⊙ (1 − h_t²), dh_{t−1} = da_t·W_hh.
///
/// ### References
/// 1. Elman, "Finding Structure in Time", 1990.
/// 2. Werbos, "Backpropagation Through Time: What It Does and How to Do It", 1990.
public final class SimpleRNN: RecurrentLayer {
    /// Creates a layer with `units` hidden units.
    /// - Parameters:
    ///   - returnSequences: output every step (N, T, H) instead of the last (N, H).
    ///   - useBias: whether the layer has `bias`.
    public init(units: Int, returnSequences: Bool = false, weightInitializer: Initializer = .xavierUniform,
                recurrentInitializer: Initializer = .orthogonal, useBias: Bool = true) {
        super.init(name: "SimpleRNN", units: units, gates: 1, returnSequences: returnSequences, weightInitializer: weightInitializer,
                   recurrentInitializer: recurrentInitializer, biasInitializer: useBias ? .zeros : nil)
    }

    override func forwardStep(_ t: Int) {
        let count = batch * units
        projectHidden(t, into: gateValues, accumulate: true)               // a = x_t·W_ihᵀ + b + h_t·W_hhᵀ
        let (a, output) = (gateValues.pointer + t * count, hidden.pointer + (t + 1) * count)
        hyperbolicTangent(a, into: output, count: count)
    }

    override func backwardStep(_ t: Int, _ dh: UnsafeMutablePointer<Float>) {
        let count = batch * units
        let (output, gradients) = (hidden.pointer + (t + 1) * count, gateGradients.pointer + t * count)
        for k in 0..<count { gradients[k] = dh[k] * (1 - output[k] * output[k]) }          // da = dh ⊙ (1 − h²)
        if t > 0 { propagateToPreviousStep(t, gradients: gateGradients, into: dh, accumulate: false) }   // dh_t = da·W_hh
    }
}
