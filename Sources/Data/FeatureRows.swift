// A shard's features in memory: float32 rows, or the uint8 rows a file stores with the
// normalization applied as rows are read (a quarter of the memory, and of the bytes a batch reads).
import CByteRows
import Tensors

/// The (N, D) features of a shard, normalized as `DatasetShard.load` defines: float32 rows, or,
/// for a file that stores uint8 features and was loaded `keepingBytes`, the bytes as stored and
/// the normalization `x · multiplier + offset`, applied whenever a row is read.
///
/// Both give the same floats to the bit: a byte row is converted with the arithmetic the float
/// load uses (`DatasetShard.load`), in the same order. Byte rows take a quarter of the memory,
/// and a training batch gathered from random rows reads a quarter of the bytes
/// (docs/performance.md, "Training shards kept as bytes").
///
/// ```swift
/// let shard = try DatasetShard.load(path: "train-00000-of-00002.h5", keepingBytes: true)
/// shard.features.isBytes           // true for Fashion-MNIST (uint8 pixels)
/// shard.features.memoryBytes       // 27,500 × 784 bytes
/// shard.features.copyRow(0, to: p) // 784 floats in [0, 1]
/// ```
public struct FeatureRows: @unchecked Sendable {
    /// N.
    public let rowCount: Int
    /// D.
    public let rowLength: Int
    private let floats: Tensor?
    private let bytes: ByteRows?

    /// Float rows: `tensor` is (N, D).
    public init(_ tensor: Tensor) {
        precondition(tensor.shape.count == 2, "FeatureRows: features must be (N, D), got \(tensor.shape)")
        rowCount = tensor.rowCount
        rowLength = tensor.rowLength
        floats = tensor
        bytes = nil
    }

    /// Byte rows (they carry their normalization).
    init(bytes: ByteRows) {
        rowCount = bytes.rowCount
        rowLength = bytes.rowLength
        floats = nil
        self.bytes = bytes
    }

    /// (N, D).
    public var shape: [Int] { [rowCount, rowLength] }
    /// N · D.
    public var count: Int { rowCount * rowLength }
    /// Whether the rows are held as bytes.
    public var isBytes: Bool { bytes != nil }
    /// The bytes the rows take in memory.
    public var memoryBytes: Int { count * (isBytes ? 1 : MemoryLayout<Float>.stride) }
    /// The float rows as one tensor, when they are held as floats; nil for byte rows.
    public var tensor: Tensor? { floats }

    /// Where row `row` starts in memory (to prefetch it).
    public func address(ofRow row: Int) -> UnsafeRawPointer {
        if let bytes { return UnsafeRawPointer(bytes.pointer + row * rowLength) }
        return UnsafeRawPointer(floats!.pointer + row * rowLength)
    }

    /// Writes row `row`, normalized, to `destination` (D floats).
    @inline(__always)
    public func copyRow(_ row: Int, to destination: UnsafeMutablePointer<Float>) {
        if let bytes {
            bytes.convert(row: row, to: destination)
        } else {
            destination.update(from: floats!.pointer + row * rowLength, count: rowLength)
        }
    }

    /// Rows `range` as an (n, D) tensor: a view for float rows, converted for byte rows.
    public func rows(_ range: Range<Int>) -> Tensor {
        if let floats { return floats.rows(range) }
        let result = Tensor(zeros: [range.count, rowLength])
        for (i, row) in range.enumerated() { copyRow(row, to: result.pointer + i * rowLength) }
        return result
    }

    /// Every value, row by row.
    public func toArray() -> [Float] {
        floats?.toArray() ?? rows(0..<rowCount).toArray()
    }

    /// The value at `row`, `column`.
    public subscript(row: Int, column: Int) -> Float {
        if let floats { return floats[row, column] }
        var values = [Float](repeating: 0, count: rowLength)
        values.withUnsafeMutableBufferPointer { copyRow(row, to: $0.baseAddress!) }
        return values[column]
    }

    /// The first value that is NaN or ±∞, as (row, value); nil when all are finite.
    public func firstNonFinite() -> (row: Int, value: Float)? {
        if let floats {
            let x = floats.pointer
            guard let bad = (0..<count).first(where: { !x[$0].isFinite }) else { return nil }
            return (bad / rowLength, x[bad])
        }
        var row = [Float](repeating: 0, count: rowLength)
        return row.withUnsafeMutableBufferPointer { buffer -> (row: Int, value: Float)? in
            for index in 0..<rowCount {
                copyRow(index, to: buffer.baseAddress!)
                if let bad = buffer.first(where: { !$0.isFinite }) { return (index, bad) }
            }
            return nil
        }
    }
}

/// uint8 rows as a file stores them, and the normalization of `DatasetShard.load`.
final class ByteRows: @unchecked Sendable {
    let rowCount: Int
    let rowLength: Int
    let pointer: UnsafeMutablePointer<UInt8>
    private let multiplier: [Float]
    private let offset: [Float]

    /// Allocates `rowCount` × `rowLength` bytes, placed as `TensorStorage` places its buffers
    /// (`allocateBytes`), for the caller to fill.
    init(rowCount: Int, rowLength: Int, multiplier: [Float], offset: [Float]) {
        precondition(multiplier.count == offset.count && (multiplier.count == 1 || multiplier.count == rowLength),
                     "ByteRows: \(multiplier.count) multipliers and \(offset.count) offsets for rows of \(rowLength)")
        self.rowCount = rowCount
        self.rowLength = rowLength
        self.multiplier = multiplier
        self.offset = offset
        let bytes = max(rowCount * rowLength, 1)
        pointer = TensorStorage.allocateBytes(bytes).bindMemory(to: UInt8.self, capacity: bytes)
    }

    deinit { pointer.deallocate() }

    /// Row `row` as floats: x · m + o per feature, x · m + o, x · m or x, the branches and the
    /// arithmetic of `DatasetShard.readFeatures`, so the floats are the ones a float load makes.
    /// The loops are C (`CByteRows`), built for the CPU's widest vectors.
    @inline(__always)
    func convert(row: Int, to destination: UnsafeMutablePointer<Float>) {
        let source = pointer + row * rowLength
        if multiplier.count > 1 {
            multiplier.withUnsafeBufferPointer { m in
                offset.withUnsafeBufferPointer { o in
                    swiftddp_bytes_to_floats_per_feature(source, destination, rowLength, m.baseAddress, o.baseAddress)
                }
            }
        } else {
            let terms: Int32 = offset[0] != 0 ? 2 : multiplier[0] != 1 ? 1 : 0
            swiftddp_bytes_to_floats(source, destination, rowLength, multiplier[0], offset[0], terms)
        }
    }
}
