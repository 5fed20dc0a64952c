// Stochastic gradient descent with momentum, on the flat parameter buffers.
import Tensors

/// SGD with classical or Nesterov momentum and coupled (L2) weight decay, as `torch.optim.SGD`.
///
/// g ← g + λ·p;  v ← μ·v + g;  p ← p − lr·v   (Nesterov: p ← p − lr·(g + μ·v))
///
/// The velocity buffer has the layout of the parameter store, so one BLAS call updates every
/// parameter.
///
/// ### References
/// 1. Sutskever et al., "On the importance of initialization and momentum in deep learning", 2013.
public final class SGD {
    /// The momentum coefficient μ (0 for plain SGD).
    public let momentum: Float
    /// Whether to use Nesterov momentum.
    public let nesterov: Bool
    /// The L2 penalty λ added to the gradient.
    public let weightDecay: Float
    /// v, one element per parameter.
    public let velocity: TensorStorage
    /// The number of steps taken.
    public private(set) var stepCount = 0

    /// Creates the optimizer for a store of `parameterCount` scalars.
    public init(parameterCount: Int, momentum: Float = 0, nesterov: Bool = false, weightDecay: Float = 0) {
        precondition(momentum >= 0 && momentum < 1, "SGD: momentum must be in [0, 1), got \(momentum)")
        precondition(weightDecay >= 0, "SGD: weight decay must be ≥ 0, got \(weightDecay)")
        precondition(!nesterov || momentum > 0, "SGD: Nesterov needs momentum > 0")
        self.momentum = momentum
        self.nesterov = nesterov
        self.weightDecay = weightDecay
        self.velocity = TensorStorage(count: parameterCount)
    }

    /// Updates every parameter in `store` from its gradient. The gradient buffer is used as
    /// scratch (weight decay is added into it).
    public func step(_ store: ParameterStore, learningRate: Float) {
        let n = store.count
        let p = store.values.buffer.baseAddress!
        let g = store.gradients.buffer.baseAddress!
        let v = velocity.buffer.baseAddress!
        if weightDecay > 0 { axpy(count: n, alpha: weightDecay, x: p, y: g) }     // g += λ·p
        if momentum == 0 {
            axpy(count: n, alpha: -learningRate, x: g, y: p)                        // p −= lr·g
        } else {
            axpby(count: n, alpha: 1, x: g, beta: momentum, y: v)                   // v = g + μ·v
            if nesterov {
                axpy(count: n, alpha: momentum, x: v, y: g)                          // g += μ·v
                axpy(count: n, alpha: -learningRate, x: g, y: p)                     // p −= lr·g
            } else {
                axpy(count: n, alpha: -learningRate, x: v, y: p)                     // p −= lr·v
            }
        }
        stepCount += 1
    }
}
