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
    private var winners: [UInt8] = []              // 2×2 tiles: (N, C, Ho, Wo), which of the window's 4 elements won

    /// Whether the windows tile every plane exactly: 2×2, stride 2, even height and width (the
    /// CNN's pooling). Forward then keeps one byte per window instead of a flat index, and
    /// backward writes every input gradient once, in order, with no zero fill and no scatter.
    private var tiles2x2: Bool {
        poolSize == 2 && stride == 2 && geometry.height % 2 == 0 && geometry.width % 2 == 0
    }
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
        let (source, target) = (x.pointer, y.pointer)
        if tiles2x2 {
            if winners.count < y.count { winners = Array(repeating: 0, count: y.count) }
            winners.withUnsafeMutableBufferPointer { codes in
                // output row r of every plane reads input rows 2r and 2r + 1, which follow each other
                for row in 0..<(n * g.channels * ho) {
                    maxPool2x2Row(source + 2 * row * w, width: w, into: target + row * wo, winners: codes.baseAddress! + row * wo)
                }
            }
            return y
        }
        if argmax.count < y.count { argmax = Array(repeating: 0, count: y.count) }
        argmax.withUnsafeMutableBufferPointer { indices in
            let best = indices.baseAddress!
            for plane in 0..<(n * g.channels) {
                let inBase = plane * h * w, outBase = plane * ho * wo
                for oh in 0..<ho {
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
        let (upstream, target) = (dy.pointer, dx.pointer)
        if tiles2x2 {
            let (w, wo) = (g.width, g.outputWidth)
            winners.withUnsafeBufferPointer { codes in
                for row in 0..<(batchSize * g.channels * g.outputHeight) {
                    maxPool2x2RowBackward(upstream + row * wo, winners: codes.baseAddress! + row * wo, width: w,
                                          into: target + 2 * row * w)
                }
            }
            return dx
        }
        dx.fill(0)
        argmax.withUnsafeBufferPointer { indices in
            let best = indices.baseAddress!
            for i in 0..<outputCount { target[best[i]] += upstream[i] }   // dx[argmax] += dy
        }
        return dx
    }
}

/// One output row of 2×2, stride-2 max pooling: the windows `top[2·ow…2·ow + 1]` and the same
/// two elements of the row below (`top + width`), ow < width / 2. Each window's maximum goes to
/// `target[ow]` and its position to `winners[ow]` (0, 1: top left, right; 2, 3: bottom left,
/// right), taken by strict `>` in that order as the general loop does: the first on ties, and a
/// NaN wins only in the first position. Four windows per SIMD step, with selects, no branches.
@inline(__always)
private func maxPool2x2Row(_ top: UnsafePointer<Float>, width: Int, into target: UnsafeMutablePointer<Float>,
                           winners: UnsafeMutablePointer<UInt8>) {
    let bottom = top + width, count = width / 2
    var ow = 0
    while ow + 4 <= count {
        let upper = UnsafeRawPointer(top + 2 * ow).loadUnaligned(as: SIMD8<Float>.self)
        let lower = UnsafeRawPointer(bottom + 2 * ow).loadUnaligned(as: SIMD8<Float>.self)
        let candidates = [SIMD4(upper[1], upper[3], upper[5], upper[7]), SIMD4(lower[0], lower[2], lower[4], lower[6]),
                          SIMD4(lower[1], lower[3], lower[5], lower[7])]
        var best = SIMD4(upper[0], upper[2], upper[4], upper[6])
        var winner = SIMD4<Int32>(repeating: 0)
        for (position, candidate) in candidates.enumerated() {
            let wins = candidate .> best
            best.replace(with: candidate, where: wins)
            winner.replace(with: Int32(position + 1), where: wins)
        }
        UnsafeMutableRawPointer(target + ow).storeBytes(of: best, as: SIMD4<Float>.self)
        UnsafeMutableRawPointer(winners + ow).storeBytes(of: SIMD4<UInt8>(truncatingIfNeeded: winner), as: SIMD4<UInt8>.self)
        ow += 4
    }
    while ow < count {
        let a = 2 * ow
        var best = top[a], winner: UInt8 = 0
        if top[a + 1] > best { best = top[a + 1]; winner = 1 }
        if bottom[a] > best { best = bottom[a]; winner = 2 }
        if bottom[a + 1] > best { best = bottom[a + 1]; winner = 3 }
        target[ow] = best
        winners[ow] = winner
        ow += 1
    }
}

/// Backward of one `maxPool2x2Row`: writes the two input rows at `target` and `target + width`
/// whole, each window's upstream gradient at its winner and 0 at the other three. The gradient
/// is written as `0 + dy`, the value the general path's `dx = 0; dx[argmax] += dy` gives (−0
/// becomes +0), so both paths give the same bits.
@inline(__always)
private func maxPool2x2RowBackward(_ upstream: UnsafePointer<Float>, winners: UnsafePointer<UInt8>, width: Int,
                                   into target: UnsafeMutablePointer<Float>) {
    let bottom = target + width
    for ow in 0..<width / 2 {
        let gradient = 0 + upstream[ow], winner = winners[ow], a = 2 * ow
        target[a] = winner == 0 ? gradient : 0
        target[a + 1] = winner == 1 ? gradient : 0
        bottom[a] = winner == 2 ? gradient : 0
        bottom[a + 1] = winner == 3 ? gradient : 0
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
