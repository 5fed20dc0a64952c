import Foundation
import NN
import Testing
@testable import Training

struct TrainingConfigTests {
    private let defaultConfigPath = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("launch/configs/fashion-mnist-mlp.yaml").path

    @Test func readsTheDefaultConfig() throws {
        let config = try TrainingConfig.load(path: defaultConfigPath)
        #expect(config.layers == [.dense(units: 512, initializer: .xavierUniform, bias: true), .relu,
                                  .dense(units: 256, initializer: .xavierUniform, bias: true), .relu,
                                  .dense(units: 10, initializer: .xavierUniform, bias: true)])
        #expect(config.learningRate == 0.05 && config.momentum == 0.9)
        #expect(config.batchSize == 128 && config.epochs == 5)
        #expect(config.dataDirectory == "datasets/fashion-mnist")
    }

    @Test func overridesReplaceValuesByDottedPath() throws {
        let config = try TrainingConfig.load(path: defaultConfigPath,
                                             overrides: ["optimizer.learning_rate=0.1", "model.layers.0.units=64", "training.max_steps=7"])
        #expect(config.learningRate == 0.1)
        #expect(config.layers[0] == .dense(units: 64, initializer: .xavierUniform, bias: true))
        #expect(config.maxSteps == 7)
    }

    @Test func resolvedYAMLLoadsBackEqual() throws {
        let config = try TrainingConfig.load(path: defaultConfigPath, overrides: ["training.max_steps=3", "name=it's"])
        let again = try TrainingConfig(tree: ConfigTree.parse(yaml: config.yaml, source: "resolved"), source: "resolved")
        #expect(again == config)
    }

    /// Two resolved configs compare key by key: a changed scalar, a changed layer (by its index in
    /// the list), a key only one side holds; equal configs have no difference.
    @Test func resolvedConfigsDifferKeyByKey() throws {
        let base = try TrainingConfig.load(path: defaultConfigPath)
        let other = try TrainingConfig.load(path: defaultConfigPath, overrides: [
            "optimizer.learning_rate=0.1", "model.layers.2.units=64", "training.max_steps=7", "data.dir=elsewhere", "seed=1",
        ])
        #expect(configDifferences(base.yaml, base.yaml).isEmpty)
        let differences = configDifferences(base.yaml, other.yaml)
        #expect(differences.map(\.key) == ["seed", "data.dir", "model.layers[2]", "optimizer.learning_rate", "training.max_steps"])
        #expect(differences[1] == ConfigDifference(key: "data.dir", first: "'datasets/fashion-mnist'", other: "'elsewhere'"))
        #expect(differences[2].other == "{type: dense, units: 64, init: xavier_uniform, bias: true}")
        #expect(differences[4].first == nil && differences[4].other == "7")
        #expect(differences[4].text(differences[4].first) == "no training.max_steps")
        #expect(configDifferences(other.yaml, base.yaml).map(\.key).last == "training.max_steps")
    }

    @Test func augmentationKeysParseAndRoundTrip() throws {
        let plain = try TrainingConfig.load(path: defaultConfigPath)
        #expect(plain.randomCropPadding == 0 && !plain.horizontalFlip)
        let config = try TrainingConfig.load(path: defaultConfigPath, overrides: [
            "data.augmentation.random_crop_padding=2", "data.augmentation.horizontal_flip=true"])
        #expect(config.randomCropPadding == 2 && config.horizontalFlip)
        let again = try TrainingConfig(tree: ConfigTree.parse(yaml: config.yaml, source: "resolved"), source: "resolved")
        #expect(again == config)
        let error = #expect(throws: ConfigError.self) {
            try TrainingConfig.load(path: defaultConfigPath, overrides: ["data.augmentation.flip=true"])
        }
        #expect(error?.key == "data.augmentation.flip")
    }

    @Test func unknownKeyIsNamedWithASuggestion() throws {
        let error = #expect(throws: ConfigError.self) {
            try TrainingConfig.load(path: defaultConfigPath, overrides: ["optimizer.lerning_rate=0.1"])
        }
        #expect(error?.key == "optimizer.lerning_rate")
        #expect(error?.description.contains("did you mean 'optimizer.learning_rate'") == true)
        #expect(error?.source == "--set optimizer.lerning_rate=0.1")
    }

    @Test(arguments: [
        ("optimizer.learning_rate=-0.1", "optimizer.learning_rate", "must be > 0"),
        ("optimizer.learning_rate=0", "optimizer.learning_rate", "must be > 0"),
        ("training.batch_size=0", "training.batch_size", "must be ≥ 1"),
        ("training.epochs=many", "training.epochs", "must be an integer"),
        ("model.layers.1.type=softplus", "model.layers.1.type", "must be one of"),
        ("model.layers.0.init=lecun", "model.layers.0.init", "must be one of"),
        ("loss=hinge", "loss", "must be one of softmax_cross_entropy, binary_cross_entropy, mse, mae, huber"),
        ("loss={type: huber, label_smoothing: 0.1}", "loss.label_smoothing", "is not a known key"),
        ("regularization.l2=0.01", "regularization.l2", "is not a known key; L2 regularization is optimizer.weight_decay"),
        ("optimizer.type=adam", "optimizer.momentum", "it is a key of optimizer type rmsprop, sgd, not of type adam (drop it, or give the whole mapping anew"),
        ("optimizer.beta1=0.9", "optimizer.beta1", "it is a key of optimizer type adam, adamw, not of type sgd"),
        ("schedule.final_fraction=0.1", "schedule.final_fraction", "it is a key of schedule type cosine"),
        ("loss={type: huber, delta: 0}", "loss.delta", "must be > 0"),
        ("model.layers.0={type: lstm}", "model.layers.0.units", "is required"),
        ("model.layers.0={type: gru, units: 4, unit_forget_bias: true}", "model.layers.0.unit_forget_bias", "not a known key"),
        ("model.layers.0={type: simple_rnn, units: 4, recurrent_init: eye}", "model.layers.0.recurrent_init", "must be one of"),
        ("model.layers.0={type: reshape}", "model.layers.0.shape", "is required"),
        ("data.augmentation.random_crop_padding=-1", "data.augmentation.random_crop_padding", "must be ≥ 0"),
        ("data.augmentation.random_crop_padding=200", "data.augmentation.random_crop_padding", "must be ≤ 127"),
        ("model.layers.1.type=lstmm", "model.layers.1.type", "did you mean 'lstm'?"),
        ("model.layers.1={units: 8}", "model.layers.1.type", "is required: one of dense, conv2d"),
        ("model.layers.4={type: softmax}", "model.layers.4.type", "loss softmax_cross_entropy takes logits and applies the softmax itself"),
        ("optimizer={type: adam, epsilon: 0}", "optimizer.epsilon", "must be > 0"),
        ("optimizer={type: rmsprop, epsilon: 0}", "optimizer.epsilon", "must be > 0"),
        ("optimizer={type: adagrad, epsilon: 0}", "optimizer.epsilon", "must be > 0"),
    ])
    func badValuesAreRejectedNamingTheKey(override: String, key: String, message: String) throws {
        let error = #expect(throws: ConfigError.self) {
            try TrainingConfig.load(path: defaultConfigPath, overrides: [override])
        }
        #expect(error?.key == key, "\(String(describing: error))")
        #expect(error?.message.contains(message) == true, "\(String(describing: error))")
    }

    @Test func lossTypesAndTheirKeysRoundTrip() throws {
        for (override, loss, made) in [("loss={type: huber, delta: 2.5}", "huber", "Huber(delta: 2.5)"), ("loss=mse", "mse", "MeanSquaredError"),
                                       ("loss={type: binary_cross_entropy}", "binary_cross_entropy", "BinaryCrossEntropy"),
                                       ("loss={type: softmax_cross_entropy, label_smoothing: 0.1}", "softmax_cross_entropy", "SoftmaxCrossEntropy(label_smoothing: 0.1)")] {
            let config = try TrainingConfig.load(path: defaultConfigPath, overrides: [override])
            #expect(config.loss == loss && config.makeLoss().summary == made)
            #expect(try TrainingConfig(tree: ConfigTree.parse(yaml: config.yaml, source: "resolved"), source: "resolved") == config)
        }
        // a regression loss reports no accuracy, so nothing may monitor it
        let error = #expect(throws: ConfigError.self) {
            try TrainingConfig.load(path: defaultConfigPath, overrides: ["loss=mse", "early_stopping={monitor: val_accuracy}"])
        }
        #expect(error?.key == "early_stopping.monitor")
        #expect(error?.message == "is val_accuracy but loss mse reports no accuracy; monitor val_loss")
    }

    /// A sigmoid in front of binary_cross_entropy squashes twice (the loss takes logits).
    @Test func aSigmoidBeforeBinaryCrossEntropyIsRefused() throws {
        let error = #expect(throws: ConfigError.self) {
            try TrainingConfig.load(path: defaultConfigPath, overrides: ["loss=binary_cross_entropy", "model.layers.4={type: sigmoid}"])
        }
        #expect(error?.key == "model.layers.4.type")
        #expect(error?.message.contains("loss binary_cross_entropy takes logits and applies the sigmoid itself") == true)
        // a sigmoid output is fine for a regression loss
        let config = try TrainingConfig.load(path: defaultConfigPath, overrides: ["loss=mse", "model.layers.4={type: sigmoid}"])
        #expect(config.layers.last == .sigmoid)
    }

    @Test func badOverrideSyntaxAndIndexAreExplained() throws {
        #expect(throws: ConfigError.self) { try TrainingConfig.load(path: defaultConfigPath, overrides: ["no-equals-sign"]) }
        let error = #expect(throws: ConfigError.self) {
            try TrainingConfig.load(path: defaultConfigPath, overrides: ["model.layers.9.units=3"])
        }
        #expect(error?.description.contains("it has 5 items") == true)
    }

    @Test func aSectionThatOnlyAnOverrideCreatesIsBlamedOnTheOverride() throws {
        for override in ["schedul.type=cosine", "optimiser.lr=0.1"] {
            let error = #expect(throws: ConfigError.self) {
                try TrainingConfig.load(path: defaultConfigPath, overrides: ["training.max_steps=2", override])
            }
            #expect(error?.source == "--set \(override)", "\(String(describing: error))")
            #expect(error?.message.contains("is not a known key") == true)
        }
        // the same misspelt section in the file itself is the file's
        let file = try temporaryConfig("name: x\nschedul:\n  type: cosine\nmodel:\n  layers: [{type: dense, units: 2}]\n")
        let error = #expect(throws: ConfigError.self) {
            try TrainingConfig.load(path: file, overrides: ["schedul.type=step"])
        }
        #expect(error?.key == "schedul" && error?.source == file, "\(String(describing: error))")
    }

    @Test func aConfigThatIsNotAMappingIsNamedBeforeAnyOverride() throws {
        for text in ["- a\n", "just text\n"] {
            let file = try temporaryConfig(text)
            let error = #expect(throws: ConfigError.self) {
                try TrainingConfig.load(path: file, overrides: ["training.max_steps=2"])
            }
            #expect(error?.source == file && error?.key == "(top level)", "\(String(describing: error))")
            #expect(error?.message == "must be a mapping of keys")
        }
    }

    @Test func yamlAnchorsAndAliasesAreExpanded() throws {
        let file = try temporaryConfig("""
            training:
              batch_size: &size 8
              log_every: *size
            model:
              layers:
                - &hidden {type: dense, units: 16}
                - {type: relu}
                - *hidden
            """)
        let config = try TrainingConfig.load(path: file)
        #expect(config.batchSize == 8 && config.logEvery == 8)
        #expect(config.layers.count == 3 && config.layers[0] == config.layers[2])
        #expect(try TrainingConfig(tree: ConfigTree.parse(yaml: config.yaml, source: "resolved"), source: "resolved") == config)
    }

    private func temporaryConfig(_ text: String) throws -> String {
        let path = NSTemporaryDirectory() + "swiftddp-config-\(UUID().uuidString).yaml"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func missingFileIsNamed() throws {
        let error = #expect(throws: ConfigError.self) { try TrainingConfig.load(path: "/nonexistent/x.yaml") }
        #expect(error?.description.contains("/nonexistent/x.yaml") == true)
        let directory = NSTemporaryDirectory() + "swiftddp-config-dir-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let isDirectory = #expect(throws: ConfigError.self) { try TrainingConfig.load(path: directory) }
        #expect(isDirectory?.description.hasPrefix("\(directory) is a directory") == true, "\(String(describing: isDirectory))")
    }
}

