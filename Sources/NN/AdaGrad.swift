// AdaGrad on the flat parameter buffers.
import Tensors

/// AdaGrad with coupled (L2) weight decay, as `torch.optim.Adagrad` (without learning-rate decay).
///
/// g ← g + λp;  s ← s + g²;  p ← p − lr·g/(√s + ε)
///
/// The sum buffer has the layout of the parameter store and starts at `initialAccumulatorValue`.
///
/// ### References
/// 1. Duchi, Hazan & Singer, "Adaptive Subgradient Methods for Online Learning and Stochastic
///    Optimization", JMLR 2011. https://jmlr.org/papers/v12/duchi11a.html
public final class AdaGrad: Optimizer {
    /// The ε added to √s.
    public let epsilon: Float
    /// The L2 penalty λ added to the gradient.
    public let weightDecay: Float
    /// The value every element of s starts at.
    public let initialAccumulatorValue: Float
    /// s, the running sum of squared gradients, one element per parameter.
    public let sum: TensorStorage
    /// The number of steps taken.
    public var stepCount = 0
    /// `[("sum", s)]`.
    public var state: [(name: String, values: TensorStorage)] { [("sum", sum)] }
    private let parameterCount: Int

    /// Creates the optimizer for a store of `parameterCount` scalars.
    public init(parameterCount: Int, epsilon: Float = 1e-10, weightDecay: Float = 0, initialAccumulatorValue: Float = 0) {
        precondition(epsilon >= 0, "AdaGrad: epsilon must be ≥ 0, got \(epsilon)")
        precondition(weightDecay >= 0, "AdaGrad: weight decay must be ≥ 0, got \(weightDecay)")
        precondition(initialAccumulatorValue >= 0, "AdaGrad: initial accumulator value must be ≥ 0, got \(initialAccumulatorValue)")
        self.epsilon = epsilon
        self.weightDecay = weightDecay
        self.initialAccumulatorValue = initialAccumulatorValue
        self.parameterCount = parameterCount
        self.sum = TensorStorage(count: parameterCount)
        sum.buffer.update(repeating: initialAccumulatorValue)
    }

    /// Updates every parameter in `store` from its gradient (the gradient buffer is not changed).
    public func step(_ store: ParameterStore, learningRate: Float) {
        precondition(store.count == parameterCount, "AdaGrad: store has \(store.count) parameters, expected \(parameterCount)")
        let n = store.count
        let p = store.values.buffer.baseAddress!
        let g = store.gradients.buffer.baseAddress!
        let s = sum.buffer.baseAddress!
        let (eps, lambda, lr) = (epsilon, weightDecay, learningRate)
        // One pass, 16 lanes at a time, with the scalar loop's operations in the same order (the
        // same bits; Swift did not vectorize the scalar loop because of sqrt's errno branch).
        forEachVector(count: n) { i, lanes in
            let parameter = loadVector(p, at: i, lanes: lanes)
            let gradient = loadVector(g, at: i, lanes: lanes) + lambda * parameter              // g += λp
            let total = loadVector(s, at: i, lanes: lanes) + gradient * gradient                // s += g²
            storeVector(total, s, at: i, lanes: lanes)
            storeVector(parameter - lr * (gradient / (squareRootOfNonNegative(total) + eps)), p, at: i, lanes: lanes)   // p −= lr·g/(√s + ε)
        }
        stepCount += 1
    }
}
