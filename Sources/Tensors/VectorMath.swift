// The logistic function, tanh and e^x (x ≤ 0) over arrays, 16 lanes at a time: the gate
// activations of the recurrent layers, the Sigmoid and Tanh layers and the softmaxes. glibc's scalar
// expf and tanhf (tanhf goes through expm1f) took over half of an LSTM's training time; Swift does
// not vectorize calls to them (platform.md §4). Also the building blocks of the library's other
// element-wise kernels (optimizers, losses); docs/performance.md, "Element-wise kernels", has the
// measurements.

/// target[i] = σ(source[i]) = 1 / (1 + e^(−source[i])) for i in 0..<count; `target` may be
/// `source`. Within 2e-7 of the exact value for every Float; never overflows.
public func logistic(_ source: UnsafePointer<Float>, into target: UnsafeMutablePointer<Float>, count: Int) {
    forEachVector(source, into: target, count: count) { logistic($0) }
}

/// σ(x) lane by lane, with the accuracy of `logistic(_:into:count:)` (the same arithmetic).
public func logistic(_ x: SIMD16<Float>) -> SIMD16<Float> {
    let e = exponentialOfNonPositive(-magnitude(x))              // e^(−|x|) ∈ (0, 1]
    let r = 1 / (1 + e)
    return r.replacing(with: e * r, where: x .< 0)               // σ(−|x|) = e·σ(|x|)
}

/// target[i] = tanh(source[i]) for i in 0..<count; `target` may be `source`. Within 2e-7 of the
/// exact value for every Float (absolute); never overflows.
public func hyperbolicTangent(_ source: UnsafePointer<Float>, into target: UnsafeMutablePointer<Float>, count: Int) {
    forEachVector(source, into: target, count: count) { x in
        let e = exponentialOfNonPositive(-2 * magnitude(x))      // e^(−2|x|)
        let t = (1 - e) / (1 + e)                                // tanh |x|
        return t.replacing(with: -t, where: x .< 0)
    }
}

/// target[i] = e^(source[i]) for source[i] ≤ 0, i in 0..<count; `target` may be `source`. The
/// accuracy of `exponential(ofNonPositive:)` (the same arithmetic).
public func exponential(ofNonPositive source: UnsafePointer<Float>, into target: UnsafeMutablePointer<Float>, count: Int) {
    forEachVector(source, into: target, count: count) { exponentialOfNonPositive($0) }
}

/// e^x lane by lane for x ≤ 0 (positive lanes are outside its range): Cephes' expf, within
/// 2 ulp of the exact value down to −87.3 and 0 below (tested in VectorMathTests).
public func exponential(ofNonPositive x: SIMD16<Float>) -> SIMD16<Float> {
    exponentialOfNonPositive(x)
}

// MARK: - Building blocks for element-wise kernels
//
// A kernel is written once, for 16 lanes: `forEachVector` walks the elements 16 at a time and
// hands the last partial vector to the same body with `lanes` < 16; `loadVector` pads it with
// zeros and `storeVector` writes only its real lanes. Every element therefore goes through the
// same arithmetic, wherever it sits. Swift compiles SIMD16<Float> to 4 SSE registers on baseline
// x86-64 (platform.md §4: explicit SIMD16 was 3–5× faster than the scalar loop there).

/// Calls `body(index, lanes)` for index = 0, 16, 32, … below `count`; `lanes` is 16 except for a
/// last partial vector.
@inlinable @inline(__always)
public func forEachVector(count: Int, _ body: (_ index: Int, _ lanes: Int) -> Void) {
    var i = 0
    while i + 16 <= count {
        body(i, 16)
        i += 16
    }
    if i < count { body(i, count - i) }
}

/// The 16 floats at `pointer + index`, or its first `lanes` padded with zeros.
@inlinable @inline(__always)
public func loadVector(_ pointer: UnsafePointer<Float>, at index: Int, lanes: Int) -> SIMD16<Float> {
    if lanes == 16 { return UnsafeRawPointer(pointer + index).loadUnaligned(as: SIMD16<Float>.self) }
    var x = SIMD16<Float>(repeating: 0)             // a byte copy: SIMD16's lane subscripts are slow
    withUnsafeMutableBytes(of: &x) { $0.baseAddress!.copyMemory(from: pointer + index, byteCount: lanes * 4) }
    return x
}

/// `loadVector` for a mutable pointer.
@inlinable @inline(__always)
public func loadVector(_ pointer: UnsafeMutablePointer<Float>, at index: Int, lanes: Int) -> SIMD16<Float> {
    loadVector(UnsafePointer(pointer), at: index, lanes: lanes)
}

