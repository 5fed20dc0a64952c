// `swiftddp evaluate`: one or several checkpoints on one dataset file; several checkpoints are
// also evaluated as an ensemble (the mean of their probabilities).
import ArgumentParser
import Data
import Foundation
import Metrics
import Training

struct EvaluateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate",
        abstract: "Evaluate checkpoints on a dataset file: accuracy, F1, AUC, per-class table, confusion matrix.",
        discussion: """
            Builds each model from the config stored in its checkpoint, loads its
            parameters, and evaluates it on every sample of --data. With several
            --checkpoint flags, the mean of their predicted probabilities is evaluated
            too (an ensemble), next to each member; the per-class table and the confusion
            matrix are then the ensemble's.
              swiftddp evaluate --checkpoint RUN/checkpoints/best.h5 --data test.h5
              swiftddp evaluate --checkpoint A/best.h5 --checkpoint B/best.h5 \\
                  --data test.h5 --format json --predictions ensemble.csv
            """)

    @Option(name: .customLong("checkpoint"), help: ArgumentHelp("A checkpoint (repeatable: several make an ensemble).", valueName: "ckpt.h5"))
    var checkpoints: [String] = []

    @Option(help: ArgumentHelp("The dataset file to evaluate on (a shard, e.g. val.h5 or test.h5).", valueName: "file.h5"))
    var data: String

    @Option(help: "Output: table or json.")
    var format: Format = .table

    @Option(help: ArgumentHelp("Write each sample's label, predicted class and probabilities (of the ensemble, with several checkpoints): HDF5 if the name ends in .h5 or .hdf5, else CSV. Regression checkpoints: each sample's targets and predicted values.", valueName: "file"))
    var predictions: String?

    @Option(help: "Samples per forward pass (default: the first checkpoint's training.eval_batch_size).")
    var batchSize: Int?

    enum Format: String, ExpressibleByArgument, CaseIterable { case table, json }

    func validate() throws {
        if checkpoints.isEmpty { throw ValidationError("give at least one --checkpoint") }
        if let batchSize, batchSize < 1 { throw ValidationError("--batch-size must be ≥ 1, got \(batchSize)") }
    }

    func run() throws {
        do {
            let models = try checkpoints.map { try CheckpointModel.read(path: $0) }
            if let binary = models.first(where: { $0.task == .binary }) {
                throw EvaluationError.unsupportedLoss(checkpoint: binary.path, loss: binary.config.loss)
            }
            if let other = models.first(where: { $0.task != models[0].task }) {
                throw EvaluationError.mixedTasks(first: models[0].path, firstLoss: models[0].config.loss, other: other.path, otherLoss: other.config.loss)
            }
            // the first checkpoint's config names the datasets in the file
            let shard = try DatasetShard.load(path: data, featuresKey: models[0].config.featuresKey, labelsKey: models[0].config.labelsKey)
            if models[0].task == .regression { return try runRegression(models, on: shard) }
            var members: [ClassificationPredictions] = []
            for model in models { members.append(try model.predict(shard, batchSize: batchSize)) }
            let ensemble = members.count > 1 ? ClassificationPredictions.mean(members) : nil
            let names = uniqueLabels(checkpoints) { ($0 as NSString).lastPathComponent }
            let report = EvaluationReport(
                dataPath: data, classNames: shard.classNames,
                members: zip(models, members).enumerated().map { index, pair in
                    EvaluationReport.Member(name: names[index], path: pair.0.path, step: pair.0.step, report: ClassificationReport(pair.1))
                },
                ensemble: ensemble.map { ClassificationReport($0) })
            if let predictions {
                try PredictionsFile.write(ensemble ?? members[0], to: predictions, classNames: shard.classNames, dataPath: data, checkpoints: checkpoints)
            }
            switch format {
            case .table:
                print(report.table(), terminator: "")
                if let predictions { print("predictions: \(predictions)") }
            case .json:
                print(report.json().rendered())
            }
        } catch {
            throw fail(error)
        }
    }
}

/// A short label per path (`name(path)`), or the path itself where two short labels would be
/// the same (e.g. `best.h5` of two runs).
func uniqueLabels(_ paths: [String], name: (String) -> String) -> [String] {
    let names = paths.map { name($0).isEmpty ? $0 : name($0) }
    return paths.indices.map { index in names.filter { $0 == names[index] }.count > 1 ? paths[index] : names[index] }
}
