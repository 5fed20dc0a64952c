// The tensor type: a shape over row-major Float storage that is shared, not copied, on assignment.
import Glibc

/// Owns one heap block of `Float`s; `Tensor`s are views onto it.
///
/// Reference semantics are deliberate (as with `torch.Tensor`): training reuses activation and
/// gradient buffers every step, and a copy-on-write array would copy them whenever a layer keeps
/// its input for the backward pass (platform.md §4: 26–33 µs per MB).
public final class TensorStorage: @unchecked Sendable {
    /// The elements; `count` is the capacity.
    public let buffer: UnsafeMutableBufferPointer<Float>

    /// What keeps borrowed memory alive; nil when this storage allocated `buffer` itself.
    private let owner: AnyObject?

    /// Allocates `count` zeroed elements.
    public init(count: Int) {
        precondition(count >= 0, "TensorStorage: negative count \(count)")
        buffer = Self.allocate(count: max(count, 1))
        buffer.initialize(repeating: 0)
        owner = nil
    }

    /// The size of a transparent huge page on x86-64 and of the alignment of large buffers.
    public static let hugePageBytes = 2 << 20

    /// A buffer of `count` elements. One of 2 MiB or more starts on a 2 MiB boundary, and the
    /// kernel is asked to back its whole 2 MiB pages with transparent huge pages (where the
    /// system leaves THP to `madvise`, as Debian does) before the first touch, so a pass over it
    /// misses the TLB once per 2 MiB instead of once per 4 KiB. Under a hypervisor a miss walks
    /// two page tables, so this is what makes a batch gathered from random rows of a 100 MB shard
    /// cheap, and the optimizer's pass over the parameters, their gradients and its state (each
    /// 2.1 MB for the default MLP) 15–20 % faster inside a training step (docs/performance.md).
    /// Best effort: where the kernel refuses, nothing else changes. The tail past the last whole
    /// huge page stays on small pages, and the alignment costs address space, not memory: the
    /// bytes it skips are never touched.
    private static func allocate(count: Int) -> UnsafeMutableBufferPointer<Float> {
        let raw = allocateBytes(count * MemoryLayout<Float>.stride)
        return UnsafeMutableBufferPointer(start: raw.bindMemory(to: Float.self, capacity: count), count: count)
    }

    /// `byteCount` uninitialized bytes placed as `allocate(count:)` places a buffer (a 2 MiB
    /// boundary and huge pages advised from 2 MiB up); for other element types, such as a shard's
    /// uint8 rows. Free them with `deallocate()`.
    public static func allocateBytes(_ byteCount: Int) -> UnsafeMutableRawPointer {
        guard byteCount >= hugePageBytes else { return .allocate(byteCount: max(byteCount, 1), alignment: 16) }
        let raw = UnsafeMutableRawPointer.allocate(byteCount: byteCount, alignment: hugePageBytes)
        _ = madvise(raw, byteCount & ~(hugePageBytes - 1), MADV_HUGEPAGE)
        return raw
    }

    /// Uses memory that `owner` allocated and keeps valid (a communicator's shared-memory
    /// gradient buffer, for instance); this storage never frees it.
    public init(borrowing buffer: UnsafeMutableBufferPointer<Float>, owner: AnyObject) {
        self.buffer = buffer
        self.owner = owner
    }

    deinit {
        if owner == nil { buffer.deallocate() }
    }
}

/// A row-major `Float` array of any rank.
///
/// A `Tensor` is a view: its `shape` and `offset` pick elements of a `TensorStorage`. Assigning a
/// tensor shares its elements; `copy()` makes an independent one. Dimension letters used in
/// shape comments across the project are listed in docs/glossary.md (N batch rows, D features,
/// K classes).
///
/// ```swift
/// let x = Tensor(shape: [2, 3], values: [1, 2, 3, 4, 5, 6])
/// x[1, 2]        // 6
/// x.rows(1..<2)  // a [1, 3] view sharing x's storage
/// ```
public struct Tensor: @unchecked Sendable, CustomStringConvertible {
    /// The extent of each dimension.
    public let shape: [Int]
    /// Where the first element sits in `storage`.
    public let offset: Int
    /// The shared element block.
    public let storage: TensorStorage

