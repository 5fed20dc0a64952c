// Issue 8: heap allocations per steady-state step of the real training loop (Trainer.run), not a
// copy of it. Trainer calls `stepEnded` after every optimizer step; the training thread's
// allocation count at each call gives what each step allocated. The first `skip` steps (lazily
// built state) are left out; a logging step (a train record every `training.log_every`) shows as
// the maximum.
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
        let made = ((skip + 1)..<counts.count).map { Int(counts[$0] - counts[$0 - 1]) }.sorted()
        let perStep = made.isEmpty ? 0 : Double(made.reduce(0, +)) / Double(made.count)
        let typical = made.isEmpty ? 0 : made[made.count / 2]
        print("== heap allocations of the training loop (Trainer.run, 1 process, training thread) ==")
        print("config \(configPath), data \(dataDirectory); \(made.count) steps after \(skip) warm-up steps")
        print("per step: median \(typical), mean \(fmt(perStep, 2)), min \(made.first ?? 0), max \(made.last ?? 0) "
              + "(the maximum includes a train record every \(config.logEvery) steps); target 0")
        print("peak resident memory: \(fmt(Memory.peakResidentMegabytes, 1)) MiB (includes loading and the final evaluation)")
        var result = ResultLine("allocations")
        result.add("config", URL(fileURLWithPath: configPath).deletingPathExtension().lastPathComponent)
        result.add("steps", Double(made.count))
        result.add("allocs_per_step", Double(typical))
        result.add("allocs_per_step_mean", perStep)
        result.add("peak_rss_mb", Memory.peakResidentMegabytes)
        result.print()
    }
}
