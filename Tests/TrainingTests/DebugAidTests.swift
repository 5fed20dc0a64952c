// The single-node debug mode's aids: --overfit-batches, --check-gradients, --detect-anomalies,
// and the in-process simulation of N ranks with its agreement checks.
import Comm
import Data
import Foundation
import NN
import Tensors
import Testing
import TestSupport
@testable import Training

struct DebugAidTests {
    private func config(_ directory: TemporaryDirectory, _ overrides: [String] = [], yaml: String? = nil) throws -> TrainingConfig {
        try (yaml ?? TinyDatasets.blobConfig(dataDirectory: directory.file("data"))).write(toFile: directory.file("config.yaml"), atomically: true, encoding: .utf8)
        return try TrainingConfig.load(path: directory.file("config.yaml"), overrides: overrides)
    }

    private func options(_ directory: TemporaryDirectory, _ edit: (inout RunOptions) -> Void = { _ in }) -> RunOptions {
        var options = RunOptions(runDirectory: directory.file("run-\(UUID().uuidString.prefix(6))"))
        edit(&options)
        return options
    }

    private func lastTrainLoss(_ runDirectory: String) throws -> Double {
        let lines = try String(contentsOfFile: runDirectory + "/metrics.jsonl", encoding: .utf8).split(separator: "\n")
        let train = try lines.compactMap { try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
            .filter { $0["split"] as? String == "train" }
        return try #require(train.last?["loss"] as? Double)
    }

    @Test func overfittingOneBatchDrivesTheLossNearZero() throws {
        let directory = try TemporaryDirectory("overfit")
        try TinyDatasets.writeBlobDirectory(directory.file("data"), shardSizes: [200])
        let options = options(directory) { $0.overfitBatches = 1 }
        let summary = try Trainer(config: try config(directory, ["training.epochs=150"]), options: options,
                                  communicator: SingleProcessCommunicator(), console: Console(rank: 0, quiet: true)).run()
        #expect(summary.steps == 150)
        let loss = try lastTrainLoss(options.runDirectory)
        #expect(loss < 0.01, "loss after 150 steps on one batch: \(loss)")
    }

    /// `swiftddp train` on the blob data (one shard of 64 samples, 4 batches of 16) with `arguments`;
    /// expects exit 0 and returns the console output.
    private func trainOnBlobs(_ name: String, _ arguments: String...) throws -> String {
        let directory = try TemporaryDirectory(name)
        try TinyDatasets.writeBlobDirectory(directory.file("data"), shardSizes: [64])
        _ = try config(directory)
        let result = try runCommand(builtProduct("swiftddp"), ["train", "--config", directory.file("config.yaml"), "--run-dir", directory.file("run")] + arguments)
        #expect(result.status == 0, "\(result.error)")
        return result.output
    }

    /// More batches than an epoch has: the run overfits all of them, and says so.
    @Test func overfittingMoreBatchesThanAnEpochHasSaysSo() throws {
        let output = try trainOnBlobs("overfit-many", "--overfit-batches", "100", "--epochs", "2")
        #expect(output.contains("warning: --overfit-batches 100 asks for more batches than an epoch has; overfitting the 4 there are"), "\(output)")
    }

    /// A warm-up longer than the run never reaches the peak learning rate: the run says so.
    @Test func aWarmupLongerThanTheRunIsWarnedAbout() throws {
        let output = try trainOnBlobs("warmup-long", "--max-steps", "4", "--set", "schedule.warmup_steps=100")
        #expect(output.contains("warning: schedule.warmup_steps 100 is more than the run's 4 steps, so the learning rate "
            + "never reaches optimizer.learning_rate"), "\(output)")
    }

    /// A plateau floor at or above the learning rate makes the reduction a no-op (as in Keras):
    /// the run says so.
    @Test func aPlateauFloorAboveTheLearningRateIsWarnedAbout() throws {
        let output = try trainOnBlobs("plateau-floor", "--max-steps", "4", "--set", "reduce_lr_on_plateau={patience: 1, min_lr: 1}")
        #expect(output.contains("warning: reduce_lr_on_plateau.min_lr 1.0 is not below optimizer.learning_rate 0.1, so a plateau "
            + "never lowers the learning rate"), "\(output)")
    }

    @Test func gradientCheckPassesOnTheDefaultMLP() throws {
        let directory = try TemporaryDirectory("gradcheck")
        try TinyDatasets.writeBlobDirectory(directory.file("data"), shardSizes: [256], features: 784, classes: 10)
        let defaultConfig = try String(contentsOfFile: repositoryRoot + "/launch/configs/fashion-mnist-mlp.yaml", encoding: .utf8)
        let config = try config(directory, ["data.dir=\(directory.file("data"))", "model.input_shape=[784]", "training.max_steps=1"], yaml: defaultConfig)
        let summary = try Trainer(config: config, options: options(directory) { $0.checkGradients = true },
                                  communicator: SingleProcessCommunicator(), console: Console(rank: 0, quiet: true)).run()
        let worst = try #require(summary.gradientCheck)
        #expect(worst.relativeError < 1e-2, "\(worst)")
    }

    /// The blob config with these layers instead of its own.
    private func config(_ directory: TemporaryDirectory, layers: String, _ overrides: [String] = []) throws -> TrainingConfig {
        let yaml = TinyDatasets.blobConfig(dataDirectory: directory.file("data"))
            .replacingOccurrences(of: "    - {type: dense, units: 16}\n    - {type: relu}\n", with: layers)
        #expect(yaml.contains(layers))
        return try config(directory, overrides, yaml: yaml)
    }

    /// The worst parameter of `--check-gradients` on one step of the blob model with `layers`
    /// before its last dense layer.
    private func worstGradientCheck(_ name: String, layers: String) throws -> ParameterGradientCheck {
        let directory = try TemporaryDirectory(name)
        try TinyDatasets.writeBlobDirectory(directory.file("data"), shardSizes: [64])
        let config = try config(directory, layers: layers, ["training.max_steps=1"])
        let summary = try Trainer(config: config, options: options(directory) { $0.checkGradients = true },
                                  communicator: SingleProcessCommunicator(), console: Console(rank: 0, quiet: true)).run()
        return try #require(summary.gradientCheck)
    }

    @Test func gradientCheckHoldsTheDropoutMaskFixed() throws {
        // each forward of the check used to draw new masks, so the loss was not one function of
        // the parameters and every parameter failed with a relative error near 1
        let worst = try worstGradientCheck("gradcheck-dropout",
                                           layers: "    - {type: dense, units: 16}\n    - {type: relu}\n    - {type: dropout, rate: 0.5}\n")
        #expect(worst.relativeError < 1e-3, "\(worst)")
    }

    @Test func gradientCheckPassesABiasWhoseGradientIsZero() throws {
        // batch norm removes the bias before it: its true gradient is 0, and Float rounding of
        // the loss alone used to make a relative error near 1
        let worst = try worstGradientCheck("gradcheck-batchnorm",
                                           layers: "    - {type: dense, units: 16}\n    - {type: batch_norm}\n    - {type: relu}\n")
        #expect(worst.relativeError < 1e-2, "\(worst)")
    }

    @Test func gradientCheckStillCatchesASmallBrokenGradient() throws {
        // the floor for a zero gradient must not hide a wrong one: a doubled weight gradient of a
        // loss scaled down 1000 times still fails
        let results = try checkBrokenModel(lossScale: 1e-3)
        #expect(results.first?.name == "layers.2.weight" && (results.first?.relativeError ?? 0) > 0.3, "\(results)")
    }

    @Test func anomalyDetectionNamesAnOverflowingLoss() throws {
        let directory = try TemporaryDirectory("anomaly-loss")
        try TinyDatasets.writeLinearDirectory(directory.file("data"), shardSizes: [64])
        // finite targets whose squared error overflows Float: the outputs stay small and finite
        let (values, targets) = TinyDatasets.linear(count: 64, seed: 1)
        try DatasetShard.write(path: directory.file("data/train-00000-of-00001.h5"), features: values, targets: targets.map { $0 * 1e30 },
                               targetsPerSample: 1, metadata: DatasetMetadata(numClasses: 1, featureShape: [4], scale: 1, source: "huge"))
        let config = try config(directory, yaml: TinyDatasets.regressionConfig(dataDirectory: directory.file("data")))
        let error = #expect(throws: TrainingError.self) {
            _ = try Trainer(config: config, options: self.options(directory) { $0.detectAnomalies = true },
                            communicator: SingleProcessCommunicator(), console: Console(rank: 0, quiet: true)).run()
        }
        guard case .anomalousLoss(let step, let rank, let loss, let value, let largest)? = error else {
            Issue.record("expected the loss to be named, got \(String(describing: error))")
            return
        }
        #expect(step == 0 && rank == 0 && loss == "MeanSquaredError" && !value.isFinite && largest.isFinite, "\(error!)")
        #expect(error!.description.contains("non-finite loss inf (MeanSquaredError) at step 0 on rank 0"), "\(error!)")
    }

    @Test func nonFiniteHintSuggestsOnlyWhatTheRunDoesNotDo() {
        let gradient = NonFiniteElement(parameter: "layers.0.weight", index: 0, value: .nan)
        let plain = TrainingError.nonFinite(step: 3, lossRank: nil, gradient: gradient, action: "stop", skipped: 0).description
        #expect(plain.contains("set training.nonfinite: skip") && plain.contains("rerun with --detect-anomalies"), "\(plain)")
        let skipping = TrainingError.nonFinite(step: 3, lossRank: nil, gradient: gradient, action: "skip", skipped: 10).description
        #expect(!skipping.contains("set training.nonfinite: skip") && skipping.contains("rerun with --detect-anomalies"), "\(skipping)")
        let checked = TrainingError.nonFinite(step: 3, lossRank: nil, gradient: gradient, action: "stop", skipped: 0, anomaliesChecked: true).description
        #expect(!checked.contains("rerun with --detect-anomalies") && checked.contains("the sum of the ranks' gradients overflowed"), "\(checked)")
    }

    /// A dense layer whose backward doubles its weight gradient: the bug the check must catch.
    final class BrokenDense: Layer {
        let inner = Dense(units: 3)
        var summary: String { "BrokenDense" }
        func build(inputShape: [Int]) throws -> (outputShape: [Int], parameters: [ParameterSpec]) { try inner.build(inputShape: inputShape) }
        func bind(store: ParameterStore, parameters: [Parameter]) {
            inner.bind(store: store, parameters: parameters)
            weight = (store, parameters[0])
        }
        private var weight: (ParameterStore, Parameter)?
        func forward(_ x: Tensor, mode: Mode) -> Tensor { inner.forward(x, mode: mode) }
        func backward(_ dy: Tensor, progress: (any GradientProgress)?) -> Tensor {
            let dx = inner.backward(dy, progress: progress)
            if let (store, parameter) = weight { scale(count: parameter.count, alpha: 2, x: store.gradient(parameter).pointer) }
            return dx
        }
    }

    /// The gradient check of a small model whose last layer doubles its weight gradient, on a
    /// softmax cross-entropy loss scaled by `lossScale`.
    private func checkBrokenModel(lossScale: Float = 1) throws -> [ParameterGradientCheck] {
        let model = try Sequential([Dense(units: 6), ReLU(), BrokenDense()], inputShape: [4])
        model.initializeParameters(seed: 3)
        var generator = Generator(seed: 4)
        let x = Tensor(shape: [5, 4], values: (0..<20).map { _ in generator.uniform(-1, 1) })
        let labels: [Int32] = [0, 1, 2, 1, 0]
        let loss = SoftmaxCrossEntropy()
        return checkModelGradients(model, lossOf: { lossScale * loss.forward(model.forward(x), labels: labels) }, computeGradients: {
            model.store.zeroGradients()
            _ = loss.forward(model.forward(x), labels: labels)
            model.backward(loss.backward(scale: lossScale))
        })
    }

    @Test func gradientCheckNamesTheBrokenParameter() throws {
        let results = try checkBrokenModel()
        #expect(results.first?.name == "layers.2.weight", "\(results)")
        #expect((results.first?.relativeError ?? 0) > 0.3)
        #expect(results.dropFirst().allSatisfy { $0.relativeError < 1e-2 }, "\(results)")
    }

    @Test func anomalyDetectionNamesTheLayerStepAndRank() throws {
        let directory = try TemporaryDirectory("anomaly")
        try TinyDatasets.writeBlobDirectory(directory.file("data"), shardSizes: [64, 64])
        // finite (preflight passes it) but so large that the first layer's output overflows
        try TinyDatasets.poison(directory.file("data/train-00001-of-00002.h5"), value: 3e38, shardIndex: 1, shardCount: 2)
        let config = try config(directory)
        // two simulated ranks: only rank 1 holds the bad shard
        let error = #expect(throws: TrainingError.self) {
            _ = try LocalCommunicator.run(ranks: 2) { communicator in
                try Trainer(config: config, options: self.options(directory) { $0.detectAnomalies = true },
                            communicator: communicator, console: Console(rank: communicator.rank, quiet: true)).run()
            }
        }
        guard case .anomaly(let step, let rank, let layer, let what, _, _)? = error else {
            Issue.record("expected an anomaly error, got \(String(describing: error))")
            return
        }
        #expect(rank == 1 && layer.hasPrefix("layers.0") && what == "forward output", "\(error!)")
        #expect(step < 4, "the bad row is in one of rank 1's first 4 batches (64 rows, batch 16)")
        // without the aid the run still stops, on the non-finite loss, on every rank together
        let plain = #expect(throws: TrainingError.self) {
            _ = try LocalCommunicator.run(ranks: 2) { communicator in
                try Trainer(config: config, options: self.options(directory), communicator: communicator,
                            console: Console(rank: communicator.rank, quiet: true)).run()
            }
        }
        #expect(plain?.description.contains("loss became") == true)
    }

    @Test(arguments: [1, 2, 4])
    func simulatedRanksAreDeterministic(ranks: Int) throws {
        let directory = try TemporaryDirectory("simulate")
        try TinyDatasets.writeBlobDirectory(directory.file("data"), shardSizes: [90, 80, 70, 75])
        let config = try config(directory)
        func run() throws -> [TrainingSummary] {
            try LocalCommunicator.run(ranks: ranks) { communicator in
                try Trainer(config: config, options: self.options(directory), communicator: communicator,
                            console: Console(rank: communicator.rank, quiet: true)).run()
            }
        }
        let first = try run(), second = try run()
        #expect(Set(first.map(\.checksum)).count == 1, "ranks disagree")
        #expect(first[0].checksum == second[0].checksum)
    }

    /// Rank 1 adds a tiny error to its reduced gradients: the parameters drift apart.
    final class DriftingCommunicator: Communicator {
        let base: LocalCommunicator
        init(_ base: LocalCommunicator) { self.base = base }
        var rank: Int { base.rank }
        var size: Int { base.size }
        func allReduceSum(_ buffer: UnsafeMutableBufferPointer<Float>) throws {
            try base.allReduceSum(buffer)
            if rank == 1, !buffer.isEmpty { buffer[0] += 1e-3 }
        }
        func allReduce(inPlace buffer: UnsafeMutableBufferPointer<Double>, _ operation: ReduceOperation) throws { try base.allReduce(inPlace: buffer, operation) }
        func allGather(_ value: UInt64) throws -> [UInt64] { try base.allGather(value) }
        func broadcast(_ buffer: UnsafeMutableBufferPointer<Float>, from root: Int) throws { try base.broadcast(buffer, from: root) }
        func barrier() throws { try base.barrier() }
        func abort(code: Int32) { base.abort(code: code) }
    }

    @Test func divergingParametersAreCaughtNamingTheRank() throws {
        let directory = try TemporaryDirectory("diverge")
        try TinyDatasets.writeBlobDirectory(directory.file("data"), shardSizes: [100, 100])
        let config = try config(directory, ["distributed.checksum_every=5"])
        let error = #expect(throws: TrainingError.self) {
            _ = try LocalCommunicator.run(ranks: 2) { communicator in
                try Trainer(config: config, options: self.options(directory), communicator: DriftingCommunicator(communicator),
                            console: Console(rank: communicator.rank, quiet: true)).run()
            }
        }
        guard case .parametersDiverged(let step, let ranks, _)? = error else {
            Issue.record("expected parametersDiverged, got \(String(describing: error))")
            return
        }
        #expect(step == 5 && ranks == [1])
    }
}

