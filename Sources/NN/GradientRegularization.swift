// What the training loop does to the averaged gradients before the optimizer step: L1 penalty,
// clipping by value and by global norm (torch.nn.utils.clip_grad_norm_/clip_grad_value_,
// Keras clipnorm/clipvalue). All act on the flat gradient buffer, identically on every rank.
import Tensors

extension ParameterStore {
    /// Adds the L1 penalty's gradient, λ·sign(p), to the gradients of every weight (parameters
    /// named `*.weight`, `*.weight_ih`, `*.weight_hh`; biases are not penalized, as in Keras'
    /// kernel regularizers).
    public func addL1Gradient(_ lambda: Float) {
        guard lambda > 0 else { return }
        for parameter in weights {   // chosen once, when the store was made: no allocation per step
            let p = values.buffer.baseAddress! + parameter.offset
            let g = gradients.buffer.baseAddress! + parameter.offset
            for i in 0..<parameter.count {
                let value = p[i]
                g[i] += value > 0 ? lambda : (value < 0 ? -lambda : 0)
            }
        }
    }

    /// Clamps every gradient to [−limit, limit].
    public func clipGradientValues(to limit: Float) {
        precondition(limit > 0, "clipGradientValues: limit must be > 0, got \(limit)")
        let g = gradients.buffer.baseAddress!
        for i in 0..<count { g[i] = min(max(g[i], -limit), limit) }
    }

    /// Scales all gradients so that their global L2 norm is at most `maxNorm`; returns the norm
    /// before clipping.
    @discardableResult
    public func clipGradientNorm(to maxNorm: Float) -> Float {
        precondition(maxNorm > 0, "clipGradientNorm: maxNorm must be > 0, got \(maxNorm)")
        let norm = gradientNorm()
        if norm > maxNorm, norm.isFinite {
            scale(count: count, alpha: maxNorm / norm, x: gradients.buffer.baseAddress!)
        }
        return norm
    }
}
