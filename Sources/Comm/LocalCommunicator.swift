// N ranks as threads of one process: the single-node debug mode's `--simulate-ranks N` and the
// test double for every collective (swift-nio's EmbeddedChannel idea).
import Foundation
import Tensors

/// One rank of an in-process group of `size` ranks that run as threads.
///
/// Collectives meet at a generation barrier; reductions add the ranks' values in rank order, the
/// same arithmetic the MPI communicator performs, so results match `mpirun` bit for bit.
///
/// ```swift
/// let sums = try LocalCommunicator.run(ranks: 4) { comm in
///     var x: [Float] = [Float(comm.rank)]
///     try x.withUnsafeMutableBufferPointer { try comm.allReduceSum($0) }
///     return x[0]          // 6 on every rank
/// }
/// ```
public final class LocalCommunicator: Communicator, CollectiveDeadline, @unchecked Sendable {
    public let rank: Int
    public var size: Int { group.size }
    private let group: Group
    /// Seconds a collective waits for the other threads before failing with `CollectiveTimeout`.
    public var timeoutSeconds = Double.infinity
    /// This rank's step, visible to the other ranks' timeout diagnostics.
    public var step: Int {
        get { group.step(of: rank) }
        set { group.setStep(newValue, of: rank) }
    }
    /// Collectives this rank has entered.
    private var sequence = 0
    /// Whether the chunk this rank added in the last `allReduceSum` was all finite.
    private var chunkFinite = true

    private init(rank: Int, group: Group) {
        self.rank = rank
        self.group = group
    }

    /// Runs `body` once per rank, each on its own thread, and returns the results in rank order.
    /// If any rank throws, the group is poisoned so that the others leave their collectives with
    /// an error instead of waiting forever, and the first error is rethrown.
    public static func run<Value>(ranks: Int, _ body: @escaping @Sendable (LocalCommunicator) throws -> Value) throws -> [Value] {
        precondition(ranks >= 1, "LocalCommunicator.run: ranks must be ≥ 1, got \(ranks)")
        let group = Group(size: ranks)
        let results = ResultBox<Value>(count: ranks)
        var threads: [Thread] = []
        for rank in 0..<ranks {
            let communicator = LocalCommunicator(rank: rank, group: group)
            let thread = Thread {
                do {
                    results.set(rank, .success(try body(communicator)))
                } catch {
                    group.poison()
                    results.set(rank, .failure(error))
                }
                group.finished.signal()
            }
            thread.stackSize = 8 << 20
            threads.append(thread)
            thread.start()
        }
        for _ in 0..<ranks { group.finished.wait() }
        return try results.values()
    }

    // MARK: - Collectives

    /// The wait of one collective: its name for diagnostics and the deadline.
    private func entering(_ operation: String, count: Int) -> Group.Wait {
        sequence += 1
        return Group.Wait(rank: rank, operation: operation, count: count, sequence: sequence, timeout: timeoutSeconds)
    }

    public func allReduceSum(_ buffer: UnsafeMutableBufferPointer<Float>) throws {
        let wait = entering("allReduceSum", count: buffer.count)
        try group.exchange(wait, pointer: UnsafeMutableRawPointer(buffer.baseAddress))
        // Phase 1: rank r reduces its chunk of every rank's buffer, in rank order, into scratch.
        let mine = chunk(rank, of: buffer.count, ranks: size)
        let scratch = group.scratch(count: buffer.count)
        for i in mine {
            var sum = group.floatPointer(0)[i]
            for source in 1..<size { sum += group.floatPointer(source)[i] }
            scratch[i] = sum
        }
        chunkFinite = FiniteProbe.allFinite(scratch + mine.lowerBound, count: mine.count)
        try group.barrier(wait)
        // Phase 2: everyone copies the reduced buffer back.
        if buffer.count > 0 { buffer.baseAddress!.update(from: scratch, count: buffer.count) }
        try group.barrier(wait)
    }

