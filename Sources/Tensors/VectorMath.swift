// The logistic function and tanh over arrays, 16 lanes at a time: the gate activations of the
// recurrent layers. glibc's scalar expf and tanhf (tanhf goes through expm1f) took over half of an
// LSTM's training time; Swift does not vectorize calls to them (platform.md §4).

/// target[i] = σ(source[i]) = 1 / (1 + e^(−source[i])) for i in 0..<count; `target` may be
/// `source`. Within 2e-7 of the exact value for every Float; never overflows.
public func logistic(_ source: UnsafePointer<Float>, into target: UnsafeMutablePointer<Float>, count: Int) {
    forEachVector(source, into: target, count: count) { x in
        let e = exponentialOfNonPositive(-magnitude(x))          // e^(−|x|) ∈ (0, 1]
        let r = 1 / (1 + e)
        return r.replacing(with: e * r, where: x .< 0)           // σ(−|x|) = e·σ(|x|)
    }
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

// MARK: - Kernels

private typealias Vector = SIMD16<Float>

/// Applies `body` to `count` elements, 16 at a time; the last partial vector is padded with
/// zeros, so every element goes through the same arithmetic.
@inline(__always)
private func forEachVector(_ source: UnsafePointer<Float>, into target: UnsafeMutablePointer<Float>, count: Int,
                           _ body: (Vector) -> Vector) {
    let whole = count - count % Vector.scalarCount
    var i = 0
    while i < whole {
        let x = UnsafeRawPointer(source + i).loadUnaligned(as: Vector.self)
        UnsafeMutableRawPointer(target + i).storeBytes(of: body(x), as: Vector.self)
        i += Vector.scalarCount
    }
    guard whole < count else { return }
    var x = Vector(repeating: 0)
    for lane in 0..<(count - whole) { x[lane] = source[whole + lane] }
    let y = body(x)
    for lane in 0..<(count - whole) { target[whole + lane] = y[lane] }
}

@inline(__always) private func bits(_ x: Vector) -> SIMD16<UInt32> { unsafeBitCast(x, to: SIMD16<UInt32>.self) }

@inline(__always) private func vector(bits: SIMD16<UInt32>) -> Vector { unsafeBitCast(bits, to: Vector.self) }

@inline(__always) private func magnitude(_ x: Vector) -> Vector { vector(bits: bits(x) & 0x7FFF_FFFF) }

/// e^x for x ≤ 0 (below −87.3 the result is clamped at e^−87.3 ≈ 1.2e-38 instead of going
/// subnormal). Cephes' expf: x = n·ln 2 + r with |r| ≤ ln 2 / 2, e^r by a degree-7 polynomial,
/// 2ⁿ added to the exponent bits.
///
/// ### References
/// 1. Moshier, Cephes Math Library, `expf.c` (coefficients and the two-part ln 2).
@inline(__always) private func exponentialOfNonPositive(_ x: Vector) -> Vector {
    let x = x.replacing(with: -87.3, where: x .< -87.3)
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
    return vector(bits: bits(er) &+ exponent)
}
