// The typed training configuration: every key of docs/config.md, its default, and its check.
import Foundation
import NN

/// One layer of the model, as written in `model.layers`.
public enum LayerConfig: Equatable, Sendable {
    case dense(units: Int, initializer: Initializer, bias: Bool)
    case relu
    case leakyReLU(slope: Float)
    case sigmoid
    case softmax
    case tanh
    case gelu
    case identity
    case dropout(rate: Float)
    case conv2d(filters: Int, kernelSize: Int, stride: Int, padding: Int, initializer: Initializer, bias: Bool)
    case maxPool2d(poolSize: Int, stride: Int)
    case avgPool2d(poolSize: Int, stride: Int)
    case flatten
    case batchNorm(momentum: Float, epsilon: Float)
    case reshape(shape: [Int])
    case recurrent(RecurrentLayerConfig)

    /// The `type` names accepted in `model.layers`.
    static let types = ["dense", "conv2d", "max_pool2d", "avg_pool2d", "flatten", "reshape", "simple_rnn", "lstm", "gru",
                        "relu", "leaky_relu", "sigmoid", "softmax", "tanh", "gelu", "identity", "dropout", "batch_norm"]

    /// The layer this entry describes.
    public func makeLayer() -> any Layer {
        switch self {
        case .dense(let units, let initializer, let bias):
            return Dense(units: units, weightInitializer: initializer, useBias: bias)
        case .relu: return ReLU()
        case .leakyReLU(let slope): return LeakyReLU(slope: slope)
        case .sigmoid: return Sigmoid()
        case .softmax: return Softmax()
        case .tanh: return Tanh()
        case .gelu: return GELU()
        case .identity: return Identity()
        case .dropout(let rate): return Dropout(rate: rate)
        case .conv2d(let filters, let kernelSize, let stride, let padding, let initializer, let bias):
            return Conv2D(filters: filters, kernelSize: kernelSize, stride: stride, padding: padding,
                          weightInitializer: initializer, useBias: bias)
        case .maxPool2d(let poolSize, let stride): return MaxPool2D(poolSize: poolSize, stride: stride)
        case .avgPool2d(let poolSize, let stride): return AvgPool2D(poolSize: poolSize, stride: stride)
        case .flatten: return Flatten()
        case .batchNorm(let momentum, let epsilon): return BatchNorm(momentum: momentum, epsilon: epsilon)
        case .reshape(let shape): return Reshape(shape)
        case .recurrent(let recurrent): return recurrent.makeLayer()
        }
    }

    /// `, init_std: 0.1` and the like, for initializers that take a parameter (keys named after
    /// `key`, e.g. `recurrent_init_std`).
    static func initializerParameter(_ initializer: Initializer, key: String = "init") -> String {
        switch initializer {
        case .constant(let value): return ", \(key)_value: \(value)"
        case .normal(let std): return ", \(key)_std: \(std)"
        case .uniform(let limit): return ", \(key)_limit: \(limit)"
        default: return ""
        }
    }

    /// The entry as a YAML flow mapping (for the resolved config.yaml).
    var yaml: String {
        switch self {
        case .dense(let units, let initializer, let bias):
            return "{type: dense, units: \(units), init: \(initializer.name)\(LayerConfig.initializerParameter(initializer)), bias: \(bias)}"
        case .relu: return "{type: relu}"
        case .leakyReLU(let slope): return "{type: leaky_relu, slope: \(slope)}"
        case .sigmoid: return "{type: sigmoid}"
        case .softmax: return "{type: softmax}"
        case .tanh: return "{type: tanh}"
        case .gelu: return "{type: gelu}"
        case .identity: return "{type: identity}"
        case .dropout(let rate): return "{type: dropout, rate: \(rate)}"
        case .conv2d(let filters, let kernelSize, let stride, let padding, let initializer, let bias):
            return "{type: conv2d, filters: \(filters), kernel_size: \(kernelSize), stride: \(stride), padding: \(padding), "
                + "init: \(initializer.name)\(LayerConfig.initializerParameter(initializer)), bias: \(bias)}"
        case .maxPool2d(let poolSize, let stride): return "{type: max_pool2d, pool_size: \(poolSize), stride: \(stride)}"
        case .avgPool2d(let poolSize, let stride): return "{type: avg_pool2d, pool_size: \(poolSize), stride: \(stride)}"
        case .flatten: return "{type: flatten}"
        case .batchNorm(let momentum, let epsilon): return "{type: batch_norm, momentum: \(momentum), eps: \(epsilon)}"
        case .reshape(let shape): return "{type: reshape, shape: [\(shape.map(String.init).joined(separator: ", "))]}"
        case .recurrent(let recurrent): return recurrent.yaml
        }
    }
}