    /// Runs the sum at once (as the protocol's default does) and reports whether the chunk this
    /// rank added was finite, as the MPI transports do (`PendingReduction.partFinite`).
    public func startAllReduceSum(_ buffer: UnsafeMutableBufferPointer<Float>) throws -> PendingReduction {
        try allReduceSum(buffer)
        let pending = PendingReduction(buffer: buffer, isComplete: true)
        pending.partFinite = chunkFinite
        return pending
    }

    public func allReduce(inPlace buffer: UnsafeMutableBufferPointer<Double>, _ operation: ReduceOperation) throws {
        let wait = entering("allReduce", count: buffer.count)
        try group.exchange(wait, pointer: UnsafeMutableRawPointer(buffer.baseAddress))
        try withUnsafeTemporaryAllocation(of: Double.self, capacity: max(buffer.count, 1)) { result in
            for i in 0..<buffer.count {
                var value = group.pointer(0).assumingMemoryBound(to: Double.self)[i]
                for source in 1..<size {
                    let other = group.pointer(source).assumingMemoryBound(to: Double.self)[i]
                    switch operation {
                    case .sum: value += other
                    case .max: value = Swift.max(value, other)
                    case .min: value = Swift.min(value, other)
                    }
                }
                result[i] = value
            }
            try group.barrier(wait)   // every rank has read every buffer before any is overwritten
            for i in 0..<buffer.count { buffer[i] = result[i] }
        }
    }

    public func allGather(_ value: UInt64) throws -> [UInt64] {
        var mine = value
        let wait = entering("allGather", count: 1)
        return try withUnsafeMutablePointer(to: &mine) { pointer in
            try group.exchange(wait, pointer: UnsafeMutableRawPointer(pointer))
            let values = (0..<size).map { group.pointer($0).assumingMemoryBound(to: UInt64.self).pointee }
            try group.barrier(wait)
            return values
        }
    }

    public func broadcast(_ buffer: UnsafeMutableBufferPointer<Float>, from root: Int) throws {
        let wait = entering("broadcast", count: buffer.count)
        try group.exchange(wait, pointer: UnsafeMutableRawPointer(buffer.baseAddress))
        if rank != root, buffer.count > 0 { buffer.baseAddress!.update(from: group.floatPointer(root), count: buffer.count) }
        try group.barrier(wait)
    }

    public func barrier() throws {
        try group.barrier(entering("barrier", count: 0))
    }

    public func abort(code: Int32) {
        group.poison()
    }
}

// MARK: - Shared state of one group

