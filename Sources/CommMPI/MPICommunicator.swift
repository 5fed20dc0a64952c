// The Communicator over an MPI communicator (the only code that calls MPI collectives).
import CMPI
import Comm
import Tensors

/// Collectives over the ranks of an MPI communicator.
///
/// `allReduceSum` is deterministic: instead of `MPI_Allreduce`, whose summation order is the
/// library's choice, it runs a reduce-scatter as `MPI_Alltoallv` (rank r receives chunk r of
/// every rank's buffer), adds the chunks in rank order, and shares the sums with
/// `MPI_Allgatherv`. Each rank sends and receives 2(N−1)/N of the buffer, as in a ring
/// all-reduce, and the result equals `LocalCommunicator`'s bit for bit. With exactly two ranks
/// the order cannot matter (one addition per element, and IEEE addition commutes), so the
/// library's `MPI_Iallreduce` is used.
///
/// Several reductions may be in flight (gradient buckets). MPI requires every rank to start
/// collectives on a communicator in the same order, so the scatters run on `communicator` in
/// start order, the all-gathers on a duplicate (`gatherCommunicator`), and a reduction's
/// all-gather starts only after those of all earlier reductions (`advance`), whatever order
/// their scatters happen to finish in on each rank.
///
/// **Deadline.** Every collective is nonblocking underneath, and a wait polls it against
/// `timeoutSeconds`; when that passes, the rank reads the others' progress from a one-sided
/// window (`ProgressBoard`) and throws `CollectiveTimeout` naming the step, the collective, and
/// the ranks that arrived and did not.
public final class MPICommunicator: Communicator, CollectiveDeadline {
    /// The MPI communicator (the world, or a sub-group made by `split`).
    public let communicator: MPI_Comm
    /// A duplicate of `communicator` that carries the all-gather phase.
    private let gatherCommunicator: MPI_Comm
    public let rank: Int
    public let size: Int
    private var scratch = ScratchPool()
    /// Reductions started and not yet complete, in start order.
    private var inFlight: [PendingReduction] = []
    /// Seconds a collective may wait for the other ranks (`.infinity`: `MPI_Wait`, no deadline).
    public var timeoutSeconds = Double.infinity
    /// This rank's step, published for the other ranks' timeout diagnostics.
    public var step = -1 {
        didSet { board?.at(step: step) }
    }
    /// Collectives started on this communicator (the same sequence on every rank).
    private var sequence = 0
    private let board: ProgressBoard?
    /// The gradient buffers of all ranks in shared memory, once `makeReductionBuffer` made them.
    private var shared: SharedMemoryReduction?
    /// Shared-memory reductions kept for reuse (`reusableSharedReduction`).
    private var sharedReductions: [PendingReduction] = []

    /// Wraps `communicator`, reading rank and size.
    public init(communicator: MPI_Comm) throws {
        self.communicator = communicator
        var rank: Int32 = 0, size: Int32 = 0
        try mpi("MPI_Comm_rank", rank: -1) { MPI_Comm_rank(communicator, &rank) }
        try mpi("MPI_Comm_size", rank: Int(rank)) { MPI_Comm_size(communicator, &size) }
        self.rank = Int(rank)
        self.size = Int(size)
        var duplicate: MPI_Comm?
        try mpi("MPI_Comm_dup", rank: Int(rank)) { MPI_Comm_dup(communicator, &duplicate) }
        guard let duplicate else { throw MPIError(call: "MPI_Comm_dup", code: -1, rank: Int(rank)) }
        try mpi("MPI_Comm_set_errhandler", rank: Int(rank)) { MPI_Comm_set_errhandler(duplicate, cmpi_errors_return()) }
        gatherCommunicator = duplicate
        board = size > 1 ? ProgressBoard(communicator: communicator, size: Int(size)) : nil
    }

    /// Frees the progress window (collective: every rank, before `MPI_Finalize`).
    public func close() {
        shared?.free()
        shared = nil
        board?.free()
    }

