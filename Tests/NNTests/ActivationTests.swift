import NN
import Tensors
import TestSupport
import Testing

/// Whether every element of `actual` is within `tolerance` of `expected`.
private func close(_ actual: [Float], _ expected: [Float], tolerance: Float = 1e-5) -> Bool {
    actual.count == expected.count && zip(actual, expected).allSatisfy { abs($0 - $1) <= tolerance }
}

/// A [2, 4] input drawn uniformly from [-2, 2] (smooth activations have no kinks to avoid).
private func randomInput(seed: UInt64) -> Tensor {
    var generator = Generator(seed: seed, keys: [1234])
    return Tensor(shape: [2, 4], values: (0..<8).map { _ in generator.uniform(-2, 2) })
}

/// Inputs kept at least 0.25 away from 0, where LeakyReLU's derivative jumps.
private let awayFromKink: [Float] = [-0.9, 0.7, -0.3, 0.4, 0.8, -0.6, 0.25, -0.45]

private let upstream = Tensor(shape: [1, 4], values: [10, 20, 30, 40])
private let ones = Tensor(shape: [1, 4], values: [1, 1, 1, 1])

struct LeakyReLUTests {
    @Test func forwardScalesNegativesAndBackwardScalesTheirGradient() {
        let layer = LeakyReLU(slope: 0.1)
        let y = layer.forward(Tensor(shape: [1, 4], values: [-2, -0.5, 0.5, 3]), mode: .training)
        #expect(close(y.toArray(), [-0.2, -0.05, 0.5, 3]), "\(y)")
        let dx = layer.backward(upstream)
        #expect(close(dx.toArray(), [1, 2, 30, 40]), "\(dx)")
    }

    @Test func defaultSlopeAndSummary() throws {
        let layer = LeakyReLU()
        #expect(layer.slope == 0.01)
        #expect(layer.summary == "LeakyReLU(0.01)")
        #expect(try layer.build(inputShape: [3, 5]).outputShape == [3, 5])
        #expect(try layer.build(inputShape: [3, 5]).parameters.isEmpty)
    }

    @Test func backwardMatchesFiniteDifferences() throws {
        let input = Tensor(shape: [2, 4], values: awayFromKink)
        let report = try checkLayerGradients(LeakyReLU(slope: 0.2), inputShape: [4], input: input)
        #expect(report.error < 1e-3, "\(report)")
    }
}

struct SigmoidTests {
    @Test func forwardAndBackwardOnKnownValues() {
        let layer = Sigmoid()
        #expect(layer.summary == "Sigmoid")
        // σ(0) = 1/2, σ(±2) = 1/(1 + e^∓2), σ(ln 3) = 3/4
        let y = layer.forward(Tensor(shape: [1, 4], values: [0, 2, -2, 1.0986123]), mode: .training)
        #expect(close(y.toArray(), [0.5, 0.880797078, 0.119202922, 0.75]), "\(y)")
        // σ' = σ(1 − σ): 1/4, 0.104993585 (both signs), 3/16
        let dx = layer.backward(ones)
        #expect(close(dx.toArray(), [0.25, 0.104993585, 0.104993585, 0.1875]), "\(dx)")
    }

    @Test func stableForLargeMagnitudes() {
        let layer = Sigmoid()
        let y = layer.forward(Tensor(shape: [1, 4], values: [-100, 100, -1000, 1000]), mode: .training)
        let values = y.toArray()
        #expect(values.allSatisfy { $0.isFinite }, "\(y)")
        #expect(values[0] >= 0 && values[0] < 1e-30)
        #expect(values[1] == 1)
        #expect(values[2] == 0)
        #expect(values[3] == 1)
        let dx = layer.backward(ones)
        #expect(dx.toArray().allSatisfy { $0.isFinite && abs($0) < 1e-30 }, "\(dx)")
    }

