// `swiftddp evaluate` for regression checkpoints (MSE, MAE, Huber losses): MAE, MSE, RMSE and R²
// of every member and, with several checkpoints, of their ensemble (the mean of the predicted
// values), as a table or JSON; `--predictions` writes targets and predictions as CSV or HDF5.
import ArgumentParser
import Data
import Foundation
import Metrics
import Training

extension EvaluateCommand {
    func runRegression(_ models: [CheckpointModel], on shard: DatasetShard) throws {
        // predictValues refuses a file of class labels (EvaluationError.task, naming both files)
        let members = try models.map { try $0.predictValues(shard, batchSize: batchSize) }
        guard let targets = shard.targets else { preconditionFailure("predictValues evaluated \(data), which holds no float targets") }
        let k = targets.rowLength
        var ensemble: [Float]?
        if members.count > 1 {
            var mean = [Float](repeating: 0, count: targets.count)
            for member in members { for i in mean.indices { mean[i] += member[i] } }
            let scale = 1 / Float(members.count)
            ensemble = mean.map { $0 * scale }
        }
        func tally(_ values: [Float]) -> RegressionTally {
            var tally = RegressionTally(targets: k)
            values.withUnsafeBufferPointer { tally.add(meanLoss: .nan, predictions: $0.baseAddress!, targets: targets.pointer, rows: shard.count) }
            return tally
        }
        let names = uniqueLabels(checkpoints) { ($0 as NSString).lastPathComponent }
        var rows: [(name: String, path: String, step: Int?, tally: RegressionTally)] = zip(models, members).enumerated().map {
            (names[$0.offset], $0.element.0.path, $0.element.0.step, tally($0.element.1))
        }
        if let ensemble { rows.append(("ensemble", "", nil, tally(ensemble))) }

        if let predictions {
            try PredictionsFile.writeRegression(predicted: ensemble ?? members[0], targets: targets.toArray(), targetCount: k,
                                                to: predictions, dataPath: data, checkpoints: checkpoints)
        }
        switch format {
        case .table:
            print("\(data): \(shard.count) samples, \(k) regression target(s)")
            var table = TextTable(header: ["model", "step", "mae", "mse", "rmse", "r2"])
            for row in rows {
                table.add([row.name, row.step.map(String.init) ?? "", format6(row.tally.meanAbsoluteError), format6(row.tally.meanSquaredError),
                           format6(row.tally.rootMeanSquaredError), format6(row.tally.r2)])
            }
            for line in table.render() { print(line) }
            if let predictions { print("predictions: \(predictions)") }
        case .json:
            func entry(_ row: (name: String, path: String, step: Int?, tally: RegressionTally)) -> JSONValue {
                var fields: [(key: String, value: JSONValue)] = [("name", .string(row.name))]
                if !row.path.isEmpty { fields.append(("path", .string(row.path))) }
                if let step = row.step { fields.append(("step", .integer(step))) }
                fields += [("mae", .number(row.tally.meanAbsoluteError)), ("mse", .number(row.tally.meanSquaredError)),
                           ("rmse", .number(row.tally.rootMeanSquaredError)), ("r2", .number(row.tally.r2))]
                return .object(fields)
            }
            var report: [(key: String, value: JSONValue)] = [("data", .string(data)), ("task", .string("regression")),
                                                             ("samples", .integer(shard.count)), ("targets", .integer(k)),
                                                             ("members", .array(rows.filter { !$0.path.isEmpty }.map(entry)))]
            if let last = rows.last, last.path.isEmpty { report.append(("ensemble", entry(last))) }
            print(JSONValue.object(report).rendered())
        }
    }
}

private func format6(_ value: Double) -> String {
    value.isFinite ? String(format: "%.6g", value) : "\(value)"
}