/// Everything a training run is configured with; see docs/config.md.
public struct TrainingConfig: Equatable, Sendable {
    /// The run's name (default run directory `runs/<name>`).
    public var name = "run"
    /// The seed of every random stream (initialization, shuffling).
    public var seed: UInt64 = 0

    /// The dataset directory (train-*.h5, val.h5, test.h5; datasets/README.md).
    public var dataDirectory = "datasets/fashion-mnist"
    /// The features dataset's name in the shard files.
    public var featuresKey = "features"
    /// The labels dataset's name in the shard files.
    public var labelsKey = "labels"
    /// Whether to reshuffle the training samples every epoch.
    public var shuffle = true
    /// Image augmentation of training batches: the padding of the random crop (0: off)…
    public var randomCropPadding = 0
    /// …and whether to flip samples left–right with probability ½.
    public var horizontalFlip = false

    /// The expected shape of one input sample; checked against the data when set.
    public var inputShape: [Int]?
    /// The layers, in order.
    public var layers: [LayerConfig] = []

    /// The loss function: one of `TrainingConfig.losses`.
    public var loss = "softmax_cross_entropy"
    /// Label smoothing ε of the cross-entropy.
    public var labelSmoothing: Float = 0
    /// The δ of the Huber loss.
    public var huberDelta: Float = 1

    /// The optimizer: sgd, adam, adamw, rmsprop or adagrad.
    public var optimizer = "sgd"
    /// The (peak) learning rate.
    public var learningRate: Float = 0.01
    /// SGD or RMSprop momentum μ.
    public var momentum: Float = 0
    /// Nesterov momentum (SGD).
    public var nesterov = false
    /// Weight decay λ: coupled L2 (`g += λp`), decoupled for AdamW.
    public var weightDecay: Float = 0
    /// Adam's β₁ and β₂.
    public var beta1: Float = 0.9
    public var beta2: Float = 0.999
    /// The ε of Adam, RMSprop and AdaGrad (default 1e-8, AdaGrad 1e-10, as in PyTorch).
    public var epsilon: Float = 1e-8
    /// RMSprop's smoothing constant α.
    public var alpha: Float = 0.99
    /// AdaGrad's initial accumulator value.
    public var initialAccumulator: Float = 0

    /// Clip the global L2 norm of the gradient to this value before the step (Keras `clipnorm`).
    public var clipNorm: Float?
    /// Clamp every gradient to ±this value before the step (Keras `clipvalue`).
    public var clipValue: Float?
    /// L1 penalty λ₁ on every weight (gradient λ₁·sign(w)); biases are not penalized.
    public var l1: Float = 0
    /// Early stopping on a validation metric, if configured.
    public var earlyStopping: EarlyStoppingConfig?
    /// Reducing the learning rate when a validation metric plateaus, if configured.
    public var reduceOnPlateau: PlateauConfig?

    /// The optimizer types accepted in `optimizer.type`.
    static let optimizers = ["sgd", "adam", "adamw", "rmsprop", "adagrad"]

    /// The learning-rate schedule after warm-up: constant, step, exponential or cosine.
    public var scheduleType = "constant"
    /// Steps of linear warm-up to `learningRate`.
    public var warmupSteps = 0
    /// For step and exponential decay: the number of steps per factor `gamma`.
    public var decaySteps = 1000
    /// For step and exponential decay: the factor per `decaySteps`.
    public var gamma: Float = 0.1
    /// For cosine: the final learning rate as a fraction of `learningRate`.
    public var finalFraction: Float = 0

    /// Samples per batch on each rank.
    public var batchSize = 32
    /// Passes over the training data.
    public var epochs = 1
    /// Stop after this many steps in total, if set.
    public var maxSteps: Int?
    /// Write a train record every this many steps.
    public var logEvery = 100
    /// Batch size for validation and test evaluation.
    public var evalBatchSize = 1000
    /// What a non-finite loss or averaged gradient does: `stop` the run, or `skip` the step.
    public var nonFinite = "stop"
    /// With `skip`: the run stops at the skip after this many.
    public var nonFiniteMaxSkips = 10

