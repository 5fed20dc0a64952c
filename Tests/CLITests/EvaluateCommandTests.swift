// `swiftddp evaluate` against scikit-learn on the exported predictions: accuracy, precision,
// recall and F1 (macro, weighted, per class), AUC (one-vs-rest macro), log loss and the
// confusion matrix; and the ensemble of two checkpoints.
import Data
import Foundation
import Testing
import TestSupport

@Suite(.serialized)
struct EvaluateCommandTests {
    /// A 10-class blob run stopped after 6 steps (so its predictions are far from perfect), with
    /// checkpoints at steps 3 and 6.
    private func trainedRun() throws -> TemporaryDirectory {
        let directory = try TemporaryDirectory("evaluate")
        try TinyDatasets.writeBlobDirectory(directory.file("data"), shardSizes: [256], evalCount: 400, classes: 10)
        try TinyDatasets.blobConfig(dataDirectory: directory.file("data"), classes: 10, epochs: 1, batchSize: 16,
                                    extra: "checkpoint: {every_steps: 3, keep_last: 5}")
            .write(toFile: directory.file("config.yaml"), atomically: true, encoding: .utf8)
        let result = try swiftddp("train", "--config", directory.file("config.yaml"), "--run-dir", directory.file("run"),
                                  "--max-steps", "6", "--set", "optimizer.learning_rate=0.02")
        #expect(result.status == 0, "\(result.error)")
        return directory
    }

    private func checkpoint(_ directory: TemporaryDirectory, step: Int) -> String {
        directory.file("run/checkpoints/ckpt-" + String(repeating: "0", count: 8 - String(step).count) + "\(step).h5")
    }