/// Writes the first `lanes` of `value` to `pointer + index`.
@inlinable @inline(__always)
public func storeVector(_ value: SIMD16<Float>, _ pointer: UnsafeMutablePointer<Float>, at index: Int, lanes: Int) {
    if lanes == 16 { return UnsafeMutableRawPointer(pointer + index).storeBytes(of: value, as: SIMD16<Float>.self) }
    withUnsafeBytes(of: value) { UnsafeMutableRawPointer(pointer + index).copyMemory(from: $0.baseAddress!, byteCount: lanes * 4) }
}

/// True in the first `lanes` lanes: selects the real elements of a last partial vector.
@inlinable @inline(__always)
public func laneMask(_ lanes: Int) -> SIMDMask<SIMD16<Int32>> {
    SIMD16<Int32>(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15) .< SIMD16<Int32>(repeating: Int32(truncatingIfNeeded: lanes))
}

/// |x| lane by lane (the sign bit cleared: what `abs` does to one Float).
@inlinable @inline(__always)
public func absoluteValue(_ x: SIMD16<Float>) -> SIMD16<Float> {
    unsafeBitCast(unsafeBitCast(x, to: SIMD16<UInt32>.self) & 0x7FFF_FFFF, to: SIMD16<Float>.self)
}

/// √x for x ≥ 0, lane by lane (the sign bit is cleared first, so a negative lane gives √|x|).
/// `SIMD16.squareRoot()` alone goes through libm's `sqrtf` lane by lane, because of errno
/// for negative inputs; with the sign known, LLVM emits `sqrtps`. The result is the IEEE square
/// root: bit for bit what `Float.squareRoot()` gives for every x ≥ 0 (−0 gives +0).
@inlinable @inline(__always)
public func squareRootOfNonNegative(_ x: SIMD16<Float>) -> SIMD16<Float> {
    absoluteValue(x).squareRoot()
}

// MARK: - Kernels

private typealias Vector = SIMD16<Float>

/// Applies `body` to `count` elements, 16 at a time (the last partial vector padded with zeros).
@inline(__always)
private func forEachVector(_ source: UnsafePointer<Float>, into target: UnsafeMutablePointer<Float>, count: Int,
                           _ body: (Vector) -> Vector) {
    forEachVector(count: count) { i, lanes in
        storeVector(body(loadVector(source, at: i, lanes: lanes)), target, at: i, lanes: lanes)
    }
}

@inline(__always) private func bits(_ x: Vector) -> SIMD16<UInt32> { unsafeBitCast(x, to: SIMD16<UInt32>.self) }

@inline(__always) private func vector(bits: SIMD16<UInt32>) -> Vector { unsafeBitCast(bits, to: Vector.self) }

@inline(__always) private func magnitude(_ x: Vector) -> Vector { vector(bits: bits(x) & 0x7FFF_FFFF) }

/// e^x for x ≤ 0; below −87.3 the result is 0 (the exact value there is below 1.2e-38, the
/// smallest normal Float, so the absolute error stays below that; σ(−1000) is then exactly 0, as
/// with libm's expf). Cephes' expf: x = n·ln 2 + r with |r| ≤ ln 2 / 2, e^r by a degree-7 polynomial,
/// 2ⁿ added to the exponent bits.
///
/// ### References
/// 1. Moshier, Cephes Math Library, `expf.c` (coefficients and the two-part ln 2).
@inline(__always) private func exponentialOfNonPositive(_ x: Vector) -> Vector {
    let tiny = x .< -87.3
    let x = x.replacing(with: -87.3, where: tiny)
    let shifter = Vector(repeating: 12_582_912)                 // 1.5·2²³: adding it rounds to an integer
    let shifted = x * 1.442_695_04 + shifter                    // x·log₂e, rounded, in the low mantissa bits
    let n = shifted - shifter
    let r = (x - n * 0.693_359_375) - n * -2.121_944_40e-4      // x − n·ln 2, ln 2 in two parts
    var p = Vector(repeating: 1.987_569_150_0e-4)
    p = p * r + 1.398_199_950_7e-3
    p = p * r + 8.333_451_907_3e-3
    p = p * r + 4.166_579_589_4e-2
    p = p * r + 1.666_666_545_9e-1
    p = p * r + 5.000_000_120_1e-1
    let er = p * (r * r) + r + 1                                // e^r ∈ [0.7, 1.42]
    let exponent = (bits(shifted) &- bits(shifter)) &<< 23      // n, moved to the exponent field
    return vector(bits: bits(er) &+ exponent).replacing(with: 0, where: tiny)
}