    /// Save a checkpoint every this many steps (0: not by steps).
    public var checkpointEverySteps = 0
    /// Save a checkpoint at the end of every epoch.
    public var checkpointEveryEpoch = true
    /// How many of the newest checkpoints to keep.
    public var checkpointKeepLast = 3
    /// Also keep the epoch-end checkpoint with the best validation metric as `best.h5`.
    public var checkpointSaveBest = true
    /// The metric that decides `best.h5`: `val_loss` or `val_accuracy`.
    public var checkpointMonitor = "val_loss"

    /// Gradient all-reduce bucket size in MiB (platform.md: 1–4 MB pieces reduce fastest).
    public var bucketMegabytes: Float = 4
    /// Compare a checksum of the parameters across ranks every this many steps (0: never).
    public var checksumEvery = 100
    /// Seconds a rank waits in one collective for the others before the job ends (0: forever).
    public var collectiveTimeout: Double = 300
    /// Ranks on one node keep their gradients in shared memory and sum them in place
    /// (`Communicator.makeReductionBuffer`); false always uses MPI transfers. Same bits either way.
    public var sharedMemoryReduction = true

    /// Validation metrics, TensorBoard, CSV and the progress bar (`evaluation`, `logging`).
    public var reporting = ReportingConfig()

    /// The defaults.
    public init() {}

