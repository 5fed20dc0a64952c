// 2-D average pooling over square windows.
import Tensors

/// Averages each `poolSize` × `poolSize` window, channel by channel:
///
///     y[n, c, oh, ow] = (1/k²) Σ_{i,j < k} x[n, c, oh·s + i, ow·s + j]
///
/// Shapes (NCHW): `x` is (N, C, H, W), `y` is (N, C, Ho, Wo) with `Ho = ⌊(H − k)/s⌋ + 1`
/// (likewise Wo); no padding. The stride s defaults to the pool size k. Backward spreads each
/// output gradient evenly over its window, `dx[n, c, oh·s + i, ow·s + j] += dy[n, c, oh, ow] / k²`,
/// as PyTorch's `nn.AvgPool2d` does.
///
/// ### References
/// 1. LeCun, Bottou, Bengio & Haffner, "Gradient-Based Learning Applied to Document
///    Recognition", 1998 (subsampling layers).
public final class AvgPool2D: Layer {
    /// The window side k.
    public let poolSize: Int
    /// The step between windows s.
    public let stride: Int

    private var geometry = ConvGeometry(channels: 0, height: 0, width: 0, kernel: 1)
    private var batchSize = 0
    private var output = Workspace()               // (N, C, Ho, Wo)
    private var inputGradient = Workspace()        // (N, C, H, W)

    /// Creates a pooling layer; `stride` defaults to `poolSize` (non-overlapping windows).
    public init(poolSize: Int, stride: Int? = nil) {
        precondition(poolSize > 0, "AvgPool2D: poolSize must be > 0, got \(poolSize)")
        precondition((stride ?? poolSize) > 0, "AvgPool2D: stride must be > 0, got \(stride ?? poolSize)")
        self.poolSize = poolSize
        self.stride = stride ?? poolSize
    }

    public var summary: String { "AvgPool2D(\(poolSize)×\(poolSize), stride \(stride))" }

    public func build(inputShape: [Int]) throws -> (outputShape: [Int], parameters: [ParameterSpec]) {
        geometry = try poolingGeometry("AvgPool2D", poolSize: poolSize, stride: stride, inputShape: inputShape)
        return ([geometry.channels, geometry.outputHeight, geometry.outputWidth], [])
    }

    // MARK: - Forward

    public func forward(_ x: Tensor, mode: Mode) -> Tensor {
        let g = geometry
        precondition(x.rowLength == g.imageCount, "AvgPool2D.forward: input \(x.shape) does not hold [\(g.channels), \(g.height), \(g.width)] samples")
        let n = x.rowCount
        batchSize = n
        let (h, w, k, s, ho, wo) = (g.height, g.width, poolSize, stride, g.outputHeight, g.outputWidth)
        let y = output.tensor(n, g.channels, ho, wo)
        let scale = 1 / Float(k * k)
        let (source, target) = (x.pointer, y.pointer)
        for plane in 0..<(n * g.channels) {
            let input = source + plane * h * w, out = target + plane * ho * wo
            for oh in 0..<ho {
                for ow in 0..<wo {
                    var sum: Float = 0
                    for i in 0..<k {
                        let row = input + (oh * s + i) * w + ow * s
                        for j in 0..<k { sum += row[j] }
                    }
                    out[oh * wo + ow] = sum * scale
                }
            }
        }
        return y
    }

    // MARK: - Backward

    public func backward(_ dy: Tensor, progress: (any GradientProgress)?) -> Tensor {
        let g = geometry
        let (h, w, k, s, ho, wo) = (g.height, g.width, poolSize, stride, g.outputHeight, g.outputWidth)
        precondition(dy.count == batchSize * g.channels * ho * wo, "AvgPool2D.backward: gradient \(dy.shape) does not match the last output")
        let dx = inputGradient.tensor(batchSize, g.channels, h, w)
        dx.fill(0)
        let scale = 1 / Float(k * k)
        let (upstream, target) = (dy.pointer, dx.pointer)
        for plane in 0..<(batchSize * g.channels) {
            let gradient = target + plane * h * w, incoming = upstream + plane * ho * wo
            for oh in 0..<ho {
                for ow in 0..<wo {
                    let share = incoming[oh * wo + ow] * scale              // dy / k²
                    for i in 0..<k {
                        let row = gradient + (oh * s + i) * w + ow * s
                        for j in 0..<k { row[j] += share }
                    }
                }
            }
        }
        return dx
    }
}
