// Batch normalization: normalize each channel by statistics of the batch (training) or running
// estimates of them (evaluation), then scale and shift by learned γ and β.
import Tensors

/// Normalizes every channel of its input, as PyTorch's `nn.BatchNorm1d` / `nn.BatchNorm2d`:
///
///     y = γ · (x − μ) / √(σ² + ε) + β
///
/// Shapes: `x` and `y` are (N, C) after a dense layer or (N, C, H, W) after a convolution — the
/// first dimension of a sample is the channel, and a channel's statistics are taken over the
/// N·H·W values of the batch that belong to it (M values; M = N after a dense layer). `weight`
/// (γ, starts at 1) and `bias` (β, starts at 0) are (C).
///
/// In training, μ and σ² are the batch's mean and (biased) variance per channel, and the running
/// estimates move towards them: `running_mean ← (1 − m)·running_mean + m·μ`,
/// `running_var ← (1 − m)·running_var + m·σ²·M/(M − 1)` (the unbiased variance, as PyTorch).
/// In evaluation, μ and σ² are `running_mean` and `running_var`, which start at 0 and 1. The
/// running statistics are buffers (`BufferStore`), not parameters: no optimizer sees them.
///
/// Backward in training (the batch statistics depend on x), with x̂ = (x − μ)/√(σ² + ε):
///
///     dβ = Σ dy,   dγ = Σ dy·x̂,   dx = γ/√(σ² + ε) · (dy − dβ/M − x̂·dγ/M)
///
/// In evaluation μ and σ² are constants and dx = γ/√(σ² + ε) · dy.
///
/// ```swift
/// let layers: [any Layer] = [Conv2D(filters: 32, kernelSize: 5), BatchNorm(), ReLU()]
/// ```
///
/// ### References
/// 1. Ioffe & Szegedy, "Batch Normalization: Accelerating Deep Network Training by Reducing
///    Internal Covariate Shift", 2015. https://arxiv.org/abs/1502.03167
public final class BatchNorm: Layer {
    /// How far the running statistics move towards each batch's, m (PyTorch's momentum).
    public let momentum: Float
    /// Added to the variance before the square root, ε.
    public let epsilon: Float

    private var store: ParameterStore?
    private var gamma: Parameter?
    private var beta: Parameter?
    private var bufferStore: BufferStore?
    private var runningMean: Parameter?
    private var runningVariance: Parameter?
    private var channels = 0                        // C
    private var spatial = 1                         // S: values per channel in one sample (H·W, or 1)
    private var trainedOnBatch = false              // whether the last forward used batch statistics
    private var mean = Tensor(zeros: [0])           // (C) μ of the last forward
    private var inverseStd = Tensor(zeros: [0])     // (C) 1/√(σ² + ε) of the last forward
    private var sumDy = Tensor(zeros: [0])          // (C) Σ dy of the last backward
    private var sumDyNormalized = Tensor(zeros: [0])  // (C) Σ dy·x̂ of the last backward
    private var dyScale = Tensor(zeros: [0])        // (C) γ/√(σ² + ε), dx's factor on dy
    private var output = Workspace()                // (N, C, S)
    private var normalized = Workspace()            // (N, C, S) x̂, kept by forward for backward
    private var savedNormalized: Tensor?
    private var inputGradient = Workspace()         // (N, C, S)

    /// Creates the layer with PyTorch's defaults.
    public init(momentum: Float = 0.1, epsilon: Float = 1e-5) {
        precondition(momentum >= 0 && momentum <= 1, "BatchNorm: momentum must be in [0, 1], got \(momentum)")
        precondition(epsilon > 0, "BatchNorm: epsilon must be > 0, got \(epsilon)")
        self.momentum = momentum
        self.epsilon = epsilon
    }

    /// The values of one channel in one sample, S (H·W after a convolution, 1 after a dense
    /// layer): a training batch of N samples has N·S values per channel and needs N·S ≥ 2.
    public var valuesPerSample: Int { spatial }

    public var summary: String { "BatchNorm(\(channels) channels)" }

