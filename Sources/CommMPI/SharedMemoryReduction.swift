// The gradient sum among ranks that share a node, done in memory every rank maps, without MPI
// moving a byte: each rank adds its chunk of every rank's gradient in place (docs/architecture.md,
// "Gradient reduction on one node"; the measurements are in docs/performance.md).
import CMPI
import Comm
import Foundation
import Tensors

/// A gradient buffer per rank in one MPI shared-memory window, and the in-place sum across them.
///
/// Every rank's gradient buffer (`slot`) lives in the window, so backward writes its gradients
/// straight into memory the other ranks can read. A reduction of a range of the buffer (a
/// gradient bucket) then needs no transfer: when every rank has published that the range is
/// final, rank r adds its chunk of the range over all ranks' slots, in rank order
/// ((x₀ + x₁) + x₂) + … — the order `Communicator.allReduceSum` defines, so the bits equal the
/// MPI path's and `LocalCommunicator`'s — and writes the sum into every slot. When every rank
/// has published its chunk, every slot holds the full sum. Each rank reads and writes its chunk
/// once per slot: about 2 × the buffer of memory traffic per rank, against 5 × for a copy into
/// a transport and back.
///
/// Synchronization is two counters per rank in the window, stored with release and loaded with
/// acquire ordering: `started` (the reductions whose range this rank has made final) and
/// `summed` (those whose chunk this rank has summed). Reductions are numbered in start order, the
/// same on every rank, as for any collective. A rank never writes a slot range another rank is
/// still using: it writes rank q's slot only in the range q published as final, and q starts the
/// next step (zeroing its gradients) only after every rank has published its sums.
final class SharedMemoryReduction {
    /// One reduction: its number, its range of the slot, and its collective sequence number
    /// (for diagnostics). Reused across steps, so a steady-state step allocates nothing.
    final class Ticket {
        fileprivate(set) var index: Int64 = 0
        fileprivate(set) var range: Range<Int> = 0..<0
        var sequence = 0
        /// Once this rank has summed its chunk: whether the chunk's sums are all finite.
        fileprivate(set) var chunkFinite = true
    }

    private let window: MPI_Win
    /// This rank's gradient buffer inside the window.
    let slot: UnsafeMutableBufferPointer<Float>
    /// Every rank's slot, in rank order.
    private let slots: [UnsafeMutablePointer<Float>]
    private let started: [UnsafeMutablePointer<Int64>]
    private let summed: [UnsafeMutablePointer<Int64>]
    private let rank: Int
    /// Reductions started by this rank.
    private var issued: Int64 = 0
    /// Reductions started and not yet summed by this rank, in start order.
    private var toSum: [Ticket] = []

    /// Each rank's segment: the two counters and the small-values counter, each on its own cache
    /// line, then two rounds of small values (`allReduce`), then the gradient floats.
    private static let header = 1024
    /// The most doubles one small all-reduce carries here (more go through MPI).
    static let smallCapacity = 32
    private let posted: [UnsafeMutablePointer<Int64>]
    private let small: [UnsafeMutablePointer<Double>]   // per rank: 2 rounds × smallCapacity
    /// Small all-reduces this rank has posted.
    private var smallIssued: Int64 = 0

