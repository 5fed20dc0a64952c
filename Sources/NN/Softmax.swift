// Softmax over the last dimension as a layer, forward and backward (for models that output
// probabilities; a classifier trained with softmax_cross_entropy ends in logits instead, because
// the loss fuses the softmax).
import Tensors

/// Applies yᵢ = e^(xᵢ − max x) / Σⱼ e^(xⱼ − max x) to every row of the last dimension;
/// dx = y ⊙ (dy − ⟨dy, y⟩) per row, computed from the saved output. 16 lanes at a time, with the
/// vector exp of `Tensors.exponential(ofNonPositive:)` instead of libm's expf (within 2 ulp).
///
/// ### References
/// 1. Goodfellow, Bengio & Courville, *Deep Learning*, 2016, §6.2.2.3 (softmax units).
public final class Softmax: Layer {
    private var output = Workspace()
    private var saved: Tensor?                 // y, kept by forward
    private var inputGradient = Workspace()

    /// Creates the activation.
    public init() {}

    public var summary: String { "Softmax" }

    public func build(inputShape: [Int]) throws -> (outputShape: [Int], parameters: [ParameterSpec]) {
        guard let last = inputShape.last, last >= 1 else { throw ModelError("Softmax needs inputs with a last dimension, got \(inputShape)") }
        return (inputShape, [])
    }

    // MARK: - Forward

    public func forward(_ x: Tensor, mode: Mode) -> Tensor {
        let y = output.tensor(x.shape)
        let k = x.shape.last ?? 1
        let (source, target) = (x.pointer, y.pointer)
        for row in 0..<(x.count / k) { softmax(source + row * k, into: target + row * k, count: k) }
        saved = y
        return y
    }

    // MARK: - Backward

    public func backward(_ dy: Tensor, progress: (any GradientProgress)?) -> Tensor {
        guard let y = saved else { preconditionFailure("Softmax.backward called before forward") }
        let dx = inputGradient.tensor(y.shape)
        let k = y.shape.last ?? 1
        for row in 0..<(y.count / k) {
            let (p, g, out) = (y.pointer + row * k, dy.pointer + row * k, dx.pointer + row * k)
            var partial = SIMD16<Float>()                                      // ⟨dy, y⟩ in 16 partial sums
            forEachVector(count: k) { j, lanes in
                partial += loadVector(g, at: j, lanes: lanes) * loadVector(p, at: j, lanes: lanes)   // padding adds 0
            }
            let dot = partial.sum()
            forEachVector(count: k) { j, lanes in
                storeVector(loadVector(p, at: j, lanes: lanes) * (loadVector(g, at: j, lanes: lanes) - dot), out, at: j, lanes: lanes)
            }
        }
        return dx
    }
}

/// p = softmax(z) over `count` elements, 16 lanes at a time with the vector exp of
/// `Tensors.exponential(ofNonPositive:)` (within 2 ulp of expf).
private func softmax(_ z: UnsafePointer<Float>, into p: UnsafeMutablePointer<Float>, count k: Int) {
    var largest = SIMD16<Float>(repeating: z[0])
    forEachVector(count: k) { j, lanes in                                   // padding lanes hold z[0]: no effect
        let v = loadVector(z, at: j, lanes: lanes).replacing(with: z[0], where: .!laneMask(lanes))
        largest = largest.replacing(with: v, where: v .> largest)
    }
    let maximum = largest.max()
    var sums = SIMD16<Float>()
    forEachVector(count: k) { j, lanes in
        let e = exponential(ofNonPositive: loadVector(z, at: j, lanes: lanes) - maximum)   // ≤ 1: never overflows
        storeVector(e, p, at: j, lanes: lanes)
        sums += e.replacing(with: 0, where: .!laneMask(lanes))
    }
    let sum = sums.sum()
    let inverse = 1 / sum
    forEachVector(count: k) { j, lanes in storeVector(loadVector(p, at: j, lanes: lanes) * inverse, p, at: j, lanes: lanes) }
}
