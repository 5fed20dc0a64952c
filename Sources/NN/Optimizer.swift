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
    /// The number of steps taken.
    var stepCount: Int { get set }
    /// The state buffers, named as in PyTorch's optimizer state (`"exp_avg"`, `"momentum_buffer"`, …).
    ///
    /// Each buffer has the flat layout of the parameter store: element `i` belongs to parameter
    /// element `i`, so a checkpoint can slice it per parameter with `Parameter.range`.
    var state: [(name: String, values: TensorStorage)] { get }
}
