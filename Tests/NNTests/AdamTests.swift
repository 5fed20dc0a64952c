import NN
import Tensors
import Testing

/// Helpers shared by the optimizer tests (Adam, RMSprop, AdaGrad).
enum OptimizerFixture {
    /// A one-parameter store holding `values`, with `gradients`.
    static func store(values: [Float], gradients: [Float]) -> ParameterStore {
        let store = ParameterStore(names: ["p"], shapes: [[values.count]])
        _ = store.values.buffer.update(fromContentsOf: values)
        _ = store.gradients.buffer.update(fromContentsOf: gradients)
        return store
    }

    /// Whether every value is within 1e-6 relative of the Double reference.
    static func matches(_ store: ParameterStore, _ expected: [Double]) -> Bool {
        zip(store.values.buffer, expected).allSatisfy { abs(Double($0) - $1) <= 1e-6 * abs($1) }
    }

    /// Runs `steps` steps on f(x) = Σ(x − c)² from x = 0 and returns max |x − c|.
    static func minimizeQuadratic(_ optimizer: any Optimizer, learningRate: Float, steps: Int) -> Float {
        let target: [Float] = [3, -1.5, 0.25]
        let store = store(values: [0, 0, 0], gradients: [0, 0, 0])
        for _ in 0..<steps {
            for i in 0..<3 { store.gradients.buffer[i] = 2 * (store.values.buffer[i] - target[i]) }   // ∇f
            optimizer.step(store, learningRate: learningRate)
        }
        return zip(store.values.buffer, target).map { abs($0 - $1) }.max()!
    }

    /// Parameter values and the gradient of each of three steps, for the hand-computed references.
    /// Takes the three fixture steps with `optimizer` from `start` and returns the store.
    static func run(_ optimizer: any Optimizer, lr: Float) -> ParameterStore {
        let store = store(values: start, gradients: gradients[0])
        for g in gradients {
            _ = store.gradients.buffer.update(fromContentsOf: g)
            optimizer.step(store, learningRate: lr)
        }
        return store
    }

    static let start: [Float] = [0.5, -1.25]
    static let gradients: [[Float]] = [[0.3, -0.8], [-0.1, 0.6], [0.25, 0.4]]
}

struct AdamTests {
    /// torch.optim.Adam / AdamW on `OptimizerFixture`'s three steps, in Double.
    private func reference(
        lr: Double, beta1: Float, beta2: Float, epsilon: Float, weightDecay: Float, decoupled: Bool
    ) -> [Double] {
        let (b1, b2, eps, lambda) = (Double(beta1), Double(beta2), Double(epsilon), Double(weightDecay))
        var p = OptimizerFixture.start.map(Double.init)
        var m = [0.0, 0.0], v = [0.0, 0.0]
        for (t, g) in OptimizerFixture.gradients.enumerated() {
            var c1 = 1.0, c2 = 1.0
            for _ in 0...t { c1 *= b1; c2 *= b2 }
            for i in 0..<2 {
                var gradient = Double(g[i])
                if decoupled { p[i] -= lr * lambda * p[i] } else { gradient += lambda * p[i] }
                m[i] = b1 * m[i] + (1 - b1) * gradient
                v[i] = b2 * v[i] + (1 - b2) * gradient * gradient
                let mHat = m[i] / (1 - c1), vHat = v[i] / (1 - c2)
                p[i] -= lr * mHat / (vHat.squareRoot() + eps)
            }
        }
        return p
    }

    private func run(_ adam: Adam, lr: Float) -> ParameterStore { OptimizerFixture.run(adam, lr: lr) }

    @Test func matchesTheFormulaWithDefaults() {
        let adam = Adam(parameterCount: 2)
        let store = run(adam, lr: 0.01)
        let expected = reference(lr: 0.01, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0, decoupled: false)
        #expect(OptimizerFixture.matches(store, expected), "p = \(Array(store.values.buffer)), expected \(expected)")
        #expect(adam.stepCount == 3)
    }

