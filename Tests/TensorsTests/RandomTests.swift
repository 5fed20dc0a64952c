import Tensors
import Testing

struct RandomTests {
    @Test func sameSeedAndKeysSameStream() {
        var a = Generator(seed: 42, keys: [Purpose.shuffle, 3])
        var b = Generator(seed: 42, keys: [Purpose.shuffle, 3])
        var c = Generator(seed: 42, keys: [Purpose.shuffle, 4])
        let first = (0..<8).map { _ in a.next() }
        #expect(first == (0..<8).map { _ in b.next() })
        #expect(first != (0..<8).map { _ in c.next() })
    }

    @Test func savedStateResumesExactly() {
        var generator = Generator(seed: 9)
        for _ in 0..<5 { _ = generator.next() }
        var restored = Generator(state: generator.state)
        #expect((0..<10).map { _ in generator.next() } == (0..<10).map { _ in restored.next() })
    }

    @Test func permutationIsAPermutation() {
        var generator = Generator(seed: 1)
        let order = generator.permutation(1000)
        #expect(order.sorted() == Array(0..<1000))
        #expect(order != Array(0..<1000))
    }

    @Test func normalHasUnitMomentsAndUniformStaysInRange() {
        var generator = Generator(seed: 2)
        let values = (0..<50_000).map { _ in generator.normal() }
        let mean = values.reduce(0, +) / Float(values.count)
        let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Float(values.count)
        #expect(abs(mean) < 0.02 && abs(variance - 1) < 0.03)
        #expect((0..<10_000).allSatisfy { _ in (0..<1).contains(generator.nextUnitFloat()) })
    }
}
