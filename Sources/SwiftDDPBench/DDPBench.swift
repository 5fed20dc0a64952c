// Issue 3: data-parallel throughput under mpirun, the exposed all-reduce wait of a training step
// against the same bytes reduced alone (plain MPI_Allreduce, our deterministic allReduceSum, and
// the trainer's bucketed reduction), and how much of the communication backward hid.
import Comm
import CommMPI
import Foundation
import NN
import Tensors

enum DDPBench {
    static func run(threads: Int, steps: Int, repetitions: Int, warmup: Int, bucketMegabytes: Double,
                    reduceIterations: Int, noPoll: Bool, sharedMemory: Bool = true, phases: Bool = false) throws {
        try MPIJob.run { comm in
            try measure(comm, noPoll ? NoPollCommunicator(comm) : comm, threads: threads, steps: steps, repetitions: repetitions,
                        warmup: warmup, bucketMegabytes: bucketMegabytes, reduceIterations: reduceIterations, sharedMemory: sharedMemory,
                        phases: phases)
        }
    }

    private static func measure(_ mpi: MPICommunicator, _ comm: any Communicator, threads: Int, steps: Int, repetitions: Int, warmup: Int,
                                bucketMegabytes: Double, reduceIterations: Int, sharedMemory: Bool, phases printPhases: Bool) throws {
        BLASRuntime.setThreads(threads)
        let (rank, size) = (comm.rank, comm.size)
        let workload = try MLPWorkload(comm: comm, bucketMegabytes: bucketMegabytes, sharedMemory: sharedMemory)
        let local = try MLPWorkload(comm: SingleProcessCommunicator())   // the same step without communication
        let count = workload.model.parameterCount

        // Buffers for the reductions timed alone, each the size of the gradient.
        func buffer() -> UnsafeMutableBufferPointer<Float> {
            let b = UnsafeMutableBufferPointer<Float>.allocate(capacity: count)
            var generator = Generator(seed: 5, keys: [UInt64(rank)])
            for i in b.indices { b[i] = generator.uniform(-1e-3, 1e-3) }
            return b
        }
        let rawBuffer = buffer(), deterministicBuffer = buffer(), bucketBuffer = buffer(), scaleBuffer = buffer()
        defer { [rawBuffer, deterministicBuffer, bucketBuffer, scaleBuffer].forEach { $0.deallocate() } }
        let standaloneBuckets = GradientBuckets(gradients: bucketBuffer, bucketBytes: Int(bucketMegabytes * 1_048_576))
        let inverse = 1 / Float(size)
        func rescale(_ b: UnsafeMutableBufferPointer<Float>) { for i in b.indices { b[i] *= inverse } }
        // the same buckets over the compute-only workload's gradient, reduced right after its step
        let afterStepBuckets = GradientBuckets(gradients: local.model.store.gradients.buffer, bucketBytes: Int(bucketMegabytes * 1_048_576))
        func reduce(_ buckets: GradientBuckets) throws {
            try buckets.finish(communicator: comm)   // starts every bucket, then waits
        }
        // (name, untimed preparation, the timed reduction)
        var reductions: [(name: String, prepare: () throws -> Void, run: () throws -> Void)] = [
            ("MPI_Allreduce", {}, { try mpi.libraryAllReduceSum(rawBuffer) }),
            ("allReduceSum", {}, { try comm.allReduceSum(deterministicBuffer) }),
            ("buckets", {}, { try reduce(standaloneBuckets) }),
            ("buckets after a step", { try local.step() }, { try reduce(afterStepBuckets) }),
        ]
        if workload.inSharedMemory {   // the training buckets over the shared-memory gradient buffer
            reductions.append(("shared-memory buckets", {}, { try reduce(workload.buckets) }))
        }

        for _ in 0..<warmup { try workload.step(); try local.step() }
        if size > 1 { for _ in 0..<3 { for reduction in reductions { try reduction.prepare(); try reduction.run() } } }

        var throughput: [Double] = []        // global samples/s per repetition (slowest rank's time)
        var stepTimes: [Double] = []
        var localStepTimes: [Double] = []    // the step without communication, every rank at once (slowest rank)
        var exposed: [Double] = []           // mean over ranks of the per-step mean of finish()'s return
        var skewWait: [Double] = []          // per step: the time a rank waits for the other's backward computation to end
        var afterLast: [Double] = []         // per step: finish end − the end of the last rank's backward computation
        var skewByRank: [[Double]] = []      // per repetition: each rank's mean wait for the others
        var reduceTimes = [[Double]](repeating: [], count: reductions.count)   // seconds, max over ranks
        var scaleTimes: [Double] = []
        var phaseTimes: [[Double]] = []
        var localPhaseTimes: [[Double]] = []
        let accounting = CPUAccounting()
        for _ in 0..<repetitions {
            // the trainer's step, untimed inside
            try comm.barrier()
            var exposedSum = 0.0
            let start = monotonicSeconds()
            for _ in 0..<steps { exposedSum += try workload.step().exposed }
            let elapsed = try comm.allReduce([monotonicSeconds() - start], .max)[0]
            throughput.append(Double(steps * MLPWorkload.batchSize * size) / elapsed)
            stepTimes.append(elapsed / Double(steps))
            exposed.append(try comm.allReduce([exposedSum / Double(steps)], .sum)[0] / Double(size))

            // the same step with no communication, on every rank at once: what sharing the
            // machine costs the computation by itself
            try comm.barrier()
            let localStart = monotonicSeconds()
            for _ in 0..<steps { try local.step() }
            localStepTimes.append(try comm.allReduce([monotonicSeconds() - localStart], .max)[0] / Double(steps))

            // the same step with timestamps; CLOCK_MONOTONIC is shared by processes on one host,
            // so the ranks' backward-end times can be compared
            try comm.barrier()
            var phases = [Double](repeating: 0, count: Phase.count)
            var ends: [(backwardEnd: Double, finishEnd: Double)] = []
            for _ in 0..<steps { ends.append(try workload.timedStep(into: &phases)) }
            phaseTimes.append(phases.map { $0 / Double(steps) })
            if printPhases {   // the same timed step without communication, every rank at once
                try comm.barrier()
                var localPhases = [Double](repeating: 0, count: Phase.count)
                for _ in 0..<steps { try local.timedStep(into: &localPhases) }
                localPhaseTimes.append(localPhases.map { $0 / Double(steps) })
            }
            if size > 1 {
                var wait = 0.0, after = 0.0
                for end in ends {
                    let all = try comm.allGather(end.backwardEnd.bitPattern).map { Double(bitPattern: $0) }
                    let last = all.max()!
                    wait += last - end.backwardEnd
                    after += end.finishEnd - last
                }
                skewWait.append(try comm.allReduce([wait / Double(steps)], .sum)[0] / Double(size))
                skewByRank.append(try comm.allGather((wait / Double(steps)).bitPattern).map { Double(bitPattern: $0) })
                afterLast.append(try comm.allReduce([after / Double(steps)], .sum)[0] / Double(size))

                // the reductions alone, interleaved, each between barriers
                var times = [[Double]](repeating: [], count: reductions.count)
                for _ in 0..<reduceIterations {
                    for (index, reduction) in reductions.enumerated() {
                        try reduction.prepare()
                        try comm.barrier()
                        let t = monotonicSeconds()
                        try reduction.run()
                        times[index].append(monotonicSeconds() - t)
                    }
                    rescale(rawBuffer)
                    rescale(deterministicBuffer)
                }
                for index in reductions.indices {
                    reduceTimes[index] += try comm.allReduce(times[index], .max)
                }
                let t = monotonicSeconds()
                rescale(scaleBuffer)   // the loop buckets.finish runs after its waits
                scaleTimes.append(monotonicSeconds() - t)
            }
        }

        let checksums = try comm.allGather(workload.model.store.checksum())   // data parallel keeps every rank's parameters equal
        let agree = checksums.allSatisfy { $0 == checksums[0] }
        let cpu = accounting.shares(jobSeconds: try comm.allReduce([accounting.selfSeconds], .sum)[0])
        if printPhases { try printPhaseTable(comm, phaseTimes, localPhaseTimes) }
        guard rank == 0 else { return }
        func phase(_ index: Int) -> Double { median(phaseTimes.map { $0[index] }) }
        let computeTime = phase(Phase.total) - phase(Phase.finish) - phase(Phase.flags) - phase(Phase.bucketStarts)
        print("== data-parallel training, \(size) rank(s), OpenBLAS \(BLASRuntime.coreName) × \(BLASRuntime.threads) thread(s) per rank, "
              + "bucket_mb \(bucketMegabytes)\(comm is NoPollCommunicator ? ", poll disabled (--no-poll)" : ""), "
              + "gradients \(workload.inSharedMemory ? "summed in shared memory" : "reduced by MPI transfers") ==")
        print("buckets: " + workload.buckets.buckets.map { "[\($0.lowerBound)..<\($0.upperBound))" }
            .joined(separator: ", ") + "; \(count) floats (\(fmt(Double(count * 4) / 1_048_576, 2)) MiB)")
        print("\(repetitions) repetitions × \(steps) steps after \(warmup) warm-up steps; median [min–max] over repetitions")
        print("other work on the machine meanwhile: \(fmt(cpu.other, 1)) % of the cores; hypervisor steal \(fmt(cpu.steal, 1)) %")
        print("parameters identical on every rank after \(workload.steps) steps: \(agree ? "yes" : "NO")")
        print("global samples/s        \(spread(throughput, digits: 0))")
        print("step time (slowest rank) \(spread(stepTimes, scale: 1e3, digits: 3)) ms")
        print("same step without communication, all ranks at once: \(spread(localStepTimes, scale: 1e3, digits: 3)) ms (slowest rank)")
        print("timed step: compute \(fmt(computeTime * 1e6, 1)) µs, reduction start \(fmt(phase(Phase.bucketStarts) * 1e6, 1)) µs, "
              + "finish \(fmt(phase(Phase.finish) * 1e6, 1)) µs, flags allReduce and gradient check \(fmt(phase(Phase.flags) * 1e6, 1)) µs (rank 0)")
        var result = ResultLine("ddp")
        result.add("ranks", Double(size))
        result.add("bucket_mb", bucketMegabytes)
        result.add("agree", agree ? 1 : 0)
        result.add("poll", comm is NoPollCommunicator ? "off" : "on")
        result.add("transport", workload.inSharedMemory ? "shm" : "mpi")
        result.add("other_pct", cpu.other)
        result.add("steal_pct", cpu.steal)
        result.add("samples_per_s", median(throughput))
        result.add("step_ms", median(stepTimes) * 1e3)
        result.add("local_step_ms", median(localStepTimes) * 1e3)
        result.add("compute_us", computeTime * 1e6)
        result.add("optimizer_us", phase(Phase.optimizer) * 1e6)
        if size > 1 {
            let raw = median(reduceTimes[0]), deterministic = median(reduceTimes[1]), bucketed = median(reduceTimes[2])
            let afterStep = median(reduceTimes[3])
            let exposedMedian = median(exposed)
            let start = phase(Phase.bucketStarts)
            let overhead = median(stepTimes) - median(localStepTimes)
            print("exposed wait per step (buckets.finish)       \(spread(exposed, scale: 1e6, digits: 1)) µs")
            print("starting the reduction in layerFinished      \(fmt(start * 1e6, 1)) µs per step (the start and one poll; not in exposed)")
            print("step time − same step without communication  \(fmt(overhead * 1e6, 1)) µs per step")
            print("  waiting for the other rank's backward      \(spread(skewWait, scale: 1e6, digits: 1)) µs")
            print("    by rank: " + (0..<size).map { r in "rank \(r) \(fmt(median(skewByRank.map { $0[r] }) * 1e6, 1)) µs" }.joined(separator: ", "))
            print("  reduction after the last rank's backward   \(spread(afterLast, scale: 1e6, digits: 1)) µs")
            print("  of which the 1/N scaling loop (alone)      \(spread(scaleTimes, scale: 1e6, digits: 1)) µs")
            print("flags allReduce (3 doubles) + gradient check \(fmt(phase(Phase.flags) * 1e6, 1)) µs")
            print("alone, \(count) floats, max over ranks, median [min–max] of \(reduceTimes[0].count):")
            for (index, reduction) in reductions.enumerated() {
                print("  \(reduction.name.padding(toLength: 22, withPad: " ", startingAt: 0)) \(spread(reduceTimes[index], scale: 1e6, digits: 1)) µs")
            }
            print("exposed / MPI_Allreduce alone   \(fmt(exposedMedian / raw, 2))×  (target ≤ 1.05×)")
            print("exposed / allReduceSum alone    \(fmt(exposedMedian / deterministic, 2))×")
            print("allReduceSum / MPI_Allreduce    \(fmt(deterministic / raw, 2))×")
            // hidden: against the reduction the step itself uses (the shared-memory sum when the
            // gradients live in the window, else the bucketed MPI reduction)
            let used = workload.inSharedMemory ? median(reduceTimes[4]) : bucketed
            print("hidden behind backward          \(fmt(100 * (1 - exposedMedian / used), 1)) % (1 − exposed / the step's reduction alone: "
                  + "\(workload.inSharedMemory ? "shared-memory sum" : "bucketed MPI reduction")); "
                  + "counting the start in layerFinished as exposed: \(fmt(100 * (1 - (start + exposedMedian) / used), 1)) %")
            print("step time − compute-only step   \(fmt(overhead / raw, 2))× MPI_Allreduce alone, \(fmt(overhead / afterStep, 2))× the bucketed reduction right after a step")
            result.add("exposed_us", exposedMedian * 1e6)
            result.add("skew_wait_us", median(skewWait) * 1e6)
            result.add("start_us", start * 1e6)
            result.add("overhead_us", overhead * 1e6)
            result.add("after_last_us", median(afterLast) * 1e6)
            result.add("scale_us", median(scaleTimes) * 1e6)
            result.add("flags_us", phase(Phase.flags) * 1e6)
            result.add("raw_us", raw * 1e6)
            result.add("det_us", deterministic * 1e6)
            result.add("bucketed_us", bucketed * 1e6)
            result.add("exposed_over_raw", exposedMedian / raw)
            result.add("exposed_over_det", exposedMedian / deterministic)
            result.add("det_over_raw", deterministic / raw)
            result.add("after_step_us", afterStep * 1e6)
            result.add("hidden_pct", 100 * (1 - exposedMedian / used))
            result.add("hidden_with_start_pct", 100 * (1 - (start + exposedMedian) / used))
            if workload.inSharedMemory { result.add("shm_us", median(reduceTimes[4]) * 1e6) }
            result.add("overhead_over_raw", overhead / raw)
        }
        result.print()
    }
}

