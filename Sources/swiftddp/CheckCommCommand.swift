// `swiftddp check-comm`: verify every collective across the ranks of this launch (like
// nccl-tests' correctness mode), under mpirun or with --simulate-ranks.
import ArgumentParser
import Comm
import CommMPI
import Tensors

struct CheckCommCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-comm",
        abstract: "Check all-reduce, broadcast, all-gather and barrier across the ranks of this launch.",
        discussion: """
            Run it the way training runs: `launch/mpirun.sh check-comm` (RANKS=4 for
            four ranks), or in one process with --simulate-ranks N. Every rank computes
            the expected results itself; rank 0 prints one line, and the exit status
            is non-zero if any check failed on any rank.
            """)

    @Option(help: ArgumentHelp("Run N ranks as threads of this process instead of under mpirun.", valueName: "N"))
    var simulateRanks: Int?

    func validate() throws {
        if let simulateRanks, simulateRanks < 1 { throw ValidationError("--simulate-ranks must be ≥ 1, got \(simulateRanks)") }
        if simulateRanks != nil && MPIRuntime.launchedByMPI {
            throw ValidationError("--simulate-ranks runs ranks in one process; do not combine it with mpirun")
        }
    }

    func run() throws {
        if MPIRuntime.launchedByMPI {
            let communicator = try MPIRuntime.initialize()
            let failures: [String]
            do {
                failures = try CommChecks.run(communicator)
            } catch {
                _ = fail(error, rank: communicator.rank)
                MPIRuntime.abort(code: 1)
            }
            MPIRuntime.finalize()
            if !failures.isEmpty { throw ExitCode.failure }
        } else {
            let results = try LocalCommunicator.run(ranks: simulateRanks ?? 1) { try CommChecks.run($0) }
            if results.contains(where: { !$0.isEmpty }) { throw ExitCode.failure }
        }
    }
}

