import NN
import Tensors
import TestSupport
import Testing

struct ReLUTests {
    @Test func forwardClampsNegativesAndBackwardMasks() {
        let relu = ReLU()
        let y = relu.forward(Tensor(shape: [1, 4], values: [-2, -0.5, 0.5, 3]), mode: .training)
        #expect(y.toArray() == [0, 0, 0.5, 3])
        let dx = relu.backward(Tensor(shape: [1, 4], values: [10, 20, 30, 40]))
        #expect(dx.toArray() == [0, 0, 30, 40])
    }

    @Test func backwardMatchesFiniteDifferences() throws {
        // inputs kept away from the kink at 0, where the derivative is undefined
        let values: [Float] = [-0.9, 0.7, -0.3, 0.4, 0.8, -0.6, 0.25, -0.45]
        let report = try checkLayerGradients(ReLU(), inputShape: [4], input: Tensor(shape: [2, 4], values: values))
        #expect(report.error < 1e-3, "\(report)")
    }
}
