import Data
import Tensors
import Testing

struct AugmentationTests {
    /// A 2-channel 3×4 image holding 1…24 (channel-major, row-major).
    private let image: [Float] = (1...24).map(Float.init)
    private let shape = (channels: 2, height: 3, width: 4)

    private func apply(_ augmentation: Augmentation, _ choice: Augmentation.Choice, fill: Float = 0) -> [Float] {
        var out = [Float](repeating: .nan, count: image.count)
        image.withUnsafeBufferPointer { source in
            out.withUnsafeMutableBufferPointer { target in
                augmentation.apply(choice, image: source.baseAddress!, shape: shape, fill: fill, into: target.baseAddress!)
            }
        }
        return out
    }

    @Test func shiftAndFlipMatchHandComputedImages() {
        let augmentation = Augmentation(cropPadding: 1, horizontalFlip: true)
        // dy = 0, dx = 2: out[y, x] = in[y − 1, x + 1], padding −1
        #expect(apply(augmentation, .init(dy: 0, dx: 2, flip: false), fill: -1) == [
            -1, -1, -1, -1,    2, 3, 4, -1,    6, 7, 8, -1,
            -1, -1, -1, -1,    14, 15, 16, -1,    18, 19, 20, -1,
        ])
        // the same, then flipped left–right
        #expect(apply(augmentation, .init(dy: 0, dx: 2, flip: true), fill: -1) == [
            -1, -1, -1, -1,    -1, 4, 3, 2,    -1, 8, 7, 6,
            -1, -1, -1, -1,    -1, 16, 15, 14,    -1, 20, 19, 18,
        ])
        // centred crop, flipped only
        #expect(apply(augmentation, .init(dy: 1, dx: 1, flip: true)) == [
            4, 3, 2, 1,    8, 7, 6, 5,    12, 11, 10, 9,
            16, 15, 14, 13,    20, 19, 18, 17,    24, 23, 22, 21,
        ])
    }

    @Test func seededDrawIsPinned() {
        // Pins the random stream (Purpose.augmentation keys): changing it changes every run's data.
        let augmentation = Augmentation(cropPadding: 2, horizontalFlip: true)
        let choices = (0..<4).map { augmentation.choice(seed: 42, epoch: 0, shard: 1, row: $0) }
        #expect(choices == [
            .init(dy: 4, dx: 1, flip: true),
            .init(dy: 3, dx: 0, flip: false),
            .init(dy: 2, dx: 3, flip: true),
            .init(dy: 3, dx: 4, flip: false),
        ])
        // end to end: the draw for (seed 7, epoch 3, shard 0, row 5) is dy 2, dx 0, flipped, so
        // out[y, 3 − x] = in[y + 1, x − 1]
        let small = Augmentation(cropPadding: 1, horizontalFlip: true)
        #expect(apply(small, small.choice(seed: 7, epoch: 3, shard: 0, row: 5)) == [
            7, 6, 5, 0,    11, 10, 9, 0,    0, 0, 0, 0,
            19, 18, 17, 0,    23, 22, 21, 0,    0, 0, 0, 0,
        ])
    }

    @Test func drawsArePureAndCoverTheirRange() {
        let augmentation = Augmentation(cropPadding: 2, horizontalFlip: true)
        let first = (0..<2000).map { augmentation.choice(seed: 9, epoch: 1, shard: 0, row: $0) }
        let again = (0..<2000).reversed().map { augmentation.choice(seed: 9, epoch: 1, shard: 0, row: $0) }
        #expect(first == Array(again.reversed()))                          // order of drawing does not matter
        #expect(Set(first.map(\.dy)) == Set(0...4) && Set(first.map(\.dx)) == Set(0...4))
        let flips = first.filter(\.flip).count
        #expect(flips > 900 && flips < 1100)                                 // ½ ± 4.5 σ
        let otherEpoch = (0..<2000).map { augmentation.choice(seed: 9, epoch: 2, shard: 0, row: $0) }
        let otherShard = (0..<2000).map { augmentation.choice(seed: 9, epoch: 1, shard: 1, row: $0) }
        #expect(first != otherEpoch && first != otherShard)
        let off = Augmentation()
        #expect(off.isIdentity && off.choice(seed: 9, epoch: 1, shard: 0, row: 3) == .init(dy: 0, dx: 0, flip: false))
        #expect(Augmentation(cropPadding: 2).choice(seed: 9, epoch: 1, shard: 0, row: 7).flip == false)
    }

    @Test func flipTwiceAndCentredCropAreIdentity() {
        let augmentation = Augmentation(cropPadding: 3, horizontalFlip: true)
        #expect(apply(augmentation, .init(dy: 3, dx: 3, flip: false)) == image)
        let flipped = apply(augmentation, .init(dy: 3, dx: 3, flip: true))
        var back = [Float](repeating: 0, count: image.count)
        flipped.withUnsafeBufferPointer { source in
            back.withUnsafeMutableBufferPointer { target in
                augmentation.apply(.init(dy: 3, dx: 3, flip: true), image: source.baseAddress!, shape: shape, fill: 0, into: target.baseAddress!)
            }
        }
        #expect(back == image)
    }

    @Test(arguments: [(0, 0), (3, 5), (6, 6), (1, 4), (5, 0)])
    func shiftMovesEveryPixel(dy: Int, dx: Int) {
        // padding 3: every output pixel is the input pixel (y + dy − 3, x + dx − 3) or the fill
        let out = apply(Augmentation(cropPadding: 3), .init(dy: dy, dx: dx, flip: false), fill: -7)
        for c in 0..<2 {
            for y in 0..<3 {
                for x in 0..<4 {
                    let (sy, sx) = (y + dy - 3, x + dx - 3)
                    let expected = (0..<3).contains(sy) && (0..<4).contains(sx) ? image[(c * 3 + sy) * 4 + sx] : -7
                    #expect(out[(c * 3 + y) * 4 + x] == expected, "c \(c) y \(y) x \(x)")
                }
            }
        }
    }
}