    /// Reads `tree`, rejecting unknown keys and bad values; `source` names the file in errors.
    public init(tree: ConfigTree, source: String) throws {
        var root = try ConfigReader(tree, source: source, path: "")
        name = try root.string("name", default: name)
        guard let seedValue = UInt64(try root.string("seed", default: "0")) else {
            throw root.error("seed", "must be a non-negative integer")
        }
        seed = seedValue

        var data = try root.section("data")
        dataDirectory = try data.string("dir", default: dataDirectory)
        featuresKey = try data.string("features_key", default: featuresKey)
        labelsKey = try data.string("labels_key", default: labelsKey)
        shuffle = try data.bool("shuffle", default: shuffle)
        var augmentation = try data.section("augmentation")
        randomCropPadding = try augmentation.int("random_crop_padding", default: randomCropPadding, minimum: 0)
        if randomCropPadding > 127 { throw augmentation.error("random_crop_padding", "must be ≤ 127, got \(randomCropPadding)") }
        horizontalFlip = try augmentation.bool("horizontal_flip", default: horizontalFlip)
        try augmentation.finish()
        try data.finish()

        var model = try root.section("model")
        inputShape = try model.intList("input_shape")
        let layerTrees = try model.list("layers")
        guard !layerTrees.isEmpty else { throw model.error("layers", "must list at least one layer") }
        layers = try layerTrees.enumerated().map { index, tree in
            try TrainingConfig.layer(tree, source: source, path: "model.layers.\(index)")
        }
        try model.finish()

        try readLoss(&root)

        var optimizerSection = try root.section("optimizer")
        optimizer = try optimizerSection.choice("type", default: optimizer, from: TrainingConfig.optimizers)
        learningRate = try optimizerSection.float("learning_rate", default: learningRate, positive: true)
        weightDecay = try optimizerSection.float("weight_decay", default: weightDecay, range: 0...Float.greatestFiniteMagnitude)
        if let text = try optimizerSection.optionalString("clip_norm") {
            guard let value = Float(text), value > 0, value.isFinite else { throw optimizerSection.error("clip_norm", "must be > 0, got '\(text)'") }
            clipNorm = value
        }
        if let text = try optimizerSection.optionalString("clip_value") {
            guard let value = Float(text), value > 0, value.isFinite else { throw optimizerSection.error("clip_value", "must be > 0, got '\(text)'") }
            clipValue = value
        }
        // each type reads only its own keys, so a key of another optimizer is reported as unknown
        switch optimizer {
        case "sgd":
            momentum = try optimizerSection.float("momentum", default: momentum, range: 0...0.999_999)
            nesterov = try optimizerSection.bool("nesterov", default: nesterov)
            if nesterov && momentum == 0 { throw optimizerSection.error("nesterov", "needs optimizer.momentum > 0") }
        case "adam", "adamw":
            beta1 = try optimizerSection.float("beta1", default: beta1, range: 0...0.999_999)
            beta2 = try optimizerSection.float("beta2", default: beta2, range: 0...0.999_999_9)
            epsilon = try optimizerSection.float("epsilon", default: epsilon, range: 0...1, positive: true)
        case "rmsprop":
            alpha = try optimizerSection.float("alpha", default: alpha, range: 0...1)
            epsilon = try optimizerSection.float("epsilon", default: epsilon, range: 0...1, positive: true)
            momentum = try optimizerSection.float("momentum", default: momentum, range: 0...0.999_999)
        default:  // adagrad
            epsilon = try optimizerSection.float("epsilon", default: 1e-10, range: 0...1, positive: true)
            initialAccumulator = try optimizerSection.float("initial_accumulator", default: initialAccumulator,
                                                            range: 0...Float.greatestFiniteMagnitude)
        }
        try optimizerSection.finish(typeKeys: ["sgd": ["momentum", "nesterov"], "adam": ["beta1", "beta2", "epsilon"],
                                               "adamw": ["beta1", "beta2", "epsilon"], "rmsprop": ["alpha", "epsilon", "momentum"],
                                               "adagrad": ["epsilon", "initial_accumulator"]])

        var regularization = try root.section("regularization")
        l1 = try regularization.float("l1", default: l1, range: 0...Float.greatestFiniteMagnitude)
        try regularization.finish()

        if root.tree("early_stopping") != nil {
            var section = try root.section("early_stopping")
            var stopping = EarlyStoppingConfig()
            stopping.monitor = try section.choice("monitor", default: stopping.monitor, from: ["val_loss", "val_accuracy"])
            stopping.mode = try section.choice("mode", default: stopping.mode, from: ["auto", "min", "max"])
            stopping.patience = try section.int("patience", default: stopping.patience, minimum: 0)
            stopping.minDelta = try section.float("min_delta", default: stopping.minDelta, range: 0...Float.greatestFiniteMagnitude)
            stopping.restoreBestWeights = try section.bool("restore_best_weights", default: stopping.restoreBestWeights)
            try section.finish()
            earlyStopping = stopping
        }

        if root.tree("reduce_lr_on_plateau") != nil {
            var section = try root.section("reduce_lr_on_plateau")
            var plateau = PlateauConfig()
            plateau.monitor = try section.choice("monitor", default: plateau.monitor, from: ["val_loss", "val_accuracy"])
            plateau.mode = try section.choice("mode", default: plateau.mode, from: ["auto", "min", "max"])
            plateau.factor = try section.float("factor", default: plateau.factor, range: 0...0.999_999, positive: true)
            plateau.patience = try section.int("patience", default: plateau.patience, minimum: 0)
            plateau.minDelta = try section.float("min_delta", default: plateau.minDelta, range: 0...Float.greatestFiniteMagnitude)
            plateau.minLearningRate = try section.float("min_lr", default: plateau.minLearningRate, range: 0...Float.greatestFiniteMagnitude)
            try section.finish()
            reduceOnPlateau = plateau
        }

        var schedule = try root.section("schedule")
        scheduleType = try schedule.choice("type", default: scheduleType, from: ["constant", "step", "exponential", "cosine"])
        warmupSteps = try schedule.int("warmup_steps", default: warmupSteps, minimum: 0)
        if scheduleType == "step" || scheduleType == "exponential" {
            decaySteps = try schedule.int("decay_steps", default: decaySteps, minimum: 1)
            gamma = try schedule.float("gamma", default: gamma, range: 0...1, positive: true)
        }
        if scheduleType == "cosine" {
            finalFraction = try schedule.float("final_fraction", default: finalFraction, range: 0...1)
        }
        try schedule.finish(typeKeys: ["step": ["decay_steps", "gamma"], "exponential": ["decay_steps", "gamma"], "cosine": ["final_fraction"]])

        var training = try root.section("training")
        batchSize = try training.int("batch_size", default: batchSize, minimum: 1)
        epochs = try training.int("epochs", default: epochs, minimum: 1)
        maxSteps = try training.optionalInt("max_steps", minimum: 1)
        logEvery = try training.int("log_every", default: logEvery, minimum: 1)
        evalBatchSize = try training.int("eval_batch_size", default: evalBatchSize, minimum: 1)
        nonFinite = try training.choice("nonfinite", default: nonFinite, from: ["stop", "skip"])
        nonFiniteMaxSkips = try training.int("nonfinite_max_skips", default: nonFiniteMaxSkips, minimum: 0)
        try training.finish()

        var checkpoint = try root.section("checkpoint")
        checkpointEverySteps = try checkpoint.int("every_steps", default: checkpointEverySteps, minimum: 0)
        checkpointEveryEpoch = try checkpoint.bool("every_epoch", default: checkpointEveryEpoch)
        checkpointKeepLast = try checkpoint.int("keep_last", default: checkpointKeepLast, minimum: 1)
        checkpointSaveBest = try checkpoint.bool("save_best", default: checkpointSaveBest)
        checkpointMonitor = try checkpoint.choice("monitor", default: checkpointMonitor, from: ["val_loss", "val_accuracy"])
        try checkpoint.finish()

        var distributed = try root.section("distributed")
        bucketMegabytes = try distributed.float("bucket_mb", default: bucketMegabytes, positive: true)
        checksumEvery = try distributed.int("checksum_every", default: checksumEvery, minimum: 0)
        collectiveTimeout = Double(try distributed.float("timeout_seconds", default: Float(collectiveTimeout), range: 0...Float.greatestFiniteMagnitude))
        sharedMemoryReduction = try distributed.bool("shared_memory", default: sharedMemoryReduction)
        try distributed.finish()

        try readReporting(&root)
        try root.finish()
        try checkMonitors(source: source)
        try checkOutputLayer(source: source)
    }

