// The interface every optimizer implements: a step over the flat parameter buffers.
import Tensors

/// Updates the parameters of a `ParameterStore` from its gradients, one step at a time.
///
/// Optimizers are classes: their state buffers are updated in place every step, and the training
/// loop holds one instance for the whole run. The learning rate comes in per step, so schedules
/// live outside the optimizer.
///
/// ```swift
/// let optimizer: any Optimizer = Adam(parameterCount: model.parameterCount)
/// optimizer.step(model.store, learningRate: schedule(step))
/// ```
public protocol Optimizer: AnyObject {
    /// Updates `store.values` from `store.gradients`; the gradient buffer is not changed.
    func step(_ store: ParameterStore, learningRate: Float)
    /// `step`, then, with `zeroingGradients`, sets every gradient to zero for the next step — in
    /// the same pass where an optimizer can (`SGD`), which saves the training loop a separate
    /// pass over the gradient buffer (a memset that costs 40–70 µs per step of the default MLP
    /// once backward has pushed the buffer out of the cache).
    func step(_ store: ParameterStore, learningRate: Float, zeroingGradients: Bool)
    /// `step(_:learningRate:zeroingGradients: true)` on gradients not yet checked for NaN and
    /// ±∞, and whether they were all finite: looked at in the update's own pass where the
    /// optimizer can (`SGD`), else on a pass of their own first. After `false` the parameters
    /// and state may have taken the non-finite update, for a caller that stops and writes them
    /// nowhere (`training.nonfinite: stop`); the non-finite gradients are still in place, so
    /// that the caller can name them, and the others may be zero.
    func stepCheckingFinite(_ store: ParameterStore, learningRate: Float) -> Bool
    /// The number of steps taken.
    var stepCount: Int { get set }
    /// The state buffers, named as in PyTorch's optimizer state (`"exp_avg"`, `"momentum_buffer"`, …).
    ///
    /// Each buffer has the flat layout of the parameter store: element `i` belongs to parameter
    /// element `i`, so a checkpoint can slice it per parameter with `Parameter.range`.
    var state: [(name: String, values: TensorStorage)] { get }
}

extension Optimizer {
    public func step(_ store: ParameterStore, learningRate: Float, zeroingGradients: Bool) {
        step(store, learningRate: learningRate)
        if zeroingGradients { store.zeroGradients() }
    }

    /// The check on its own pass, then the step only when it passed.
    public func stepCheckingFinite(_ store: ParameterStore, learningRate: Float) -> Bool {
        guard allFinite(store.gradients.buffer) else { return false }
        step(store, learningRate: learningRate, zeroingGradients: true)
        return true
    }
}