    public func build(inputShape: [Int]) throws -> (outputShape: [Int], parameters: [ParameterSpec]) {
        guard let first = inputShape.first, inputShape.allSatisfy({ $0 > 0 }) else {
            throw ModelError("BatchNorm: input shape \(inputShape) is empty; it needs [features] or [channels, height, width]")
        }
        channels = first
        spatial = inputShape.dropFirst().reduce(1, *)
        (mean, inverseStd, dyScale) = (Tensor(zeros: [channels]), Tensor(zeros: [channels]), Tensor(zeros: [channels]))
        (sumDy, sumDyNormalized) = (Tensor(zeros: [channels]), Tensor(zeros: [channels]))
        return (inputShape, [
            ParameterSpec(name: "weight", shape: [channels], initializer: .constant(1), fanIn: spatial, fanOut: spatial),
            ParameterSpec(name: "bias", shape: [channels], initializer: .zeros, fanIn: spatial, fanOut: spatial),
        ])
    }

    public func bind(store: ParameterStore, parameters: [Parameter]) {
        self.store = store
        gamma = parameters[0]
        beta = parameters[1]
    }

    public var bufferSpecs: [BufferSpec] {
        [BufferSpec(name: "running_mean", shape: [channels], initialValue: 0),
         BufferSpec(name: "running_var", shape: [channels], initialValue: 1)]
    }

    public func bind(bufferStore: BufferStore, buffers: [Parameter]) {
        self.bufferStore = bufferStore
        runningMean = buffers[0]
        runningVariance = buffers[1]
    }

    // MARK: - Forward

    public func forward(_ x: Tensor, mode: Mode) -> Tensor {
        guard let store, let gamma, let beta, let bufferStore, let runningMean, let runningVariance else {
            preconditionFailure("BatchNorm.forward called before bind")
        }
        precondition(x.rowLength == channels * spatial, "BatchNorm.forward: input \(x.shape) does not hold samples of \(channels) channels × \(spatial)")
        let (n, c, s) = (x.rowCount, channels, spatial)
        let (mu, k) = (mean.pointer, inverseStd.pointer)
        let (runMean, runVar) = (bufferStore.value(runningMean).pointer, bufferStore.value(runningVariance).pointer)
        trainedOnBatch = mode == .training
        if trainedOnBatch {
            let m = n * s
            precondition(m > 1, "BatchNorm: training needs more than one value per channel, got a batch of \(n) × \(s); use batch size ≥ 2")
            channelSums(x.pointer, rows: n, channels: c, spatial: s, into: mu)                          // Σ x
            for ch in 0..<c { mu[ch] /= Float(m) }                                                       // μ
            channelSquaredDeviations(x.pointer, from: mu, rows: n, channels: c, spatial: s, into: k)   // Σ (x − μ)²
            for ch in 0..<c {
                let deviations = k[ch]
                runMean[ch] = (1 - momentum) * runMean[ch] + momentum * mu[ch]
                runVar[ch] = (1 - momentum) * runVar[ch] + momentum * (deviations / Float(m - 1))  // unbiased σ²
                k[ch] = 1 / (deviations / Float(m) + epsilon).squareRoot()                         // biased σ²
            }
        } else {
            for ch in 0..<c {
                mu[ch] = runMean[ch]
                k[ch] = 1 / (runVar[ch] + epsilon).squareRoot()
            }
        }
        let y = output.tensor(x.shape), xHat = normalized.tensor(x.shape)
        normalize(x.pointer, mean: mu, inverseStd: k, gamma: store.value(gamma).pointer, beta: store.value(beta).pointer,
                  rows: n, channels: c, spatial: s, normalized: xHat.pointer, output: y.pointer)   // x̂ = (x − μ)·k, y = γ·x̂ + β
        savedNormalized = xHat
        return y
    }

    // MARK: - Backward

