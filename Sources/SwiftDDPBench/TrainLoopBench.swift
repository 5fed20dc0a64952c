// Issue 8: the real training loop (Trainer.run on the real shards, alone or under mpirun), not a
// copy of it: samples/s and the step-time split from the per-step timing the Trainer writes into
// metrics.jsonl train records (data, compute, communication, exposed all-reduce wait), the time
// between steps outside that (logging, checksums: `other`, from the `stepEnded` hook), the
// optimizer timed alone on the same parameter count, heap allocations per steady step, and every
// rank's peak resident memory against issue 8's bound (data + 4 × parameters + activations + 100 MB).
import Comm
import CommMPI
import Data
import Foundation
import NN
import Tensors
import Training

enum TrainLoopBench {
    static func run(configPath: String, dataDirectory: String, steps: Int, skip: Int, threads: Int) throws {
        try MPIJob.run { comm in
            try measure(comm, configPath: configPath, dataDirectory: dataDirectory, steps: steps, skip: skip, threads: threads)
        }
    }

    private static func measure(_ comm: MPICommunicator, configPath: String, dataDirectory: String, steps: Int, skip: Int, threads: Int) throws {
        BLASRuntime.setThreads(threads)
        let (rank, size) = (comm.rank, comm.size)
        // rank 0's process id names the scratch directory every rank uses (only rank 0 writes it)
        let owner = try comm.allReduce([rank == 0 ? Double(getpid()) : 0], .max)[0]
        let scratch = NSTemporaryDirectory() + "swiftddp-bench-train-loop-\(Int(owner))"
        defer { if rank == 0 { try? FileManager.default.removeItem(atPath: scratch) } }
        let tree = try ConfigTree.parse(yaml: try String(contentsOfFile: configPath, encoding: .utf8), source: configPath)
            .applying(overrides: ["data.dir=\(dataDirectory)", "training.max_steps=\(skip + steps)", "training.log_every=\(skip)",
                                  "checkpoint.every_epoch=false", "checkpoint.save_best=false"])
        let config = try TrainingConfig(tree: tree, source: configPath)
        // what each rank holds: its training rows (ShardAssignment, as the Trainer loads them) and, on
        // rank 0, the validation and test files
        let directory = try DatasetDirectory(path: dataDirectory, requireAllShards: true)
        func shape(_ path: String) throws -> [Int] {
            let file = try HDF5File.open(path: path)
            defer { try? file.close() }
            return try file.datasetInfo("/" + config.featuresKey).shape
        }
        let rowLength = try shape(directory.trainShards[0]).dropFirst().reduce(1, *)
        let partRows = try ShardAssignment(files: directory.trainShards, rank: rank, ranks: size) { try shape($0)[0] }
            .parts.map { part in try part.rows?.count ?? shape(part.path)[0] }
        let trainRows = partRows.reduce(0, +)
        // the measured steps must stay inside the first epoch: its end brings validation (TrainingLoader's count)
        let stepsPerEpoch = partRows.enumerated().map { j, rows in
            rows / (config.batchSize / partRows.count + (j < config.batchSize % partRows.count ? 1 : 0))
        }.min() ?? 0
        let epochSteps = Int(try comm.allReduce([Double(stepsPerEpoch)], .min)[0])
        guard skip + steps < epochSteps else {
            throw BenchError.usage("train-loop: --skip \(skip) + --steps \(steps) must stay below the \(epochSteps) steps of an epoch "
                + "at \(size) rank(s) × batch \(config.batchSize) (the epoch's end validates, which is not a training step)")
        }
        var options = RunOptions(runDirectory: scratch + "/run")
        options.overwrite = true
        let trainer = Trainer(config: config, options: options, communicator: comm, console: Console(rank: rank, quiet: true))
        // per step: when it ended and the training thread's allocations so far
        var ends = [Double](repeating: 0, count: skip + steps + 1)
        var allocations = [UInt64](repeating: 0, count: skip + steps + 1)
        var trainingPeak = 0.0   // MiB, at the end of the last step: before validation, test and the last checkpoint
        trainer.stepEnded = { step in
            guard step < ends.count else { return }
            ends[step] = monotonicSeconds()
            allocations[step] = Memory.threadAllocations
            if step == ends.count - 1 { trainingPeak = Memory.peakResidentMegabytes }
        }
        let accounting = CPUAccounting()
        let summary = try trainer.run()
        let cpu = accounting.shares(jobSeconds: try comm.allReduce([accounting.selfSeconds], .sum)[0])
        let peak = try comm.allGather(UInt64(Memory.peakResidentMegabytes * 1024)).map { Double($0) / 1024 }
        let stepsPeak = try comm.allGather(UInt64(trainingPeak * 1024)).map { Double($0) / 1024 }
        let made = ((skip + 1)...(skip + steps)).map { Int(allocations[$0] - allocations[$0 - 1]) }.sorted()
        let madeByRank = try comm.allGather(UInt64(made[made.count / 2]))

        let evaluationRows = rank == 0 ? try [directory.validation, directory.test].compactMap { $0 }.reduce(0) { $0 + (try shape($1)[0]) } : 0
        let model = try Sequential(config.layers.map { $0.makeLayer() }, inputShape: config.inputShape ?? [rowLength])
        let parameterBytes = Double(model.parameterCount * MemoryLayout<Float>.stride)
        // the Trainer keeps uint8 training features as bytes (FeatureRows), other types as float32
        let storedType = try { () throws -> HDF5File.ElementType in
            let file = try HDF5File.open(path: directory.trainShards[0])
            defer { try? file.close() }
            return try file.datasetInfo("/" + config.featuresKey).elementType
        }()
        let trainBytes = Double(trainRows * rowLength * (storedType == .uint8 ? 1 : MemoryLayout<Float>.stride))
        let evaluationBytes = Double(evaluationRows * rowLength * MemoryLayout<Float>.stride)
        // the training step's buffers stay allocated while validation and test run at eval_batch_size
        let trainingActivationBytes = activations(model, batch: config.batchSize)
        let evaluationActivationBytes = evaluationActivations(model, batch: config.evalBatchSize)
        let activationBytes = trainingActivationBytes + evaluationActivationBytes
        let optimizerSeconds = optimizerStep(model, config)
        let mine = [trainBytes, evaluationBytes].map { UInt64($0) }
        let heldByRank = try mine.map { try comm.allGather($0).map { Double($0) } }
        guard rank == 0 else { return }

        // the train records after the warm-up steps, weighted by their step counts
        let records = try String(contentsOfFile: RunDirectory(path: options.runDirectory).metricsPath, encoding: .utf8)
            .split(separator: "\n").compactMap { line -> [String: Any]? in
                guard let object = try? JSONSerialization.jsonObject(with: Foundation.Data(line.utf8)) as? [String: Any],
                      object["split"] as? String == "train", let step = object["step"] as? Int, step > skip else { return nil }
                return object
            }
        let counted = records.reduce(0.0) { $0 + (($1["steps"] as? Double) ?? 0) }
        guard counted > 0 else { throw BenchError.usage("train-loop: no train record after step \(skip) in \(options.runDirectory)") }
        func mean(_ key: String) -> Double {
            records.reduce(0.0) { $0 + (($1[key] as? Double) ?? 0) * (($1["steps"] as? Double) ?? 0) } / counted / 1e3
        }
        let step = mean("step_ms"), data = mean("data_ms"), compute = mean("compute_ms"), communication = mean("comm_ms")
        let exposedWait = mean("allreduce_wait_ms")
        let wall = (ends[skip + steps] - ends[skip]) / Double(steps)   // from one step's end to the next, all included
        let other = max(0, wall - step)
        let optimizer = min(optimizerSeconds, compute)
        let samplesPerSecond = Double(config.batchSize * size) / wall

        print("== the real training loop: \(configPath), \(size) rank(s) × batch \(config.batchSize), \(BLASRuntime.threads) OpenBLAS thread(s) per rank ==")
        print("\(steps) steps after \(skip) warm-up steps on \(dataDirectory); \(model.parameterCount) parameters; "
              + "\(summary.steps) steps run; rank 0's train records and step ends")
        print("other work on the machine meanwhile: \(fmt(cpu.other, 1)) % of the cores; hypervisor steal \(fmt(cpu.steal, 1)) %")
        print("global samples/s \(fmt(samplesPerSecond, 0)) (step end to step end, everything included)")
        print("step split (ms per step, share of step end to step end):")
        for (name, seconds) in [("data (Loader batch)", data), ("compute (forward, loss, backward, optimizer …) − optimizer", compute - optimizer),
                                ("optimizer (timed alone, same parameters)", optimizer), ("communication after backward (exposed)", communication),
                                ("  of which waiting for the gradient all-reduce", exposedWait),
                                ("other (logging, checksums, between steps)", other), ("step end to step end", wall)] {
            print("  \(name.padding(toLength: 58, withPad: " ", startingAt: 0)) \(fmt(seconds * 1e3, 3).leftPadded(8)) ms "
                  + "\(fmt(100 * seconds / wall, 2).leftPadded(6)) %")
        }
        print("heap allocations per steady step (training thread, median): " + madeByRank.enumerated().map { "rank \($0) \($1)" }.joined(separator: ", "))
        let fixedMegabytes = 100.0
        for r in 0..<size {
            let data = heldByRank[0][r] + heldByRank[1][r]
            let bound = (data + 4 * parameterBytes + activationBytes) / 1_048_576 + fixedMegabytes
            print("rank \(r) peak resident \(fmt(peak[r], 1)) MiB (\(fmt(stepsPeak[r], 1)) MiB until the last step, before validation and test); bound \(fmt(bound, 1)) MiB = data \(fmt(data / 1_048_576, 1)) "
                  + "(training \(fmt(heldByRank[0][r] / 1_048_576, 1)) + val/test \(fmt(heldByRank[1][r] / 1_048_576, 1))) + 4 × parameters "
                  + "\(fmt(4 * parameterBytes / 1_048_576, 1)) + activations \(fmt(activationBytes / 1_048_576, 1)) (training step "
                  + "\(fmt(trainingActivationBytes / 1_048_576, 1)) + evaluation batch \(fmt(evaluationActivationBytes / 1_048_576, 1))) + \(Int(fixedMegabytes)) MiB")
        }

        var result = ResultLine("trainloop")
        result.add("config", URL(fileURLWithPath: configPath).deletingPathExtension().lastPathComponent)
        result.add("ranks", Double(size))
        result.add("threads", Double(BLASRuntime.threads))
        result.add("batch", Double(config.batchSize))
        result.add("other_pct", cpu.other)
        result.add("steal_pct", cpu.steal)
        result.add("steps", Double(steps))
        result.add("parameters", Double(model.parameterCount))
        result.add("samples_per_s", samplesPerSecond)
        result.add("wall_ms", wall * 1e3)
        result.add("step_ms", step * 1e3)
        result.add("data_ms", data * 1e3)
        result.add("compute_ms", (compute - optimizer) * 1e3)
        result.add("optimizer_ms", optimizer * 1e3)
        result.add("comm_ms", communication * 1e3)
        result.add("allreduce_wait_ms", exposedWait * 1e3)
        result.add("other_ms", other * 1e3)
        result.add("data_pct", 100 * data / wall)
        result.add("comm_pct", 100 * communication / wall)
        result.add("allocs_per_step", Double(madeByRank.max() ?? 0))
        result.add("peak_rss_mb", peak.max() ?? 0)
        result.add("steps_peak_rss_mb", stepsPeak.max() ?? 0)
        for r in 0..<size { result.add("peak_rss_mb_rank\(r)", peak[r]) }
        result.add("train_data_mb", (heldByRank[0].max() ?? 0) / 1_048_576)
        result.add("eval_data_mb", heldByRank[1][0] / 1_048_576)
        result.add("parameters_x4_mb", 4 * parameterBytes / 1_048_576)
        result.add("activations_mb", activationBytes / 1_048_576)
        result.add("train_activations_mb", trainingActivationBytes / 1_048_576)
        result.add("eval_activations_mb", evaluationActivationBytes / 1_048_576)
        result.add("fixed_mb", fixedMegabytes)
        let bounds = (0..<size).map { (heldByRank[0][$0] + heldByRank[1][$0] + 4 * parameterBytes + activationBytes) / 1_048_576 + fixedMegabytes }
        result.add("rss_bound_mb", bounds[0])
        result.add("rss_within_bound", zip(peak, bounds).allSatisfy { $0 <= $1 } ? 1 : 0)
        result.add("steps_rss_within_bound", zip(stepsPeak, bounds).allSatisfy { $0 <= $1 } ? 1 : 0)
        result.add("rss_over_bound_max", zip(peak, bounds).map { $0 / $1 }.max() ?? 0)
        result.print()
    }

