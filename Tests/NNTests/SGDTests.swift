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

    /// Two stores with the same random values and gradients (1,000 elements: the vector body
    /// and a tail).
    private func twins(seed: UInt64) -> (ParameterStore, ParameterStore) {
        var generator = Generator(seed: seed)
        let values = (0..<1000).map { _ in generator.uniform(-1, 1) }
        let gradients = (0..<1000).map { _ in generator.uniform(-1, 1) }
        return (store(values: values, gradients: gradients), store(values: values, gradients: gradients))
    }

    private func sameBits(_ a: UnsafeMutableBufferPointer<Float>, _ b: UnsafeMutableBufferPointer<Float>) -> Bool {
        a.elementsEqual(b) { $0.bitPattern == $1.bitPattern }
    }

    /// The checked step is the training step, bit for bit, with the probe folded into its pass.
    @Test(arguments: [(Float(0), false, Float(0)), (0, false, 0.01), (0.9, false, 0), (0.9, false, 0.01), (0.9, true, 0.01)])
    func checkedStepOnFiniteGradientsIsTheStep(momentum: Float, nesterov: Bool, weightDecay: Float) {
        let (plain, checked) = twins(seed: 5)
        let reference = SGD(parameterCount: 1000, momentum: momentum, nesterov: nesterov, weightDecay: weightDecay)
        let probing = SGD(parameterCount: 1000, momentum: momentum, nesterov: nesterov, weightDecay: weightDecay)
        for _ in 0..<3 {
            reference.step(plain, learningRate: 0.1, zeroingGradients: true)
            #expect(probing.stepCheckingFinite(checked, learningRate: 0.1))
            #expect(sameBits(plain.values.buffer, checked.values.buffer))
            #expect(sameBits(reference.velocity.buffer, probing.velocity.buffer))
            #expect(checked.gradients.buffer.allSatisfy { $0.bitPattern == 0 })
            plain.gradients.buffer.update(repeating: 0.25)
            checked.gradients.buffer.update(repeating: 0.25)
        }
        #expect(probing.stepCount == 3)
    }

    /// NaN or ±∞ anywhere, in the vector body or the tail, is found; the non-finite gradients
    /// stay where they were (to be named), every finite one is cleared.
    @Test(arguments: [Float.nan, .infinity, -.infinity])
    func checkedStepFindsANonFiniteGradientAndLeavesItInPlace(bad: Float) {
        for positions in [[0], [517], [999], [3, 998]] {
            let (_, store) = twins(seed: 6)
            for position in positions { store.gradients.buffer[position] = bad }
            #expect(!SGD(parameterCount: 1000, momentum: 0.9).stepCheckingFinite(store, learningRate: 0.1), "\(positions)")
            for (index, gradient) in store.gradients.buffer.enumerated() {
                if positions.contains(index) {
                    #expect(gradient.bitPattern == bad.bitPattern, "\(positions): element \(index) is \(gradient)")
                } else {
                    #expect(gradient == 0, "\(positions): element \(index) is \(gradient)")
                }
            }
        }
    }

    /// An optimizer without a pass of its own to probe in (Adam) checks first, and steps only
    /// when the gradients are finite.
    @Test func otherOptimizersCheckBeforeTheStep() {
        let (plain, checked) = twins(seed: 7)
        let reference = Adam(parameterCount: 1000), probing = Adam(parameterCount: 1000)
        reference.step(plain, learningRate: 0.01, zeroingGradients: true)
        #expect(probing.stepCheckingFinite(checked, learningRate: 0.01))
        #expect(sameBits(plain.values.buffer, checked.values.buffer) && probing.stepCount == 1)
        #expect(checked.gradients.buffer.allSatisfy { $0 == 0 })

        let values = Array(checked.values.buffer)
        checked.gradients.buffer.update(repeating: 0.5)
        checked.gradients.buffer[10] = .infinity
        #expect(!probing.stepCheckingFinite(checked, learningRate: 0.01))
        #expect(Array(checked.values.buffer) == values && probing.stepCount == 1)
        #expect(checked.gradients.buffer[10] == .infinity && checked.gradients.buffer[11] == 0.5)
    }
}