struct ScheduleConfigTests {
    private let path = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("launch/configs/fashion-mnist-mlp.yaml").path

    @Test func cosineWithWarmupBuildsTheSchedule() throws {
        let config = try TrainingConfig.load(path: path, overrides: ["schedule.type=cosine", "schedule.warmup_steps=10",
                                                                     "schedule.final_fraction=0.1"])
        let schedule = config.learningRateSchedule(totalSteps: 110)
        #expect(schedule.warmupSteps == 10 && schedule.decay == .cosine(totalSteps: 110, finalFraction: 0.1))
        #expect(schedule(9) == config.learningRate)
        let again = try TrainingConfig(tree: ConfigTree.parse(yaml: config.yaml, source: "resolved"), source: "resolved")
        #expect(again == config)
    }

    @Test func keysOfAnotherScheduleTypeAreRejected() throws {
        let error = #expect(throws: ConfigError.self) {
            try TrainingConfig.load(path: path, overrides: ["schedule.gamma=0.5"])   // constant has no gamma
        }
        #expect(error?.key == "schedule.gamma")
        #expect(throws: ConfigError.self) {
            try TrainingConfig.load(path: path, overrides: ["schedule.type=step", "schedule.gamma=0"])
        }
    }
}

struct LayerConfigTests {
    @Test func everyActivationParsesBuildsAndRoundTrips() throws {
        let yaml = """
            model:
              layers:
                - {type: dense, units: 4}
                - {type: dense, units: 4, init: normal, init_std: 0.1}
                - {type: dense, units: 4, init: constant, init_value: 0.5}
                - {type: dense, units: 4, init: uniform}
                - {type: leaky_relu, slope: 0.2}
                - {type: sigmoid}
                - {type: tanh}
                - {type: gelu}
                - {type: identity}
                - {type: relu}
                - {type: dropout, rate: 0.25}
            loss: {type: softmax_cross_entropy, label_smoothing: 0.1}
            optimizer: {clip_norm: 2, clip_value: 0.5}
            regularization: {l1: 0.001}
            early_stopping: {monitor: val_accuracy, patience: 3, restore_best_weights: true}
            """
        let config = try TrainingConfig(tree: ConfigTree.parse(yaml: yaml, source: "t"), source: "t")
        #expect(config.layers == [.dense(units: 4, initializer: .heNormal, bias: true),
                                  .dense(units: 4, initializer: .normal(standardDeviation: 0.1), bias: true),
                                  .dense(units: 4, initializer: .constant(0.5), bias: true),
                                  .dense(units: 4, initializer: .uniform(limit: 0.05), bias: true), .leakyReLU(slope: 0.2),
                                  .sigmoid, .tanh, .gelu, .identity, .relu, .dropout(rate: 0.25)])
        #expect(config.layers.map { $0.makeLayer().summary } == ["Dense(0 → 4)", "Dense(0 → 4)", "Dense(0 → 4)", "Dense(0 → 4)", "LeakyReLU(0.2)", "Sigmoid", "Tanh", "GELU", "Identity", "ReLU", "Dropout(0.25)"])
        #expect(config.clipNorm == 2 && config.clipValue == 0.5 && config.l1 == 0.001 && config.labelSmoothing == 0.1)
        #expect(config.earlyStopping?.maximizes == true && config.earlyStopping?.patience == 3)
        #expect(try TrainingConfig(tree: ConfigTree.parse(yaml: config.yaml, source: "r"), source: "r") == config)
    }
}

