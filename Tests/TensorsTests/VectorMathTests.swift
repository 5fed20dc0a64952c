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

    @Test func exponentialIsWithinTwoUlpsDownToTheSmallestNormalFloat() {
        // every 8192nd Float in [−87.3, 0] (about 137 000 values), then 0 below and at −∞
        var inputs: [Float] = []
        var x: Float = -0.0
        while x >= -87.3 {
            inputs.append(x)
            x = Float(bitPattern: x.bitPattern + 8192)
        }
        let padded = inputs.count + (16 - inputs.count % 16) % 16
        inputs += [Float](repeating: 0, count: padded - inputs.count)
        var worst: Double = 0
        for start in stride(from: 0, to: inputs.count, by: 16) {
            let v = SIMD16<Float>(inputs[start..<(start + 16)])
            let e = exponential(ofNonPositive: v)
            for lane in 0..<16 {
                let exact = exp(Double(v[lane]))
                worst = max(worst, abs(Double(e[lane]) - exact) / exact)
            }
        }
        #expect(worst < 2.4e-7, "worst relative error \(worst)")            // 2 ulp of Float (measured: 7.6e-8)
        let ends = exponential(ofNonPositive: SIMD16<Float>(0, -0, -87.4, -88, -1000, -.infinity, -1e-8, 0, 0, 0, 0, 0, 0, 0, 0, 0))
        #expect(ends[0] == 1 && ends[1] == 1 && ends[6] == 1)
        #expect(ends[2] == 0 && ends[3] == 0 && ends[4] == 0 && ends[5] == 0)
    }

    @Test func tanhIsWithinTwoTenMillionthsOfTheExactValue() {
        let results = apply { hyperbolicTangent($0, into: $1, count: $2) }
        let worst = zip(inputs, results).map { x, y in abs(Double(y) - tanh(Double(x))) }.max() ?? 1
        #expect(worst < 2e-7)
        #expect(results.suffix(4) == [1, -1, 1, -1])
    }
}
