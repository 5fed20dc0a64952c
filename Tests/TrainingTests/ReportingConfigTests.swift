import Comm
import Foundation
import Metrics
import Testing
import TestSupport
@testable import Training

struct ReportingConfigTests {
    private func config(_ yaml: String) throws -> TrainingConfig {
        try TrainingConfig(tree: ConfigTree.parse(yaml: "model: {layers: [{type: dense, units: 3}]}\n" + yaml, source: "test"), source: "test")
    }

    @Test func readsTheSectionsAndWritesThemBack() throws {
        let defaults = try config("")
        #expect(defaults.reporting == ReportingConfig())
        #expect(defaults.reporting.metrics == ["accuracy", "f1_macro", "auc"] && !defaults.reporting.tensorboard)
        let set = try config("evaluation: {metrics: [f1_weighted, auc, log_loss]}\nlogging: {tensorboard: true, csv: yes, progress: lines}")
        #expect(set.reporting.metrics == ["f1_weighted", "auc", "log_loss"])
        #expect(set.reporting.tensorboard && set.reporting.csv && set.reporting.progress == "lines")
        #expect(try TrainingConfig(tree: ConfigTree.parse(yaml: set.yaml, source: "r"), source: "r") == set)
        #expect(set.csvColumns.prefix(8) == ["time", "step", "epoch", "split", "loss", "accuracy", "f1_weighted", "auc"])
    }

    @Test(arguments: [
        ("evaluation: {metrics: [accuracy, top5]}", "evaluation.metrics", "must list names from"),
        ("evaluation: {metrics: [auc, auc]}", "evaluation.metrics", "twice"),
        ("evaluation: {metric: [auc]}", "evaluation.metric", "did you mean 'evaluation.metrics'"),
        ("logging: {tensorboard: maybe}", "logging.tensorboard", "true or false"),
        ("logging: {progress: fancy}", "logging.progress", "auto, bar, lines"),
    ])
    func badValuesAreNamed(yaml: String, key: String, message: String) throws {
        let error = #expect(throws: ConfigError.self) { try config(yaml) }
        #expect(error?.key == key && error?.description.contains(message) == true, "\(String(describing: error))")
    }

    @Test func valAndTestRecordsCarryTheConfiguredMetrics() throws {
        let directory = try TemporaryDirectory("reporting")
        try TinyDatasets.writeBlobDirectory(directory.file("data"), shardSizes: [64])
        try TinyDatasets.blobConfig(dataDirectory: directory.file("data"), epochs: 1,
                                    extra: "evaluation: {metrics: [precision_macro, recall_weighted, log_loss]}")
            .write(toFile: directory.file("config.yaml"), atomically: true, encoding: .utf8)
        var options = RunOptions(runDirectory: directory.file("run"))
        options.overwrite = true
        _ = try Trainer(config: try TrainingConfig.load(path: directory.file("config.yaml")), options: options,
                        communicator: SingleProcessCommunicator(), console: Console(rank: 0, quiet: true)).run()
        let history = try MetricsHistory.read(path: directory.file("run/metrics.jsonl"))
        for split in ["val", "test"] {
            let record = try #require(history.records.last { $0.split == split })
            #expect(record.fields.map(\.key) == ["time", "step", "epoch", "split", "loss", "accuracy", "precision_macro",
                                                 "recall_weighted", "log_loss", "samples"])
            // log loss from the probabilities is the cross-entropy the loss measured
            #expect(abs((record.number("log_loss") ?? 0) - (record.number("loss") ?? 1)) < 1e-5)
            // weighted recall is accuracy
            #expect(abs((record.number("recall_weighted") ?? 0) - (record.number("accuracy") ?? 1)) < 1e-12)
        }
        #expect(history.records.first { $0.split == "train" }?.number("world_size") == 1)
    }

    /// metrics.csv of a regression run has a column for every field of its records (`mae`,
    /// `mse`, `rmse`, `r2`), and none for classification metrics that its records never carry.
    @Test func regressionMetricsCSVHasTheRegressionColumns() throws {
        let directory = try TemporaryDirectory("reporting-regression")
        try TinyDatasets.writeLinearDirectory(directory.file("data"), shardSizes: [64])
        try TinyDatasets.regressionConfig(dataDirectory: directory.file("data"), epochs: 1, extra: "logging: {csv: true}")
            .write(toFile: directory.file("config.yaml"), atomically: true, encoding: .utf8)
        let config = try TrainingConfig.load(path: directory.file("config.yaml"))
        #expect(config.csvColumns.prefix(9) == ["time", "step", "epoch", "split", "loss", "mae", "mse", "rmse", "r2"])
        var options = RunOptions(runDirectory: directory.file("run"))
        options.overwrite = true
        _ = try Trainer(config: config, options: options, communicator: SingleProcessCommunicator(), console: Console(rank: 0, quiet: true)).run()
        let history = try MetricsHistory.read(path: directory.file("run/metrics.jsonl"))
        let lines = try String(contentsOfFile: directory.file("run/metrics.csv"), encoding: .utf8).split(separator: "\n")
        let header = lines[0].split(separator: ",").map(String.init)
        #expect(lines.count == history.records.count + 1)
        for (record, line) in zip(history.records, lines.dropFirst()) {
            let cells = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            for (key, value) in record.fields where key != "split" {
                let column = try #require(header.firstIndex(of: key), "metrics.csv has no column \(key): \(header)")
                #expect(Double(cells[column]) == value.doubleValue, "\(key) of a \(record.split ?? "") record: \(cells[column]) ≠ \(value)")
            }
        }
        #expect(!header.contains("accuracy") && !header.contains("f1_macro") && !header.contains("auc"), "\(header)")
    }

    @Test func progressBarPiecesFitTheirWidth() {
        #expect(ProgressBar.bar(0, width: 4) == "    ")
        #expect(ProgressBar.bar(0.5, width: 4) == "██  ")
        #expect(ProgressBar.bar(0.5625, width: 4) == "██▎ ")
        #expect(ProgressBar.bar(1, width: 4) == "████")
        #expect(ProgressBar.clock(65) == "1:05" && ProgressBar.clock(3725) == "1:02:05" && ProgressBar.clock(-3) == "0:00")
    }
}
