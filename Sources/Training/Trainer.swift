// The training loop, top to bottom (style.md §11): set up, then for every step fetch a batch,
// forward, loss, backward with bucketed gradient all-reduce, agree on control flags, optimizer
// step, record.
import Checkpoints
import Comm
import Data
import Foundation
import Metrics
import NN
import Tensors

/// Choices about one run that are not part of the model's config (CLI flags).
public struct RunOptions: Sendable {
    /// The run directory (rank 0 writes it).
    public var runDirectory: String
    /// Replace an existing run's files in `runDirectory`.
    public var overwrite = false
    /// Train on this many fixed batches only, every epoch (Lightning's `overfit_batches`).
    public var overfitBatches: Int?
    /// Check every parameter's gradient against finite differences on one batch before training.
    public var checkGradients = false
    /// Stop at the first non-finite activation or gradient, naming the layer.
    public var detectAnomalies = false
    /// Print a console line for every train record (with `training.log_every`).
    public var printSteps = false
    /// Write the final parameters to this HDF5 file (rank 0).
    public var saveWeights: String?
    /// Go on from a checkpoint: the newest valid one in the run directory, or a given file.
    public var resume: ResumeFrom?
    /// Start a new run from the parameters of this checkpoint or weights file (fine-tuning).
    public var initFrom: String?
    /// Parameter-name prefixes (e.g. `layers.0`) whose parameters are not trained.
    public var freeze: [String] = []

    /// Where a resumed run comes from.
    public enum ResumeFrom: Sendable, Equatable {
        case latest
        case file(String)
    }

    /// Options for a run written to `runDirectory`.
    public init(runDirectory: String) {
        self.runDirectory = runDirectory
    }
}

/// What a finished run reports.
public struct TrainingSummary: Sendable {
    /// Optimizer steps taken.
    public var steps = 0
    /// Epochs completed.
    public var epochs = 0
    /// Test-set loss and accuracy (rank 0; nil without a test file).
    public var testLoss: Double?
    public var testAccuracy: Double?
    /// Last validation accuracy (rank 0; nil without a validation file).
    public var validationAccuracy: Double?
    /// The run directory.
    public var runDirectory = ""
    /// Training samples per second over the whole run (all ranks).
    public var samplesPerSecond = 0.0
    /// The signal that stopped the run early, or 0.
    public var stoppedBySignal: Int32 = 0
    /// Whether early stopping ended the run.
    public var stoppedEarly = false
    /// The last validation loss and accuracy (rank 0).
    var lastValidation: (loss: Double, accuracy: Double)?
    /// The worst `--check-gradients` result, if it ran.
    public var gradientCheck: ParameterGradientCheck?
    /// The final parameters, flat, in `namedParameters` order, and their checksum.
    public var parameters: [Float] = []
    public var checksum: UInt64 = 0
    /// The checksum of the final buffers (batch norm's running statistics), equal on every rank.
    public var bufferChecksum: UInt64 = 0
}

/// Trains one model on one rank of a data-parallel job.
public final class Trainer {
    public let config: TrainingConfig
    public let options: RunOptions
    public let communicator: any Communicator
    public let console: Console
    /// Called on every rank after each optimizer step with the global step count (instrumentation:
    /// `swiftddp-bench allocations` counts the heap allocations between two calls).
    public var stepEnded: ((Int) -> Void)?

    /// Prepares a run; nothing is loaded until `run()`.
    public init(config: TrainingConfig, options: RunOptions, communicator: any Communicator, console: Console) {
        self.config = config
        self.options = options
        self.communicator = communicator
        self.console = console
    }

