import NN
import Tensors
import Testing

struct RMSpropTests {
    /// torch.optim.RMSprop on `OptimizerFixture`'s three steps, in Double.
    private func reference(lr: Double, alpha: Float, epsilon: Float, momentum: Float, weightDecay: Float) -> [Double] {
        let (a, eps, mu, lambda) = (Double(alpha), Double(epsilon), Double(momentum), Double(weightDecay))
        var p = OptimizerFixture.start.map(Double.init)
        var v = [0.0, 0.0], b = [0.0, 0.0]
        for g in OptimizerFixture.gradients {
            for i in 0..<2 {
                let gradient = Double(g[i]) + lambda * p[i]
                v[i] = a * v[i] + (1 - a) * gradient * gradient
                let update = gradient / (v[i].squareRoot() + eps)
                if mu > 0 {
                    b[i] = mu * b[i] + update
                    p[i] -= lr * b[i]
                } else {
                    p[i] -= lr * update
                }
            }
        }
        return p
    }

    private func run(_ optimizer: RMSprop, lr: Float) -> ParameterStore { OptimizerFixture.run(optimizer, lr: lr) }

    @Test func matchesTheFormulaWithDefaults() {
        let rmsprop = RMSprop(parameterCount: 2)
        let store = run(rmsprop, lr: 0.01)
        let expected = reference(lr: 0.01, alpha: 0.99, epsilon: 1e-8, momentum: 0, weightDecay: 0)
        #expect(OptimizerFixture.matches(store, expected), "p = \(Array(store.values.buffer)), expected \(expected)")
        #expect(rmsprop.stepCount == 3)
    }

    @Test func matchesTheFormulaWithMomentumAndWeightDecay() {
        let store = run(RMSprop(parameterCount: 2, alpha: 0.9, epsilon: 1e-3, momentum: 0.5, weightDecay: 0.1), lr: 0.05)
        let expected = reference(lr: 0.05, alpha: 0.9, epsilon: 1e-3, momentum: 0.5, weightDecay: 0.1)
        #expect(OptimizerFixture.matches(store, expected), "p = \(Array(store.values.buffer)), expected \(expected)")
    }

    @Test func leavesTheGradientUnchanged() {
        let store = OptimizerFixture.store(values: [1, -2], gradients: [0.5, 1])
        RMSprop(parameterCount: 2, momentum: 0.9, weightDecay: 0.1).step(store, learningRate: 0.1)
        #expect(Array(store.gradients.buffer) == [0.5, 1])
    }

    @Test(arguments: [Float(0), 0.5]) func minimizesAQuadratic(momentum: Float) {
        let error = OptimizerFixture.minimizeQuadratic(RMSprop(parameterCount: 3, momentum: momentum), learningRate: 0.03, steps: 500)
        #expect(error < 1e-3, "max |x − c| = \(error)")
    }

    @Test func namesItsStateLikePyTorch() {
        #expect(RMSprop(parameterCount: 4).state.map(\.name) == ["square_avg"])
        let withMomentum = RMSprop(parameterCount: 4, momentum: 0.9)
        #expect(withMomentum.state.map(\.name) == ["square_avg", "momentum_buffer"])
        #expect(withMomentum.state.allSatisfy { $0.values.buffer.count == 4 })
    }
}
