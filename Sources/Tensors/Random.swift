// The project's one random number generator: seedable, splittable by key, with a state that
// can be saved and restored exactly (for checkpoints and bit-identical resume).
import Glibc

/// xoshiro256** seeded through SplitMix64.
///
/// Every random stream in a run is derived from the run seed plus a list of keys that name its
/// purpose (`Generator(seed: 42, keys: [Purpose.shuffle, epoch])`), so a stream never depends on
/// how many numbers another stream has drawn, and data order is a pure function of
/// (seed, epoch): resuming needs no generator state at all for it.
///
/// ### References
/// 1. Blackman & Vigna, "Scrambled linear pseudorandom number generators", 2018.
///    https://prng.di.unimi.it/
public struct Generator: RandomNumberGenerator, Sendable, Equatable {
    // The four state words s0 … s3, stored inline: an array here would make seeding a stream
    // and copying one (a layer's local copy for a hot loop) heap allocations (issue 8).
    private var s0: UInt64, s1: UInt64, s2: UInt64, s3: UInt64

    /// The four state words; save them to resume the stream exactly.
    public var state: [UInt64] { [s0, s1, s2, s3] }

    /// Seeds the stream from `seed` and the purpose `keys`.
    public init(seed: UInt64, keys: [UInt64] = []) {
        var mix = seed
        for key in keys { mix = Generator.splitMix(&mix) ^ key }
        s0 = Generator.splitMix(&mix)
        s1 = Generator.splitMix(&mix)
        s2 = Generator.splitMix(&mix)
        s3 = Generator.splitMix(&mix)
        if s0 == 0 && s1 == 0 && s2 == 0 && s3 == 0 { s0 = 1 }
    }

    /// Restores a stream from saved `state` (four words, not all zero).
    public init(state: [UInt64]) {
        precondition(state.count == 4 && state.contains { $0 != 0 }, "Generator: invalid state \(state)")
        (s0, s1, s2, s3) = (state[0], state[1], state[2], state[3])
    }

    private static func splitMix(_ x: inout UInt64) -> UInt64 {
        x &+= 0x9E37_79B9_7F4A_7C15
        var z = x
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    private static func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        let result = Generator.rotl(s1 &* 5, 7) &* 9
        let t = s1 << 17
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = Generator.rotl(s3, 45)
        return result
    }

    /// A uniform `Float` in [0, 1) with 24 random bits.
    public mutating func nextUnitFloat() -> Float {
        Float(next() >> 40) * (1.0 / 16_777_216.0)
    }

    /// A uniform `Float` in [low, high).
    public mutating func uniform(_ low: Float, _ high: Float) -> Float {
        low + (high - low) * nextUnitFloat()
    }

    /// A normal deviate with the given mean and standard deviation (Box–Muller, in Double).
    public mutating func normal(mean: Float = 0, standardDeviation: Float = 1) -> Float {
        let u1 = (Double(next() >> 11) + 1) * (1.0 / 9_007_199_254_740_992.0)  // (0, 1]
        let u2 = Double(next() >> 11) * (1.0 / 9_007_199_254_740_992.0)
        let z = (-2 * _log(u1)).squareRoot() * _cos(2 * Double.pi * u2)
        return mean + standardDeviation * Float(z)
    }

    /// A uniform integer in 0..<bound, without modulo bias (Lemire's method).
    public mutating func nextInt(below bound: Int) -> Int {
        precondition(bound > 0, "Generator.nextInt: bound must be > 0, got \(bound)")
        let b = UInt64(bound)
        var product = next().multipliedFullWidth(by: b)
        if product.low < b {
            let threshold = (0 &- b) % b
            while product.low < threshold { product = next().multipliedFullWidth(by: b) }
        }
        return Int(product.high)
    }

    /// A uniformly random permutation of 0..<count (Fisher–Yates).
    public mutating func permutation(_ count: Int) -> [Int] {
        var order = Array(0..<count)
        if count > 1 {
            for i in stride(from: count - 1, to: 0, by: -1) {
                order.swapAt(i, nextInt(below: i + 1))
            }
        }
        return order
    }
}

/// Keys naming the purpose of a random stream, combined with the run seed.
public enum Purpose {
    /// Parameter initialization.
    public static let initialization: UInt64 = 0x696E_6974
    /// Per-epoch shuffle of the training samples.
    public static let shuffle: UInt64 = 0x7368_7566
    /// Splitting a validation set off the training set when preparing data.
    public static let split: UInt64 = 0x7370_6C74
    /// Dropout masks.
    public static let dropout: UInt64 = 0x6472_6F70
    /// Image augmentation of training samples (random crop and flip).
    public static let augmentation: UInt64 = 0x6175_676D
}

@inline(__always) private func _log(_ x: Double) -> Double { Glibc.log(x) }
@inline(__always) private func _cos(_ x: Double) -> Double { Glibc.cos(x) }
