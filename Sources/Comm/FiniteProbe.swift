// Whether floats are all finite, found in a pass that reads them anyway: a reduction folds the
// probe into the loop that adds its chunk (`PendingReduction.partFinite`), so the training loop's
// non-finite check need not read the summed gradient again (docs/performance.md).

/// A running check that every float added so far is finite (no NaN, no ±∞).
///
/// x − x is 0 for a finite x and NaN otherwise, and a NaN stays NaN under addition, so running
/// sums of x − x end at zero exactly when every x was finite. Sixteen explicit lanes keep the
/// probe vectorized (the compiler keeps a float reduction in order, one element at a time), and
/// cost nothing measurable next to the loads and stores of the pass it rides on.
public struct FiniteProbe {
    private var lanes = SIMD16<Float>(repeating: 0)
    private var rest: Float = 0

    public init() {}

    @inline(__always) public mutating func add(_ values: SIMD16<Float>) { lanes += values - values }
    @inline(__always) public mutating func add(_ value: Float) { rest += value - value }

    /// Whether every value added was finite.
    public var allFinite: Bool { lanes.sum() + rest == 0 }

    /// Whether the `count` floats at `values` are all finite.
    public static func allFinite(_ values: UnsafePointer<Float>, count: Int) -> Bool {
        var probe = FiniteProbe()
        var i = 0
        while i + 16 <= count {
            probe.add(UnsafeRawPointer(values + i).loadUnaligned(as: SIMD16<Float>.self))
            i += 16
        }
        while i < count {
            probe.add(values[i])
            i += 1
        }
        return probe.allFinite
    }
}