struct RegularizationAndStoppingTests {
    private func run(_ directory: TemporaryDirectory, _ extra: String, epochs: Int = 6, overrides: [String] = []) throws -> (TrainingSummary, String) {
        try TinyDatasets.blobConfig(dataDirectory: directory.file("data"), epochs: epochs, extra: extra)
            .write(toFile: directory.file("config.yaml"), atomically: true, encoding: .utf8)
        var options = RunOptions(runDirectory: directory.file("run-\(UUID().uuidString.prefix(6))"))
        options.overwrite = true
        let summary = try Trainer(config: try TrainingConfig.load(path: directory.file("config.yaml"), overrides: overrides), options: options,
                                  communicator: SingleProcessCommunicator(), console: Console(rank: 0, quiet: true)).run()
        return (summary, try String(contentsOfFile: options.runDirectory + "/train.log", encoding: .utf8))
    }

    @Test func earlyStoppingStopsAndRestoresTheBestWeights() throws {
        let directory = try TemporaryDirectory("early")
        try TinyDatasets.writeBlobDirectory(directory.file("data"), shardSizes: [200])
        // min_delta 10 makes every epoch after the first "no improvement"
        let (summary, log) = try run(directory, """
            early_stopping: {monitor: val_loss, patience: 2, min_delta: 10, restore_best_weights: true}
            """, epochs: 20)
        #expect(summary.stoppedEarly && summary.epochs == 3, "\(log)")
        #expect(log.contains("early stopping: val_loss did not improve") && log.contains("restoring the parameters of epoch 1"))
    }