extension DDPBench {
    /// `--phases on`: rank 0 prints every rank's median time per phase of the timed step, with
    /// communication and without (the same step on a `SingleProcessCommunicator`, every rank at
    /// once). A phase slower with communication than without points at what the distributed step
    /// adds besides the reduction itself. The medians are gathered to rank 0 (a sum of vectors in
    /// which each rank fills its own part), since the lines of ranks printing in turn can reach
    /// mpirun's output interleaved with rank 0's.
    fileprivate static func printPhaseTable(_ comm: any Communicator, _ with: [[Double]], _ without: [[Double]]) throws {
        var names: [(String, Int)] = Phase.layerNames.enumerated().map { ("forward " + $0.element, Phase.forward($0.offset)) }
        names += [("loss forward", Phase.lossForward), ("loss backward", Phase.lossBackward)]
        names += Phase.layerNames.enumerated().reversed().map { ("backward " + $0.element, Phase.backward($0.offset)) }
        names += [("after layer 0 to finish", Phase.bucketStarts), ("finish (reduction wait)", Phase.finish),
                  ("flags, gradient check", Phase.flags), ("optimizer", Phase.optimizer), ("whole step", Phase.total)]
        let width = 2 * names.count   // per rank: (with, without) for every phase
        var mine = [Double](repeating: 0, count: comm.size * width)
        for (row, (_, index)) in names.enumerated() {
            mine[comm.rank * width + 2 * row] = median(with.map { $0[index] })
            mine[comm.rank * width + 2 * row + 1] = median(without.map { $0[index] })
        }
        let all = try comm.allReduce(mine, .sum)
        guard comm.rank == 0 else { return }
        for rank in 0..<comm.size {
            print("rank \(rank): µs per step, median over repetitions: with communication / without")
            for (row, (name, _)) in names.enumerated() {
                let a = all[rank * width + 2 * row] * 1e6, b = all[rank * width + 2 * row + 1] * 1e6
                print("  \(name.padding(toLength: 28, withPad: " ", startingAt: 0)) \(fmt(a, 1)) / \(fmt(b, 1))  (\(a >= b ? "+" : "")\(fmt(a - b, 1)))")
            }
        }
    }
}

