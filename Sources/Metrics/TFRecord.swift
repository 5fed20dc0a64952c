// TensorFlow's record framing and the few protobuf messages a TensorBoard scalar needs, encoded
// by hand: a generated protobuf library would be the only use of a large dependency.
//
// A record is: uint64 length, uint32 masked CRC-32C of the length, the bytes, uint32 masked
// CRC-32C of the bytes (all little-endian). The messages are tensorflow/core/util/event.proto's
// Event {1: double wall_time, 2: int64 step, 3: string file_version, 5: Summary summary,
// 7: SessionLog session_log} with Summary {1: repeated Value value}, Summary.Value {1: string tag,
// 2: float simple_value} and SessionLog {1: enum status (START = 1)}.

/// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), as TFRecord files use.
public enum CRC32C {
    private static let table: [UInt32] = (0..<256).map { index in
        var crc = UInt32(index)
        for _ in 0..<8 { crc = crc & 1 != 0 ? (crc >> 1) ^ 0x82F6_3B78 : crc >> 1 }
        return crc
    }

    /// The CRC-32C of `bytes` (`checksum(Array("123456789".utf8)) == 0xE3069283`).
    public static func checksum(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes { crc = table[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8) }
        return crc ^ 0xFFFF_FFFF
    }

    /// TFRecord's masked CRC: rotated right by 15 bits plus a constant, so that a CRC of data
    /// that holds CRCs stays well distributed.
    public static func masked(_ bytes: [UInt8]) -> UInt32 {
        let crc = checksum(bytes)
        return ((crc >> 15) | (crc << 17)) &+ 0xA282_EAD8
    }
}

/// One TFRecord frame around `data`.
public func tfRecord(_ data: [UInt8]) -> [UInt8] {
    let length = littleEndian(UInt64(data.count))
    return length + littleEndian(CRC32C.masked(length)) + data + littleEndian(CRC32C.masked(data))
}

private func littleEndian<T: FixedWidthInteger>(_ value: T) -> [UInt8] {
    (0..<(T.bitWidth / 8)).map { UInt8(truncatingIfNeeded: value >> ($0 * 8)) }
}

// MARK: - Protobuf wire format

/// Builds a protobuf message field by field (wire types 0 varint, 1 fixed64, 2 bytes, 5 fixed32).
struct ProtobufWriter {
    private(set) var bytes: [UInt8] = []

    private mutating func varint(_ value: UInt64) {
        var value = value
        while value >= 0x80 {
            bytes.append(UInt8(value & 0x7F) | 0x80)
            value >>= 7
        }
        bytes.append(UInt8(value))
    }

    private mutating func key(_ field: Int, _ wireType: UInt64) { varint(UInt64(field) << 3 | wireType) }

    mutating func int64(_ field: Int, _ value: Int64) {
        key(field, 0)
        varint(UInt64(bitPattern: value))
    }

    mutating func double(_ field: Int, _ value: Double) {
        key(field, 1)
        bytes += littleEndian(value.bitPattern)
    }

    mutating func float(_ field: Int, _ value: Float) {
        key(field, 5)
        bytes += littleEndian(value.bitPattern)
    }

    mutating func bytes(_ field: Int, _ value: [UInt8]) {
        key(field, 2)
        varint(UInt64(value.count))
        bytes += value
    }

    mutating func string(_ field: Int, _ value: String) { bytes(field, Array(value.utf8)) }
}

/// The encoded Event messages the writer emits.
enum TensorBoardEvent {
    /// The first event of every file: `file_version: "brain.Event:2"`.
    static func fileVersion(wallTime: Double) -> [UInt8] {
        var event = ProtobufWriter()
        event.double(1, wallTime)
        event.string(3, "brain.Event:2")
        return event.bytes
    }

    /// Scalars at one step: Event { wall_time, step, summary { value { tag, simple_value } … } }.
    static func scalars(_ values: [(tag: String, value: Float)], step: Int, wallTime: Double) -> [UInt8] {
        var summary = ProtobufWriter()
        for (tag, value) in values {
            var entry = ProtobufWriter()
            entry.string(1, tag)
            entry.float(2, value)
            summary.bytes(1, entry.bytes)
        }
        var event = ProtobufWriter()
        event.double(1, wallTime)
        event.int64(2, Int64(step))
        event.bytes(5, summary.bytes)
        return event.bytes
    }

    /// `session_log { status: START }` at `step`: TensorBoard then drops the events of earlier
    /// files at this step and later (a resumed run repeats them).
    static func sessionStart(step: Int, wallTime: Double) -> [UInt8] {
        var log = ProtobufWriter()
        log.int64(1, 1)
        var event = ProtobufWriter()
        event.double(1, wallTime)
        event.int64(2, Int64(step))
        event.bytes(7, log.bytes)
        return event.bytes
    }
}
