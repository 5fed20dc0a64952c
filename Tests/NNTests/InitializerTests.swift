import NN
import Tensors
import Testing

struct InitializerTests {
    private func sample(_ initializer: Initializer, fanIn: Int, fanOut: Int) -> [Float] {
        var values = [Float](repeating: 0, count: 20_000)
        var generator = Generator(seed: 1)
        values.withUnsafeMutableBufferPointer { initializer.fill($0, fanIn: fanIn, fanOut: fanOut, generator: &generator) }
        return values
    }

    private func variance(_ values: [Float]) -> Float {
        let mean = values.reduce(0, +) / Float(values.count)
        return values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Float(values.count)
    }

    @Test(arguments: [
        (Initializer.heNormal, Float(2.0 / 100)), (.heUniform, 2.0 / 100),
        (.xavierNormal, 2.0 / 150), (.xavierUniform, 2.0 / 150),
    ])
    func hasTheDocumentedVariance(initializer: Initializer, expected: Float) {
        let values = sample(initializer, fanIn: 100, fanOut: 50)
        #expect(abs(variance(values) - expected) / expected < 0.05)
    }

    @Test func uniformStaysInsideItsLimit() {
        let values = sample(.heUniform, fanIn: 24, fanOut: 1)
        #expect(values.allSatisfy { abs($0) <= 0.5 })   // √(6/24)
    }

    @Test func sameSeedSameParameters() throws {
        let a = try Sequential([Dense(units: 8), ReLU(), Dense(units: 3)], inputShape: [5])
        let b = try Sequential([Dense(units: 8), ReLU(), Dense(units: 3)], inputShape: [5])
        a.initializeParameters(seed: 11)
        b.initializeParameters(seed: 11)
        #expect(Array(a.store.values.buffer) == Array(b.store.values.buffer))
        b.initializeParameters(seed: 12)
        #expect(Array(a.store.values.buffer) != Array(b.store.values.buffer))
    }
}