    @Test func numbersEqualScikitLearnsOnTheExportedPredictions() throws {
        let directory = try trainedRun()
        let json = directory.file("report.json"), predictions = directory.file("predictions.csv")
        let result = try swiftddp("evaluate", "--checkpoint", checkpoint(directory, step: 6), "--data", directory.file("data/test.h5"),
                                  "--format", "json", "--predictions", predictions)
        #expect(result.status == 0, "\(result.error)")
        try result.output.write(toFile: json, atomically: true, encoding: .utf8)
        let check = try python(scikitLearnEvaluationCheck, [json, predictions, "member"])
        #expect(check.status == 0 && check.output.hasPrefix("ok 400"), "\(check.output)\(check.error)")

        let table = try swiftddp("evaluate", "--checkpoint", checkpoint(directory, step: 6), "--data", directory.file("data/test.h5"))
        #expect(table.status == 0, "\(table.error)")
        for text in ["ckpt-00000006.h5", "accuracy", "f1_macro", "auc", "per class:", "macro avg", "weighted avg", "confusion matrix"] {
            #expect(table.output.contains(text), "evaluate output lacks \"\(text)\":\n\(table.output)")
        }
        let matrixRows = table.output.split(separator: "\n").filter { $0.range(of: #"^[0-9] class[0-9]( +[0-9]+){10}$"#, options: .regularExpression) != nil }
        #expect(matrixRows.count == 10, "\(table.output)")
    }

    @Test func ensembleAveragesTheMembersProbabilitiesAndIsReportedBesideThem() throws {
        let directory = try trainedRun()
        let data = directory.file("data/test.h5")
        for step in [3, 6] {
            let single = try swiftddp("evaluate", "--checkpoint", checkpoint(directory, step: step), "--data", data,
                                      "--predictions", directory.file("p\(step).csv"))
            #expect(single.status == 0, "\(single.error)")
        }
        let both = ["evaluate", "--checkpoint", checkpoint(directory, step: 3), "--checkpoint", checkpoint(directory, step: 6), "--data", data]
        let json = try runCommand(builtProduct("swiftddp"), both + ["--format", "json", "--predictions", directory.file("ensemble.csv")])
        #expect(json.status == 0, "\(json.error)")
        try json.output.write(toFile: directory.file("ensemble.json"), atomically: true, encoding: .utf8)
        let check = try python(scikitLearnEvaluationCheck, [directory.file("ensemble.json"), directory.file("ensemble.csv"), "ensemble"])
        #expect(check.status == 0, "\(check.output)\(check.error)")
        let mean = try python(#"""
            import json, sys
            import pandas as pd
            a, b, e = (pd.read_csv(path) for path in sys.argv[1:4])
            columns = [c for c in e.columns if c.startswith("prob_")]
            worst = float(((a[columns] + b[columns]) / 2 - e[columns]).abs().to_numpy().max())
            assert worst < 1e-6, worst
            report = json.load(open(sys.argv[4]))
            assert len(report["members"]) == 2 and report["ensemble"]["members"] == 2
            assert [m["step"] for m in report["members"]] == [3, 6]
            print("ok", worst)
            """#, [directory.file("p3.csv"), directory.file("p6.csv"), directory.file("ensemble.csv"), directory.file("ensemble.json")])
        #expect(mean.status == 0, "\(mean.output)\(mean.error)")

        // the HDF5 form holds the same numbers
        let h5 = try runCommand(builtProduct("swiftddp"), both + ["--predictions", directory.file("ensemble.h5")])
        #expect(h5.status == 0 && h5.output.contains("ensemble (2 models)"), "\(h5.output)\(h5.error)")
        let file = try HDF5File.open(path: directory.file("ensemble.h5"))
        defer { try? file.close() }
        let (probabilities, shape) = try file.readFloats("/probabilities")
        #expect(shape == [400, 10])
        let csvRows = try String(contentsOfFile: directory.file("ensemble.csv"), encoding: .utf8).split(separator: "\n").dropFirst()
        let fromCSV = csvRows.flatMap { $0.split(separator: ",").dropFirst(3).compactMap { Float(String($0)) } }
        #expect(fromCSV == probabilities)
        #expect(try file.readStringArrayAttribute("class_names").count == 10)
        #expect(try file.readInt32s("/labels").values.count == 400)
    }

    /// Regression predictions: a `.h5` name gives HDF5 (`/targets`, `/predicted`, N × K), not CSV
    /// under an HDF5 name; it holds the CSV's numbers, the ensemble's values are the mean of the
    /// members' and give the MAE that evaluate printed.
    @Test func regressionPredictionsAreHDF5ForAnH5NameAndHoldTheEnsembleMean() throws {
        let directory = try TemporaryDirectory("evaluate-regression")
        try TinyDatasets.writeLinearDirectory(directory.file("data"), shardSizes: [64], evalCount: 30, targets: 2)
        try TinyDatasets.regressionConfig(dataDirectory: directory.file("data"), targets: 2, epochs: 1,
                                          extra: "checkpoint: {every_steps: 2, keep_last: 5}")
            .write(toFile: directory.file("config.yaml"), atomically: true, encoding: .utf8)
        let train = try swiftddp("train", "--config", directory.file("config.yaml"), "--run-dir", directory.file("run"))
        #expect(train.status == 0, "\(train.error)")
        let (first, second) = (directory.file("run/checkpoints/ckpt-00000002.h5"), directory.file("run/checkpoints/ckpt-00000004.h5"))
        let data = directory.file("data/test.h5")
        /// The predicted values of a CSV predictions file, row-major.
        func predicted(_ csv: String) throws -> [Float] {
            try String(contentsOfFile: csv, encoding: .utf8).split(separator: "\n").dropFirst()
                .flatMap { $0.split(separator: ",").suffix(2).compactMap { Float(String($0)) } }
        }
        for (checkpoint, name) in [(first, "a.csv"), (second, "b.csv")] {
            let single = try swiftddp("evaluate", "--checkpoint", checkpoint, "--data", data, "--predictions", directory.file(name))
            #expect(single.status == 0, "\(single.error)")
        }
        let both = ["evaluate", "--checkpoint", first, "--checkpoint", second, "--data", data]
        let csv = try runCommand(builtProduct("swiftddp"), both + ["--predictions", directory.file("ensemble.csv")])
        #expect(csv.status == 0, "\(csv.error)")
        let json = try runCommand(builtProduct("swiftddp"), both + ["--format", "json", "--predictions", directory.file("ensemble.h5")])
        #expect(json.status == 0, "\(json.error)")

        let file = try HDF5File.open(path: directory.file("ensemble.h5"))
        defer { try? file.close() }
        #expect(try file.readStringAttribute("format") == "swiftddp-predictions" && file.readStringAttribute("task") == "regression")
        let (values, shape) = try file.readFloats("/predicted")
        let (targets, targetShape) = try file.readFloats("/targets")
        #expect(shape == [30, 2] && targetShape == [30, 2])
        #expect(values == (try predicted(directory.file("ensemble.csv"))))
        let (a, b) = (try predicted(directory.file("a.csv")), try predicted(directory.file("b.csv")))
        #expect(a != b && zip(values, zip(a, b)).allSatisfy { abs($0 - ($1.0 + $1.1) / 2) <= 1e-5 * max(1, abs($0)) })
        let report = try #require(JSONSerialization.jsonObject(with: Data(json.output.utf8)) as? [String: Any])
        let mae = try #require((report["ensemble"] as? [String: Any])?["mae"] as? Double)
        let expected = zip(values, targets).reduce(0.0) { $0 + abs(Double($1.0) - Double($1.1)) } / Double(values.count)
        #expect(abs(mae - expected) <= 1e-12 * max(1, expected), "\(mae) vs \(expected)")
    }

    @Test func filesThatCannotBeEvaluatedAreNamed() throws {
        let directory = try trainedRun()
        let data = directory.file("data/test.h5")
        let missing = try swiftddp("evaluate", "--checkpoint", directory.file("none.h5"), "--data", data)
        #expect(missing.status != 0 && missing.error.contains(directory.file("none.h5")), "\(missing.error)")
        let weights = directory.file("weights.h5")
        let train = try swiftddp("train", "--config", directory.file("config.yaml"), "--run-dir", directory.file("w"), "--max-steps", "1",
                                 "--save-weights", weights)
        #expect(train.status == 0, "\(train.error)")
        let result = try swiftddp("evaluate", "--checkpoint", weights, "--data", data)
        #expect(result.status != 0 && result.error.contains("--save-weights file"), "\(result.error)")
        let usage = try swiftddp("evaluate", "--data", data)
        #expect(usage.status == 2 && usage.error.contains("--checkpoint"), "\(usage.error)")
    }
}