extension LayerConfigTests {
    @Test func recurrentLayersParseWithDefaultsBuildAndRoundTrip() throws {
        let yaml = """
            model:
              layers:
                - {type: reshape, shape: [28, 28]}
                - {type: lstm, units: 16, return_sequences: true}
                - {type: gru, units: 8, return_sequences: true, init: he_uniform, recurrent_init: normal, recurrent_init_std: 0.2}
                - {type: simple_rnn, units: 4, return_sequences: true, bias: false}
                - {type: lstm, units: 3, unit_forget_bias: false}
            """
        let config = try TrainingConfig(tree: ConfigTree.parse(yaml: yaml, source: "t"), source: "t")
        var lstm = RecurrentLayerConfig(kind: .lstm, units: 16)
        lstm.returnSequences = true
        var gru = RecurrentLayerConfig(kind: .gru, units: 8)
        (gru.returnSequences, gru.initializer, gru.recurrentInitializer) = (true, .heUniform, .normal(standardDeviation: 0.2))
        var rnn = RecurrentLayerConfig(kind: .simpleRNN, units: 4)
        (rnn.bias, rnn.returnSequences) = (false, true)
        var last = RecurrentLayerConfig(kind: .lstm, units: 3)
        last.unitForgetBias = false
        #expect(config.layers == [.reshape(shape: [28, 28]), .recurrent(lstm), .recurrent(gru), .recurrent(rnn), .recurrent(last)])
        #expect(lstm.initializer == .xavierUniform && lstm.recurrentInitializer == .orthogonal && !RecurrentLayerConfig(kind: .gru, units: 1).returnSequences)
        #expect(try TrainingConfig(tree: ConfigTree.parse(yaml: config.yaml, source: "r"), source: "r") == config)

        let model = try Sequential(config.layers.map { $0.makeLayer() }, inputShape: [1, 28, 28])
        #expect(model.outputShape == [3])
        #expect(model.layers.map(\.summary) == ["Reshape([1, 28, 28] → [28, 28])", "LSTM((28, 28) → (28, 16))", "GRU((28, 16) → (28, 8))",
                                                "SimpleRNN((28, 8) → (28, 4))", "LSTM((28, 4) → 3)"])
        #expect(model.store.parameters.map(\.name).filter { $0.hasPrefix("layers.3.") } == ["layers.3.weight_ih", "layers.3.weight_hh"])
    }

    @Test func theLSTMExampleConfigReadsImagesAsRowSequences() throws {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("launch/configs/fashion-mnist-lstm.yaml").path
        let config = try TrainingConfig.load(path: path)
        #expect(config.layers == [.reshape(shape: [28, 28]), .recurrent(RecurrentLayerConfig(kind: .lstm, units: 128)),
                                  .dense(units: 10, initializer: .xavierUniform, bias: true)])
        #expect(config.optimizer == "adam" && config.learningRate == 0.001 && config.batchSize == 64)
        let model = try Sequential(config.layers.map { $0.makeLayer() }, inputShape: [1, 28, 28])
        #expect(model.parameterCount == 4 * 128 * (28 + 128 + 1) + 10 * 129)
    }
}

