// The training loop, top to bottom (style.md §11): set up, then for every step fetch a batch,
// forward, loss, backward with gradient all-reduce, optimizer step, record.
import Comm
import Data
import Foundation
import Metrics
import NN
import Tensors

/// Choices about one run that are not part of the model's config.
public struct RunOptions: Sendable {
    /// The run directory (rank 0 writes it).
    public var runDirectory: String
    /// Replace an existing run's files in `runDirectory`.
    public var overwrite = false
    /// Gradient bucket size for the all-reduce, in bytes.
    public var bucketBytes = 4 << 20

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
    /// The final parameters, flat, in `namedParameters` order.
    public var parameters: [Float] = []
}

/// Trains one model on one rank of a data-parallel job.
public final class Trainer {
    public let config: TrainingConfig
    public let options: RunOptions
    public let communicator: any Communicator
    public let console: Console

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

        // ---- data: this rank's training shards; rank 0 also loads validation and test
        let directory = try DatasetDirectory(path: config.dataDirectory)
        let myShards = stride(from: rank, to: directory.trainShards.count, by: worldSize).map { $0 }
        guard !myShards.isEmpty else {
            throw TrainingError.missingData("\(config.dataDirectory) has \(directory.trainShards.count) training shards "
                + "but the job has \(worldSize) ranks; rank \(rank) has none (prepare with --shards \(worldSize) or more)")
        }
        let shards = try myShards.map { index in
            (index: index, shard: try DatasetShard.load(path: directory.trainShards[index],
                                                       featuresKey: config.featuresKey, labelsKey: config.labelsKey))
        }
        let reference = shards[0].shard
        let validation = try rank == 0 ? directory.validation.map { try loadEvaluationSet($0) } : nil
        let test = try rank == 0 ? directory.test.map { try loadEvaluationSet($0) } : nil

        // ---- model: built from the config for the data's sample shape, same seed on every rank
        let model = try buildModel(sampleShape: reference.featureShape, numClasses: reference.numClasses, dataPath: reference.path)
        model.initializeParameters(seed: config.seed)
        try comm.broadcast(model.store.values.buffer, from: 0)
        let criterion = SoftmaxCrossEntropy()
        let optimizer = SGD(parameterCount: model.parameterCount, momentum: config.momentum,
                            nesterov: config.nesterov, weightDecay: config.weightDecay)
        let buckets = GradientBuckets(gradients: model.store.gradients.buffer,
                                      layerRanges: model.parameterIndices.map { indices in
                                          let parameters = model.store.parameters[indices]
                                          return (parameters.first?.offset ?? 0)..<(parameters.last.map { $0.offset + $0.count } ?? 0)
                                      },
                                      bucketBytes: options.bucketBytes)

        // ---- batches: every rank takes the same number of steps per epoch (the minimum)
        let loader = try TrainingLoader(shards: shards, batchSize: config.batchSize, seed: config.seed, shuffle: config.shuffle)
        let stepsPerEpoch = Int(try comm.allReduce([Double(loader.stepsPerEpoch)], .min)[0])
        let totalSteps = min(config.maxSteps ?? Int.max, stepsPerEpoch * config.epochs)
        let epochs = (totalSteps + stepsPerEpoch - 1) / stepsPerEpoch

        // ---- run directory and log (rank 0)
        let runDirectory = RunDirectory(path: options.runDirectory)
        var metrics: MetricsLog?
        if rank == 0 {
            try runDirectory.prepareFresh(config: config, overwrite: options.overwrite)
            console.openLog(path: runDirectory.logPath, append: false)
            metrics = try MetricsLog(path: runDirectory.metricsPath, append: false)
        }
        console.print0(model.summary)
        console.print0("data: \(shards.count) shard(s) on rank 0, \(reference.count) samples in \(reference.path); "
            + "\(worldSize) rank(s) × batch \(config.batchSize) = global batch \(config.batchSize * worldSize); "
            + "\(stepsPerEpoch) steps/epoch; \(totalSteps) steps")
        console.print0("run directory: \(runDirectory.path)")

