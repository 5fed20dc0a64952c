// Issue 8: heap allocations per steady-state step of the real training loop (Trainer.run), not a
// copy of it. Trainer calls `stepEnded` after every optimizer step; the training thread's
// allocation count at each call gives what each step allocated. The first `skip` steps (lazily
// built state) and logging steps (train records every `training.log_every`) are reported apart.
import Comm
import Foundation
import Training

enum AllocationBench {
    static func run(configPath: String, dataDirectory: String, steps: Int, skip: Int = 10) throws {
        let scratch = NSTemporaryDirectory() + "swiftddp-bench-allocations-\(getpid())"
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let tree = try ConfigTree.parse(yaml: try String(contentsOfFile: configPath, encoding: .utf8), source: configPath)
            .applying(overrides: ["data.dir=\(dataDirectory)", "training.max_steps=\(skip + steps)"])
        let config = try TrainingConfig(tree: tree, source: configPath)
        var options = RunOptions(runDirectory: scratch + "/run")
        options.overwrite = true
        let trainer = Trainer(config: config, options: options, communicator: SingleProcessCommunicator(),
                              console: Console(rank: 0, quiet: true))
        var counts: [UInt64] = []
        counts.reserveCapacity(skip + steps + 1)
        trainer.stepEnded = { _ in counts.append(Memory.threadAllocations) }
        _ = try trainer.run()

        // allocations of step k = count after k − count after k−1, for the steady-state steps
        var plain: [Int] = [], logging: [Int] = []
        for k in (skip + 1)..<counts.count {
            let made = Int(counts[k] - counts[k - 1])
            if (k + 1) % config.logEvery == 0 { logging.append(made) } else { plain.append(made) }
        }
        let perStep = plain.isEmpty ? 0 : Double(plain.reduce(0, +)) / Double(plain.count)
        let perLogging = logging.isEmpty ? 0 : Double(logging.reduce(0, +)) / Double(logging.count)
        print("== heap allocations of the training loop (Trainer.run, 1 process, training thread) ==")
        print("config \(configPath), data \(dataDirectory); \(steps) steps after \(skip) warm-up steps")
        print("per steady-state step: \(fmt(perStep, 2)) (min \(plain.min() ?? 0), max \(plain.max() ?? 0); target 0)")
        print("per logging step (every \(config.logEvery)): \(fmt(perLogging, 1)) (writes a train record)")
        print("peak resident memory: \(fmt(Memory.peakResidentMegabytes, 1)) MiB")
        var result = ResultLine("allocations")
        result.add("steps", Double(plain.count))
        result.add("allocs_per_step", perStep)
        result.add("allocs_per_logging_step", perLogging)
        result.add("peak_rss_mb", Memory.peakResidentMegabytes)
        result.print()
    }
}