struct OptimizerConfigTests {
    private let path = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("launch/configs/fashion-mnist-mlp.yaml").path

    @Test(arguments: [("adam", "Adam"), ("adamw", "Adam"), ("rmsprop", "RMSprop"), ("adagrad", "AdaGrad"), ("sgd", "SGD")])
    func everyOptimizerIsSelectable(type: String, className: String) throws {
        // the default config sets momentum, which only sgd and rmsprop take: drop it for the others
        var overrides = ["optimizer.type=\(type)", "optimizer.learning_rate=0.001"]
        if type != "sgd" && type != "rmsprop" { overrides.append("optimizer.momentum=") }
        let tree = try ConfigTree.parse(yaml: try String(contentsOfFile: path, encoding: .utf8), source: path)
        let pruned = try removingMomentum(tree, keep: type == "sgd" || type == "rmsprop").applying(overrides: overrides.filter { !$0.hasSuffix("=") })
        let config = try TrainingConfig(tree: pruned, source: path)
        let optimizer = config.makeOptimizer(parameterCount: 3)
        #expect(String(describing: Swift.type(of: optimizer)) == className)
        #expect(try TrainingConfig(tree: ConfigTree.parse(yaml: config.yaml, source: "r"), source: "r") == config)
    }

    @Test func aKeyOfAnotherOptimizerIsRejected() throws {
        let error = #expect(throws: ConfigError.self) {
            try TrainingConfig.load(path: path, overrides: ["optimizer.type=adam"])   // the file sets momentum
        }
        #expect(error?.key == "optimizer.momentum")
    }

    private func removingMomentum(_ tree: ConfigTree, keep: Bool) throws -> ConfigTree {
        guard !keep, case .map(var pairs) = tree, let index = pairs.firstIndex(where: { $0.key == "optimizer" }),
              case .map(let optimizer) = pairs[index].value else { return tree }
        pairs[index].value = .map(optimizer.filter { $0.key != "momentum" })
        return .map(pairs)
    }
}