    /// Every rank's gradient buffer in one shared-memory window, when all ranks share a node
    /// (`SharedMemoryReduction`); nil otherwise (ranks on several hosts). Reductions of slices of
    /// it are then summed in place by the ranks themselves instead of by MPI transfers.
    public func makeReductionBuffer(count: Int) throws -> ReductionBuffer? {
        guard size > 1, shared == nil,
              let reduction = try SharedMemoryReduction(communicator: communicator, rank: rank, size: size, count: count) else { return nil }
        shared = reduction
        return ReductionBuffer(buffer: reduction.slot, transport: "shared memory (\(size) ranks on one node)")
    }

    /// Splits into sub-groups: ranks with the same `color` form one, ordered by `key` (the
    /// hook for hyper-parameter trials on groups of ranks).
    public func split(color: Int, key: Int) throws -> MPICommunicator {
        var child: MPI_Comm?
        try mpi("MPI_Comm_split", rank: rank) { MPI_Comm_split(communicator, Int32(color), Int32(key), &child) }
        guard let child else { throw MPIError(call: "MPI_Comm_split", code: -1, rank: rank) }
        try mpi("MPI_Comm_set_errhandler", rank: rank) { MPI_Comm_set_errhandler(child, cmpi_errors_return()) }
        return try MPICommunicator(communicator: child)
    }

    // MARK: - Deterministic sum of floats

    public func allReduceSum(_ buffer: UnsafeMutableBufferPointer<Float>) throws {
        try wait(try startAllReduceSum(buffer))
    }

    public func startAllReduceSum(_ buffer: UnsafeMutableBufferPointer<Float>) throws -> PendingReduction {
        if size == 1 || buffer.isEmpty { return PendingReduction(buffer: buffer, isComplete: true) }
        if let shared, shared.holds(buffer) {
            let pending = reusableSharedReduction(of: buffer)
            let ticket = pending.state as! SharedMemoryReduction.Ticket
            ticket.sequence = begin()
            pending.isComplete = false
            pending.partFinite = nil
            shared.start(buffer, as: ticket)
            return pending
        }
        if size == 2 {
            // Two ranks: each element is one addition, and x₀ + x₁ == x₁ + x₀ exactly in IEEE
            // arithmetic, so the library's own all-reduce is already deterministic (and faster).
            let state = ReductionState(count: 0, rank: rank, size: size, scratch: scratch.take(count: 1),
                                       sequence: begin(), operation: "MPI_Iallreduce of \(buffer.count) floats (gradient sum)")
            state.phase = .gather
            try mpi("MPI_Iallreduce", rank: rank) {
                MPI_Iallreduce(cmpi_in_place(), buffer.baseAddress, Int32(buffer.count), cmpi_float(), cmpi_sum(),
                               communicator, &state.request)
            }
            let pending = PendingReduction(buffer: buffer, state: state)
            inFlight.append(pending)
            return pending
        }
        let needed = chunk(rank, of: buffer.count, ranks: size).count * size
        let state = ReductionState(count: buffer.count, rank: rank, size: size, scratch: scratch.take(count: needed), sequence: begin(),
                                   operation: "MPI_Ialltoallv + MPI_Iallgatherv of \(buffer.count) floats (gradient sum)")
        try mpi("MPI_Ialltoallv", rank: rank) {
            MPI_Ialltoallv(buffer.baseAddress, state.sendCounts, state.sendOffsets, cmpi_float(),
                           state.scratch.pointer, state.receiveCounts, state.receiveOffsets, cmpi_float(),
                           communicator, &state.request)
        }
        let pending = PendingReduction(buffer: buffer, state: state)
        inFlight.append(pending)
        return pending
    }

    /// Advances the reductions in flight without blocking; returns whether `pending` has
    /// completed.
    public func poll(_ pending: PendingReduction) throws -> Bool {
        if let shared, let ticket = pending.state as? SharedMemoryReduction.Ticket {
            shared.progress()
            if shared.isComplete(ticket) {
                pending.isComplete = true
                pending.partFinite = ticket.chunkFinite
            }
            return pending.isComplete
        }
        try advance(blockingUntil: nil)
        return pending.isComplete
    }

