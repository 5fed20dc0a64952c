// 2-D max pooling over square windows, with the argmax kept for backward.
import Tensors

/// Takes the maximum of each `poolSize` × `poolSize` window, channel by channel:
///
///     y[n, c, oh, ow] = max_{i,j < k} x[n, c, oh·s + i, ow·s + j]
///
/// Shapes (NCHW): `x` is (N, C, H, W), `y` is (N, C, Ho, Wo) with `Ho = ⌊(H − k)/s⌋ + 1`
/// (likewise Wo); no padding. The stride s defaults to the pool size k. Forward keeps the flat
/// input index of each window's maximum (the first one on ties); backward routes each output
/// gradient to that element only, `dx[argmax(n, c, oh, ow)] += dy[n, c, oh, ow]`, as PyTorch's
/// `nn.MaxPool2d` does.
///
/// ### References
/// 1. Ranzato, Huang, Boureau & LeCun, "Unsupervised Learning of Invariant Feature Hierarchies
///    with Applications to Object Recognition", 2007.
public final class MaxPool2D: Layer {
    /// The window side k.
    public let poolSize: Int
    /// The step between windows s.
    public let stride: Int

    private var geometry = ConvGeometry(channels: 0, height: 0, width: 0, kernel: 1)
    private var batchSize = 0
    private var argmax: [Int] = []                 // (N, C, Ho, Wo) flat input indices, kept by forward
    private var output = Workspace()               // (N, C, Ho, Wo)
    private var inputGradient = Workspace()        // (N, C, H, W)

    /// Creates a pooling layer; `stride` defaults to `poolSize` (non-overlapping windows).
    public init(poolSize: Int, stride: Int? = nil) {
        precondition(poolSize > 0, "MaxPool2D: poolSize must be > 0, got \(poolSize)")
        precondition((stride ?? poolSize) > 0, "MaxPool2D: stride must be > 0, got \(stride ?? poolSize)")
        self.poolSize = poolSize
        self.stride = stride ?? poolSize
    }

    public var summary: String { "MaxPool2D(\(poolSize)×\(poolSize), stride \(stride))" }

    public func build(inputShape: [Int]) throws -> (outputShape: [Int], parameters: [ParameterSpec]) {
        geometry = try poolingGeometry("MaxPool2D", poolSize: poolSize, stride: stride, inputShape: inputShape)
        return ([geometry.channels, geometry.outputHeight, geometry.outputWidth], [])
    }

    // MARK: - Forward

    public func forward(_ x: Tensor, mode: Mode) -> Tensor {
        let g = geometry
        precondition(x.rowLength == g.imageCount, "MaxPool2D.forward: input \(x.shape) does not hold [\(g.channels), \(g.height), \(g.width)] samples")
        let n = x.rowCount
        batchSize = n
        let (h, w, k, s, ho, wo) = (g.height, g.width, poolSize, stride, g.outputHeight, g.outputWidth)
        let y = output.tensor(n, g.channels, ho, wo)
        if argmax.count < y.count { argmax = Array(repeating: 0, count: y.count) }
        let (source, target) = (x.pointer, y.pointer)
        argmax.withUnsafeMutableBufferPointer { indices in
            let best = indices.baseAddress!
            for plane in 0..<(n * g.channels) {
                let inBase = plane * h * w, outBase = plane * ho * wo
                for oh in 0..<ho {
                    if k == 2 && s == 2 {                           // the common case, unrolled
                        maxPool2x2Row(source, rows: inBase + 2 * oh * w, width: w, count: wo,
                                      into: target + outBase + oh * wo, indices: best + outBase + oh * wo)
                        continue
                    }
                    for ow in 0..<wo {
                        var bestIndex = inBase + oh * s * w + ow * s
                        var bestValue = source[bestIndex]
                        for i in 0..<k {
                            let row = inBase + (oh * s + i) * w + ow * s
                            for j in 0..<k where source[row + j] > bestValue {
                                bestValue = source[row + j]
                                bestIndex = row + j
                            }
                        }
                        target[outBase + oh * wo + ow] = bestValue
                        best[outBase + oh * wo + ow] = bestIndex
                    }
                }
            }
        }
        return y
    }

    // MARK: - Backward

    public func backward(_ dy: Tensor, progress: (any GradientProgress)?) -> Tensor {
        let g = geometry
        let dx = inputGradient.tensor(batchSize, g.channels, g.height, g.width)
        let outputCount = batchSize * g.channels * g.outputHeight * g.outputWidth
        precondition(dy.count == outputCount, "MaxPool2D.backward: gradient \(dy.shape) does not match the last output")
        dx.fill(0)
        let (upstream, target) = (dy.pointer, dx.pointer)
        argmax.withUnsafeBufferPointer { indices in
            let best = indices.baseAddress!
            for i in 0..<outputCount { target[best[i]] += upstream[i] }   // dx[argmax] += dy
        }
        return dx
    }
}

/// One output row of 2×2, stride-2 max pooling: the windows whose top-left corners are
/// `rows + 2·ow` (ow < count) and the row below; the same maxima and first-on-ties indices as the
/// general loop, with the comparisons written out.
@inline(__always)
private func maxPool2x2Row(_ source: UnsafePointer<Float>, rows top: Int, width: Int, count: Int,
                           into target: UnsafeMutablePointer<Float>, indices: UnsafeMutablePointer<Int>) {
    for ow in 0..<count {
        let a = top + 2 * ow, c = a + width
        var bestIndex = a, bestValue = source[a]
        if source[a + 1] > bestValue { bestIndex = a + 1; bestValue = source[a + 1] }
        if source[c] > bestValue { bestIndex = c; bestValue = source[c] }
        if source[c + 1] > bestValue { bestIndex = c + 1; bestValue = source[c + 1] }
        target[ow] = bestValue
        indices[ow] = bestIndex
    }
}

/// Checks a pooling layer's input shape and returns its window geometry (no padding).
func poolingGeometry(_ layer: String, poolSize: Int, stride: Int, inputShape: [Int]) throws -> ConvGeometry {
    let name = "\(layer)(poolSize: \(poolSize), stride: \(stride))"
    guard inputShape.count == 3, inputShape.allSatisfy({ $0 > 0 }) else {
        throw ModelError("\(name): input shape \(inputShape) is not [channels, height, width]")
    }
    let g = ConvGeometry(channels: inputShape[0], height: inputShape[1], width: inputShape[2],
                         kernel: poolSize, stride: stride, padding: 0)
    guard g.isValid else {
        throw ModelError("\(name): window \(poolSize)×\(poolSize) does not fit input shape \(inputShape)")
    }
    return g
}
