import Comm
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
}
