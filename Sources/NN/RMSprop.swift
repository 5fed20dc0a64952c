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
        // One pass, 16 lanes at a time, with the scalar loop's operations in the same order (the
        // same bits; Swift did not vectorize the scalar loop because of sqrt's errno branch).
        if mu == 0 {
            forEachVector(count: n) { i, lanes in
                let parameter = loadVector(p, at: i, lanes: lanes)
                let gradient = loadVector(g, at: i, lanes: lanes) + lambda * parameter          // g += λp
                let square = a * loadVector(v, at: i, lanes: lanes) + (1 - a) * gradient * gradient   // v = αv + (1−α)g²
                storeVector(square, v, at: i, lanes: lanes)
                storeVector(parameter - lr * (gradient / (squareRootOfNonNegative(square) + eps)), p, at: i, lanes: lanes)   // p −= lr·g/(√v + ε)
            }
        } else {
            forEachVector(count: n) { i, lanes in
                let parameter = loadVector(p, at: i, lanes: lanes)
                let gradient = loadVector(g, at: i, lanes: lanes) + lambda * parameter
                let square = a * loadVector(v, at: i, lanes: lanes) + (1 - a) * gradient * gradient
                storeVector(square, v, at: i, lanes: lanes)
                let velocity = mu * loadVector(b, at: i, lanes: lanes) + gradient / (squareRootOfNonNegative(square) + eps)   // b = μb + g/(√v + ε)
                storeVector(velocity, b, at: i, lanes: lanes)
                storeVector(parameter - lr * velocity, p, at: i, lanes: lanes)                    // p −= lr·b
            }
        }
        stepCount += 1
    }
}
