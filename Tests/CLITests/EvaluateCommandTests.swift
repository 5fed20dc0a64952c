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