    public func wait(_ pending: PendingReduction) throws {
        guard !pending.isComplete else { return }
        if let shared, let ticket = pending.state as? SharedMemoryReduction.Ticket {
            try waitShared(shared, ticket)
            pending.isComplete = true
            pending.partFinite = ticket.chunkFinite
            return
        }
        try advance(blockingUntil: pending)
        guard let state = pending.state as? ReductionState else { return }
        try finish(&state.request, sequence: state.sequence, operation: state.operation)
        complete(pending, state)
    }

    /// Moves reductions along in start order: a scatter that has finished (or, up to and
    /// including `target`, is waited for) gets its sums and all-gather; the first unfinished
    /// scatter stops the walk, so all-gathers start in the same order on every rank.
    private func advance(blockingUntil target: PendingReduction?) throws {
        var blocking = target != nil
        for pending in inFlight {
            guard let state = pending.state as? ReductionState else { continue }
            if state.phase == .scatter {
                if blocking {
                    try finish(&state.request, sequence: state.sequence, operation: state.operation)
                } else {
                    var done: Int32 = 0
                    try mpi("MPI_Test", rank: rank) { MPI_Test(&state.request, &done, cmpi_status_ignore()) }
                    if done == 0 { break }
                }
                try gatherSums(pending, state)
            } else if !blocking {
                var done: Int32 = 0
                try mpi("MPI_Test", rank: rank) { MPI_Test(&state.request, &done, cmpi_status_ignore()) }
                if done != 0 { complete(pending, state) }
            }
            if pending === target { blocking = false }
        }
        inFlight.removeAll { $0.isComplete }
    }

    private func complete(_ pending: PendingReduction, _ state: ReductionState) {
        pending.isComplete = true
        scratch.giveBack(state.scratch)
        inFlight.removeAll { $0 === pending }
    }

    /// Adds the received chunks in rank order into this rank's chunk and starts the all-gather.
    private func gatherSums(_ pending: PendingReduction, _ state: ReductionState) throws {
        let mine = chunk(rank, of: pending.buffer.count, ranks: size)
        let count = mine.count
        let received = state.scratch.pointer
        let target = pending.buffer.baseAddress! + mine.lowerBound
        for i in 0..<count { target[i] = received[i] }
        for source in 1..<size {
            let part = received + source * count
            for i in 0..<count { target[i] += part[i] }
        }
        pending.partFinite = FiniteProbe.allFinite(target, count: count)
        state.phase = .gather
        try mpi("MPI_Iallgatherv", rank: rank) {
            MPI_Iallgatherv(cmpi_in_place(), 0, cmpi_float(), pending.buffer.baseAddress, state.sendCounts, state.sendOffsets,
                            cmpi_float(), gatherCommunicator, &state.request)
        }
    }

    // MARK: - Small collectives

    public func allReduce(inPlace result: UnsafeMutableBufferPointer<Double>, _ operation: ReduceOperation) throws {
        if let shared, result.count <= SharedMemoryReduction.smallCapacity {
            // ranks on one node: through the shared window, in rank order, with no MPI call
            let sequence = begin()
            let round = shared.post(result)
            try waitShared(operation: "shared-memory all-reduce of \(result.count) doubles (\(operation))", sequence: sequence,
                           done: { shared.allPosted(round) }, arrived: { shared.whoPosted(round) })
            shared.combine(round, into: result, operation)
            return
        }
        let op: MPI_Op
        switch operation {
        case .sum: op = cmpi_sum()
        case .max: op = cmpi_max()
        case .min: op = cmpi_min()
        }
        var request: MPI_Request? = cmpi_request_null()
        let sequence = begin()
        try mpi("MPI_Iallreduce", rank: rank) {
            MPI_Iallreduce(cmpi_in_place(), result.baseAddress, Int32(result.count), cmpi_double(), op, communicator, &request)
        }
        try finish(&request, sequence: sequence, operation: "MPI_Iallreduce of \(result.count) doubles (\(operation))")
    }

    public func allGather(_ value: UInt64) throws -> [UInt64] {
        let buffers = UnsafeMutableBufferPointer<UInt64>.allocate(capacity: size + 1)   // [all ranks' values | mine]
        defer { buffers.deallocate() }
        buffers[size] = value
        var request: MPI_Request? = cmpi_request_null()
        let sequence = begin()
        try mpi("MPI_Iallgather", rank: rank) {
            MPI_Iallgather(buffers.baseAddress! + size, 1, cmpi_uint64(), buffers.baseAddress, 1, cmpi_uint64(), communicator, &request)
        }
        try finish(&request, sequence: sequence, operation: "MPI_Iallgather of 1 uint64 (checksum or hash)")
        return Array(buffers.prefix(size))
    }