    public func backward(_ dy: Tensor, progress: (any GradientProgress)?) -> Tensor {
        accumulateParameterGradients(dy, progress: progress)
        guard let store, let gamma, let xHat = savedNormalized else { preconditionFailure("BatchNorm.backward called before forward") }
        let (n, c, s) = (dy.rowCount, channels, spatial)
        let (g, k, a) = (store.value(gamma).pointer, inverseStd.pointer, dyScale.pointer)
        let (d, b) = (sumDy.pointer, sumDyNormalized.pointer)   // Σ dy and Σ dy·x̂ become d and b below
        // dx = a·dy + b·x̂ + d with a = γk, b = −a·(Σ dy·x̂)/M, d = −a·(Σ dy)/M; b = d = 0 in evaluation
        let scale: Float = trainedOnBatch ? -1 / Float(n * s) : 0
        for ch in 0..<c {
            a[ch] = g[ch] * k[ch]
            b[ch] = scale * a[ch] * b[ch]
            d[ch] = scale * a[ch] * d[ch]
        }
        let dx = inputGradient.tensor(dy.shape)
        combine(dy.pointer, scale: a, xHat.pointer, scale: b, plus: d, rows: n, channels: c, spatial: s, into: dx.pointer)
        return dx
    }

    public func accumulateParameterGradients(_ dy: Tensor, progress: (any GradientProgress)?) {
        guard let store, let gamma, let beta, let xHat = savedNormalized else { preconditionFailure("BatchNorm.backward called before forward") }
        precondition(dy.count == xHat.count, "BatchNorm.backward: gradient \(dy.shape) does not match the last input \(xHat.shape)")
        let (n, c, s) = (dy.rowCount, channels, spatial)
        channelSums(dy.pointer, rows: n, channels: c, spatial: s, into: sumDy.pointer)                           // Σ dy
        channelDots(dy.pointer, xHat.pointer, rows: n, channels: c, spatial: s, into: sumDyNormalized.pointer)  // Σ dy·x̂
        axpy(count: c, alpha: 1, x: sumDyNormalized.pointer, y: store.gradient(gamma).pointer)                   // dγ += Σ dy·x̂
        axpy(count: c, alpha: 1, x: sumDy.pointer, y: store.gradient(beta).pointer)                              // dβ += Σ dy
    }
}

// MARK: - Kernels
//
// x is (N, C, S) row-major and per-channel values are (C). With S = 1 (after a dense layer) the
// values of one channel are C apart, so the loops run over rows with the channels as the inner,
// vectorized dimension; with S > 1 every (n, c) block of S values is contiguous, and sums over a
// block use 16 SIMD lanes (Swift does not reorder a scalar float sum, platform.md §4).

/// sums[c] = Σ x over channel c.
private func channelSums(_ x: UnsafePointer<Float>, rows: Int, channels: Int, spatial: Int, into sums: UnsafeMutablePointer<Float>) {
    sums.update(repeating: 0, count: channels)
    for row in 0..<rows {
        let xr = x + row * channels * spatial
        if spatial == 1 {
            for c in 0..<channels { sums[c] += xr[c] }
        } else {
            for c in 0..<channels { sums[c] += blockSum(xr + c * spatial, count: spatial) }
        }
    }
}

/// sums[c] = Σ (x − mean[c])² over channel c.
private func channelSquaredDeviations(_ x: UnsafePointer<Float>, from mean: UnsafePointer<Float>, rows: Int, channels: Int,
                                      spatial: Int, into sums: UnsafeMutablePointer<Float>) {
    sums.update(repeating: 0, count: channels)
    for row in 0..<rows {
        let xr = x + row * channels * spatial
        if spatial == 1 {
            for c in 0..<channels { sums[c] += (xr[c] - mean[c]) * (xr[c] - mean[c]) }
        } else {
            for c in 0..<channels { sums[c] += blockSquaredDeviations(xr + c * spatial, from: mean[c], count: spatial) }
        }
    }
}

/// sums[c] = Σ x·z over channel c.
private func channelDots(_ x: UnsafePointer<Float>, _ z: UnsafePointer<Float>, rows: Int, channels: Int, spatial: Int,
                         into sums: UnsafeMutablePointer<Float>) {
    sums.update(repeating: 0, count: channels)
    for row in 0..<rows {
        let (xr, zr) = (x + row * channels * spatial, z + row * channels * spatial)
        if spatial == 1 {
            for c in 0..<channels { sums[c] += xr[c] * zr[c] }
        } else {
            for c in 0..<channels { sums[c] += blockDot(xr + c * spatial, zr + c * spatial, count: spatial) }
        }
    }
}