/// The MPI communicator with `poll` turned into a no-op, so reductions advance only inside
/// `finish` (`ddp --poll off`): the experiment that shows what the polls in `layerFinished`
/// contribute to moving the reductions along.
final class NoPollCommunicator: Communicator {
    let base: MPICommunicator
    init(_ base: MPICommunicator) { self.base = base }
    var rank: Int { base.rank }
    var size: Int { base.size }
    func allReduceSum(_ buffer: UnsafeMutableBufferPointer<Float>) throws { try base.allReduceSum(buffer) }
    func allReduce(inPlace buffer: UnsafeMutableBufferPointer<Double>, _ operation: ReduceOperation) throws { try base.allReduce(inPlace: buffer, operation) }
    func allGather(_ value: UInt64) throws -> [UInt64] { try base.allGather(value) }
    func broadcast(_ buffer: UnsafeMutableBufferPointer<Float>, from root: Int) throws { try base.broadcast(buffer, from: root) }
    func barrier() throws { try base.barrier() }
    func startAllReduceSum(_ buffer: UnsafeMutableBufferPointer<Float>) throws -> PendingReduction { try base.startAllReduceSum(buffer) }
    func poll(_ pending: PendingReduction) throws -> Bool { pending.isComplete }
    func wait(_ pending: PendingReduction) throws { try base.wait(pending) }
    func abort(code: Int32) { base.abort(code: code) }
}
