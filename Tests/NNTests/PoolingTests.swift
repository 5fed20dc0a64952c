import NN
import Tensors
import TestSupport
import Testing

/// `count` distinct values 0.05 apart (far more than the finite-difference step), shuffled, so
/// no pooling window has a tie even after a ±ε nudge.
private func distinctValues(_ count: Int, seed: UInt64) -> [Float] {
    var generator = Generator(seed: seed)
    return generator.permutation(count).map { Float($0) * 0.05 - 1 }
}

struct PoolingTests {
    @Test func maxPoolForwardPicksWindowMaxima() throws {
        let layer = MaxPool2D(poolSize: 2)
        let model = try Sequential([layer], inputShape: [1, 4, 4])
        #expect(model.outputShape == [1, 2, 2])
        let x = Tensor(shape: [1, 1, 4, 4], values: [1, 5, 2, 0,
                                                     3, 4, 8, 7,
                                                     -1, -2, 0, 6,
                                                     -3, -4, 9, 1])
        #expect(layer.forward(x, mode: .training).toArray() == [5, 8, -1, 9])
        let dx = layer.backward(Tensor(shape: [1, 1, 2, 2], values: [10, 20, 30, 40]))
        #expect(dx.shape == [1, 1, 4, 4])
        #expect(dx.toArray() == [0, 10, 0, 0,
                                 0, 0, 20, 0,
                                 30, 0, 0, 0,
                                 0, 0, 40, 0])
    }

    @Test(arguments: [(5, 7), (4, 18), (6, 8), (2, 2)])
    func twoByTwoPathMatchesTheDefinitionBitForBit(height h: Int, width w: Int) throws {
        // 2×2 stride 2 has its own loops (vectorized when the windows tile the plane, as for even
        // sides): the same maxima, the first element of a tie, a NaN winning only in first
        // position, odd sides cut, and the same bits of every gradient (a −0 upstream gives +0)
        let (n, c) = (2, 3)
        let (ho, wo) = (h / 2, w / 2)
        var generator = Generator(seed: 11)
        let palette: [Float] = [0, -0.0, 1, 2, 3, .nan, -1]
        let values = (0..<(n * c * h * w)).map { _ in palette[generator.nextInt(below: palette.count)] }   // many ties
        let layer = MaxPool2D(poolSize: 2)
        _ = try Sequential([layer], inputShape: [c, h, w])
        let y = layer.forward(Tensor(shape: [n, c, h, w], values: values), mode: .training).toArray()
        let upstream = (0..<(n * c * ho * wo)).map { $0 % 5 == 0 ? -0.0 : Float($0 + 1) }
        let dx = layer.backward(Tensor(shape: [n, c, ho, wo], values: upstream)).toArray()
        var expectedY: [Float] = [], expectedDx = [Float](repeating: 0, count: values.count)
        for plane in 0..<(n * c) {
            for oh in 0..<ho {
                for ow in 0..<wo {
                    var best = plane * h * w + 2 * oh * w + 2 * ow
                    for (i, j) in [(0, 1), (1, 0), (1, 1)] {
                        let index = plane * h * w + (2 * oh + i) * w + 2 * ow + j
                        if values[index] > values[best] { best = index }
                    }
                    expectedY.append(values[best])
                    expectedDx[best] += upstream[expectedY.count - 1]
                }
            }
        }
        #expect(y.map(\.bitPattern) == expectedY.map(\.bitPattern))
        #expect(dx.map(\.bitPattern) == expectedDx.map(\.bitPattern))
        // a second pass over other values reuses the buffers: nothing of the first may remain
        let again = values.map { $0.isNaN ? 4 : -$0 }
        let y2 = layer.forward(Tensor(shape: [n, c, h, w], values: again), mode: .training).toArray()
        #expect(y2.count == expectedY.count && y2.allSatisfy { !$0.isNaN })
    }

    @Test func maxPoolBackwardMatchesFiniteDifferences() throws {
        let input = Tensor(shape: [2, 2, 4, 4], values: distinctValues(64, seed: 1))
        let report = try checkLayerGradients(MaxPool2D(poolSize: 2), inputShape: [2, 4, 4], input: input)
        #expect(report.error < 2e-3, "\(report)")
        #expect(report.checked == 64)
    }

    @Test func overlappingMaxPoolBackwardMatchesFiniteDifferences() throws {
        // 3×3 windows with stride 1 overlap: one input can be the maximum of several windows
        let input = Tensor(shape: [2, 2, 5, 4], values: distinctValues(80, seed: 2))
        let layer = MaxPool2D(poolSize: 3, stride: 1)
        let report = try checkLayerGradients(layer, inputShape: [2, 5, 4], input: input)
        #expect(report.error < 2e-3, "\(report)")
        #expect(report.checked == 80)
    }

    @Test func avgPoolForwardAndBackwardOnHandNumbers() throws {
        let layer = AvgPool2D(poolSize: 2)
        let model = try Sequential([layer], inputShape: [1, 2, 4])
        #expect(model.outputShape == [1, 1, 2])
        let y = layer.forward(Tensor(shape: [1, 1, 2, 4], values: [1, 2, 3, 4, 5, 6, 7, 8]), mode: .training)
        #expect(y.toArray() == [3.5, 5.5])
        let dx = layer.backward(Tensor(shape: [1, 1, 1, 2], values: [4, 8]))
        #expect(dx.toArray() == [1, 1, 2, 2, 1, 1, 2, 2])
    }

    @Test(arguments: [(2, nil), (3, 1), (2, 3)] as [(Int, Int?)])
    func avgPoolBackwardMatchesFiniteDifferences(poolSize: Int, stride: Int?) throws {
        let report = try checkLayerGradients(AvgPool2D(poolSize: poolSize, stride: stride), inputShape: [2, 5, 6], batch: 2)
        #expect(report.error < 2e-3, "\(report)")
        #expect(report.checked == 2 * 60)
    }

    @Test func outputShapes() throws {
        #expect(try Sequential([MaxPool2D(poolSize: 2)], inputShape: [3, 5, 7]).outputShape == [3, 2, 3])
        #expect(try Sequential([MaxPool2D(poolSize: 3, stride: 2)], inputShape: [1, 7, 7]).outputShape == [1, 3, 3])
        #expect(try Sequential([AvgPool2D(poolSize: 2, stride: 1)], inputShape: [2, 4, 4]).outputShape == [2, 3, 3])
    }

    @Test func buildRejectsAWindowLargerThanTheInput() {
        #expect(throws: ModelError.self) { try Sequential([MaxPool2D(poolSize: 3)], inputShape: [1, 2, 8]) }
        #expect(throws: ModelError.self) { try Sequential([AvgPool2D(poolSize: 3)], inputShape: [1, 8, 2]) }
        #expect(throws: ModelError.self) { try Sequential([MaxPool2D(poolSize: 2)], inputShape: [16]) }
    }
}

struct FlattenTests {
    @Test func flattensToAViewAndBack() throws {
        let layer = Flatten()
        let model = try Sequential([layer], inputShape: [2, 3, 4])
        #expect(model.outputShape == [24])
        #expect(model.parameterCount == 0)
        let x = Tensor(shape: [2, 2, 3, 4], values: (0..<48).map(Float.init))
        let y = layer.forward(x, mode: .training)
        #expect(y.shape == [2, 24])
        #expect(y.storage === x.storage)
        #expect(y.toArray() == x.toArray())
        let dx = layer.backward(Tensor(shape: [2, 24], values: (0..<48).map { Float($0) * 2 }))
        #expect(dx.shape == [2, 2, 3, 4])
        #expect(dx.toArray() == (0..<48).map { Float($0) * 2 })
    }

    @Test func backwardMatchesFiniteDifferences() throws {
        let report = try checkLayerGradients(Flatten(), inputShape: [2, 3, 3], batch: 2)
        #expect(report.error < 2e-3, "\(report)")
        #expect(report.checked == 36)
    }
}