    /// Trains for `config.epochs` epochs (or `config.maxSteps` steps), validating every epoch
    /// and testing at the end on rank 0.
    public func run() throws -> TrainingSummary {
        let comm = communicator
        let rank = comm.rank, worldSize = comm.size

        // ---- data: this rank's shards (rank 0 also loads validation and test), checked by
        // preflight on every rank, with the same config and schema everywhere; same steps everywhere
        let data = try preflight()
        let reference = data.loader.shards[0].shard
        let localSteps = options.overfitBatches.map { min($0, data.loader.stepsPerEpoch) } ?? data.loader.stepsPerEpoch
        let stepsPerEpoch = Int(try comm.allReduce([Double(localSteps)], .min)[0])
        let longestEpoch = Int(try comm.allReduce([Double(localSteps)], .max)[0])   // for the warning below
        var totalSteps = min(config.maxSteps ?? Int.max, stepsPerEpoch * config.epochs)
        var epochs = (totalSteps + stepsPerEpoch - 1) / stepsPerEpoch

        // ---- model: same seed on every rank, and rank 0's values broadcast anyway
        let (criterion, outputs, outputsSource) = try makeCriterion(fitting: data)   // the loss must fit the labels
        let model = try buildModel(sampleShape: reference.featureShape, outputs: outputs, source: outputsSource, dataPath: reference.path)
        model.initializeParameters(seed: config.seed)
        if let path = options.initFrom { try initialize(model, from: path) }
        try comm.broadcast(model.store.values.buffer, from: 0)
        try broadcastBuffers(model)
        let frozen = try frozenRanges(model)
        let optimizer = config.makeOptimizer(parameterCount: model.parameterCount)
        let reduction = try placeGradients(of: model)   // in shared memory when the ranks share a node
        let buckets = GradientBuckets(gradients: model.store.gradients.buffer, bucketBytes: Int(config.bucketMegabytes * 1_048_576))
        // progress reports only matter when there is something to reduce; without them Dense
        // computes its weight gradient as one GEMM instead of blocks
        let progress = worldSize > 1 ? BucketProgress(buckets: buckets, communicator: comm) : nil
        let anomalies = options.detectAnomalies ? AnomalyCheck(model: model, rank: rank) : nil
        let schedule = config.learningRateSchedule(totalSteps: totalSteps)
        var stopping = config.earlyStopping.map { EarlyStopping(config: $0) }
        var plateau = config.reduceOnPlateau.map { PlateauReduction(config: $0) }
        if (stopping != nil || plateau != nil) && !data.hasValidation {
            let sections = [stopping.map { _ in "early_stopping" }, plateau.map { _ in "reduce_lr_on_plateau" }].compactMap { $0 }
            throw TrainingError.missingData("\(sections.joined(separator: " and ")) \(sections.count == 1 ? "monitors" : "monitor") "
                + "a validation metric but \(config.dataDirectory) has no val.h5 (prepare it with a validation split, or remove \(sections.joined(separator: " and ")))")
        }

        // ---- resume: rank 0 reads and checks the checkpoint, every rank takes its state
        let runDirectory = RunDirectory(path: options.runDirectory)
        let checkpoints = CheckpointDirectory(path: runDirectory.checkpointsPath)
        var start = (step: 0, epoch: 0, stepInEpoch: 0)
        var bestMonitor = MetricMonitor(monitor: config.checkpointMonitor, mode: "auto", minDelta: 0)   // for best.h5
        if let resume = options.resume {
            let header = try restore(from: resume, checkpoints: checkpoints, model: model, optimizer: optimizer,
                                     stopping: &stopping, plateau: &plateau, bestMonitor: &bestMonitor)
            start = (header.step, header.epoch, header.stepInEpoch)
            // with another world size an epoch has another number of steps: go on at the same
            // epoch and (clamped) position; the global step count continues
            if start.stepInEpoch >= stepsPerEpoch { start = (start.step, start.epoch + 1, 0) }
            totalSteps = min(config.maxSteps ?? Int.max,
                             start.step + max(0, (config.epochs - start.epoch) * stepsPerEpoch - start.stepInEpoch))
            epochs = start.epoch + (start.stepInEpoch + max(0, totalSteps - start.step) + stepsPerEpoch - 1) / stepsPerEpoch
            if totalSteps <= start.step {
                console.print0("nothing left to train: the checkpoint is at step \(start.step), where this run ends "
                    + "(training.epochs \(config.epochs)\(config.maxSteps.map { ", training.max_steps \($0)" } ?? "")); "
                    + "raise --epochs or --max-steps to train on. Nothing was written to \(runDirectory.path).")
                var summary = TrainingSummary(runDirectory: runDirectory.path)
                summary.steps = start.step
                summary.epochs = start.epoch
                summary.parameters = Array(model.store.values.buffer)
                summary.checksum = model.store.checksum()
                return summary
            }
        }

        // ---- run directory and log (rank 0), the first writes, after every check. A resumed run
        // appends; a checkpoint file taken into a directory that holds no run yet starts it.
        var metrics: RunMetricsWriter?
        if rank == 0 {
            let startsDirectory = switch options.resume {
            case nil: true
            case .latest: false
            case .file: !FileManager.default.fileExists(atPath: runDirectory.metricsPath)
            }
            if startsDirectory { try runDirectory.prepareFresh(config: config, overwrite: options.overwrite) }
            console.openLog(path: runDirectory.logPath, append: !startsDirectory)
            metrics = try RunMetricsWriter(runDirectory: runDirectory, config: config, worldSize: worldSize, append: !startsDirectory)
        }
        if options.resume != nil {
            var record = MetricsRecord()
            record["time"] = .number(Date().timeIntervalSince1970)
            record["step"] = .integer(start.step)
            record["split"] = .text("resume")
            record["world_size"] = .integer(worldSize)
            try metrics?.write(record)
        }
        var lastCheckpointStep = start.step
        let bufferAveraging = BufferAveraging(buffers: model.buffers, communicator: comm, step: start.step)
        let writer = CheckpointWriter(directory: checkpoints, keepLast: config.checkpointKeepLast)
        // an error that ends the run still lets the checkpoint being written (announced, of good
        // values) reach the disk first; its own failure, if any, is then only a warning
        defer {
            do { try writer.wait() } catch { console.print0("warning: the checkpoint being written when the run ended was not saved: \(error)") }
        }
        /// Rank 0 copies the state and writes it in the background; `waitForDisk` (a signal, the
        /// end of the run) waits until the file is complete before anyone goes on.
        func saveCheckpoint(step: Int, epoch: Int, stepInEpoch: Int, waitForDisk: Bool = false, best: Bool = false) throws {
            try refuseNonFinite(model.store, optimizer, step: step)   // every rank: the same values
            lastCheckpointStep = step
            // rank 0 saves the buffers all ranks hold (a best-only checkpoint, which rank 0 alone
            // writes, follows the epoch's averaging, so no rank enters a collective alone)
            try bufferAveraging.average(atStep: step)
            if rank == 0 {
                var scalars = stopping?.scalars ?? [:]
                scalars.merge(plateau?.scalars ?? [:]) { $1 }
                scalars.merge(bestMonitor.scalars("checkpoint")) { $1 }
                let checkpoint = Checkpoint(
                    step: step, epoch: epoch, stepInEpoch: stepInEpoch, worldSize: worldSize, seed: config.seed, config: config.yaml,
                    parameters: model.store.parameters.map { ($0.name, $0.shape, model.store.value($0).toArray()) },
                    optimizer: config.optimizer, optimizerStepCount: optimizer.stepCount,
                    optimizerState: optimizer.state.map { ($0.name, Array($0.values.buffer)) }, scalars: scalars,
                    buffers: namedBuffers(model))
                try writer.submit(checkpoint, alsoAsBest: best)
                if waitForDisk { try writer.wait() }
                console.print0("checkpoint: \(checkpoints.file(step: step))")
            }
            if waitForDisk { try comm.barrier() }   // nobody exits before the checkpoint is complete
        }
        console.print0(model.summary)
        console.print0("data: \(worldSize) rank(s) × batch \(config.batchSize) = global batch \(config.batchSize * worldSize); "
            + "rank 0 holds \(data.loader.shards.map(\.shard.count).reduce(0, +)) samples from \(data.loader.shards.count) shard(s); "
            + "\(stepsPerEpoch) steps/epoch (the minimum over ranks); \(totalSteps) steps")
        if longestEpoch > stepsPerEpoch {
            console.print0("warning: the ranks hold unequal parts of the training data (\(stepsPerEpoch) to \(longestEpoch) batches "
                + "each), so every epoch stops at \(stepsPerEpoch) steps and the larger parts are not all seen in one epoch; "
                + "prepare as many shards as ranks (or a multiple of them) to use every sample")
        }
        if let asked = options.overfitBatches, asked > stepsPerEpoch {
            console.print0("warning: --overfit-batches \(asked) asks for more batches than an epoch has; "
                + "overfitting the \(stepsPerEpoch) there are")
        }
        if let reduction = config.reduceOnPlateau, reduction.minLearningRate >= config.learningRate {
            console.print0("warning: reduce_lr_on_plateau.min_lr \(reduction.minLearningRate) is not below optimizer.learning_rate "
                + "\(config.learningRate), so a plateau never lowers the learning rate")
        }
        if config.warmupSteps > totalSteps {
            console.print0("warning: schedule.warmup_steps \(config.warmupSteps) is more than the run's \(totalSteps) steps, so the "
                + "learning rate never reaches optimizer.learning_rate (it ends at \(schedule(totalSteps - 1))); lower schedule.warmup_steps")
        }
        if worldSize > 1 { console.print0("gradients: \(reduction)") }
        console.print0("run directory: \(runDirectory.path)")

        var summary = TrainingSummary(runDirectory: runDirectory.path)
        if options.checkGradients {
            summary.gradientCheck = try checkGradients(model, criterion, data.loader.batch(epoch: 0, step: 0))
        }

        // ---- the loop (gradients start at zero; each step's optimizer pass leaves them at zero)
        model.store.zeroGradients()
        let flags = UnsafeMutableBufferPointer<Double>.allocate(capacity: 3)   // the control flags, reused every step
        defer { flags.deallocate() }
        var step = start.step
        var nonFinite = NonFinitePolicy(config: config, anomaliesChecked: options.detectAnomalies)
        var next = (epoch: start.epoch, stepInEpoch: start.stepInEpoch)   // where training would go on
        let runStart = monotonicSeconds()
        let progressBar = ProgressBar(console: console, mode: config.reporting.progress, epochs: epochs, totalSteps: totalSteps,
                                      startStep: start.step, globalBatch: config.batchSize * worldSize)
        epochLoop: for epoch in start.epoch..<max(epochs, start.epoch) {
            let epochStart = monotonicSeconds()
            var epochTally = TaskTally(for: criterion)
            var interval = IntervalStats(for: criterion)
            let firstStep = epoch == start.epoch ? start.stepInEpoch : 0
            let stepsThisEpoch = min(stepsPerEpoch, firstStep + totalSteps - step)   // the last epoch may be cut by max_steps
            for stepInEpoch in firstStep..<max(stepsThisEpoch, firstStep) {
                // ---- TRAINING STEP BEGIN
                let t0 = monotonicSeconds()
                let batch = data.loader.batch(epoch: options.overfitBatches == nil ? epoch : 0, step: stepInEpoch)
                let t1 = monotonicSeconds()   // the gradients are zero here: see the optimizer step below
                beginStep(step, model.store)   // step for timeout diagnostics; SWIFTDDP_FAULT (tests only)
                model.reseedStochasticLayers(seed: config.seed, rank: rank, step: step)
                let logits = try model.forward(batch.features, mode: .training) { layer, output in
                    try anomalies?.afterForward(layer, output, step: step)
                }
                let loss = criterion.forward(logits, targets: batch.lossTargets)
                try anomalies?.afterLoss(loss, criterion: criterion, outputs: logits, step: step)
                // scaled by 1/ranks, so that the all-reduced sum is the mean gradient
                try model.backward(criterion.backward(scale: 1 / Float(worldSize)), progress: progress) { layer, inputGradient in
                    try anomalies?.afterBackward(layer, inputGradient, step: step)
                }
                let t2 = monotonicSeconds()
                let exposedCommunication = try buckets.finish(communicator: comm)    // buckets started during backward
                // every rank takes the same decision: stop on a non-finite loss or a signal anywhere;
                // flags[2] is 1 when every rank found its part of the gradient sum finite as it added it
                flags[0] = loss.isFinite ? Double(worldSize) : Double(rank)
                flags[1] = -Double(StopSignal.received)
                flags[2] = buckets.partsFinite ? 1 : 0
                try comm.allReduce(inPlace: flags, .min)
                let t3 = monotonicSeconds()
                // a non-finite loss (flags[0]: the lowest such rank) or averaged gradient: skip or stop, on every rank alike
                let lossRank = flags[0] < Double(worldSize) ? Int(flags[0]) : nil
                let checkInStep = nonFinite.checksInOptimizerStep(lossRank: lossRank, knownFinite: flags[2] == 1, clipsValues: config.clipValue != nil)
                let skip = try nonFinite.skips(step: step, lossRank: lossRank, gradients: model.store.gradients.buffer,
                                               knownFinite: flags[2] == 1 || checkInStep, store: model.store, console: console)
                let logging = (step + 1) % config.logEvery == 0 || stepInEpoch == stepsThisEpoch - 1
                model.store.addL1Gradient(config.l1)
                if let limit = config.clipValue { model.store.clipGradientValues(to: limit) }
                let gradientNorm = config.clipNorm.map { model.store.clipGradientNorm(to: $0) }   // the norm before clipping
                    ?? (logging ? model.store.gradientNorm() : 0)
                let learningRate = schedule(step) * (plateau?.scale ?? 1)
                let kept = frozen.map { Array(model.store.values.buffer[$0]) }   // frozen layers keep their values
                // the optimizer clears each gradient as it reads it (one pass instead of a memset
                // at the next step's start), so the gradients are zero when the next step begins;
                // with checkInStep it also looks for NaN and ±∞ in that pass, and a stop names them
                if skip {
                    model.store.zeroGradients()
                } else if !checkInStep {
                    optimizer.step(model.store, learningRate: learningRate, zeroingGradients: true)
                } else if !optimizer.stepCheckingFinite(model.store, learningRate: learningRate) {
                    throw nonFinite.stop(step: step, gradients: model.store.gradients.buffer, store: model.store)
                }
                for (range, values) in zip(frozen, kept) { _ = UnsafeMutableBufferPointer(rebasing: model.store.values.buffer[range]).update(fromContentsOf: values) }
                let t4 = monotonicSeconds()
                // ---- TRAINING STEP END

                step += 1
                next = stepInEpoch + 1 == stepsPerEpoch ? (epoch + 1, 0) : (epoch, stepInEpoch + 1)
                if !skip {
                    epochTally.add(meanLoss: loss, outputs: logits, targets: batch.lossTargets)
                    interval.add(loss: loss, outputs: logits, targets: batch.lossTargets, data: t1 - t0, compute: (t2 - t1) + (t4 - t3),
                                 communication: t3 - t2, exposedCommunication: exposedCommunication, total: t4 - t0)
                }
                stepEnded?(step)
                progressBar?.update(step: step, epoch: epoch, stepInEpoch: stepInEpoch + 1, stepsThisEpoch: stepsThisEpoch, loss: epochTally.loss)
                if config.checksumEvery > 0, step % config.checksumEvery == 0 || step == totalSteps {
                    try compareParameters(model.store, step: step)
                }
                if logging {
                    let record = interval.record(step: step, epoch: epoch + 1, learningRate: learningRate,
                                                 gradientNorm: gradientNorm, globalBatch: config.batchSize * worldSize)
                    try metrics?.write(record)
                    if options.printSteps { console.print0(IntervalStats.line(record, totalSteps: totalSteps)) }
                    interval = IntervalStats(for: criterion)
                }
                if flags[1] < 0 {
                    summary.stoppedBySignal = Int32(-flags[1])
                    console.print0("stopping after step \(step): \(StopSignal.name(summary.stoppedBySignal)) received")
                    try saveCheckpoint(step: step, epoch: next.epoch, stepInEpoch: next.stepInEpoch, waitForDisk: true)
                    break epochLoop
                }
                if config.checkpointEverySteps > 0, step % config.checkpointEverySteps == 0, next.stepInEpoch > 0 {
                    try saveCheckpoint(step: step, epoch: next.epoch, stepInEpoch: next.stepInEpoch)   // mid-epoch
                }
            }

            // ---- validate once per epoch (rank 0)
            let epochSeconds = monotonicSeconds() - epochStart
            var line = "epoch \(epoch + 1)/\(epochs) | step \(step) | loss \(fixed(epochTally.loss, 4)) | \(epochTally.summary())"
            try bufferAveraging.average(atStep: step)
            if let validation = data.validation {
                let tally = evaluate(model, loss: criterion, on: validation, batchSize: config.evalBatchSize)
                try metrics?.write(evaluationRecord(split: "val", tally: tally, step: step, epoch: epoch + 1))
                summary.validationAccuracy = tally.reportsAccuracy ? tally.accuracy : nil
                summary.lastValidation = (loss: tally.loss, accuracy: tally.accuracy)
                line += " | val_loss \(fixed(tally.loss, 4)) | \(tally.summary("val_"))"
            }
            line += " | \(fixed(epochSeconds, 1)) s | \(Int(Double(epochTally.count * worldSize) / epochSeconds)) samples/s"
            console.print0(line)
            summary.epochs = epoch + 1

            // ---- reduce the learning rate on a plateau: rank 0 judges, every rank follows
            if var state = plateau {
                let verdict = rank == 0 ? state.update(summary.lastValidation, epoch: epoch + 1) : false
                if try comm.allReduce([verdict ? 1 : 0], .max)[0] > 0 {
                    state.reduce(peak: config.learningRate)
                    console.print0("reduce_lr_on_plateau: \(state.config.monitor) has not improved for \(max(state.config.patience, 1)) epoch(s); "
                        + "learning rate now \(fixed(Double(config.learningRate * state.scale), 6)) (factor \(fixed(Double(state.scale), 4)) on the schedule)")
                }
                plateau = state
            }

            // ---- early stopping: rank 0 judges its validation metric, every rank follows
            if var state = stopping {
                let verdict = rank == 0 ? state.update(summary.lastValidation, epoch: epoch + 1, parameters: model.store, buffers: model.buffers) : false
                stopping = state
                if try comm.allReduce([verdict ? 1 : 0], .max)[0] > 0 {
                    if rank == 0 { console.print0(state.message) }
                    if state.config.restoreBestWeights {
                        if rank == 0 { state.restoreBest(into: model.store, buffers: model.buffers) }
                        try comm.broadcast(model.store.values.buffer, from: 0)
                        try broadcastBuffers(model)
                    }
                    summary.stoppedEarly = true
                    break epochLoop
                }
            }

            // ---- checkpoint at the end of the epoch (after validation and callbacks)
            let epochComplete = stepsThisEpoch == stepsPerEpoch
            let best = rank == 0 && config.checkpointSaveBest && summary.lastValidation.map { bestMonitor.update($0, epoch: epoch + 1) } == true
            if epochComplete, config.checkpointEveryEpoch || best || (config.checkpointEverySteps > 0 && step % config.checkpointEverySteps == 0) {
                try saveCheckpoint(step: step, epoch: next.epoch, stepInEpoch: next.stepInEpoch, best: best)
            }
        }

        // ---- a last checkpoint where the run ended, if the loop did not just write one
        if step != lastCheckpointStep {
            try saveCheckpoint(step: step, epoch: next.epoch, stepInEpoch: next.stepInEpoch)
        }
        try writer.wait()
        try comm.barrier()   // every checkpoint is complete before any rank finishes
        summary.bufferChecksum = try finishBuffers(bufferAveraging, step: step)

        // ---- test once at the end (rank 0), unless a signal asked to stop
        summary.steps = step
        summary.samplesPerSecond = Double(step * config.batchSize * worldSize) / (monotonicSeconds() - runStart)
        if let test = data.test, summary.stoppedBySignal == 0 {
            let tally = evaluate(model, loss: criterion, on: test, batchSize: config.evalBatchSize)
            try metrics?.write(evaluationRecord(split: "test", tally: tally, step: step, epoch: summary.epochs))
            summary.testLoss = tally.loss
            summary.testAccuracy = tally.reportsAccuracy ? tally.accuracy : nil
            console.print0("test: loss \(fixed(tally.loss, 4)) | \(tally.summary(accuracyName: "accuracy")) (\(tally.count) samples)")
        }
        metrics?.close()
        summary.parameters = Array(model.store.values.buffer)
        summary.checksum = model.store.checksum()
        console.print0("parameter checksum: \(hexChecksum(summary.checksum)) after \(step) steps")
        if rank == 0, let path = options.saveWeights {
            try WeightsFile.write(model.store, buffers: model.buffers, to: path, step: step)
            console.print0("weights: \(path)")
        }
        try comm.barrier()
        return summary
    }