    @Test func learningRateIsReducedOnAPlateau() throws {
        let directory = try TemporaryDirectory("plateau")
        try TinyDatasets.writeBlobDirectory(directory.file("data"), shardSizes: [160])
        let (_, log) = try run(directory, """
            reduce_lr_on_plateau: {monitor: val_loss, factor: 0.5, patience: 1, min_delta: 10, min_lr: 0.03}
            """, epochs: 5)
        // epoch 1 sets the best; epochs 2–5 do not improve by 10: ×0.5, then floored at min_lr / lr = 0.03 / 0.1
        #expect(log.components(separatedBy: "reduce_lr_on_plateau:").count - 1 == 4, "\(log)")
        #expect(log.contains("learning rate now 0.050000") && log.contains("learning rate now 0.030000") && !log.contains("now 0.025000"), "\(log)")
    }

    @Test func clippingL1AndDropoutTrainAndAreDeterministic() throws {
        let directory = try TemporaryDirectory("regularize")
        try TinyDatasets.writeBlobDirectory(directory.file("data"), shardSizes: [200])
        let extra = "regularization: {l1: 0.0001}"
        // layer 1 (ReLU) becomes dropout; clipping by norm and by value
        let overrides = ["model.layers.1.type=dropout", "model.layers.1.rate=0.1", "optimizer.clip_norm=1.0", "optimizer.clip_value=0.5"]
        let (first, _) = try run(directory, extra, overrides: overrides)
        let (second, _) = try run(directory, extra, overrides: overrides)
        #expect(first.checksum == second.checksum)
        #expect((first.testAccuracy ?? 0) > 0.9, "\(String(describing: first.testAccuracy))")
    }

