// Inverted dropout: in training, zero each activation with probability `rate` and scale the
// survivors by 1/(1 − rate); in evaluation, the identity.
import Tensors

/// Randomly zeroes activations during training (inverted dropout).
///
/// y = x·m/(1−p) with m ~ Bernoulli(1−p) drawn per element and per forward pass; backward
/// applies the same mask: dx = dy·m/(1−p). The mask stream comes from `reseed(_:)`, which the
/// trainer calls with a generator keyed by (seed, rank, layer), so runs are reproducible.
///
/// ### References
/// 1. Srivastava et al., "Dropout: A Simple Way to Prevent Neural Networks from Overfitting", 2014.
public final class Dropout: Layer {
    /// The probability p of zeroing an activation.
    public let rate: Float
    private var generator = Generator(seed: 0, keys: [0x6472_6f70])
    private var output = Workspace()
    private var mask = Workspace()                 // m/(1−p), kept by forward for backward
    private var savedMask: Tensor?
    private var inputGradient = Workspace()

    /// Creates the layer; `rate` in [0, 1).
    public init(rate: Float) {
        precondition(rate >= 0 && rate < 1, "Dropout: rate must be in [0, 1), got \(rate)")
        self.rate = rate
    }

    public var summary: String { "Dropout(\(rate))" }

    public func build(inputShape: [Int]) throws -> (outputShape: [Int], parameters: [ParameterSpec]) {
        (inputShape, [])
    }

    public func reseed(_ generator: Generator) {
        self.generator = generator
    }

    // MARK: - Forward

    public func forward(_ x: Tensor, mode: Mode) -> Tensor {
        guard mode == .training, rate > 0 else {
            savedMask = nil
            return x
        }
        let y = output.tensor(x.shape), m = mask.tensor(x.shape)
        let keep = 1 - rate, scale = 1 / (1 - rate)
        let (source, target, weights) = (x.pointer, y.pointer, m.pointer)
        var stream = generator   // a local copy: per-element access to a class property is slow
        for i in 0..<x.count {
            weights[i] = stream.nextUnitFloat() < keep ? scale : 0
            target[i] = source[i] * weights[i]
        }
        generator = stream
        savedMask = m
        return y
    }

    // MARK: - Backward

    public func backward(_ dy: Tensor, progress: (any GradientProgress)?) -> Tensor {
        guard let m = savedMask else { return dy }   // evaluation mode or rate 0: the identity
        let dx = inputGradient.tensor(dy.shape)
        let (upstream, weights, target) = (dy.pointer, m.pointer, dx.pointer)
        for i in 0..<dy.count { target[i] = upstream[i] * weights[i] }
        return dx
    }
}