    public func broadcast(_ buffer: UnsafeMutableBufferPointer<Float>, from root: Int) throws {
        var start = 0
        while start < buffer.count {  // counts are Int32: send very large buffers in pieces
            let count = min(buffer.count - start, 1 << 28)
            var request: MPI_Request? = cmpi_request_null()
            let sequence = begin()
            try mpi("MPI_Ibcast", rank: rank) {
                MPI_Ibcast(buffer.baseAddress! + start, Int32(count), cmpi_float(), Int32(root), communicator, &request)
            }
            try finish(&request, sequence: sequence, operation: "MPI_Ibcast of \(count) floats from rank \(root)")
            start += count
        }
    }

    public func barrier() throws {
        var request: MPI_Request? = cmpi_request_null()
        let sequence = begin()
        try mpi("MPI_Ibarrier", rank: rank) { MPI_Ibarrier(communicator, &request) }
        try finish(&request, sequence: sequence, operation: "MPI_Ibarrier")
    }

    // MARK: - Deadline

    /// Numbers the next collective and publishes it on the progress board.
    private func begin() -> Int {
        sequence += 1
        board?.started(sequence)
        return sequence
    }

    /// Completes `request`: `MPI_Wait` without a deadline, else `MPI_Test` polled until
    /// `timeoutSeconds` pass, then `CollectiveTimeout` with what the board says about every rank.
    /// (Open MPI's `MPI_Wait` polls the same way, so the loop costs nothing measurable.)
    private func finish(_ request: inout MPI_Request?, sequence: Int, operation: @autoclosure () -> String) throws {
        guard timeoutSeconds.isFinite else {
            try mpi("MPI_Wait", rank: rank) { MPI_Wait(&request, cmpi_status_ignore()) }
            return
        }
        let deadline = Deadline(seconds: timeoutSeconds)
        var done: Int32 = 0
        var polls = 0
        while true {
            try mpi("MPI_Test", rank: rank) { MPI_Test(&request, &done, cmpi_status_ignore()) }
            if done != 0 { return }
            polls &+= 1
            if polls & 255 == 0, deadline.hasPassed {
                let ranks = board?.whereabouts(of: sequence, rank: rank)
                    ?? (0..<size).map { $0 == rank ? RankWhereabouts.arrived : .unknown }
                throw CollectiveTimeout(rank: rank, step: step, operation: operation(), sequence: sequence,
                                        seconds: timeoutSeconds, ranks: ranks)
            }
        }
    }

    /// A completed shared-memory reduction of the same slice that nobody else holds any more
    /// (the buckets drop theirs after `finish`), or a new one: the buckets' reductions are
    /// reused step after step instead of allocated.
    private func reusableSharedReduction(of buffer: UnsafeMutableBufferPointer<Float>) -> PendingReduction {
        for index in sharedReductions.indices
        where sharedReductions[index].isComplete && sharedReductions[index].buffer.baseAddress == buffer.baseAddress
            && sharedReductions[index].buffer.count == buffer.count && isKnownUniquelyReferenced(&sharedReductions[index]) {
            return sharedReductions[index]
        }
        let pending = PendingReduction(buffer: buffer, state: SharedMemoryReduction.Ticket())
        if sharedReductions.count < 256 { sharedReductions.append(pending) }
        return pending
    }

    /// Sums and waits for a shared-memory reduction: spins briefly, then yields the core (ranks
    /// may outnumber cores), and gives up at the deadline naming the ranks whose gradients were
    /// not final.
    private func waitShared(_ shared: SharedMemoryReduction, _ ticket: SharedMemoryReduction.Ticket) throws {
        try waitShared(operation: "shared-memory sum of \(ticket.range.count) floats (gradient sum)", sequence: ticket.sequence,
                       done: { shared.progress(); return shared.isComplete(ticket) }, arrived: { shared.whereabouts(of: ticket) })
    }