    @Test func matchesTheFormulaWithL2WeightDecay() {
        let store = run(Adam(parameterCount: 2, beta1: 0.8, beta2: 0.99, epsilon: 1e-3, weightDecay: 0.1), lr: 0.05)
        let expected = reference(lr: 0.05, beta1: 0.8, beta2: 0.99, epsilon: 1e-3, weightDecay: 0.1, decoupled: false)
        #expect(OptimizerFixture.matches(store, expected), "p = \(Array(store.values.buffer)), expected \(expected)")
    }

    @Test func matchesTheFormulaAsAdamW() {
        let store = run(Adam(parameterCount: 2, beta1: 0.8, beta2: 0.99, epsilon: 1e-3, weightDecay: 0.1, decoupled: true), lr: 0.05)
        let expected = reference(lr: 0.05, beta1: 0.8, beta2: 0.99, epsilon: 1e-3, weightDecay: 0.1, decoupled: true)
        #expect(OptimizerFixture.matches(store, expected), "p = \(Array(store.values.buffer)), expected \(expected)")
    }

    @Test func adamWDecaysTheWeightNotTheGradient() {
        // With g = 0, Adam+L2 normalizes λp away (a step of ≈ lr), AdamW shrinks p by lr·λ·p.
        let coupled = OptimizerFixture.store(values: [2], gradients: [0])
        let decoupled = OptimizerFixture.store(values: [2], gradients: [0])
        Adam(parameterCount: 1, weightDecay: 0.5).step(coupled, learningRate: 0.1)
        Adam(parameterCount: 1, weightDecay: 0.5, decoupled: true).step(decoupled, learningRate: 0.1)
        #expect(abs(coupled.values.buffer[0] - 1.9) < 1e-6)          // 2 − 0.1·m̂/√v̂ = 2 − 0.1
        #expect(abs(decoupled.values.buffer[0] - 1.9) < 1e-6)        // 2 − 0.1·0.5·2 = 1.9, m = v = 0
        let coupled2 = OptimizerFixture.store(values: [20], gradients: [0])
        let decoupled2 = OptimizerFixture.store(values: [20], gradients: [0])
        Adam(parameterCount: 1, weightDecay: 0.5).step(coupled2, learningRate: 0.1)
        Adam(parameterCount: 1, weightDecay: 0.5, decoupled: true).step(decoupled2, learningRate: 0.1)
        #expect(abs(coupled2.values.buffer[0] - 19.9) < 1e-5)       // step size independent of p
        #expect(abs(decoupled2.values.buffer[0] - 19) < 1e-5)       // step proportional to p
    }

    @Test func leavesTheGradientUnchanged() {
        let store = OptimizerFixture.store(values: [1, -2], gradients: [0.5, 1])
        Adam(parameterCount: 2, weightDecay: 0.1).step(store, learningRate: 0.1)
        Adam(parameterCount: 2, weightDecay: 0.1, decoupled: true).step(store, learningRate: 0.1)
        #expect(Array(store.gradients.buffer) == [0.5, 1])
    }

    @Test(arguments: [false, true]) func minimizesAQuadratic(decoupled: Bool) {
        let error = OptimizerFixture.minimizeQuadratic(Adam(parameterCount: 3, decoupled: decoupled), learningRate: 0.05, steps: 500)
        #expect(error < 1e-3, "max |x − c| = \(error)")
    }

    @Test func namesItsStateLikePyTorch() {
        let adam = Adam(parameterCount: 5)
        #expect(adam.state.map(\.name) == ["exp_avg", "exp_avg_sq"])
        #expect(adam.state.allSatisfy { $0.values.buffer.count == 5 })
        #expect(SGD(parameterCount: 5).state.isEmpty)
        #expect(SGD(parameterCount: 5, momentum: 0.9).state.map(\.name) == ["momentum_buffer"])
    }
}