    // MARK: - Agreement checks

    /// Stops the run, naming the ranks, if any rank's parameters differ from rank 0's.
    private func compareParameters(_ store: ParameterStore, step: Int) throws {
        let checksums = try communicator.allGather(store.checksum())
        let differing = checksums.indices.filter { checksums[$0] != checksums[0] }
        if !differing.isEmpty { throw TrainingError.parametersDiverged(step: step, ranks: differing, checksums: checksums) }
    }

    /// Runs the finite-difference check on `batch`; every rank checks its own batch and all
    /// ranks fail together if any rank fails.
    private func checkGradients(_ model: Sequential, _ criterion: any Loss, _ batch: Batch) throws -> ParameterGradientCheck? {
        let (features, targets) = (batch.features.copy(), batch.lossTargets)
        // every forward draws the same dropout masks (those of step 0), so the loss is one
        // function of the parameters and dropout's backward is checked with its mask
        let rank = communicator.rank
        func loss() -> Float {
            model.reseedStochasticLayers(seed: config.seed, rank: rank, step: 0)
            return criterion.forward(model.forward(features, mode: .training), targets: targets)
        }
        let results = checkModelGradients(model, seed: config.seed, lossOf: loss, computeGradients: {
            model.store.zeroGradients()
            _ = loss()
            model.backward(criterion.backward())
        })
        model.store.zeroGradients()
        let worst = results.first
        for result in results {
            console.print0("gradient check: \(result.name) relative error \(result.relativeError) "
                + "(backward \(result.analytic), finite differences \(result.numeric))")
        }
        let tolerance = 1e-2
        let anyFailed = try communicator.allReduce([(worst?.relativeError ?? 0) > tolerance ? 1 : 0], .max)[0] > 0
        if anyFailed {
            guard let worst, worst.relativeError > tolerance else {
                throw TrainingError.gradientCheckFailed(parameter: "(on another rank)", relativeError: .nan, analytic: .nan, numeric: .nan, rank: communicator.rank)
            }
            throw TrainingError.gradientCheckFailed(parameter: worst.name, relativeError: worst.relativeError,
                                                    analytic: worst.analytic, numeric: worst.numeric, rank: communicator.rank)
        }
        console.print0("gradient check passed: worst relative error \(worst?.relativeError ?? 0) (\(worst?.name ?? "-")), tolerance \(tolerance)")
        return worst
    }
}