    @Test func gradientClippingBoundsNormAndValues() {
        let store = ParameterStore(names: ["a.weight", "a.bias"], shapes: [[2], [2]])
        _ = store.values.buffer.update(fromContentsOf: [1, -2, 3, 0] as [Float])
        _ = store.gradients.buffer.update(fromContentsOf: [3, 4, 0, 0] as [Float])
        #expect(store.clipGradientNorm(to: 1) == 5)
        #expect(abs(store.gradientNorm() - 1) < 1e-6)
        store.clipGradientValues(to: 0.5)
        #expect(Array(store.gradients.buffer) == [0.5, 0.5, 0, 0])
        store.addL1Gradient(0.25)   // weights only: sign(1) = 1, sign(−2) = −1; the bias is untouched
        #expect(Array(store.gradients.buffer) == [0.75, 0.25, 0, 0])
    }

    @Test func dropoutMasksInTrainingAndIsTheIdentityInEvaluation() throws {
        let dropout = Dropout(rate: 0.5)
        _ = try Sequential([dropout], inputShape: [1000])
        dropout.reseed(Generator(seed: 1))
        let x = Tensor(shape: [1, 1000], values: [Float](repeating: 1, count: 1000))
        let y = dropout.forward(x, mode: .training).toArray()
        #expect(Set(y) == [0, 2])
        #expect(abs(Float(y.filter { $0 > 0 }.count) / 1000 - 0.5) < 0.06)
        let dx = dropout.backward(Tensor(shape: [1, 1000], values: [Float](repeating: 3, count: 1000))).toArray()
        #expect(dx == y.map { $0 * 3 })             // the same mask, the same scale
        #expect(dropout.forward(x, mode: .evaluation).toArray() == x.toArray())
    }
}