    private static func layer(_ tree: ConfigTree, source: String, path: String) throws -> LayerConfig {
        var reader = try ConfigReader(tree, source: source, path: path)
        let type = try reader.choice("type", default: "", from: LayerConfig.types)
        let layer: LayerConfig
        switch type {
        case "dense":
            guard let units = try reader.optionalInt("units", minimum: 1) else {
                throw reader.error("units", "is required for a dense layer")
            }
            let initializer = try TrainingConfig.initializer(&reader)
            layer = .dense(units: units, initializer: initializer, bias: try reader.bool("bias", default: true))
        case "leaky_relu":
            layer = .leakyReLU(slope: try reader.float("slope", default: 0.01, range: 0...1))
        case "sigmoid": layer = .sigmoid
        case "softmax": layer = .softmax
        case "tanh": layer = .tanh
        case "gelu": layer = .gelu
        case "identity": layer = .identity
        case "dropout": layer = .dropout(rate: try reader.float("rate", default: 0.5, range: 0...0.999_999))
        case "conv2d":
            guard let filters = try reader.optionalInt("filters", minimum: 1) else {
                throw reader.error("filters", "is required for a conv2d layer")
            }
            guard let kernelSize = try reader.optionalInt("kernel_size", minimum: 1) else {
                throw reader.error("kernel_size", "is required for a conv2d layer")
            }
            layer = .conv2d(filters: filters, kernelSize: kernelSize, stride: try reader.int("stride", default: 1, minimum: 1),
                            padding: try reader.int("padding", default: 0, minimum: 0), initializer: try TrainingConfig.initializer(&reader),
                            bias: try reader.bool("bias", default: true))
        case "max_pool2d", "avg_pool2d":
            guard let poolSize = try reader.optionalInt("pool_size", minimum: 1) else {
                throw reader.error("pool_size", "is required for a \(type) layer")
            }
            let stride = try reader.int("stride", default: poolSize, minimum: 1)
            layer = type == "max_pool2d" ? .maxPool2d(poolSize: poolSize, stride: stride) : .avgPool2d(poolSize: poolSize, stride: stride)
        case "flatten": layer = .flatten
        case "batch_norm":
            layer = .batchNorm(momentum: try reader.float("momentum", default: 0.1, range: 0...1),
                               epsilon: try reader.float("eps", default: 1e-5, positive: true))
        case "reshape":
            guard let shape = try reader.intList("shape"), !shape.isEmpty, shape.allSatisfy({ $0 > 0 }) else {
                throw reader.error("shape", "is required for a reshape layer: a list of positive sizes, e.g. [28, 28]")
            }
            layer = .reshape(shape: shape)
        case "simple_rnn", "lstm", "gru":
            layer = .recurrent(try RecurrentLayerConfig(type: type, reader: &reader))
        default:
            layer = .relu
        }
        try reader.finish()
        return layer
    }

