// A fingerprint of the parameters, compared across ranks to prove they are still identical.
import Tensors

extension ParameterStore {
    /// A 64-bit FNV-1a hash of the raw bits of every parameter value. Equal parameters give equal
    /// checksums on every rank and machine; any differing bit changes it (with overwhelming odds).
    public func checksum() -> UInt64 {
        bitChecksum(UnsafeBufferPointer(rebasing: values.buffer[0..<count]))
    }
}

/// A 64-bit FNV-1a hash of the raw bits of `values`, word by word (the parameter and buffer
/// checksums).
public func bitChecksum(_ values: UnsafeBufferPointer<Float>) -> UInt64 {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    for value in values {
        hash = (hash ^ UInt64(value.bitPattern)) &* 0x0000_0100_0000_01B3
    }
    return hash
}

/// A checksum as 16 hex digits, the way logs and tests print it.
public func hexChecksum(_ value: UInt64) -> String {
    let digits = String(value, radix: 16)
    return String(repeating: "0", count: 16 - digits.count) + digits
}
