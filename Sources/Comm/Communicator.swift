// The collective operations a data-parallel job needs, as one protocol with a single-process,
// an in-process (threads) and an MPI implementation (module CommMPI).

/// How values from all ranks are combined.
public enum ReduceOperation: Sendable {
    case sum
    case max
    case min
}

/// Collective operations across the ranks of a data-parallel job.
///
/// Every rank must call the same collectives, in the same order, with the same element counts.
///
/// **Determinism.** `allReduceSum` of `Float`s is defined to add the ranks' values in rank order,
/// ((x₀ + x₁) + x₂) + …, element by element, whatever the transport; so a run's parameters do not
/// depend on the reduction order an MPI library picks, and the in-process simulation of N ranks
/// gives bit-for-bit the result of N MPI processes.
public protocol Communicator: AnyObject {
    /// This process's index, `0 ..< size`.
    var rank: Int { get }
    /// The number of ranks in the job.
    var size: Int { get }

    /// Replaces `buffer` on every rank with the element-wise sum over ranks, in rank order.
    func allReduceSum(_ buffer: UnsafeMutableBufferPointer<Float>) throws

    /// Combines small control values (flags, counts, metric sums) across ranks, in place: every
    /// rank's `buffer` becomes the element-wise `operation` over ranks. (The training loop's
    /// control flags use this with a buffer kept across steps, so a step allocates nothing.)
    func allReduce(inPlace buffer: UnsafeMutableBufferPointer<Double>, _ operation: ReduceOperation) throws

    /// Returns every rank's `value`, in rank order.
    func allGather(_ value: UInt64) throws -> [UInt64]

    /// Copies `buffer` on `root` to every rank.
    func broadcast(_ buffer: UnsafeMutableBufferPointer<Float>, from root: Int) throws

    /// Blocks until every rank has called `barrier()`.
    func barrier() throws

    /// Starts an `allReduceSum` of `buffer` that `wait` completes; the default runs it at once.
    /// Until `wait` returns, the caller must not touch `buffer`.
    func startAllReduceSum(_ buffer: UnsafeMutableBufferPointer<Float>) throws -> PendingReduction

    /// Advances a started reduction without blocking; returns whether it has completed.
    func poll(_ pending: PendingReduction) throws -> Bool

    /// Completes a reduction started by `startAllReduceSum`.
    func wait(_ pending: PendingReduction) throws

    /// Memory for a gradient buffer of `count` floats that this communicator reduces in place
    /// without copying it anywhere (MPI shared memory, when every rank is on one node), or nil
    /// when it has none; the default is nil. Collective: every rank calls it, with the same
    /// `count`. `startAllReduceSum` of a slice of the returned buffer takes the fast path; the
    /// result is bitwise the same either way. The memory stays valid until the communicator is
    /// closed.
    func makeReductionBuffer(count: Int) throws -> ReductionBuffer?

    /// Ends the job on every rank after a failure on this one, so no rank waits forever in a
    /// collective (MPI_Abort under MPI). Does not return under MPI.
    func abort(code: Int32)
}

/// A reduction in flight, returned by `startAllReduceSum`.
public final class PendingReduction: @unchecked Sendable {
    /// The buffer being reduced.
    public let buffer: UnsafeMutableBufferPointer<Float>
    /// Implementation state (an MPI request, for instance).
    public var state: AnyObject?
    /// Whether `wait` has completed it.
    public var isComplete = false
    /// Once complete: whether the part of the sum that this rank added itself holds only finite
    /// values — set by transports in which every rank adds a chunk of the buffer (shared memory,
    /// the MPI scatter–gather), nil where the rank did not add (one rank, MPI's own all-reduce).
    /// The ranks' parts cover the buffer, so when every rank reports true the whole sum is
    /// finite, and the training loop's non-finite check need not read the buffer again.
    public var partFinite: Bool?

    /// Wraps `buffer` with optional implementation state.
    public init(buffer: UnsafeMutableBufferPointer<Float>, state: AnyObject? = nil, isComplete: Bool = false) {
        self.buffer = buffer
        self.state = state
        self.isComplete = isComplete
    }
}

/// A gradient buffer whose memory belongs to a communicator (see `makeReductionBuffer`).
public final class ReductionBuffer: @unchecked Sendable {
    /// The floats, zero-filled.
    public let buffer: UnsafeMutableBufferPointer<Float>
    /// How the communicator reduces it, for logs (e.g. "shared memory, 2 ranks").
    public let transport: String

    /// Wraps memory the communicator keeps alive.
    public init(buffer: UnsafeMutableBufferPointer<Float>, transport: String) {
        self.buffer = buffer
        self.transport = transport
    }
}

extension Communicator {
    public func makeReductionBuffer(count: Int) throws -> ReductionBuffer? { nil }

    /// Combines small control values across ranks: `allReduce(inPlace:_:)` on a copy of `values`.
    public func allReduce(_ values: [Double], _ operation: ReduceOperation) throws -> [Double] {
        var result = values
        try result.withUnsafeMutableBufferPointer { try allReduce(inPlace: $0, operation) }
        return result
    }

    public func startAllReduceSum(_ buffer: UnsafeMutableBufferPointer<Float>) throws -> PendingReduction {
        try allReduceSum(buffer)
        return PendingReduction(buffer: buffer, isComplete: true)
    }

    public func poll(_ pending: PendingReduction) throws -> Bool {
        pending.isComplete
    }

    public func wait(_ pending: PendingReduction) throws {
        pending.isComplete = true
    }

    /// Whether this is rank 0, the one that validates, logs and writes checkpoints.
    public var isRoot: Bool { rank == 0 }
}

/// The part of `count` elements that rank `index` of `ranks` owns when a reduction is split
/// among ranks: near-equal contiguous chunks, the first `count % ranks` one element longer.
public func chunk(_ index: Int, of count: Int, ranks: Int) -> Range<Int> {
    let base = count / ranks, extra = count % ranks
    let start = index * base + min(index, extra)
    return start..<(start + base + (index < extra ? 1 : 0))
}
