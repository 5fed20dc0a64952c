import Foundation
import NN
import Tensors
import Testing
import TestSupport

struct SoftmaxCrossEntropyTests {
    @Test func forwardMatchesHandComputedLoss() {
        let loss = SoftmaxCrossEntropy()
        // row 0: logits [0, 0] → p = 0.5 each, label 1 → −log 0.5 ; row 1: [ln 3, 0] → p = [.75, .25], label 0
        let value = loss.forward(Tensor(shape: [2, 2], values: [0, 0, Float(log(3.0)), 0]), labels: [1, 0])
        let expected = Float((-log(0.5) - log(0.75)) / 2)
        #expect(abs(value - expected) < 1e-6)
    }

    @Test func isStableForHugeLogits() {
        let loss = SoftmaxCrossEntropy()
        let value = loss.forward(Tensor(shape: [1, 3], values: [1000, -1000, 0]), labels: [1])
        #expect(value.isFinite)
        #expect(abs(value - 2000) < 1e-2)
    }

    @Test func labelSmoothingMatchesHandComputedLoss() {
        let loss = SoftmaxCrossEntropy(labelSmoothing: 0.2)
        // logits [ln 3, 0] → p = [.75, .25]; label 0; q = [0.9, 0.1]
        let value = loss.forward(Tensor(shape: [1, 2], values: [Float(log(3.0)), 0]), labels: [0])
        #expect(abs(value - Float(-0.9 * log(0.75) - 0.1 * log(0.25))) < 1e-6)
        #expect(loss.backward().toArray().enumerated().allSatisfy { abs($1 - [Float(-0.15), 0.15][$0]) < 1e-6 })
    }

    @Test(arguments: [Float(0), 0.1])
    func backwardMatchesFiniteDifferences(smoothing: Float) {
        let loss = SoftmaxCrossEntropy(labelSmoothing: smoothing)
        var generator = Generator(seed: 3)
        let logits = Tensor(shape: [4, 5], values: (0..<20).map { _ in generator.uniform(-2, 2) })
        let worst = lossGradientError(loss, outputs: logits, targets: .classes([0, 4, 2, 2]))
        #expect(worst < 1e-3, "max abs difference \(worst)")
    }
}