    @Test func backwardMatchesFiniteDifferences() throws {
        let report = try checkLayerGradients(Sigmoid(), inputShape: [4], input: randomInput(seed: 11))
        #expect(report.error < 1e-3, "\(report)")
    }
}

struct SoftmaxTests {
    @Test func forwardAndBackwardOnKnownValues() {
        let layer = Softmax()
        #expect(layer.summary == "Softmax")
        // softmax(0, ln 3) = (1/4, 3/4); a shift by 1000 changes nothing and does not overflow
        let y = layer.forward(Tensor(shape: [2, 2], values: [0, 1.0986123, 1000, 1001.0986123]), mode: .training)
        #expect(close(y.toArray(), [0.25, 0.75, 0.25, 0.75]), "\(y)")
        // dx = y ⊙ (dy − ⟨dy, y⟩): dy = (1, 0) gives (1/4·(1 − 1/4), 3/4·(0 − 1/4)) = (3/16, −3/16)
        let dx = layer.backward(Tensor(shape: [2, 2], values: [1, 0, 1, 0]))
        #expect(close(dx.toArray(), [0.1875, -0.1875, 0.1875, -0.1875]), "\(dx)")
    }

    @Test func backwardMatchesFiniteDifferences() throws {
        let report = try checkLayerGradients(Softmax(), inputShape: [4], input: randomInput(seed: 13))
        #expect(report.error < 1e-3, "\(report)")
    }
}

struct TanhTests {
    @Test func forwardAndBackwardOnKnownValues() {
        let layer = Tanh()
        #expect(layer.summary == "Tanh")
        // tanh(ln 2) = (2 − 1/2)/(2 + 1/2) = 0.6
        let y = layer.forward(Tensor(shape: [1, 4], values: [0, 1, -0.5, 0.69314718]), mode: .training)
        #expect(close(y.toArray(), [0, 0.761594156, -0.462117157, 0.6]), "\(y)")
        // 1 − tanh²
        let dx = layer.backward(ones)
        #expect(close(dx.toArray(), [1, 0.419974342, 0.786447733, 0.64]), "\(dx)")
    }

    @Test func backwardMatchesFiniteDifferences() throws {
        let report = try checkLayerGradients(Tanh(), inputShape: [4], input: randomInput(seed: 12))
        #expect(report.error < 1e-3, "\(report)")
    }
}

struct GELUTests {
    @Test func forwardAndBackwardOnKnownValues() {
        let layer = GELU()
        #expect(layer.summary == "GELU")
        // x·Φ(x): Φ(1) = 0.841344746, Φ(2) = 0.977249868
        let y = layer.forward(Tensor(shape: [1, 4], values: [0, 1, -1, 2]), mode: .training)
        #expect(close(y.toArray(), [0, 0.841344746, -0.158655254, 1.954499736]), "\(y)")
        // Φ(x) + x·φ(x): φ(1) = 0.241970725, φ(2) = 0.053990967
        let dx = layer.backward(ones)
        #expect(close(dx.toArray(), [0.5, 1.083315471, -0.083315471, 1.085231799]), "\(dx)")
    }

    @Test func backwardMatchesFiniteDifferences() throws {
        let report = try checkLayerGradients(GELU(), inputShape: [4], input: randomInput(seed: 13))
        #expect(report.error < 1e-3, "\(report)")
    }
}

struct IdentityTests {
    @Test func passesValuesAndGradientsThrough() {
        let layer = Identity()
        #expect(layer.summary == "Identity")
        let x = Tensor(shape: [1, 4], values: [-2, -0.5, 0.5, 3])
        let y = layer.forward(x, mode: .training)
        #expect(y.toArray() == [-2, -0.5, 0.5, 3])
        let dx = layer.backward(upstream)
        #expect(dx.toArray() == [10, 20, 30, 40])
    }

    @Test func backwardMatchesFiniteDifferences() throws {
        let report = try checkLayerGradients(Identity(), inputShape: [4], input: randomInput(seed: 14))
        #expect(report.error < 1e-3, "\(report)")
    }
}
