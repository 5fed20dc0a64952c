import Comm
import NN
import Testing
import TestSupport
@testable import Training

struct BatchNormConfigTests {
    private func layers(_ yaml: String) throws -> [LayerConfig] {
        try TrainingConfig(tree: ConfigTree.parse(yaml: "model:\n  layers:\n" + yaml, source: "t"), source: "t").layers
    }

    @Test func batchNormParsesWithPyTorchDefaultsAndRoundTrips() throws {
        let config = try TrainingConfig(tree: ConfigTree.parse(yaml: """
            model:
              layers:
                - {type: conv2d, filters: 2, kernel_size: 3}
                - {type: batch_norm}
                - {type: flatten}
                - {type: batch_norm, momentum: 0.01, eps: 0.001}
                - {type: dense, units: 3}
            """, source: "t"), source: "t")
        #expect(config.layers[1] == .batchNorm(momentum: 0.1, epsilon: 1e-5))
        #expect(config.layers[3] == .batchNorm(momentum: 0.01, epsilon: 0.001))
        #expect(try TrainingConfig(tree: ConfigTree.parse(yaml: config.yaml, source: "r"), source: "r") == config)
        let model = try Sequential(config.layers.map { $0.makeLayer() }, inputShape: [1, 5, 5])
        #expect(model.buffers.buffers.map(\.name) == ["layers.1.running_mean", "layers.1.running_var",
                                                      "layers.3.running_mean", "layers.3.running_var"])
        #expect(model.buffers.buffers.map(\.count) == [2, 2, 18, 18])
        let layer = try #require(model.layers[3] as? BatchNorm)
        #expect(layer.momentum == 0.01 && layer.epsilon == 0.001)
    }

    @Test func badBatchNormKeysAreNamed() throws {
        for (yaml, message) in [("    - {type: batch_norm, momentum: 1.5}", "model.layers.0.momentum"),
                                ("    - {type: batch_norm, eps: 0}", "model.layers.0.eps"),
                                ("    - {type: batch_norm, epsilon: 0.1}", "model.layers.0.epsilon")] {
            let error = #expect(throws: ConfigError.self) { try layers(yaml) }
            #expect(error?.description.contains(message) == true, "\(String(describing: error))")
        }
    }

    @Test func aBatchOfOneRowIsRefusedBeforeTraining() throws {
        let directory = try TemporaryDirectory("bn-batch-1")
        try TinyDatasets.writeBlobDirectory(directory.file("data"), shardSizes: [20])
        let yaml = TinyDatasets.blobConfig(dataDirectory: directory.file("data"), batchSize: 1)
            .replacingOccurrences(of: "    - {type: relu}\n", with: "    - {type: batch_norm}\n    - {type: relu}\n")
        let config = try TrainingConfig(tree: ConfigTree.parse(yaml: yaml, source: "t"), source: "t")
        let trainer = Trainer(config: config, options: RunOptions(runDirectory: directory.file("run")),
                              communicator: SingleProcessCommunicator(), console: Console(rank: 0, quiet: true))
        let error = #expect(throws: TrainingError.self) { try trainer.run() }
        #expect("\(String(describing: error))".contains("model.layers.1 (batch_norm) needs at least 2 values per channel"))
    }
}