    /// Bytes of activations a training step keeps: every layer's output and its gradient (2 × batch
    /// × output elements), plus a convolution's lowered input columns (batch × C·k² × Hₒ·Wₒ). An
    /// estimate from the shapes, not a measurement; recurrent layers' per-time-step state is not counted.
    static func activations(_ model: Sequential, batch: Int) -> Double {
        var floats = 0
        for (index, layer) in model.layers.enumerated() {
            let output = model.layerOutputShapes[index]
            floats += 2 * batch * output.reduce(1, *)
            if let conv = layer as? Conv2D {
                let input = index == 0 ? model.inputShape : model.layerOutputShapes[index - 1]
                floats += batch * input[0] * conv.kernelSize * conv.kernelSize * output.dropFirst().reduce(1, *)
            }
        }
        return Double(floats * MemoryLayout<Float>.stride)
    }

    /// Bytes of activations an evaluation batch keeps: every layer's output (no gradients; a
    /// convolution lowers one sample at a time in evaluation). An estimate from the shapes.
    static func evaluationActivations(_ model: Sequential, batch: Int) -> Double {
        var floats = 0
        for (index, layer) in model.layers.enumerated() {
            let output = model.layerOutputShapes[index]
            floats += batch * output.reduce(1, *)
            if let conv = layer as? Conv2D {
                let input = index == 0 ? model.inputShape : model.layerOutputShapes[index - 1]
                floats += input[0] * conv.kernelSize * conv.kernelSize * output.dropFirst().reduce(1, *)
            }
        }
        return Double(floats * MemoryLayout<Float>.stride)
    }

    /// Seconds per call of the config's optimizer on a store of the model's size (median of 30).
    private static func optimizerStep(_ model: Sequential, _ config: TrainingConfig) -> Double {
        model.initializeParameters(seed: config.seed)
        var generator = Generator(seed: 3)
        for i in model.store.gradients.buffer.indices { model.store.gradients.buffer[i] = generator.uniform(-1e-3, 1e-3) }
        let optimizer = config.makeOptimizer(parameterCount: model.parameterCount)
        for _ in 0..<5 { optimizer.step(model.store, learningRate: 1e-6, zeroingGradients: true) }
        let times = (0..<30).map { _ in
            let start = monotonicSeconds()
            optimizer.step(model.store, learningRate: 1e-6, zeroingGradients: true)   // as the loop calls it
            return monotonicSeconds() - start
        }
        return median(times)
    }
}
