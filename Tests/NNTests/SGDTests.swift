import NN
import Tensors
import Testing

struct SGDTests {
    private func store(values: [Float], gradients: [Float]) -> ParameterStore {
        let store = ParameterStore(names: ["p"], shapes: [[values.count]])
        _ = store.values.buffer.update(fromContentsOf: values)
        _ = store.gradients.buffer.update(fromContentsOf: gradients)
        return store
    }

    @Test func momentumAccumulatesVelocityLikePyTorch() {
        let store = store(values: [1, -2], gradients: [0.5, 1])
        let sgd = SGD(parameterCount: 2, momentum: 0.9)
        sgd.step(store, learningRate: 0.1)          // v = g = [0.5, 1]; p = [0.95, -2.1]
        #expect(store.values.buffer.elementsEqual([0.95, -2.1] as [Float]) { abs($0 - $1) < 1e-6 })
        _ = store.gradients.buffer.update(fromContentsOf: [0.5, 1] as [Float])
        sgd.step(store, learningRate: 0.1)          // v = 0.9·v + g = [0.95, 1.9]; p −= 0.1·v
        #expect(store.values.buffer.elementsEqual([0.855, -2.29] as [Float]) { abs($0 - $1) < 1e-6 })
        #expect(sgd.stepCount == 2)
    }

    @Test func weightDecayAddsL2Gradient() {
        let store = store(values: [2], gradients: [0])
        SGD(parameterCount: 1, weightDecay: 0.5).step(store, learningRate: 0.1)   // p −= 0.1·(0.5·2)
        #expect(abs(store.values.buffer[0] - 1.9) < 1e-6)
    }

    @Test func nesterovLooksAhead() {
        let store = store(values: [1], gradients: [1])
        SGD(parameterCount: 1, momentum: 0.5, nesterov: true).step(store, learningRate: 1)  // v=1; g+μv=1.5
        #expect(abs(store.values.buffer[0] - (-0.5)) < 1e-6)
    }

    @Test func learnsALineWithAnMLP() throws {
        // y = 2x + 1 on a few points (mlx's smoke test), one Dense unit, plain SGD on MSE by hand
        let model = try Sequential([Dense(units: 1, weightInitializer: .zeros)], inputShape: [1])
        let sgd = SGD(parameterCount: model.parameterCount, momentum: 0.9)
        let x = Tensor(shape: [4, 1], values: [-1, 0, 1, 2])
        let target: [Float] = [-1, 1, 3, 5]
        for _ in 0..<200 {
            model.store.zeroGradients()
            let y = model.forward(x)
            let dy = Tensor(shape: [4, 1], values: (0..<4).map { 2 * (y.pointer[$0] - target[$0]) / 4 })
            model.backward(dy)
            sgd.step(model.store, learningRate: 0.05)
        }
        let w = model.store.values.buffer
        #expect(abs(w[0] - 2) < 1e-3 && abs(w[1] - 1) < 1e-3, "w = \(Array(w))")
    }
}
