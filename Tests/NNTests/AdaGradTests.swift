import NN
import Tensors
import Testing

struct AdaGradTests {
    /// torch.optim.Adagrad on `OptimizerFixture`'s three steps, in Double.
    private func reference(lr: Double, epsilon: Float, weightDecay: Float, initialAccumulatorValue: Float) -> [Double] {
        let (eps, lambda) = (Double(epsilon), Double(weightDecay))
        var p = OptimizerFixture.start.map(Double.init)
        var s = [Double(initialAccumulatorValue), Double(initialAccumulatorValue)]
        for g in OptimizerFixture.gradients {
            for i in 0..<2 {
                let gradient = Double(g[i]) + lambda * p[i]
                s[i] += gradient * gradient
                p[i] -= lr * gradient / (s[i].squareRoot() + eps)
            }
        }
        return p
    }

    private func run(_ optimizer: AdaGrad, lr: Float) -> ParameterStore { OptimizerFixture.run(optimizer, lr: lr) }

    @Test func matchesTheFormulaWithDefaults() {
        let adagrad = AdaGrad(parameterCount: 2)
        let store = run(adagrad, lr: 0.01)
        let expected = reference(lr: 0.01, epsilon: 1e-10, weightDecay: 0, initialAccumulatorValue: 0)
        #expect(OptimizerFixture.matches(store, expected), "p = \(Array(store.values.buffer)), expected \(expected)")
        #expect(adagrad.stepCount == 3)
    }

    @Test func matchesTheFormulaWithWeightDecayAndInitialAccumulator() {
        let store = run(AdaGrad(parameterCount: 2, epsilon: 1e-3, weightDecay: 0.1, initialAccumulatorValue: 0.5), lr: 0.05)
        let expected = reference(lr: 0.05, epsilon: 1e-3, weightDecay: 0.1, initialAccumulatorValue: 0.5)
        #expect(OptimizerFixture.matches(store, expected), "p = \(Array(store.values.buffer)), expected \(expected)")
    }

    @Test func leavesTheGradientUnchanged() {
        let store = OptimizerFixture.store(values: [1, -2], gradients: [0.5, 1])
        AdaGrad(parameterCount: 2, weightDecay: 0.1).step(store, learningRate: 0.1)
        #expect(Array(store.gradients.buffer) == [0.5, 1])
    }

    @Test func minimizesAQuadratic() {
        let error = OptimizerFixture.minimizeQuadratic(AdaGrad(parameterCount: 3), learningRate: 0.5, steps: 300)
        #expect(error < 1e-3, "max |x − c| = \(error)")
    }

    @Test func namesItsStateLikePyTorch() {
        let adagrad = AdaGrad(parameterCount: 3, initialAccumulatorValue: 0.1)
        #expect(adagrad.state.map(\.name) == ["sum"])
        #expect(adagrad.state[0].values.buffer.count == 3)
        #expect(adagrad.state[0].values.buffer.allSatisfy { $0 == 0.1 })
    }
}