    /// Allocates a slot of `count` floats per rank of `communicator` (collective), or returns
    /// nil when the ranks do not all share one node or `/dev/shm` lacks the room (rank 0 then
    /// warns on standard error).
    init?(communicator: MPI_Comm, rank: Int, size: Int, count: Int) throws {
        var node: MPI_Comm?
        try mpi("MPI_Comm_split_type", rank: rank) {
            MPI_Comm_split_type(communicator, Int32(MPI_COMM_TYPE_SHARED), Int32(rank), cmpi_info_null(), &node)
        }
        var nodeSize: Int32 = 0
        if let node {
            MPI_Comm_size(node, &nodeSize)
            var freed: MPI_Comm? = node
            MPI_Comm_free(&freed)
        }
        // The window lives in /dev/shm, where a segment too large for the space left (a container's
        // default 64 MB, say) would kill the process with SIGBUS on first touch instead of failing.
        let bytes = Self.header + max(count, 1) * MemoryLayout<Float>.stride
        let room = Self.sharedMemoryRoom(needed: bytes * size)
        if !room.fits, rank == 0 {
            FileHandle.standardError.write(Data(("swiftddp: warning: /dev/shm has \(room.free >> 20) MiB free but the shared-memory gradient "
                + "reduction needs \((bytes * size) >> 20) MiB for \(size) ranks; using MPI transfers instead (in a container, raise --shm-size)\n").utf8))
        }
        // every rank must take the same path, so agree before the collective allocation
        var local: Int32 = nodeSize == Int32(size) && room.fits ? 1 : 0, all: Int32 = 0
        try mpi("MPI_Allreduce", rank: rank) { MPI_Allreduce(&local, &all, 1, cmpi_int32(), cmpi_min(), communicator) }
        guard all == 1 else { return nil }

        var info: MPI_Info?
        MPI_Info_create(&info)
        MPI_Info_set(info, "alloc_shared_noncontig", "true")   // each rank's segment page-aligned, near its own core
        defer { MPI_Info_free(&info) }
        var base: UnsafeMutableRawPointer?
        var window: MPI_Win?
        try mpi("MPI_Win_allocate_shared", rank: rank) {
            MPI_Win_allocate_shared(MPI_Aint(bytes), 1, info, communicator, &base, &window)
        }
        guard let window else { throw MPIError(call: "MPI_Win_allocate_shared", code: -1, rank: rank) }
        MPI_Win_set_errhandler(window, cmpi_errors_return())
        var segments: [UnsafeMutableRawPointer] = []
        for other in 0..<size {
            var length: MPI_Aint = 0, unit: Int32 = 0
            var address: UnsafeMutableRawPointer?
            try mpi("MPI_Win_shared_query", rank: rank) { MPI_Win_shared_query(window, Int32(other), &length, &unit, &address) }
            guard let address else { throw MPIError(call: "MPI_Win_shared_query", code: -1, rank: rank) }
            segments.append(address)
        }
        self.window = window
        self.rank = rank
        started = segments.map { $0.bindMemory(to: Int64.self, capacity: 1) }
        summed = segments.map { ($0 + 64).bindMemory(to: Int64.self, capacity: 1) }
        posted = segments.map { ($0 + 128).bindMemory(to: Int64.self, capacity: 1) }
        small = segments.map { ($0 + 192).bindMemory(to: Double.self, capacity: 2 * Self.smallCapacity) }
        slots = segments.map { ($0 + Self.header).bindMemory(to: Float.self, capacity: count) }
        slot = UnsafeMutableBufferPointer(start: slots[rank], count: count)
        cmpi_store_release(started[rank], 0)
        cmpi_store_release(summed[rank], 0)
        cmpi_store_release(posted[rank], 0)
        slot.initialize(repeating: 0)
        toSum.reserveCapacity(64)
        try mpi("MPI_Barrier", rank: rank) { MPI_Barrier(communicator) }   // every counter is zero before anyone starts
    }

    /// Whether /dev/shm (where Open MPI maps shared windows on Linux) has room for `needed` bytes
    /// with a quarter to spare, and how much it has free; a system without it fits.
    private static func sharedMemoryRoom(needed: Int) -> (fits: Bool, free: Int) {
        var stats = statvfs()
        guard statvfs("/dev/shm", &stats) == 0 else { return (true, 0) }
        let free = Int(stats.f_bavail) * Int(stats.f_frsize)
        return (free >= needed + needed / 4, free)
    }

    /// Whether `buffer` lies inside this rank's slot (only such buffers can be reduced here).
    func holds(_ buffer: UnsafeMutableBufferPointer<Float>) -> Bool {
        guard let start = buffer.baseAddress, let slotStart = slot.baseAddress else { return false }
        return start >= slotStart && start + buffer.count <= slotStart + slot.count
    }

    /// Publishes that `buffer` (inside the slot) is final on this rank, as reduction `ticket`.
    func start(_ buffer: UnsafeMutableBufferPointer<Float>, as ticket: Ticket) {
        let lower = buffer.baseAddress! - slot.baseAddress!
        issued += 1
        ticket.index = issued
        ticket.range = lower..<(lower + buffer.count)
        toSum.append(ticket)
        cmpi_store_release(started[rank], issued)
        progress()
    }