/// The checks; every rank runs them in the same order.
enum CommChecks {
    /// Returns this rank's failed checks (after printing them).
    static func run(_ comm: any Communicator) throws -> [String] {
        let (rank, size) = (comm.rank, comm.size)
        var failures: [String] = []
        var checks = 0
        func check(_ name: String, _ ok: Bool) {
            checks += 1
            if !ok { failures.append(name) }
        }

        // Sum of floats: every rank derives every rank's values, adds them in rank order, and
        // must get the same bits (the determinism contract), for sizes around the chunk edges.
        for count in [0, 1, 3, size - 1, size + 1, 1000, 262_147] where count >= 0 {
            var buffer = values(rank: rank, count: count)
            var expected = values(rank: 0, count: count)
            for source in 1..<max(size, 1) {
                let other = values(rank: source, count: count)
                for i in 0..<count { expected[i] += other[i] }
            }
            try buffer.withUnsafeMutableBufferPointer { try comm.allReduceSum($0) }
            check("allReduceSum(\(count) floats) equals the rank-order sum bit for bit", buffer == expected)
        }

        // Several reductions in flight at once (the gradient-bucket pattern), finished in order.
        let pieces = (0..<3).map { index -> UnsafeMutableBufferPointer<Float> in
            let piece = UnsafeMutableBufferPointer<Float>.allocate(capacity: 5000 + index)
            _ = piece.initialize(from: values(rank: rank, count: piece.count))
            return piece
        }
        defer { pieces.forEach { $0.deallocate() } }
        let pending = try pieces.map { try comm.startAllReduceSum($0) }
        for reduction in pending { _ = try comm.poll(reduction) }
        for reduction in pending { try comm.wait(reduction) }
        for (index, piece) in pieces.enumerated() {
            var expected = values(rank: 0, count: piece.count)
            for source in 1..<max(size, 1) {
                let other = values(rank: source, count: piece.count)
                for i in 0..<piece.count { expected[i] += other[i] }
            }
            check("overlapped allReduceSum #\(index)", Array(piece) == expected)
        }

        // What each rank reports about the part of the sum it added (`partFinite`, which lets
        // training skip re-reading the gradient for NaN/∞): every rank or none reports; a finite
        // sum is reported finite everywhere, and one NaN or ∞ on one rank by exactly one rank,
        // the one whose part holds it. Run on plain buffers here and on the gradient buffer below.
        func checkPartsFinite(_ buffer: UnsafeMutableBufferPointer<Float>, _ label: String, mustReport: Bool = false) throws {
            for (index, bad) in [(-1, Float.nan), (0, .nan), (buffer.count / 2 + 3, .infinity), (buffer.count - 1, -.infinity)] {
                _ = buffer.update(from: values(rank: rank, count: buffer.count))
                if index >= 0, rank == size - 1 { buffer[index] = bad }
                let reduction = try comm.startAllReduceSum(buffer)
                try comm.wait(reduction)
                let reports = try comm.allReduce([reduction.partFinite == nil ? 0 : 1, reduction.partFinite == false ? 1 : 0], .sum)
                let what = index < 0 ? "a finite sum" : "\(bad) at element \(index) of \(buffer.count)"
                check("partFinite reported by every rank\(mustReport ? "" : " or none"), \(what)\(label)",
                      reports[0] == Double(size) || (!mustReport && reports[0] == 0))
                if reports[0] == Double(size) {
                    check("partFinite false on exactly \(index < 0 ? 0 : 1) rank(s), \(what)\(label)", reports[1] == (index < 0 ? 0 : 1))
                }
                if index >= 0 { check("\(bad) at element \(index) survives the sum\(label)", !buffer[index].isFinite) }
            }
        }
        do {
            let plain = UnsafeMutableBufferPointer<Float>.allocate(capacity: 70_001)
            defer { plain.deallocate() }
            try checkPartsFinite(plain, "")
        }

        // Small all-reduces of doubles (control flags, metric sums); again below once the
        // communicator has its shared window, which then carries them.
        func checkSmallReductions(_ label: String) throws {
            let sums = try comm.allReduce([Double(rank), 1], .sum)
            check("allReduce sum of doubles\(label)", sums == [Double(size * (size - 1) / 2), Double(size)])
            check("allReduce max\(label)", try comm.allReduce([Double(rank)], .max) == [Double(size - 1)])
            check("allReduce min\(label)", try comm.allReduce([Double(rank)], .min) == [0])
            for round in 0..<3 {   // back-to-back rounds, as every training step makes
                let values = (0..<40).map { Double(($0 + 1) * (rank + 1) + round) }   // 40: more than the window's small area
                let expected = (0..<40).map { i in (0..<size).reduce(0.0) { $0 + Double((i + 1) * ($1 + 1) + round) } }
                check("allReduce of 40 doubles, round \(round + 1)\(label)", try comm.allReduce(values, .sum) == expected)
                check("allReduce of 2 doubles, round \(round + 1)\(label)",
                      try comm.allReduce([Double(rank + round), -Double(rank)], .min) == [Double(round), -Double(size - 1)])
            }
        }
        try checkSmallReductions("")

        // The gradient buffer the communicator reduces in place (shared memory under mpirun on one
        // node): buckets cut from the end, as training starts them, over two rounds (the second
        // reuses the counters and the memory).
        let count = 262_147
        if let shared = try comm.makeReductionBuffer(count: count) {
            if rank == 0 { print("check-comm: gradient buffer in \(shared.transport)") }
            let buffer = shared.buffer
            for round in 0..<2 {
                _ = buffer.update(from: values(rank: rank + round * size, count: count))
                let slices = [200_000..<count, 5..<200_000, 0..<5].map { UnsafeMutableBufferPointer(rebasing: buffer[$0]) }
                var pending: [PendingReduction] = []
                for slice in slices {
                    pending.append(try comm.startAllReduceSum(slice))
                    _ = try comm.poll(pending[0])
                }
                for reduction in pending { try comm.wait(reduction) }
                var expected = values(rank: round * size, count: count)
                for source in 1..<max(size, 1) {
                    let other = values(rank: source + round * size, count: count)
                    for i in 0..<count { expected[i] += other[i] }
                }
                check("allReduceSum in the communicator's gradient buffer, round \(round + 1)", Array(buffer.prefix(count)) == expected)
            }
            try checkSmallReductions(" (\(shared.transport))")
            try checkPartsFinite(UnsafeMutableBufferPointer(rebasing: buffer[0..<70_001]), " (\(shared.transport))", mustReport: true)
            try checkPartsFinite(UnsafeMutableBufferPointer(rebasing: buffer[5..<count]), " (\(shared.transport), offset slice)", mustReport: true)
        }

        for root in 0..<size {
            var buffer = rank == root ? values(rank: root, count: 777) : [Float](repeating: -1, count: 777)
            try buffer.withUnsafeMutableBufferPointer { try comm.broadcast($0, from: root) }
            check("broadcast from rank \(root)", buffer == values(rank: root, count: 777))
        }

        try checkSmallReductions("")
        check("allGather", try comm.allGather(UInt64(rank * 10 + 1)) == (0..<size).map { UInt64($0 * 10 + 1) })
        try comm.barrier()

        for failure in failures { print("check-comm: rank \(rank): FAILED \(failure)") }
        let failedRanks = try comm.allReduce([failures.isEmpty ? 0 : 1], .sum)[0]
        if rank == 0 {
            print(failedRanks == 0
                  ? "check-comm: \(size) rank(s): all \(checks) checks passed"
                  : "check-comm: \(size) rank(s): \(Int(failedRanks)) rank(s) had failures")
        }
        return failures
    }

    /// Rank `rank`'s test values: non-integers, so the summation order matters.
    static func values(rank: Int, count: Int) -> [Float] {
        var generator = Generator(seed: 99, keys: [UInt64(rank), UInt64(count)])
        return (0..<count).map { _ in generator.uniform(-1, 1) }
    }
}
