// Whether floats are all finite, found in a pass that reads them anyway: a reduction folds the
// probe into the loop that adds its chunk (`PendingReduction.partFinite`), so the training loop's
// non-finite check need not read the summed gradient again (docs/performance.md).

/// A running check that every float added so far is finite (no NaN, no ±∞).
///
/// A float is NaN or ±∞ exactly when its exponent bits are all ones, and then
/// `(bits & 0x7F80_0000) + 0x0080_0000` carries into bit 31; the probe ORs those words. An OR is
/// an integer reduction the compiler can vectorize (it keeps a float reduction in order, one
/// element at a time), and the probe costs nothing measurable next to the loads and stores of the
/// pass it rides on. (The 2-rank sum's pass stays scalar anyway, and is still bound by the memory
/// traffic between the cores: docs/performance.md, "The sum's loop, vectorized by hand".)
///
/// Inlinable, so that the probe inlines into the loops of other modules (`CommMPI`).
@frozen public struct FiniteProbe {
    @usableFromInline var bits: UInt32 = 0

    @inlinable public init() {}

    @inlinable @inline(__always) public mutating func add(_ value: Float) {
        bits |= (value.bitPattern & 0x7F80_0000) &+ 0x0080_0000
    }

    /// Whether every value added was finite.
    @inlinable public var allFinite: Bool { bits & 0x8000_0000 == 0 }

    /// Whether the `count` floats at `values` are all finite.
    @inlinable public static func allFinite(_ values: UnsafePointer<Float>, count: Int) -> Bool {
        var probe = FiniteProbe()
        for i in 0..<count { probe.add(values[i]) }
        return probe.allFinite
    }
}
