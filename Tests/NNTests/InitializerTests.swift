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

    @Test(arguments: [(3, 7), (7, 3), (5, 5)])
    func orthogonalHasOrthonormalRowsOrColumns(rows: Int, columns: Int) {
        var values = [Float](repeating: 0, count: rows * columns)
        var generator = Generator(seed: 4)
        values.withUnsafeMutableBufferPointer { Initializer.orthogonal.fill($0, fanIn: columns, fanOut: rows, generator: &generator) }
        // the shorter side's vectors: rows of a wide matrix, columns of a tall one
        let (count, length) = (min(rows, columns), max(rows, columns))
        func element(_ vector: Int, _ i: Int) -> Float { rows <= columns ? values[vector * columns + i] : values[i * columns + vector] }
        for a in 0..<count {
            for b in 0..<count {
                let dot = (0..<length).reduce(Float(0)) { $0 + element(a, $1) * element(b, $1) }
                #expect(abs(dot - (a == b ? 1 : 0)) < 1e-5, "vectors \(a), \(b): \(dot)")
            }
        }
        #expect(Initializer(name: "orthogonal") == .orthogonal)
    }

    @Test func blocksFillEachPartWithItsInitializer() {
        var values = [Float](repeating: 9, count: 6)
        var generator = Generator(seed: 1)
        values.withUnsafeMutableBufferPointer {
            Initializer.blocks([.zeros, .constant(1), .constant(2)]).fill($0, fanIn: 1, fanOut: 1, generator: &generator)
        }
        #expect(values == [0, 0, 1, 1, 2, 2])
    }
}
