import Tensors
import Testing

/// `ConvLowering` against the definitions, the free functions `im2col` and `col2im`: the same
/// bits, nothing written outside the output, whatever the output held before.
struct ConvLoweringTests {
    /// (channels, height, width, kernel, stride, padding): the CNN's two layers, a run of exactly
    /// 16 and of more than 32 outputs, a 1-wide output, padding wider than the kernel, no
    /// padding, and strides > 1 (the generic path).
    static let geometries: [(Int, Int, Int, Int, Int, Int)] = [
        (1, 28, 28, 5, 1, 2), (32, 14, 14, 5, 1, 2), (2, 5, 4, 3, 1, 1), (2, 7, 9, 3, 1, 0),
        (1, 16, 16, 1, 1, 0), (1, 6, 40, 3, 1, 1), (2, 6, 6, 6, 1, 0), (1, 4, 4, 1, 1, 3),
        (3, 9, 9, 2, 1, 1), (2, 5, 4, 3, 2, 1), (1, 11, 11, 3, 3, 2),
    ]

    /// Values with −0, ±∞ and a NaN among them, so that a changed order or a lost sign shows.
    private static func values(_ count: Int, seed: UInt64) -> [Float] {
        var generator = Generator(seed: seed)
        return (0..<count).map { i in
            switch i % 97 {
            case 5: -0.0
            case 41: .infinity
            case 63: -.infinity
            case 90: .nan
            default: generator.uniform(-1, 1)
            }
        }
    }

    private static let guardCount = 40, sentinel = Float(bitPattern: 0x7fc0_1234)

    /// `count` floats after `guardCount` sentinels and before as many; the output goes between.
    private static func guarded(_ count: Int, filledWith value: Float) -> [Float] {
        Array(repeating: sentinel, count: guardCount) + Array(repeating: value, count: count)
            + Array(repeating: sentinel, count: guardCount)
    }

    private static func bits(_ values: ArraySlice<Float>) -> [UInt32] { values.map(\.bitPattern) }

    @Test(arguments: geometries)
    func im2colGivesTheDefinitionsBits(_ shape: (Int, Int, Int, Int, Int, Int)) {
        let (c, h, w, k, s, p) = shape
        let g = ConvGeometry(channels: c, height: h, width: w, kernel: k, stride: s, padding: p)
        let size = g.columnRows * g.columnCount
        let image = Self.values(g.imageCount, seed: 3)
        var expected = [Float](repeating: 0, count: size)
        var actual = Self.guarded(size, filledWith: 9)        // stale contents must not survive
        let lowering = ConvLowering(geometry: g)
        image.withUnsafeBufferPointer { x in
            expected.withUnsafeMutableBufferPointer { im2col(x.baseAddress!, geometry: g, into: $0.baseAddress!) }
            for _ in 0..<2 {                                  // twice: the padded copy is reused
                actual.withUnsafeMutableBufferPointer { lowering.im2col(x.baseAddress!, into: $0.baseAddress! + Self.guardCount) }
            }
        }
        let inside = actual[Self.guardCount..<(Self.guardCount + size)]
        #expect(Self.bits(inside) == Self.bits(expected[...]), "\(shape)")
        #expect(Self.bits(actual.prefix(Self.guardCount) + actual.suffix(Self.guardCount))
                == Array(repeating: Self.sentinel.bitPattern, count: 2 * Self.guardCount), "wrote outside the matrix, \(shape)")
    }

    @Test(arguments: geometries)
    func col2imGivesTheDefinitionsBits(_ shape: (Int, Int, Int, Int, Int, Int)) {
        let (c, h, w, k, s, p) = shape
        let g = ConvGeometry(channels: c, height: h, width: w, kernel: k, stride: s, padding: p)
        let columns = Self.values(g.columnRows * g.columnCount, seed: 4)
        var expected = [Float](repeating: 0, count: g.imageCount)
        var actual = Self.guarded(g.imageCount, filledWith: 9)  // overwritten, not added to
        let lowering = ConvLowering(geometry: g)
        columns.withUnsafeBufferPointer { m in
            expected.withUnsafeMutableBufferPointer { col2im(m.baseAddress!, geometry: g, addingInto: $0.baseAddress!) }
            for _ in 0..<2 {
                actual.withUnsafeMutableBufferPointer { lowering.col2im(m.baseAddress!, into: $0.baseAddress! + Self.guardCount) }
            }
        }
        let inside = actual[Self.guardCount..<(Self.guardCount + g.imageCount)]
        #expect(Self.bits(inside) == Self.bits(expected[...]), "\(shape)")
        #expect(Self.bits(actual.prefix(Self.guardCount) + actual.suffix(Self.guardCount))
                == Array(repeating: Self.sentinel.bitPattern, count: 2 * Self.guardCount), "wrote outside the image, \(shape)")
    }
}
