import Foundation
import Testing
@testable import Training

struct TrainingConfigTests {
    private let defaultConfigPath = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("launch/configs/fashion-mnist-mlp.yaml").path

    @Test func readsTheDefaultConfig() throws {
        let config = try TrainingConfig.load(path: defaultConfigPath)
        #expect(config.layers == [.dense(units: 512, initializer: "xavier_uniform", bias: true), .relu,
                                  .dense(units: 256, initializer: "xavier_uniform", bias: true), .relu,
                                  .dense(units: 10, initializer: "xavier_uniform", bias: true)])
        #expect(config.learningRate == 0.05 && config.momentum == 0.9)
        #expect(config.batchSize == 128 && config.epochs == 5)
        #expect(config.dataDirectory == "datasets/fashion-mnist")
    }

    @Test func overridesReplaceValuesByDottedPath() throws {
        let config = try TrainingConfig.load(path: defaultConfigPath,
                                             overrides: ["optimizer.learning_rate=0.1", "model.layers.0.units=64", "training.max_steps=7"])
        #expect(config.learningRate == 0.1)
        #expect(config.layers[0] == .dense(units: 64, initializer: "xavier_uniform", bias: true))
        #expect(config.maxSteps == 7)
    }

    @Test func resolvedYAMLLoadsBackEqual() throws {
        let config = try TrainingConfig.load(path: defaultConfigPath, overrides: ["training.max_steps=3", "name=it's"])
        let again = try TrainingConfig(tree: ConfigTree.parse(yaml: config.yaml, source: "resolved"), source: "resolved")
        #expect(again == config)
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
        ("loss=hinge", "loss", "must be softmax_cross_entropy"),
    ])
    func badValuesAreRejectedNamingTheKey(override: String, key: String, message: String) throws {
        let error = #expect(throws: ConfigError.self) {
            try TrainingConfig.load(path: defaultConfigPath, overrides: [override])
        }
        #expect(error?.key == key, "\(String(describing: error))")
        #expect(error?.message.contains(message) == true, "\(String(describing: error))")
    }

    @Test func badOverrideSyntaxAndIndexAreExplained() throws {
        #expect(throws: ConfigError.self) { try TrainingConfig.load(path: defaultConfigPath, overrides: ["no-equals-sign"]) }
        let error = #expect(throws: ConfigError.self) {
            try TrainingConfig.load(path: defaultConfigPath, overrides: ["model.layers.9.units=3"])
        }
        #expect(error?.description.contains("it has 5 items") == true)
    }

    @Test func missingFileIsNamed() throws {
        let error = #expect(throws: ConfigError.self) { try TrainingConfig.load(path: "/nonexistent/x.yaml") }
        #expect(error?.description.contains("/nonexistent/x.yaml") == true)
    }
}
