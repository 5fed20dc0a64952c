// The communication cost model of docs/performance.md ("Across hosts"): measure the all-reduce
// that training uses at several sizes, fit its latency and bandwidth, and predict step times.
//
//   mpirun -np P swiftddp-bench allreduce [--sizes 4,65536,...] [--iters 20] [--reps 5]
//   swiftddp-bench cost-model --parameters 535818 --compute-ms 3.5 --alpha-us 20 [--efficiency 1]
//
// Model (ring all-reduce of S bytes over N ranks, one link of bandwidth B per rank):
//   allreduce(S, N) = 2(N−1)/N · S / B + 2(N−1) · α
//   step(N)         = compute + allreduce(gradient bytes, N) − hidden + flags(N)
// where `hidden` is the part backward overlaps (0 for a model that fits in one bucket, as the
// default MLP and CNN do with bucket_mb 4) and flags(N) = ⌈log2 N⌉ · α is the small all-reduce of
// control flags every step makes.
import Comm
import CommMPI
import Foundation
import Tensors

enum CostModel {
    /// Fitted parameters: `latency` = the all-reduce time of the smallest size (2(N−1)·α in the
    /// model), `secondsPerByte` = the slope of time over bytes above `fitFrom` bytes.
    struct Fit {
        var latency: Double
        var secondsPerByte: Double

        /// α: the latency per ring step.
        func alpha(ranks: Int) -> Double { latency / Double(2 * (ranks - 1)) }
        /// B: the bandwidth per rank that gives the measured slope, 2(N−1)/N / slope.
        func bandwidth(ranks: Int) -> Double { 2 * Double(ranks - 1) / Double(ranks) / secondsPerByte }
    }

    /// The model's all-reduce time in seconds.
    static func allReduceSeconds(bytes: Double, ranks: Int, alpha: Double, bandwidth: Double) -> Double {
        guard ranks > 1 else { return 0 }
        let n = Double(ranks)
        return 2 * (n - 1) / n * bytes / bandwidth + 2 * (n - 1) * alpha
    }

    /// The per-step all-reduce of control flags: a latency-bound recursive doubling.
    static func flagsSeconds(ranks: Int, alpha: Double) -> Double {
        ranks > 1 ? ceil(log2(Double(ranks))) * alpha : 0
    }

    /// `t = latency + slope · bytes`, least squares over the points with `bytes ≥ fitFrom`, with
    /// `latency` fixed to the time of the smallest size.
    static func fit(_ points: [(bytes: Double, seconds: Double)], fitFrom: Double) -> Fit {
        let latency = points.min { $0.bytes < $1.bytes }?.seconds ?? 0
        let large = points.filter { $0.bytes >= fitFrom }
        let numerator = large.reduce(0) { $0 + $1.bytes * ($1.seconds - latency) }
        let denominator = large.reduce(0) { $0 + $1.bytes * $1.bytes }
        return Fit(latency: latency, secondsPerByte: denominator > 0 ? numerator / denominator : .nan)
    }

    // MARK: - Measurement (under mpirun)