    /// The number of elements, the product of `shape`.
    public var count: Int { shape.reduce(1, *) }

    /// A zero-filled tensor of the given shape.
    public init(zeros shape: [Int]) {
        precondition(shape.allSatisfy { $0 >= 0 }, "Tensor: negative dimension in \(shape)")
        self.shape = shape
        self.offset = 0
        self.storage = TensorStorage(count: shape.reduce(1, *))
    }

    /// A tensor holding `values` in row-major order.
    public init(shape: [Int], values: [Float]) {
        let count = shape.reduce(1, *)
        precondition(values.count == count, "Tensor: \(values.count) values for shape \(shape)")
        self.init(zeros: shape)
        values.withUnsafeBufferPointer { source in
            if count > 0 { storage.buffer.baseAddress!.update(from: source.baseAddress!, count: count) }
        }
    }

    /// A view of `storage` starting at `offset`.
    public init(shape: [Int], storage: TensorStorage, offset: Int = 0) {
        precondition(offset + shape.reduce(1, *) <= storage.buffer.count || shape.reduce(1, *) == 0,
                     "Tensor: view \(shape) at \(offset) exceeds storage of \(storage.buffer.count)")
        self.shape = shape
        self.offset = offset
        self.storage = storage
    }

    /// The first element's address.
    @inlinable public var pointer: UnsafeMutablePointer<Float> { storage.buffer.baseAddress! + offset }

    /// The elements as a buffer of `count` values.
    @inlinable public var buffer: UnsafeMutableBufferPointer<Float> {
        UnsafeMutableBufferPointer(start: pointer, count: count)
    }

    /// The number of rows, `shape[0]`.
    public var rowCount: Int { shape[0] }

    /// The number of elements in one row (the product of all dimensions after the first).
    public var rowLength: Int { shape.dropFirst().reduce(1, *) }

    /// Reads or writes the element at a full index.
    public subscript(_ index: Int...) -> Float {
        get { pointer[flatIndex(index)] }
        nonmutating set { pointer[flatIndex(index)] = newValue }
    }

    private func flatIndex(_ index: [Int]) -> Int {
        precondition(index.count == shape.count, "Tensor: index \(index) for shape \(shape)")
        var flat = 0
        for (i, dim) in zip(index, shape) {
            precondition(i >= 0 && i < dim, "Tensor: index \(index) out of range for shape \(shape)")
            flat = flat * dim + i
        }
        return flat
    }

    /// The same elements seen with another shape of equal element count.
    public func reshaped(_ newShape: [Int]) -> Tensor {
        precondition(newShape.reduce(1, *) == count, "Tensor: cannot reshape \(shape) to \(newShape)")
        return Tensor(shape: newShape, storage: storage, offset: offset)
    }

    /// A view of the rows `range` (first dimension), sharing storage.
    public func rows(_ range: Range<Int>) -> Tensor {
        precondition(range.lowerBound >= 0 && range.upperBound <= rowCount,
                     "Tensor: rows \(range) out of 0..<\(rowCount)")
        var newShape = shape
        newShape[0] = range.count
        return Tensor(shape: newShape, storage: storage, offset: offset + range.lowerBound * rowLength)
    }

    /// An independent copy of the elements.
    public func copy() -> Tensor {
        let result = Tensor(zeros: shape)
        if count > 0 { result.pointer.update(from: pointer, count: count) }
        return result
    }

    /// The elements as an array, row-major.
    public func toArray() -> [Float] { Array(buffer) }

    /// Sets every element to `value`.
    public func fill(_ value: Float) {
        buffer.update(repeating: value)
    }

