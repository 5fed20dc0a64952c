import NN
import Tensors
import TestSupport
import Testing

struct DenseTests {
    @Test func forwardComputesAffineMapOnHandNumbers() throws {
        let layer = Dense(units: 2)
        let model = try Sequential([layer], inputShape: [3])
        let store = model.store
        // W = [[1, 2, 3], [4, 5, 6]], b = [0.5, -1]
        _ = store.value(store.parameters[0]).buffer.update(fromContentsOf: [1, 2, 3, 4, 5, 6] as [Float])
        _ = store.value(store.parameters[1]).buffer.update(fromContentsOf: [0.5, -1] as [Float])
        let y = layer.forward(Tensor(shape: [2, 3], values: [1, 0, -1, 2, 1, 0]), mode: .training)
        // row 0: [1-3+0.5, 4-6-1] ; row 1: [2+2+0.5, 8+5-1]
        #expect(y.toArray() == [-1.5, -3, 4.5, 12])
    }

    @Test func backwardMatchesFiniteDifferences() throws {
        let report = try checkLayerGradients(Dense(units: 4, weightInitializer: .xavierUniform), inputShape: [5])
        #expect(report.error < 2e-3, "\(report)")
        #expect(report.checked == 4 * 5 + 4 + 3 * 5)
    }

    @Test func flattensMultiDimensionalInput() throws {
        let model = try Sequential([Dense(units: 3)], inputShape: [2, 2, 2])
        #expect(model.store.parameters[0].shape == [3, 8])
        #expect(model.outputShape == [3])
    }

    @Test func namesParametersByPosition() throws {
        let model = try Sequential([Dense(units: 4), ReLU(), Dense(units: 2, useBias: false)], inputShape: [3])
        #expect(model.store.parameters.map(\.name) == ["layers.0.weight", "layers.0.bias", "layers.2.weight"])
        #expect(model.store.parameters.map(\.offset) == [0, 12, 16])
        #expect(model.parameterCount == 12 + 4 + 8)
    }
}
