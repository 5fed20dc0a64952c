// RMSprop on the flat parameter buffers.
import Tensors

/// RMSprop with optional momentum and coupled (L2) weight decay, as `torch.optim.RMSprop`
/// (not centered).
///
/// g ← g + λp;  v ← αv + (1−α)g²;  p ← p − lr·g/(√v + ε)
/// with momentum μ > 0:  b ← μb + g/(√v + ε);  p ← p − lr·b
///
/// Both buffers have the layout of the parameter store and start at zero.
///
/// ### References
/// 1. Hinton, Srivastava & Swersky, "Neural Networks for Machine Learning", lecture 6e, 2012.
///    https://www.cs.toronto.edu/~tijmen/csc321/slides/lecture_slides_lec6.pdf
public final class RMSprop: Optimizer {
    /// The smoothing constant α of the squared-gradient average.
    public let alpha: Float
    /// The ε added to √v.
    public let epsilon: Float
    /// The momentum coefficient μ (0 for none).
    public let momentum: Float
    /// The L2 penalty λ added to the gradient.
    public let weightDecay: Float
    /// v, one element per parameter.
    public let squareAverage: TensorStorage
    /// b, one element per parameter (unused without momentum).
    public let momentumBuffer: TensorStorage
    /// The number of steps taken.
    public var stepCount = 0
    /// `[("square_avg", v)]`, plus `("momentum_buffer", b)` with momentum.
    public var state: [(name: String, values: TensorStorage)] {
        momentum > 0 ? [("square_avg", squareAverage), ("momentum_buffer", momentumBuffer)] : [("square_avg", squareAverage)]
    }
    private let parameterCount: Int

    /// Creates the optimizer for a store of `parameterCount` scalars.
    public init(parameterCount: Int, alpha: Float = 0.99, epsilon: Float = 1e-8, momentum: Float = 0, weightDecay: Float = 0) {
        precondition(alpha >= 0 && alpha <= 1, "RMSprop: alpha must be in [0, 1], got \(alpha)")
        precondition(epsilon >= 0, "RMSprop: epsilon must be ≥ 0, got \(epsilon)")
        precondition(momentum >= 0 && momentum < 1, "RMSprop: momentum must be in [0, 1), got \(momentum)")
        precondition(weightDecay >= 0, "RMSprop: weight decay must be ≥ 0, got \(weightDecay)")
        self.alpha = alpha
        self.epsilon = epsilon
        self.momentum = momentum
        self.weightDecay = weightDecay
        self.parameterCount = parameterCount
        self.squareAverage = TensorStorage(count: parameterCount)
        self.momentumBuffer = TensorStorage(count: momentum > 0 ? parameterCount : 0)
    }

    /// Updates every parameter in `store` from its gradient (the gradient buffer is not changed).
    public func step(_ store: ParameterStore, learningRate: Float) {
        precondition(store.count == parameterCount, "RMSprop: store has \(store.count) parameters, expected \(parameterCount)")
        let n = store.count
        let p = store.values.buffer.baseAddress!
        let g = store.gradients.buffer.baseAddress!
        let v = squareAverage.buffer.baseAddress!
        let b = momentumBuffer.buffer.baseAddress!
        let (a, eps, mu, lambda, lr) = (alpha, epsilon, momentum, weightDecay, learningRate)
        if mu == 0 {
            for i in 0..<n {
                let gradient = g[i] + lambda * p[i]                                   // g += λp
                let square = a * v[i] + (1 - a) * gradient * gradient                 // v = αv + (1−α)g²
                v[i] = square
                p[i] -= lr * (gradient / (square.squareRoot() + eps))                 // p −= lr·g/(√v + ε)
            }
        } else {
            for i in 0..<n {
                let gradient = g[i] + lambda * p[i]
                let square = a * v[i] + (1 - a) * gradient * gradient
                v[i] = square
                let velocity = mu * b[i] + gradient / (square.squareRoot() + eps)     // b = μb + g/(√v + ε)
                b[i] = velocity
                p[i] -= lr * velocity                                                 // p −= lr·b
            }
        }
        stepCount += 1
    }
}
