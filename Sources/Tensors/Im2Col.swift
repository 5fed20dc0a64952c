// im2col / col2im: the rearrangements that turn a 2-D convolution into one matrix product.

/// The sizes of one 2-D convolution or pooling window sweep over a (C, H, W) image.
///
/// With kernel k, stride s and zero padding p, the output extent is
/// `Ho = (H + 2p − k) / s + 1` and `Wo = (W + 2p − k) / s + 1` (floor division), as in
/// PyTorch's `nn.Conv2d` with dilation 1.
public struct ConvGeometry: Sendable, Equatable {
    /// Input channels C.
    public let channels: Int
    /// Input height H.
    public let height: Int
    /// Input width W.
    public let width: Int
    /// Square kernel size k.
    public let kernel: Int
    /// Step between windows s.
    public let stride: Int
    /// Zeros added on every side p.
    public let padding: Int

    /// Creates a geometry; check `isValid` before use.
    public init(channels: Int, height: Int, width: Int, kernel: Int, stride: Int = 1, padding: Int = 0) {
        self.channels = channels
        self.height = height
        self.width = width
        self.kernel = kernel
        self.stride = stride
        self.padding = padding
    }

    /// Ho = ⌊(H + 2p − k) / s⌋ + 1 (≤ 0 when the kernel does not fit).
    public var outputHeight: Int { (height + 2 * padding - kernel) >= 0 ? (height + 2 * padding - kernel) / stride + 1 : 0 }
    /// Wo = ⌊(W + 2p − k) / s⌋ + 1 (≤ 0 when the kernel does not fit).
    public var outputWidth: Int { (width + 2 * padding - kernel) >= 0 ? (width + 2 * padding - kernel) / stride + 1 : 0 }
    /// Rows of the column matrix, C·k·k.
    public var columnRows: Int { channels * kernel * kernel }
    /// Columns of the column matrix, Ho·Wo.
    public var columnCount: Int { outputHeight * outputWidth }
    /// Elements of one input image, C·H·W.
    public var imageCount: Int { channels * height * width }

    /// Whether every size is positive and the output is at least 1×1.
    public var isValid: Bool {
        channels > 0 && height > 0 && width > 0 && kernel > 0 && stride > 0 && padding >= 0
            && outputHeight >= 1 && outputWidth >= 1
    }
}

/// Lowers one (C, H, W) image into its (C·k·k, Ho·Wo) column matrix, row-major.
///
/// `columns[(c·k + i)·k + j, oh·Wo + ow] = image[c, oh·s − p + i, ow·s − p + j]`, zero where
/// that index falls in the padding. Row order matches a PyTorch (F, C, k, k) weight flattened to
/// (F, C·k·k), so the convolution is `W · columns`.
///
/// Reference: Chellapilla, Puri & Simard, "High Performance Convolutional Neural Networks for
/// Document Processing", 2006.
public func im2col(_ image: UnsafePointer<Float>, geometry g: ConvGeometry, into columns: UnsafeMutablePointer<Float>) {
    let (h, w, k, s, p) = (g.height, g.width, g.kernel, g.stride, g.padding)
    let (ho, wo) = (g.outputHeight, g.outputWidth)
    var row = columns
    for c in 0..<g.channels {
        let plane = image + c * h * w
        for i in 0..<k {
            for j in 0..<k {
                let (first, end) = validOutputColumns(g, kernelColumn: j)  // iw in 0..<W exactly for ow in first..<end
                for oh in 0..<ho {
                    let ih = oh * s - p + i
                    let target = row + oh * wo
                    if ih < 0 || ih >= h || first >= end {
                        target.update(repeating: 0, count: wo)
                        continue
                    }
                    let source = plane + ih * w, shift = j - p         // image[c, ih, ow·s − p + j]
                    if first > 0 { target.update(repeating: 0, count: first) }
                    if s == 1 {
                        (target + first).update(from: source + (first + shift), count: end - first)
                    } else {
                        for ow in first..<end { target[ow] = source[ow * s + shift] }
                    }
                    if end < wo { (target + end).update(repeating: 0, count: wo - end) }
                }
                row += ho * wo
            }
        }
    }
}

/// The output columns ow whose input column ow·s − p + j lies inside 0..<W, as first..<end.
@inline(__always)
private func validOutputColumns(_ g: ConvGeometry, kernelColumn j: Int) -> (first: Int, end: Int) {
    let (s, p, wo) = (g.stride, g.padding, g.outputWidth)
    let low = p - j                                   // need ow·s ≥ p − j
    let first = low <= 0 ? 0 : (low + s - 1) / s
    let high = g.width + p - j - 1                    // need ow·s ≤ W + p − j − 1
    let end = high < 0 ? 0 : min(wo, high / s + 1)
    return (min(first, wo), max(end, min(first, wo)))
}

/// The adjoint of `im2col`: adds every element of the (C·k·k, Ho·Wo) column matrix back into
/// the image position it was read from (entries that came from padding are dropped).
///
/// `image` is accumulated into, not overwritten; zero it first for a plain col2im.
public func col2im(_ columns: UnsafePointer<Float>, geometry g: ConvGeometry, addingInto image: UnsafeMutablePointer<Float>) {
    let (h, w, k, s, p) = (g.height, g.width, g.kernel, g.stride, g.padding)
    let (ho, wo) = (g.outputHeight, g.outputWidth)
    var row = columns
    for c in 0..<g.channels {
        let plane = image + c * h * w
        for i in 0..<k {
            for j in 0..<k {
                let (first, end) = validOutputColumns(g, kernelColumn: j)
                for oh in 0..<ho where first < end {
                    let ih = oh * s - p + i
                    if ih < 0 || ih >= h { continue }
                    let source = row + oh * wo
                    let target = plane + ih * w, shift = j - p         // image[c, ih, ow·s − p + j]
                    for ow in first..<end { target[ow * s + shift] += source[ow] }
                }
                row += ho * wo
            }
        }
    }
}
