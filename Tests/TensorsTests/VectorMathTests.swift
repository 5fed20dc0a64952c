import Foundation
import Tensors
import Testing

struct VectorMathTests {
    /// 100 003 points over [−30, 30] (not a multiple of 16: the padded tail is covered) and the
    /// extremes, where nothing may overflow.
    private let inputs: [Float] = (0..<100_003).map { -30 + 60 * Float($0) / 100_003 }
        + [0, -0, 1e-8, -1e-8, 88, -88, 1e30, -1e30, .greatestFiniteMagnitude, -.greatestFiniteMagnitude]

    private func apply(_ kernel: (UnsafePointer<Float>, UnsafeMutablePointer<Float>, Int) -> Void) -> [Float] {
        var values = inputs
        values.withUnsafeMutableBufferPointer { kernel($0.baseAddress!, $0.baseAddress!, $0.count) }   // in place
        return values
    }

    @Test func logisticIsWithinTwoTenMillionthsOfTheExactValue() {
        let worst = zip(inputs, apply { logistic($0, into: $1, count: $2) }).map { x, y in
            abs(Double(y) - 1 / (1 + exp(-Double(x))))
        }.max() ?? 1
        #expect(worst < 2e-7)
    }

    @Test func tanhIsWithinTwoTenMillionthsOfTheExactValue() {
        let results = apply { hyperbolicTangent($0, into: $1, count: $2) }
        let worst = zip(inputs, results).map { x, y in abs(Double(y) - tanh(Double(x))) }.max() ?? 1
        #expect(worst < 2e-7)
        #expect(results.suffix(4) == [1, -1, 1, -1])
    }
}