    /// The configured optimizer for a model of `parameterCount` scalars.
    public func makeOptimizer(parameterCount: Int) -> any Optimizer {
        switch optimizer {
        case "adam", "adamw":
            return Adam(parameterCount: parameterCount, beta1: beta1, beta2: beta2, epsilon: epsilon,
                        weightDecay: weightDecay, decoupled: optimizer == "adamw")
        case "rmsprop":
            return RMSprop(parameterCount: parameterCount, alpha: alpha, epsilon: epsilon, momentum: momentum, weightDecay: weightDecay)
        case "adagrad":
            return AdaGrad(parameterCount: parameterCount, epsilon: epsilon, weightDecay: weightDecay,
                           initialAccumulatorValue: initialAccumulator)
        default:
            return SGD(parameterCount: parameterCount, momentum: momentum, nesterov: nesterov, weightDecay: weightDecay)
        }
    }

    /// The learning rate of every step of a run of `totalSteps` steps.
    public func learningRateSchedule(totalSteps: Int) -> LearningRateSchedule {
        let decay: LearningRateSchedule.Decay
        switch scheduleType {
        case "step": decay = .step(every: decaySteps, gamma: gamma)
        case "exponential": decay = .exponential(every: decaySteps, gamma: gamma)
        case "cosine": decay = .cosine(totalSteps: totalSteps, finalFraction: finalFraction)
        default: decay = .constant
        }
        return LearningRateSchedule(peak: learningRate, warmupSteps: warmupSteps, decay: decay)
    }

    /// Reads an initializer key (`init` of a dense or conv2d layer by default) and its
    /// parameter (`init_value`, `init_std`, `init_limit`, named after `key`).
    static func initializer(_ reader: inout ConfigReader, key: String = "init", default defaultName: String = "he_normal") throws -> Initializer {
        let name = try reader.string(key, default: defaultName)
        switch name {
        case "constant": return .constant(try reader.float("\(key)_value", default: 0))
        case "normal": return .normal(standardDeviation: try reader.float("\(key)_std", default: 0.05, positive: true))
        case "uniform": return .uniform(limit: try reader.float("\(key)_limit", default: 0.05, positive: true))
        default:
            guard let named = Initializer(name: name) else {
                throw reader.error(key, "must be one of \(Initializer.names.joined(separator: ", ")) "
                    + "(or the aliases glorot_uniform, glorot_normal, kaiming_uniform, kaiming_normal), got '\(name)'")
            }
            return named
        }
    }