    /// Times `allReduceSum` (the deterministic reduction training uses) at each size: `reps`
    /// repetitions of `iters` back-to-back calls between barriers, the slowest rank's mean per
    /// call; prints the median per size and the fitted α and B.
    static func measure(sizes: [Int], iterations: Int, repetitions: Int, fitFrom: Int) throws {
        let comm = try MPIRuntime.initialize()
        defer { MPIRuntime.finalize() }
        BLASRuntime.setThreads(1)
        let (rank, size) = (comm.rank, comm.size)
        guard size > 1 else {
            print("allreduce: run under mpirun with at least 2 ranks")
            return
        }
        if rank == 0 {
            print("allreduce: \(size) ranks, allReduceSum (training's reduction), \(repetitions) × \(iterations) calls per size; "
                + "time = slowest rank's mean per call, median over repetitions")
            print("   bytes        µs [min–max]      GB/s (bytes / time)")
        }
        var points: [(bytes: Double, seconds: Double)] = []
        for bytes in sizes {
            let count = max(1, bytes / 4)
            let buffer = UnsafeMutableBufferPointer<Float>.allocate(capacity: count)
            defer { buffer.deallocate() }
            buffer.initialize(repeating: 1e-3)
            let calls = bytes >= 1_048_576 ? max(1, iterations / 4) : iterations
            for _ in 0..<2 { try comm.allReduceSum(buffer) }   // warm-up: connections, buffers
            var times: [Double] = []
            for _ in 0..<repetitions {
                try comm.barrier()
                let start = monotonicSeconds()
                for _ in 0..<calls { try comm.allReduceSum(buffer) }
                let mine = (monotonicSeconds() - start) / Double(calls)
                times.append(try comm.allReduce([mine], .max)[0])
            }
            let typical = median(times)
            points.append((Double(count * 4), typical))
            if rank == 0 {
                print("\(String(repeating: " ", count: max(0, 10 - String(count * 4).count)))\(count * 4)   "
                    + "\(spread(times, scale: 1e6))   \(fmt(Double(count * 4) / typical / 1e9, 3))")
                var line = ResultLine("allreduce")
                line.add("ranks", Double(size))
                line.add("bytes", String(count * 4))
                line.add("us", typical * 1e6)
                line.add("us_min", (times.min() ?? 0) * 1e6)
                line.add("us_max", (times.max() ?? 0) * 1e6)
                line.print()
            }
        }
        if rank == 0 {
            let fitted = fit(points, fitFrom: Double(fitFrom))
            print("fit: latency (smallest size) \(fmt(fitted.latency * 1e6)) µs → α = \(fmt(fitted.alpha(ranks: size) * 1e6)) µs per ring step; "
                + "slope over ≥ \(fitFrom) bytes → B = \(fmt(fitted.bandwidth(ranks: size) * 8 / 1e9, 3)) Gbit/s per rank")
            var line = ResultLine("allreduce-fit")
            line.add("ranks", Double(size))
            line.add("alpha_us", fitted.alpha(ranks: size) * 1e6)
            line.add("gbit", fitted.bandwidth(ranks: size) * 8 / 1e9)
            line.print()
        }
    }

    // MARK: - Prediction

    /// Prints predicted step times for `parameters` Float gradients, `compute` seconds of
    /// computation per step, over `ranks` and link rates `gbits` (Gbit/s × `efficiency`).
    static func predict(parameters: Int, compute: Double, alpha: Double, efficiency: Double, hidden: Double,
                        ranks: [Int], gbits: [Double], samplesPerStep: Int) {
        let bytes = Double(parameters * 4)
        print("cost model: \(parameters) parameters (\(fmt(bytes / 1e6, 2)) MB of gradient), compute \(fmt(compute * 1e3, 2)) ms/step, "
            + "α = \(fmt(alpha * 1e6, 1)) µs, bandwidth = \(fmt(efficiency, 2)) × line rate, hidden by overlap \(fmt(hidden * 1e3, 2)) ms")
        // a Markdown table: per rate, the step time, its all-reduce part, and compute / step
        // (the scaling efficiency against N ranks that never wait)
        print("| ranks | " + gbits.map { "\(fmt($0, 0)) Gb/s: step ms (all-reduce ms) | efficiency" }.joined(separator: " | ") + " |")
        print("|---:|" + String(repeating: "---:|---:|", count: gbits.count))
        var results: [ResultLine] = []
        for n in ranks {
            var row = "| \(n) |"
            for rate in gbits {
                let bandwidth = rate * 1e9 / 8 * efficiency
                let reduce = allReduceSeconds(bytes: bytes, ranks: n, alpha: alpha, bandwidth: bandwidth)
                let step = compute + max(0, reduce - hidden) + flagsSeconds(ranks: n, alpha: alpha)
                row += " \(fmt(step * 1e3, 2)) (\(fmt(reduce * 1e3, 2))) | \(fmt(100 * compute / step, 0)) % |"
                var line = ResultLine("predict")
                line.add("ranks", Double(n))
                line.add("gbit", rate)
                line.add("step_ms", step * 1e3)
                line.add("allreduce_ms", reduce * 1e3)
                line.add("samples_per_sec", Double(samplesPerStep * n) / step)
                results.append(line)
            }
            print(row)
        }
        results.forEach { $0.print() }
    }
}
