import Tensors
import Testing

struct FiniteProbeTests {
    /// Every position, in the sixteen-lane body and in the tail, for lengths around the lane edges;
    /// the largest finite values and subnormals count as finite.
    @Test func findsNaNAndInfinityAnywhereAndNothingElse() {
        for count in [0, 1, 15, 16, 17, 33, 1000] {
            var values = (0..<count).map { [Float.greatestFiniteMagnitude, -.greatestFiniteMagnitude, .leastNonzeroMagnitude, 0, -1.5][$0 % 5] }
            #expect(FiniteProbe.allFinite(values, count: count), "count \(count)")
            for position in 0..<count {
                for bad in [Float.nan, .infinity, -.infinity] {
                    let kept = values[position]
                    values[position] = bad
                    #expect(!FiniteProbe.allFinite(values, count: count), "count \(count) position \(position) \(bad)")
                    values[position] = kept
                }
            }
        }
    }

    /// Finite values are zeroed and leave the probe finite; NaN and ±∞ are kept as they are
    /// (their bits too) and make it not finite.
    @Test func nonFinitePartKeepsOnlyNaNAndInfinity() {
        var probe = FiniteProbe()
        for value: Float in [0, -0.0, 1.5, -2, .greatestFiniteMagnitude, -.greatestFiniteMagnitude, .leastNonzeroMagnitude, .leastNormalMagnitude] {
            #expect(probe.nonFinitePart(value).bitPattern == 0, "\(value)")
        }
        #expect(probe.allFinite)
        for value: Float in [.nan, -.nan, .signalingNaN, .infinity, -.infinity, Float(bitPattern: 0x7FC0_1234)] {
            var one = FiniteProbe()
            #expect(one.nonFinitePart(value).bitPattern == value.bitPattern, "\(value)")
            #expect(!one.allFinite, "\(value)")
        }
    }

    @Test func allFiniteFindsNaNAndInfinityAnywhere() {
        for count in [0, 1, 15, 16, 17, 1000] {
            var values = [Float](repeating: 1.5, count: count)
            #expect(values.withUnsafeMutableBufferPointer { allFinite($0) })
            for position in Set([0, count / 2, count - 1]) where count > 0 {
                for bad in [Float.nan, .infinity, -.infinity] {
                    values[position] = bad
                    #expect(!values.withUnsafeMutableBufferPointer { allFinite($0) }, "count \(count) position \(position) \(bad)")
                    values[position] = 1.5
                }
            }
        }
        var huge = [Float](repeating: .greatestFiniteMagnitude, count: 64)   // sums overflow, the check must not
        #expect(huge.withUnsafeMutableBufferPointer { allFinite($0) })
    }
}