extension LocalCommunicator {
    /// The meeting point of the ranks of one `run`.
    fileprivate final class Group: @unchecked Sendable {
        let size: Int
        let finished = DispatchSemaphore(value: 0)
        private let condition = NSCondition()
        private var arrived = 0
        private var generation = 0
        private var poisoned = false
        private var pointers: [UnsafeMutableRawPointer?]
        private var operations: [(String, Int)]
        private var scratchBuffer: UnsafeMutablePointer<Float>
        private var scratchCount = 0
        /// The generation each rank last entered, and each rank's step (timeout diagnostics).
        private var entered: [Int]
        private var steps: [Int]

        /// One rank's wait in one collective.
        struct Wait {
            let rank: Int
            let operation: String
            let count: Int
            let sequence: Int
            let timeout: Double
        }

        init(size: Int) {
            self.size = size
            pointers = Array(repeating: nil, count: size)
            operations = Array(repeating: ("", 0), count: size)
            scratchBuffer = .allocate(capacity: 1)
            entered = Array(repeating: -1, count: size)
            steps = Array(repeating: -1, count: size)
        }

        func step(of rank: Int) -> Int {
            condition.lock()
            defer { condition.unlock() }
            return steps[rank]
        }

        func setStep(_ step: Int, of rank: Int) {
            condition.lock()
            steps[rank] = step
            condition.unlock()
        }

        deinit { scratchBuffer.deallocate() }

        func poison() {
            condition.lock()
            poisoned = true
            condition.broadcast()
            condition.unlock()
        }

        /// Publishes this rank's buffer, waits for all ranks, and checks that every rank called
        /// the same collective with the same element count.
        func exchange(_ wait: Wait, pointer: UnsafeMutableRawPointer?) throws {
            let rank = wait.rank, operation = wait.operation
            condition.lock()
            pointers[rank] = pointer
            operations[rank] = (operation, wait.count)
            condition.unlock()
            try barrier(wait)
            let (firstOperation, firstCount) = operations[0]
            if let mismatch = operations.firstIndex(where: { $0 != firstOperation || $1 != firstCount }) {
                throw CommError(operation: operation, rank: rank,
                                reason: "collective mismatch: rank 0 called \(firstOperation)(\(firstCount) elements) "
                                    + "but rank \(mismatch) called \(operations[mismatch].0)(\(operations[mismatch].1) elements)")
            }
        }

        func pointer(_ rank: Int) -> UnsafeMutableRawPointer { pointers[rank]! }

        func floatPointer(_ rank: Int) -> UnsafeMutablePointer<Float> {
            pointers[rank]!.assumingMemoryBound(to: Float.self)
        }

        /// A shared scratch buffer of at least `count` floats; grown only between collectives
        /// (every rank asks for the same count right after `exchange`, so rank 0 grows it first
        /// under the lock and the others see the grown buffer).
        func scratch(count: Int) -> UnsafeMutablePointer<Float> {
            condition.lock()
            defer { condition.unlock() }
            if scratchCount < count {
                scratchBuffer.deallocate()
                scratchBuffer = .allocate(capacity: count)
                scratchCount = count
            }
            return scratchBuffer
        }

        /// Waits until every rank has arrived, or throws `CollectiveTimeout` naming the ranks
        /// that did not arrive within `wait.timeout` (and poisons the group).
        func barrier(_ wait: Wait) throws {
            let rank = wait.rank
            condition.lock()
            defer { condition.unlock() }
            if poisoned { throw CommError(operation: "barrier", rank: rank, reason: "another rank failed") }
            let myGeneration = generation
            entered[rank] = myGeneration
            arrived += 1
            if arrived == size {
                arrived = 0
                generation += 1
                condition.broadcast()
                return
            }
            let deadline = Deadline(seconds: wait.timeout)
            while generation == myGeneration && !poisoned {
                guard wait.timeout.isFinite else {
                    condition.wait()
                    continue
                }
                if !condition.wait(until: Date(timeIntervalSinceNow: deadline.remaining)), generation == myGeneration, !poisoned {
                    poisoned = true
                    condition.broadcast()
                    let ranks = (0..<size).map { entered[$0] == myGeneration ? RankWhereabouts.arrived : .missing(step: steps[$0]) }
                    throw CollectiveTimeout(rank: rank, step: steps[rank], operation: "\(wait.operation) of \(wait.count) value(s)",
                                            sequence: wait.sequence, seconds: wait.timeout, ranks: ranks)
                }
            }
            if poisoned && generation == myGeneration {
                throw CommError(operation: "barrier", rank: rank, reason: "another rank failed")
            }
        }
    }

    fileprivate final class ResultBox<Value>: @unchecked Sendable {
        private var results: [Result<Value, any Error>?]
        private let lock = NSLock()

        init(count: Int) { results = Array(repeating: nil, count: count) }

        func set(_ index: Int, _ result: Result<Value, any Error>) {
            lock.lock()
            results[index] = result
            lock.unlock()
        }

        func values() throws -> [Value] {
            // Report a rank's own error before the "another rank failed" errors it caused.
            let failures = results.compactMap { result -> (any Error)? in
                if case .failure(let error)? = result { return error }
                return nil
            }
            if let first = failures.first(where: { !(($0 as? CommError)?.reason == "another rank failed") }) ?? failures.first {
                throw first
            }
            return results.map { result in
                guard case .success(let value)? = result else { preconditionFailure("LocalCommunicator: a rank finished without a result") }
                return value
            }
        }
    }
}