    /// Loads a YAML file and applies `--set` overrides.
    /// - Throws: `ConfigError` naming the file and key, or the file's read error.
    public static func load(path: String, overrides: [String] = []) throws -> TrainingConfig {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw ConfigError(source: path, key: nil, message: "does not exist (pass --config FILE, e.g. launch/configs/fashion-mnist-mlp.yaml)")
        }
        guard !isDirectory.boolValue else {
            throw ConfigError(source: path, key: nil, message: "is a directory (pass --config FILE, e.g. launch/configs/fashion-mnist-mlp.yaml)")
        }
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ConfigError(source: path, key: nil, message: "cannot be read: \(error.localizedDescription)")
        }
        let file = try ConfigTree.parse(yaml: text, source: path)
        _ = try ConfigReader(file, source: path, path: "")   // the file's own top level must be a mapping
        let tree = try file.applying(overrides: overrides)
        do {
            return try TrainingConfig(tree: tree, source: path)
        } catch let error as ConfigError {
            if let key = error.key, let override = file.override(blamedFor: key, among: overrides) {
                throw ConfigError(source: "--set \(override)", key: error.key, message: error.message)
            }
            throw error
        }
    }

    /// The resolved config as YAML, every effective value included (written to the run
    /// directory as `config.yaml`; it loads back to an equal config).
    public var yaml: String {
        var lines = [
            "name: \(quoted(name))",
            "seed: \(seed)",
            "data:",
            "  dir: \(quoted(dataDirectory))",
            "  features_key: \(quoted(featuresKey))",
            "  labels_key: \(quoted(labelsKey))",
            "  shuffle: \(shuffle)",
            "  augmentation: {random_crop_padding: \(randomCropPadding), horizontal_flip: \(horizontalFlip)}",
            "model:",
        ]
        if let inputShape { lines.append("  input_shape: [\(inputShape.map(String.init).joined(separator: ", "))]") }
        lines.append("  layers:")
        for layer in layers { lines.append("    - " + layer.yaml) }
        lines += [
            "loss: \(lossYAML)",
            "optimizer:",
            "  type: \(optimizer)",
            "  learning_rate: \(learningRate)",
            "  weight_decay: \(weightDecay)",
        ]
        if let clipNorm { lines.append("  clip_norm: \(clipNorm)") }
        if let clipValue { lines.append("  clip_value: \(clipValue)") }
        switch optimizer {
        case "sgd": lines += ["  momentum: \(momentum)", "  nesterov: \(nesterov)"]
        case "adam", "adamw": lines += ["  beta1: \(beta1)", "  beta2: \(beta2)", "  epsilon: \(epsilon)"]
        case "rmsprop": lines += ["  alpha: \(alpha)", "  epsilon: \(epsilon)", "  momentum: \(momentum)"]
        default: lines += ["  epsilon: \(epsilon)", "  initial_accumulator: \(initialAccumulator)"]
        }
        lines += ["regularization:", "  l1: \(l1)"]
        if let stopping = earlyStopping {
            lines += ["early_stopping:", "  monitor: \(stopping.monitor)", "  mode: \(stopping.mode)",
                      "  patience: \(stopping.patience)", "  min_delta: \(stopping.minDelta)",
                      "  restore_best_weights: \(stopping.restoreBestWeights)"]
        }
        if let plateau = reduceOnPlateau {
            lines += ["reduce_lr_on_plateau:", "  monitor: \(plateau.monitor)", "  mode: \(plateau.mode)",
                      "  factor: \(plateau.factor)", "  patience: \(plateau.patience)", "  min_delta: \(plateau.minDelta)",
                      "  min_lr: \(plateau.minLearningRate)"]
        }
        lines += [
            "schedule:",
            "  type: \(scheduleType)",
            "  warmup_steps: \(warmupSteps)",
        ]
        switch scheduleType {
        case "step", "exponential": lines += ["  decay_steps: \(decaySteps)", "  gamma: \(gamma)"]
        case "cosine": lines += ["  final_fraction: \(finalFraction)"]
        default: break
        }
        lines += [
            "training:",
            "  batch_size: \(batchSize)",
            "  epochs: \(epochs)",
        ]
        if let maxSteps { lines.append("  max_steps: \(maxSteps)") }
        lines += ["  log_every: \(logEvery)", "  eval_batch_size: \(evalBatchSize)",
                  "  nonfinite: \(nonFinite)", "  nonfinite_max_skips: \(nonFiniteMaxSkips)",
                  "checkpoint:", "  every_steps: \(checkpointEverySteps)", "  every_epoch: \(checkpointEveryEpoch)",
                  "  keep_last: \(checkpointKeepLast)", "  save_best: \(checkpointSaveBest)", "  monitor: \(checkpointMonitor)",
                  "distributed:", "  bucket_mb: \(bucketMegabytes)", "  checksum_every: \(checksumEvery)",
                  "  timeout_seconds: \(collectiveTimeout)", "  shared_memory: \(sharedMemoryReduction)"]
        lines += reportingYAML
        return lines.joined(separator: "\n") + "\n"
    }

    private func quoted(_ text: String) -> String {
        "'" + text.replacingOccurrences(of: "'", with: "''") + "'"
    }
}

/// Keras-style early stopping on a validation metric (`early_stopping` in the config).
public struct EarlyStoppingConfig: Equatable, Sendable {
    /// `val_loss` or `val_accuracy`.
    public var monitor = "val_loss"
    /// `min`, `max`, or `auto` (min for a loss, max for accuracy).
    public var mode = "auto"
    /// Epochs without improvement before stopping.
    public var patience = 0
    /// The smallest change that counts as an improvement.
    public var minDelta: Float = 0
    /// When stopping early, go back to the parameters of the best epoch.
    public var restoreBestWeights = false

    /// Whether larger values of the monitored metric are better.
    public var maximizes: Bool { mode == "max" || (mode == "auto" && monitor == "val_accuracy") }
}

/// Keras-style ReduceLROnPlateau (`reduce_lr_on_plateau` in the config).
public struct PlateauConfig: Equatable, Sendable {
    /// `val_loss` or `val_accuracy`.
    public var monitor = "val_loss"
    /// `min`, `max`, or `auto`.
    public var mode = "auto"
    /// The factor applied to the learning rate on a plateau.
    public var factor: Float = 0.1
    /// Epochs without improvement before reducing.
    public var patience = 10
    /// The smallest change that counts as an improvement.
    public var minDelta: Float = 1e-4
    /// The learning rate never goes below this.
    public var minLearningRate: Float = 0
}