        // ---- the loop
        var summary = TrainingSummary(runDirectory: runDirectory.path)
        var step = 0
        let runStart = monotonicSeconds()
        epochLoop: for epoch in 0..<epochs {
            let epochStart = monotonicSeconds()
            var epochTally = ClassificationTally()
            var interval = IntervalStats()
            for stepInEpoch in 0..<stepsPerEpoch {
                if step >= totalSteps { break epochLoop }
                // ---- TRAINING STEP BEGIN
                let t0 = monotonicSeconds()
                let batch = loader.batch(epoch: epoch, step: stepInEpoch)
                let t1 = monotonicSeconds()
                model.store.zeroGradients()
                let logits = model.forward(batch.features, mode: .training)
                let loss = criterion.forward(logits, labels: batch.labels)
                try model.backward(criterion.backward()) { layer in
                    try buckets.layerFinished(layer, communicator: comm)   // start all-reduces early
                }
                let t2 = monotonicSeconds()
                try buckets.finish(communicator: comm)
                // every rank decides together whether to stop (non-finite loss anywhere)
                let flags = try comm.allReduce([loss.isFinite ? 0 : 1], .max)
                if flags[0] > 0 {
                    throw TrainingError.nonFiniteLoss(step: step, loss: loss.isFinite ? .nan : loss, rank: rank)
                }
                let t3 = monotonicSeconds()
                optimizer.step(model.store, learningRate: config.learningRate)
                let t4 = monotonicSeconds()
                // ---- TRAINING STEP END

                step += 1
                epochTally.add(meanLoss: loss, logits: logits.pointer, rows: logits.rowCount, classes: logits.rowLength, labels: batch.labels)
                interval.add(tallyFrom: loss, logits: logits, labels: batch.labels,
                             data: t1 - t0, compute: (t2 - t1) + (t4 - t3), communication: t3 - t2, total: t4 - t0)
                if step % config.logEvery == 0 || stepInEpoch == stepsPerEpoch - 1 || step == totalSteps {
                    try metrics?.write(interval.record(step: step, epoch: epoch + 1, learningRate: config.learningRate,
                                                       gradientNorm: model.store.gradientNorm(), globalBatch: config.batchSize * worldSize))
                    interval = IntervalStats()
                }
            }

            // ---- validate once per epoch (rank 0)
            let epochSeconds = monotonicSeconds() - epochStart
            var line = "epoch \(epoch + 1)/\(epochs) | step \(step) | loss \(fixed(epochTally.loss, 4)) | acc \(fixed(epochTally.accuracy, 4))"
            if let validation {
                let tally = evaluate(model, loss: criterion, on: validation, batchSize: config.evalBatchSize)
                try metrics?.write(evaluationRecord(split: "val", tally: tally, step: step, epoch: epoch + 1))
                summary.validationAccuracy = tally.accuracy
                line += " | val_loss \(fixed(tally.loss, 4)) | val_acc \(fixed(tally.accuracy, 4))"
            }
            let samples = Double(epochTally.count * worldSize)
            line += " | \(fixed(epochSeconds, 1)) s | \(Int(samples / epochSeconds)) samples/s"
            console.print0(line)
            summary.epochs = epoch + 1
        }

        // ---- test once at the end (rank 0)
        summary.steps = step
        summary.samplesPerSecond = Double(step * config.batchSize * worldSize) / (monotonicSeconds() - runStart)
        if let test {
            let tally = evaluate(model, loss: criterion, on: test, batchSize: config.evalBatchSize)
            try metrics?.write(evaluationRecord(split: "test", tally: tally, step: step, epoch: summary.epochs))
            summary.testLoss = tally.loss
            summary.testAccuracy = tally.accuracy
            console.print0("test: loss \(fixed(tally.loss, 4)) | accuracy \(fixed(tally.accuracy, 4)) (\(tally.count) samples)")
        }
        metrics?.close()
        summary.parameters = Array(model.store.values.buffer)
        try comm.barrier()
        return summary
    }

    // MARK: - Setup helpers

    private func loadEvaluationSet(_ path: String) throws -> DatasetShard {
        try DatasetShard.load(path: path, featuresKey: config.featuresKey, labelsKey: config.labelsKey)
    }

    /// Builds the configured layers for samples of `sampleShape` and checks the model's output
    /// against the number of classes.
    func buildModel(sampleShape: [Int], numClasses: Int, dataPath: String) throws -> Sequential {
        if let expected = config.inputShape, expected.reduce(1, *) != sampleShape.reduce(1, *) {
            throw TrainingError.modelDoesNotFitData(
                "model.input_shape is \(expected) but the samples in \(dataPath) have shape \(sampleShape)")
        }
        let model = try Sequential(config.layers.map { $0.makeLayer() }, inputShape: sampleShape)
        guard model.outputShape == [numClasses] else {
            let last = config.layers.count - 1
            throw TrainingError.modelDoesNotFitData(
                "model.layers.\(last) outputs \(model.outputShape) per sample but \(dataPath) has num_classes \(numClasses); "
                    + "set the last dense layer's units to \(numClasses)")
        }
        return model
    }

    private func evaluationRecord(split: String, tally: ClassificationTally, step: Int, epoch: Int) -> MetricsRecord {
        var record = MetricsRecord()
        record["time"] = .number(Date().timeIntervalSince1970)
        record["step"] = .integer(step)
        record["epoch"] = .integer(epoch)
        record["split"] = .text(split)
        record["loss"] = .number(tally.loss)
        record["accuracy"] = .number(tally.accuracy)
        record["samples"] = .integer(tally.count)
        return record
    }
}

/// `value` with `digits` decimals, without Foundation's `String(format:)` in hot paths.
func fixed(_ value: Double, _ digits: Int) -> String {
    guard value.isFinite else { return "\(value)" }
    var scale = 1.0
    for _ in 0..<digits { scale *= 10 }
    let rounded = (value * scale).rounded() / scale
    var text = "\(rounded)"
    if text.contains("e") { return text }
    let decimals = text.split(separator: ".", omittingEmptySubsequences: false).last?.count ?? 0
    if !text.contains(".") { text += "." }
    return text + String(repeating: "0", count: max(0, digits - (text.hasSuffix(".") ? 0 : decimals)))
}
