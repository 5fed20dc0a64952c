// Adam and AdamW on the flat parameter buffers.
import Tensors

/// Adam with coupled (L2) weight decay, or AdamW with `decoupled: true`, as `torch.optim.Adam` and
/// `torch.optim.AdamW`.
///
/// Adam:  g ← g + λp
/// AdamW: p ← p − lr·λ·p
/// then   m ← β₁m + (1−β₁)g;  v ← β₂v + (1−β₂)g²;  m̂ = m/(1−β₁ᵗ);  v̂ = v/(1−β₂ᵗ);
///        p ← p − lr·m̂/(√v̂ + ε)
///
/// Both moment buffers have the layout of the parameter store and start at zero.
///
/// ### References
/// 1. Kingma & Ba, "Adam: A Method for Stochastic Optimization", 2014. https://arxiv.org/abs/1412.6980
/// 2. Loshchilov & Hutter, "Decoupled Weight Decay Regularization", 2017. https://arxiv.org/abs/1711.05101
public final class Adam: Optimizer {
    /// The decay rate β₁ of the first moment.
    public let beta1: Float
    /// The decay rate β₂ of the second moment.
    public let beta2: Float
    /// The ε added to √v̂.
    public let epsilon: Float
    /// The weight decay λ.
    public let weightDecay: Float
    /// Whether the weight decay is decoupled from the gradient (AdamW) or added to it (Adam, L2).
    public let decoupled: Bool
    /// m, one element per parameter.
    public let firstMoment: TensorStorage
    /// v, one element per parameter.
    public let secondMoment: TensorStorage
    /// The number of steps taken (t after the step).
    public var stepCount = 0
    /// `[("exp_avg", m), ("exp_avg_sq", v)]`.
    public var state: [(name: String, values: TensorStorage)] {
        [("exp_avg", firstMoment), ("exp_avg_sq", secondMoment)]
    }
    private let parameterCount: Int

    /// Creates the optimizer for a store of `parameterCount` scalars.
    public init(
        parameterCount: Int, beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8,
        weightDecay: Float = 0, decoupled: Bool = false
    ) {
        precondition(beta1 >= 0 && beta1 < 1, "Adam: beta1 must be in [0, 1), got \(beta1)")
        precondition(beta2 >= 0 && beta2 < 1, "Adam: beta2 must be in [0, 1), got \(beta2)")
        precondition(epsilon >= 0, "Adam: epsilon must be ≥ 0, got \(epsilon)")
        precondition(weightDecay >= 0, "Adam: weight decay must be ≥ 0, got \(weightDecay)")
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.weightDecay = weightDecay
        self.decoupled = decoupled
        self.parameterCount = parameterCount
        self.firstMoment = TensorStorage(count: parameterCount)
        self.secondMoment = TensorStorage(count: parameterCount)
    }

    /// Updates every parameter in `store` from its gradient (the gradient buffer is not changed).
    public func step(_ store: ParameterStore, learningRate: Float) {
        precondition(store.count == parameterCount, "Adam: store has \(store.count) parameters, expected \(parameterCount)")
        stepCount += 1
        let stepSize = Float(Double(learningRate) / (1 - power(Double(beta1), stepCount)))    // lr/(1−β₁ᵗ)
        let correction2 = Float((1 - power(Double(beta2), stepCount)).squareRoot())           // √(1−β₂ᵗ)
        let (b1, b2, eps) = (beta1, beta2, epsilon)
        let l2 = decoupled ? 0 : weightDecay                                                  // g += λp
        let shrink = decoupled ? Float(1 - Double(learningRate) * Double(weightDecay)) : 1   // p *= 1 − lr·λ
        let n = store.count
        let p = store.values.buffer.baseAddress!
        let g = store.gradients.buffer.baseAddress!
        let m = firstMoment.buffer.baseAddress!
        let v = secondMoment.buffer.baseAddress!
        // One pass, 16 lanes at a time: the same operations in the same order as one element at a
        // time (IEEE sqrt and division), so the bits are those of the scalar loop, which Swift did
        // not vectorize (sqrt's errno branch).
        forEachVector(count: n) { i, lanes in
            let parameter = loadVector(p, at: i, lanes: lanes)
            let gradient = loadVector(g, at: i, lanes: lanes) + l2 * parameter
            let previous = loadVector(m, at: i, lanes: lanes)
            let mean = previous + (1 - b1) * (gradient - previous)                          // m = β₁m + (1−β₁)g
            let square = b2 * loadVector(v, at: i, lanes: lanes) + (1 - b2) * gradient * gradient   // v = β₂v + (1−β₂)g²
            storeVector(mean, m, at: i, lanes: lanes)
            storeVector(square, v, at: i, lanes: lanes)
            storeVector(parameter * shrink - stepSize * (mean / (squareRootOfNonNegative(square) / correction2 + eps)), p, at: i, lanes: lanes)
        }
    }
}

/// xⁿ for n ≥ 0 by repeated squaring (no Foundation `pow`).
private func power(_ x: Double, _ n: Int) -> Double {
    var (result, base, exponent) = (1.0, x, n)
    while exponent > 0 {
        if exponent & 1 == 1 { result *= base }
        base *= base
        exponent >>= 1
    }
    return result
}