/// `value` with `digits` decimals, without Foundation's `String(format:)` in hot paths.
func fixed(_ value: Double, _ digits: Int) -> String {
    var scale = 1.0
    for _ in 0..<digits { scale *= 10 }
    guard value.isFinite, abs(value) * scale < 9e18 else { return "\(value)" }   // beyond Int: as Swift prints it
    let text = "\(Int((abs(value) * scale).rounded()))"
    let padded = String(repeating: "0", count: max(0, digits + 1 - text.count)) + text
    let sign = value < 0 && (abs(value) * scale).rounded() > 0 ? "-" : ""
    guard digits > 0 else { return sign + padded }
    return sign + padded.dropLast(digits) + "." + padded.suffix(digits)
}

/// Starts gradient all-reduces as backward reports gradients final (the bridge from NN's
/// progress reports to Comm's buckets).
public final class BucketProgress: GradientProgress {
    let buckets: GradientBuckets
    let communicator: any Communicator

    /// Forwards progress reports to `buckets` over `communicator`.
    public init(buckets: GradientBuckets, communicator: any Communicator) {
        self.buckets = buckets
        self.communicator = communicator
    }

    public func gradientsFinal(from offset: Int) {
        buckets.gradientsFinal(from: offset, communicator: communicator)
    }

    public func nextReport(below offset: Int) -> Int {
        buckets.nextReport(below: offset)
    }
}