    /// Spins until `done`, yielding the core after a few polls (ranks may outnumber cores);
    /// past the deadline, throws `CollectiveTimeout` with the ranks `arrived` says are there and
    /// the steps the progress board has for the others.
    private func waitShared(operation: @autoclosure () -> String, sequence: Int, done: () -> Bool, arrived: () -> [Bool]) throws {
        let deadline = timeoutSeconds.isFinite ? Deadline(seconds: timeoutSeconds) : nil
        var polls = 0
        while !done() {
            polls &+= 1
            if polls > 64 { cmpi_yield() }
            if polls & 255 == 0, let deadline, deadline.hasPassed {
                let there = arrived()
                let seen = board?.whereabouts(of: sequence, rank: rank)
                let ranks = there.indices.map { other -> RankWhereabouts in
                    if there[other] { return .arrived }
                    if case .missing(let step)? = seen?[other] { return .missing(step: step) }
                    return .unknown
                }
                throw CollectiveTimeout(rank: rank, step: step, operation: operation(), sequence: sequence,
                                        seconds: timeoutSeconds, ranks: ranks)
            }
        }
    }

    public func abort(code: Int32) {
        MPIRuntime.abort(code: code)
    }

    /// A plain `MPI_Allreduce` (library-chosen order) of `buffer` in place: the reference that
    /// `check-comm` times the deterministic reduction against.
    public func libraryAllReduceSum(_ buffer: UnsafeMutableBufferPointer<Float>) throws {
        try mpi("MPI_Allreduce", rank: rank) {
            MPI_Allreduce(cmpi_in_place(), buffer.baseAddress, Int32(buffer.count), cmpi_float(), cmpi_sum(), communicator)
        }
    }
}

// MARK: - Reduction state

/// The counts, offsets, request and scratch of one reduction in flight; they must stay put until
/// MPI has finished with them.
private final class ReductionState {
    enum Phase { case scatter, gather }
    var phase = Phase.scatter
    var request: MPI_Request? = cmpi_request_null()
    let sendCounts: UnsafeMutablePointer<Int32>
    let sendOffsets: UnsafeMutablePointer<Int32>
    let receiveCounts: UnsafeMutablePointer<Int32>
    let receiveOffsets: UnsafeMutablePointer<Int32>
    let scratch: (pointer: UnsafeMutablePointer<Float>, count: Int)
    /// The collective's sequence number and description, for timeout diagnostics.
    let sequence: Int
    let operation: String

    init(count: Int, rank: Int, size: Int, scratch: (pointer: UnsafeMutablePointer<Float>, count: Int), sequence: Int, operation: String) {
        self.sequence = sequence
        self.operation = operation
        sendCounts = .allocate(capacity: size)
        sendOffsets = .allocate(capacity: size)
        receiveCounts = .allocate(capacity: size)
        receiveOffsets = .allocate(capacity: size)
        let mine = chunk(rank, of: count, ranks: size).count
        for r in 0..<size {
            let part = chunk(r, of: count, ranks: size)
            sendCounts[r] = Int32(part.count)        // chunk r of my buffer goes to rank r
            sendOffsets[r] = Int32(part.lowerBound)
            receiveCounts[r] = Int32(mine)            // my chunk of rank r's buffer
            receiveOffsets[r] = Int32(r * mine)
        }
        self.scratch = scratch
    }

    deinit {
        sendCounts.deallocate()
        sendOffsets.deallocate()
        receiveCounts.deallocate()
        receiveOffsets.deallocate()
    }
}

/// Reusable receive buffers, so a training step allocates nothing once sizes settle.
private struct ScratchPool {
    private var free: [(pointer: UnsafeMutablePointer<Float>, count: Int)] = []

    mutating func take(count: Int) -> (pointer: UnsafeMutablePointer<Float>, count: Int) {
        if let index = free.firstIndex(where: { $0.count >= count }) { return free.remove(at: index) }
        return (.allocate(capacity: max(count, 1)), max(count, 1))
    }

    mutating func giveBack(_ buffer: (pointer: UnsafeMutablePointer<Float>, count: Int)) {
        free.append(buffer)
    }
}
