// im2col and col2im for one convolution's geometry, fast for stride 1: through a zero-padded copy
// of the image, every row of the column matrix becomes a plain strided copy, and the adjoint a
// plain strided add, with no bounds to check. Same results bit for bit as `im2col` / `col2im`.

/// The lowering of one (C, H, W) image to its column matrix and back, for a fixed geometry.
///
/// `im2col(_:into:)` gives the same matrix as the free function `im2col`, and
/// `col2im(_:into:)` the same image as the free function `col2im` adding into zeros, bit for bit
/// (the same additions in the same order). With stride 1 (most convolutions) it works through a
/// zero-padded copy of one image, (C, H + 2p, W + 2p), that it owns:
///
/// - `im2col`: each row `(c, i, j)` of the matrix is `Ho` runs of `Wo` elements read from padded
///   rows `oh + i`, columns `j ..< j + Wo`. They are copied 16 floats at a time, ignoring the
///   end of the run: the extra floats land on the next run, which overwrites them.
/// - `col2im`: each run is added into the padded gradient 16 floats at a time; the lanes past
///   the run are stored back unchanged. The interior is then copied out.
///
/// A row of the matrix holds `Wo` elements, so the generic functions made one `memmove` call
/// (and bounds arithmetic) per 14 floats in the Fashion-MNIST CNN; measured in
/// docs/performance.md ("im2col and col2im").
///
/// The padded copy is allocated once, here; the methods allocate nothing. Not thread-safe: one
/// lowering per layer.
public final class ConvLowering: @unchecked Sendable {
    /// The geometry every call uses.
    public let geometry: ConvGeometry
    private let padded: TensorStorage?          // (C, H + 2p, W + 2p) + slack; nil for stride > 1
    private let paddedHeight: Int, paddedWidth: Int

    /// Floats past the padded image that a 16-wide load or store of its last run may touch.
    private static let slack = 16

    /// A lowering for `geometry`, which must be valid.
    public init(geometry: ConvGeometry) {
        precondition(geometry.isValid, "ConvLowering: invalid geometry \(geometry)")
        self.geometry = geometry
        paddedHeight = geometry.height + 2 * geometry.padding
        paddedWidth = geometry.width + 2 * geometry.padding
        padded = geometry.stride == 1
            ? TensorStorage(count: geometry.channels * paddedHeight * paddedWidth + Self.slack) : nil
    }

    /// Writes the (C·k·k, Ho·Wo) column matrix of `image` into `columns`; see `im2col`.
    public func im2col(_ image: UnsafePointer<Float>, into columns: UnsafeMutablePointer<Float>) {
        guard let padded else { return Tensors.im2col(image, geometry: geometry, into: columns) }
        let g = geometry, (ho, wo) = (g.outputHeight, g.outputWidth)
        let source = padded.buffer.baseAddress!
        pad(image, into: source)
        let chunks = (wo + 15) / 16
        let end = columns + g.columnRows * ho * wo                // runs whose 16-wide stores would pass it are copied exactly
        forEachRun { at, row in
            let target = columns + row, run = source + at
            if target + 16 * chunks > end {
                target.update(from: run, count: wo)
            } else {
                for q in 0..<chunks { store16(load16(run + 16 * q), at: target + 16 * q) }
            }
        }
    }

    /// Writes col2im of the (C·k·k, Ho·Wo) matrix `columns` into `image`, overwriting it: the
    /// free function `col2im` adding into a zeroed image.
    public func col2im(_ columns: UnsafePointer<Float>, into image: UnsafeMutablePointer<Float>) {
        let g = geometry
        guard let padded else {
            image.update(repeating: 0, count: g.imageCount)
            return Tensors.col2im(columns, geometry: g, addingInto: image)
        }
        let (hp, wp) = (paddedHeight, paddedWidth), (ho, wo) = (g.outputHeight, g.outputWidth)
        let target = padded.buffer.baseAddress!
        target.update(repeating: 0, count: padded.buffer.count)
        let full = (wo - 1) / 16                                  // chunks of 16 before the last
        let lanes = SIMD16<Int32>(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15)
        let beyond = lanes .>= SIMD16<Int32>(repeating: Int32(wo - 16 * full))   // lanes of the last chunk past the run
        let end = columns + g.columnRows * ho * wo                // runs whose 16-wide loads would pass it are added exactly
        forEachRun { at, row in
            let sum = target + at, run = columns + row
            if run + 16 * (full + 1) > end {
                for ow in 0..<wo { sum[ow] += run[ow] }
                return
            }
            for q in 0..<full { store16(load16(sum + 16 * q) + load16(run + 16 * q), at: sum + 16 * q) }
            let last = sum + 16 * full, old = load16(last)
            store16((old + load16(run + 16 * full)).replacing(with: old, where: beyond), at: last)
        }
        let (h, w, p) = (g.height, g.width, g.padding)
        for c in 0..<g.channels {
            for r in 0..<h {
                (image + (c * h + r) * w).update(from: target + c * hp * wp + (r + p) * wp + p, count: w)
            }
        }
    }

    /// Calls `body` for every run of the column matrix in its order: the offset of its first
    /// element in the padded image, `padded[c, oh + i, j]`, and in the matrix, row `(c, i, j)`
    /// and column `oh · Wo`. Each run is `Wo` elements long in both.
    @inline(__always)
    private func forEachRun(_ body: (_ padded: Int, _ matrix: Int) -> Void) {
        let g = geometry, (hp, wp) = (paddedHeight, paddedWidth), (ho, wo) = (g.outputHeight, g.outputWidth)
        var row = 0
        for c in 0..<g.channels {
            for i in 0..<g.kernel {
                for j in 0..<g.kernel {
                    let first = c * hp * wp + i * wp + j
                    for oh in 0..<ho { body(first + oh * wp, row + oh * wo) }
                    row += ho * wo
                }
            }
        }
    }

    /// Copies `image` into the middle of `padded`, zeros around it.
    private func pad(_ image: UnsafePointer<Float>, into padded: UnsafeMutablePointer<Float>) {
        let g = geometry, (h, w, p) = (g.height, g.width, g.padding), (hp, wp) = (paddedHeight, paddedWidth)
        for c in 0..<g.channels {
            let plane = padded + c * hp * wp, source = image + c * h * w
            plane.update(repeating: 0, count: p * wp)
            for r in 0..<h {
                let line = plane + (r + p) * wp
                line.update(repeating: 0, count: p)
                (line + p).update(from: source + r * w, count: w)
                (line + p + w).update(repeating: 0, count: p)
            }
            (plane + (h + p) * wp).update(repeating: 0, count: p * wp)
        }
    }
}

@inline(__always)
private func load16(_ p: UnsafePointer<Float>) -> SIMD16<Float> {
    UnsafeRawPointer(p).loadUnaligned(as: SIMD16<Float>.self)
}

@inline(__always)
private func store16(_ v: SIMD16<Float>, at p: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD16<Float>.self)
}