    public var description: String {
        let shown = count <= 12 ? "\(toArray())" : "\(Array(buffer.prefix(12))) …"
        return "Tensor(shape: \(shape), \(shown))"
    }
}

/// A reusable buffer that hands out tensors of a requested shape, growing when asked for more.
///
/// Layers keep one per output so that a training step allocates nothing once shapes settle
/// (evaluation with a larger batch grows it once). The last tensor handed out is kept, so asking
/// again for the same shape returns it without building a new shape array; the fixed-rank
/// overloads (`tensor(n, k)`, …) compare without building one either (an array literal at the
/// call site is a heap allocation).
public struct Workspace: Sendable {
    private var storage: TensorStorage?
    private var last: Tensor?

    /// An empty workspace; the first request allocates.
    public init() {}

    /// A tensor of `shape` over this workspace's storage; contents are unspecified.
    public mutating func tensor(_ shape: [Int]) -> Tensor {
        if let last, last.shape == shape { return last }
        let needed = shape.reduce(1, *)
        if storage == nil || storage!.buffer.count < needed {
            storage = TensorStorage(count: needed)
        }
        let made = Tensor(shape: shape, storage: storage!)
        last = made
        return made
    }

    /// A tensor of shape [d0]; see `tensor(_:)`.
    public mutating func tensor(_ d0: Int) -> Tensor {
        if let last, last.shape.count == 1, last.shape[0] == d0 { return last }
        return tensor([d0])
    }

    /// A tensor of shape [d0, d1]; see `tensor(_:)`.
    public mutating func tensor(_ d0: Int, _ d1: Int) -> Tensor {
        if let last, last.shape.count == 2, last.shape[0] == d0, last.shape[1] == d1 { return last }
        return tensor([d0, d1])
    }

    /// A tensor of shape [d0, d1, d2]; see `tensor(_:)`.
    public mutating func tensor(_ d0: Int, _ d1: Int, _ d2: Int) -> Tensor {
        if let last, last.shape.count == 3, last.shape[0] == d0, last.shape[1] == d1, last.shape[2] == d2 { return last }
        return tensor([d0, d1, d2])
    }

    /// A tensor of shape [d0, d1, d2, d3]; see `tensor(_:)`.
    public mutating func tensor(_ d0: Int, _ d1: Int, _ d2: Int, _ d3: Int) -> Tensor {
        if let last, last.shape.count == 4, last.shape[0] == d0, last.shape[1] == d1, last.shape[2] == d2, last.shape[3] == d3 {
            return last
        }
        return tensor([d0, d1, d2, d3])
    }
}

/// A shape array kept across calls, for views whose shape is the same every step.
///
/// `Tensor.reshaped(_:)` and `Tensor(shape:storage:offset:)` take the shape as an array, and
/// building one (`[n, features]`, `[n] + sampleShape`) is a heap allocation. A layer that keeps a
/// `ShapeCache` per view gets the same array back while the dimensions do not change, so a steady
/// training step builds none (issue 8).
///
/// ```swift
/// var flat = ShapeCache()
/// let y = x.reshaped(flat.shape(x.rowCount, 784))   // allocates only when the batch size changes
/// ```
public struct ShapeCache: Sendable {
    private var cached: [Int] = []

    /// An empty cache; the first request builds the array.
    public init() {}

    /// The array [d0, d1].
    public mutating func shape(_ d0: Int, _ d1: Int) -> [Int] {
        if cached.count != 2 || cached[0] != d0 || cached[1] != d1 { cached = [d0, d1] }
        return cached
    }

    /// The array [d0] + `rest` (a batch size in front of one sample's shape).
    public mutating func shape(leading d0: Int, _ rest: [Int]) -> [Int] {
        if cached.count != rest.count + 1 || cached.first != d0 || !cached.dropFirst().elementsEqual(rest) {
            cached = [d0] + rest
        }
        return cached
    }
}
