// Whether floats are all finite (no NaN, no ±∞). A pass that reads the values anyway folds
// `FiniteProbe` into its loop: a reduction into the loop that adds its chunk
// (`PendingReduction.partFinite`), SGD into its update (`Optimizer.stepCheckingFinite`), so the
// training loop's non-finite check need not read the gradient again (docs/performance.md).
// `allFinite(_:)` is the check on its own.

/// A running check that every float added so far is finite (no NaN, no ±∞).
///
/// A float is NaN or ±∞ exactly when its exponent bits are all ones, and then
/// `(bits & 0x7F80_0000) + 0x0080_0000` carries into bit 31; the probe ORs those words. An OR is
/// an integer reduction the compiler can vectorize (it keeps a float reduction in order, one
/// element at a time). `add` costs nothing measurable next to the loads and stores of the 2-rank
/// sum's pass (which stays scalar anyway, bound by the memory traffic between the cores:
/// docs/performance.md, "The sum's loop, vectorized by hand"); `nonFinitePart` adds about 40 µs to
/// SGD's 2 MB vector pass, which is compute-bound enough on SSE2 for four more operations to show.
///
/// Inlinable, so that the probe inlines into the loops of other modules (`CommMPI`, `NN`).
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

    /// Adds `value`, and returns it when it is NaN or ±∞, otherwise 0: what a pass that clears
    /// a buffer as it reads it leaves behind, so that the non-finite elements can still be found
    /// and named afterwards. Branch-free: one compare gives a mask that is both ORed into the
    /// probe and ANDed with the value: four vector operations per group of lanes, against five
    /// for `add` and a mask made from its carry (docs/performance.md).
    @inlinable @inline(__always) public mutating func nonFinitePart(_ value: Float) -> Float {
        let mask: UInt32 = value.bitPattern & 0x7F80_0000 == 0x7F80_0000 ? ~0 : 0   // all ones when not finite
        bits |= mask
        return Float(bitPattern: value.bitPattern & mask)
    }
}

/// Whether every element of `buffer` is finite, on its own pass. Σ x² through BLAS (`sdot`, fast
/// in debug builds too: about 30 µs for 2 MB) is finite exactly when every element is, unless a
/// huge finite element overflows it; only then are the elements looked at one by one. (A pass
/// that reads the values anyway uses `FiniteProbe` instead; alone, in a debug build, its plain
/// loop is about 100 times slower than `sdot`.)
public func allFinite(_ buffer: UnsafeMutableBufferPointer<Float>) -> Bool {
    guard let base = buffer.baseAddress else { return true }
    return sumOfSquares(count: buffer.count, x: base).isFinite || buffer.allSatisfy(\.isFinite)
}