/// x̂ = (x − mean[c])·inverseStd[c] and y = gamma[c]·x̂ + beta[c], element by element.
private func normalize(_ x: UnsafePointer<Float>, mean: UnsafePointer<Float>, inverseStd: UnsafePointer<Float>,
                       gamma: UnsafePointer<Float>, beta: UnsafePointer<Float>, rows: Int, channels: Int, spatial: Int,
                       normalized: UnsafeMutablePointer<Float>, output: UnsafeMutablePointer<Float>) {
    for row in 0..<rows {
        let offset = row * channels * spatial
        let (xr, hr, yr) = (x + offset, normalized + offset, output + offset)
        if spatial == 1 {
            for c in 0..<channels {
                let h = (xr[c] - mean[c]) * inverseStd[c]
                hr[c] = h
                yr[c] = gamma[c] * h + beta[c]
            }
        } else {
            for c in 0..<channels {
                let (mu, k, g, b) = (mean[c], inverseStd[c], gamma[c], beta[c])
                let (xs, hs, ys) = (xr + c * spatial, hr + c * spatial, yr + c * spatial)
                for i in 0..<spatial {
                    let h = (xs[i] - mu) * k
                    hs[i] = h
                    ys[i] = g * h + b
                }
            }
        }
    }
}

/// out = a[c]·x + b[c]·z + d[c], element by element.
private func combine(_ x: UnsafePointer<Float>, scale a: UnsafePointer<Float>, _ z: UnsafePointer<Float>, scale b: UnsafePointer<Float>,
                     plus d: UnsafePointer<Float>, rows: Int, channels: Int, spatial: Int, into out: UnsafeMutablePointer<Float>) {
    for row in 0..<rows {
        let offset = row * channels * spatial
        let (xr, zr, outRow) = (x + offset, z + offset, out + offset)
        if spatial == 1 {
            for c in 0..<channels { outRow[c] = a[c] * xr[c] + b[c] * zr[c] + d[c] }
        } else {
            for c in 0..<channels {
                let (ac, bc, dc) = (a[c], b[c], d[c])
                let (xs, zs, os) = (xr + c * spatial, zr + c * spatial, outRow + c * spatial)
                for i in 0..<spatial { os[i] = ac * xs[i] + bc * zs[i] + dc }
            }
        }
    }
}

@inline(__always)
private func load16(_ p: UnsafePointer<Float>) -> SIMD16<Float> {
    UnsafeRawPointer(p).loadUnaligned(as: SIMD16<Float>.self)
}

/// Σ p[i] over `count` contiguous values.
@inline(__always)
private func blockSum(_ p: UnsafePointer<Float>, count: Int) -> Float {
    var lanes = SIMD16<Float>(repeating: 0), i = 0
    while i + 16 <= count { lanes += load16(p + i); i += 16 }
    var total = lanes.sum()
    while i < count { total += p[i]; i += 1 }
    return total
}

/// Σ (p[i] − mean)² over `count` contiguous values.
@inline(__always)
private func blockSquaredDeviations(_ p: UnsafePointer<Float>, from mean: Float, count: Int) -> Float {
    var lanes = SIMD16<Float>(repeating: 0), i = 0
    let mu = SIMD16<Float>(repeating: mean)
    while i + 16 <= count { let d = load16(p + i) - mu; lanes += d * d; i += 16 }
    var total = lanes.sum()
    while i < count { total += (p[i] - mean) * (p[i] - mean); i += 1 }
    return total
}

/// Σ p[i]·q[i] over `count` contiguous values.
@inline(__always)
private func blockDot(_ p: UnsafePointer<Float>, _ q: UnsafePointer<Float>, count: Int) -> Float {
    var lanes = SIMD16<Float>(repeating: 0), i = 0
    while i + 16 <= count { lanes += load16(p + i) * load16(q + i); i += 16 }
    var total = lanes.sum()
    while i < count { total += p[i] * q[i]; i += 1 }
    return total
}