    /// Sums this rank's chunk of every started reduction whose range all ranks have made final,
    /// in start order, without waiting.
    func progress() {
        while let ticket = toSum.first, everyRank(started, reached: ticket.index) {
            ticket.chunkFinite = sumChunk(of: ticket.range)
            toSum.removeFirst()
            cmpi_store_release(summed[rank], ticket.index)
        }
    }

    /// Whether every rank has summed its chunk of `ticket`'s range (the sum is then complete in
    /// every slot).
    func isComplete(_ ticket: Ticket) -> Bool {
        everyRank(summed, reached: ticket.index)
    }

    /// For a timeout diagnostic: which ranks have made `ticket`'s range final.
    func whereabouts(of ticket: Ticket) -> [Bool] {
        ranks(started, reached: ticket.index)
    }

    /// Each rank's counter against `index` (diagnostics only: it builds an array).
    private func ranks(_ counters: [UnsafeMutablePointer<Int64>], reached index: Int64) -> [Bool] {
        counters.map { cmpi_load_acquire($0) >= index }
    }

    private func everyRank(_ counters: [UnsafeMutablePointer<Int64>], reached index: Int64) -> Bool {
        for counter in counters where cmpi_load_acquire(counter) < index { return false }
        return true
    }

    /// Adds this rank's chunk of `range` over all slots in rank order and writes the sum to every
    /// slot; returns whether the chunk's sums are all finite (`FiniteProbe`, in the same pass).
    /// Chunks are whole 64-byte lines, so no two ranks write the same cache line.
    private func sumChunk(of range: Range<Int>) -> Bool {
        let lines = (range.count + 15) / 16
        let part = chunk(rank, of: lines, ranks: slots.count)
        let lower = range.lowerBound + part.lowerBound * 16
        let upper = min(range.upperBound, range.lowerBound + part.upperBound * 16)
        guard lower < upper else { return true }
        let count = upper - lower
        let first = slots[0] + lower
        if slots.count == 2 {
            let second = slots[1] + lower
            var probe = FiniteProbe()
            for i in 0..<count {
                let sum = first[i] + second[i]
                first[i] = sum
                second[i] = sum
                probe.add(sum)
            }
            return probe.allFinite
        }
        for other in slots.dropFirst() {   // accumulate in rank 0's slot: ((x₀ + x₁) + x₂) + …
            let source = other + lower
            for i in 0..<count { first[i] += source[i] }
        }
        for other in slots.dropFirst() {
            (other + lower).update(from: first, count: count)
        }
        return FiniteProbe.allFinite(first, count: count)   // the chunk is in this core's cache
    }

    // MARK: - Small values (the training loop's control flags)

    /// Posts `values` (at most `smallCapacity`) as this rank's part of the next small all-reduce
    /// and returns its number. Rounds alternate between two areas: a rank can post round k + 1
    /// only after every rank posted round k (`allPosted`), and each rank reads round k − 1
    /// before it posts round k, so nobody overwrites values still being read.
    func post(_ values: UnsafeMutableBufferPointer<Double>) -> Int64 {
        smallIssued += 1
        let area = small[rank] + Int(smallIssued & 1) * Self.smallCapacity
        if let source = values.baseAddress { area.update(from: source, count: values.count) }
        cmpi_store_release(posted[rank], smallIssued)
        return smallIssued
    }

    /// Whether every rank has posted small round `round`.
    func allPosted(_ round: Int64) -> Bool {
        everyRank(posted, reached: round)
    }

    /// Which ranks have posted small round `round` (for a timeout diagnostic).
    func whoPosted(_ round: Int64) -> [Bool] {
        ranks(posted, reached: round)
    }

    /// Combines every rank's values of small round `round` (all posted) in rank order into `values`.
    func combine(_ round: Int64, into values: UnsafeMutableBufferPointer<Double>, _ operation: ReduceOperation) {
        let offset = Int(round & 1) * Self.smallCapacity
        for i in values.indices {
            var result = small[0][offset + i]
            for other in small.dropFirst() {
                let value = other[offset + i]
                switch operation {
                case .sum: result += value
                case .max: result = max(result, value)
                case .min: result = min(result, value)
                }
            }
            values[i] = result
        }
    }

    /// Unmaps the window (collective: every rank, after its last use of the slot).
    func free() {
        var window: MPI_Win? = self.window
        MPI_Win_free(&window)
    }
}
