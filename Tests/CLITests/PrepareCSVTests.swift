// `swiftddp prepare csv` through the real binary: the seeded split, missing-value policies with
// their counts, class mapping, each bad input named with its line and column, and a regression
// run from CSV to metrics.jsonl.
import Data
import Foundation
import Testing
import TestSupport

struct PrepareCSVTests {
    /// Writes `csv` as `in.csv` in `directory` and runs `prepare csv` on it into `out`.
    private func prepare(_ directory: TemporaryDirectory, _ csv: String, out: String = "out", _ arguments: String...) throws -> CommandResult {
        try prepare(directory, csv, out: out, arguments)
    }

    private func prepare(_ directory: TemporaryDirectory, _ csv: String, out: String = "out", _ arguments: [String]) throws -> CommandResult {
        try csv.write(toFile: directory.file("in.csv"), atomically: true, encoding: .utf8)
        return try runCommand(builtProduct("swiftddp"), ["prepare", "csv", "--input", directory.file("in.csv"), "--out", directory.file(out)] + arguments)
    }

    /// Every shard of a prepared directory, training shards first.
    private func shards(_ directory: String) throws -> [DatasetShard] {
        let found = try DatasetDirectory(path: directory)
        return try (found.trainShards + [found.validation, found.test].compactMap { $0 }).map { try DatasetShard.load(path: $0) }
    }

    private func bytes(_ path: String) -> Data? { FileManager.default.contents(atPath: path) }

    @Test func splitIsSeededAndPartitionsTheRows() throws {
        let directory = try TemporaryDirectory("csv-split")
        let csv = "id,x,y\n" + (0..<50).map { "\($0),\($0 % 7),\(2 * $0)" }.joined(separator: "\n") + "\n"
        let first = try prepare(directory, csv, out: "a", "--target", "y", "--task", "regression", "--seed", "3", "--shards", "2", "--no-standardize")
        #expect(first.status == 0, "\(first.error)")
        #expect(first.output.contains("split: train 40, val 5, test 5"), "\(first.output)")
        _ = try prepare(directory, csv, out: "b", "--target", "y", "--task", "regression", "--seed", "3", "--shards", "2", "--no-standardize")
        _ = try prepare(directory, csv, out: "c", "--target", "y", "--task", "regression", "--seed", "4", "--shards", "2", "--no-standardize")
        for name in ["train-00000-of-00002.h5", "train-00001-of-00002.h5", "val.h5", "test.h5"] {
            #expect(bytes(directory.file("a/\(name)")) != nil && bytes(directory.file("a/\(name)")) == bytes(directory.file("b/\(name)")), "\(name)")
        }
        #expect(bytes(directory.file("a/val.h5")) != bytes(directory.file("c/val.h5")))

        let files = try shards(directory.file("a"))
        #expect(files.map(\.count) == [20, 20, 5, 5])
        let ids = files.map { shard in (0..<shard.count).map { Int(shard.features[$0, 0]) } }
        #expect(ids.flatMap { $0 }.sorted() == Array(0..<50))           // every row exactly once
        #expect(ids[2] == ids[2].sorted() && ids[3] == ids[3].sorted())  // val and test keep file order
        for shard in files {                                             // targets travel with their rows
            #expect((0..<shard.count).allSatisfy { shard.targets?[$0, 0] == 2 * shard.features[$0, 0] })
        }
    }

    /// 20 rows, a = i and b = 10 + i, y = i; missing: a in rows 3, 7, 18; b in rows 11, 18; y in row 15.
    private let withGaps: String = {
        var lines = ["a,b,y"]
        for i in 0..<20 {
            let a = [3: "NA", 7: "", 18: "nan"][i] ?? "\(i)"
            let b = [11: "?", 18: "NULL"][i] ?? "\(10 + i)"
            lines.append("\(a),\(b),\(i == 15 ? "" : "\(i)")")
        }
        return lines.joined(separator: "\n") + "\n"
    }()

    @Test func missingValuesAreDroppedWithCounts() throws {
        let directory = try TemporaryDirectory("csv-drop")
        let result = try prepare(directory, withGaps, "--target", "y", "--task", "regression", "--val-fraction", "0.2", "--test-fraction", "0.2")
        #expect(result.status == 0, "\(result.error)")
        for line in ["dropped 1 rows with a missing target", "missing feature values: a 3, b 2",
                     "dropped 4 rows with a missing feature (--missing drop)", "split: train 9, val 3, test 3"] {
            #expect(result.output.contains(line), "lacks \"\(line)\": \(result.output)")
        }
        let kept = try shards(directory.file("out")).flatMap { shard in (0..<shard.count).map { Int(shard.targets?[$0, 0] ?? -1) } }
        #expect(kept.sorted() == [0, 1, 2, 4, 5, 6, 8, 9, 10, 12, 13, 14, 16, 17, 19])
    }

    @Test(arguments: ["mean", "median"])
    func missingValuesAreImputedFromTheTrainingSplit(policy: String) throws {
        let directory = try TemporaryDirectory("csv-\(policy)")
        let result = try prepare(directory, withGaps, "--target", "y", "--task", "regression", "--missing", policy,
                                 "--val-fraction", "0.2", "--test-fraction", "0.2", "--no-standardize")
        #expect(result.status == 0, "\(result.error)")
        #expect(result.output.contains("split: train 11, val 4, test 4"), "\(result.output)")   // 19 rows with a target
        let files = try shards(directory.file("out"))
        let train = files[0]
        for (column, count) in [(0, 3), (1, 2)] {
            // the value filled in: the mean/median of the training column, which filling in does not change
            let values = (0..<train.count).map { Double(train.features[$0, column]) }.sorted()
            let expected = policy == "mean" ? values.reduce(0, +) / Double(values.count)
                : values.count % 2 == 1 ? values[values.count / 2] : (values[values.count / 2 - 1] + values[values.count / 2]) / 2
            let line = try #require(result.output.split(separator: "\n").first { $0.hasPrefix("imputed \(count) values of \(["a", "b"][column]) with ") })
            let filled = try #require(Double(line.split(separator: " ")[6]))
            #expect(abs(filled - expected) < 1e-4, "\(line) vs \(expected)")
            // rows that had no value now hold it, in every split
            let gaps = files.flatMap { shard in (0..<shard.count).filter { Double(shard.features[$0, column]) == Double(Float(filled)) } }
            #expect(gaps.count >= count)
        }
    }

    @Test func classValuesBecomeIdsWithNames() throws {
        let directory = try TemporaryDirectory("csv-classes")
        let colors = ["red", "green", "\"blue, dark\"", "green", "red", "red"]
        let csv = "x,color\n" + colors.enumerated().map { "\($0),\($1)" }.joined(separator: "\n") + "\n"
        let result = try prepare(directory, csv, "--target", "color", "--task", "classification", "--val-fraction", "0", "--test-fraction", "0",
                                 "--no-standardize")
        #expect(result.status == 0, "\(result.error)")
        #expect(result.output.contains("classification, 3 classes: blue, dark, green, red"), "\(result.output)")
        let shard = try DatasetShard.load(path: directory.file("out/train-00000-of-00001.h5"))
        #expect(shard.classNames == ["blue, dark", "green", "red"])
        for row in 0..<shard.count {
            let name = colors[Int(shard.features[row, 0])].replacingOccurrences(of: "\"", with: "")
            #expect(shard.classNames[Int(shard.labels[row])] == name)
        }
        // integer class values sort as numbers: 1, 3, 10 → ids 0, 1, 2
        let numbers = try prepare(directory, "x,k\n0,10\n1,3\n2,1\n3,3\n", out: "numbers", "--target", "k", "--task", "classification",
                                  "--val-fraction", "0", "--test-fraction", "0", "--no-standardize")
        #expect(numbers.status == 0, "\(numbers.error)")
        let numbered = try DatasetShard.load(path: directory.file("numbers/train-00000-of-00001.h5"))
        #expect(numbered.classNames == ["1", "3", "10"])
        #expect((0..<4).allSatisfy { numbered.classNames[Int(numbered.labels[$0])] == ["10", "3", "1", "3"][Int(numbered.features[$0, 0])] })
    }

    @Test func badInputIsNamedWithLineAndColumn() throws {
        let directory = try TemporaryDirectory("csv-bad")
        let file = directory.file("in.csv")
        let cases: [(csv: String, arguments: [String], message: String)] = [
            ("", [], "\(file) is empty"),
            ("a,b,y\n1,2,3\n4,5,6\n7,abc,9\n", [], "\(file) line 4, column 'b': 'abc' is not a number"),
            ("a,b,y\n1,2,3\n4,5\n", [], "\(file) line 3: 2 cells but the header has 3 columns"),
            ("a,b,y\n1,\"2,3\n4,5,6\n", [], "\(file) line 2: a quote opened here is never closed"),
            ("a,a,y\n1,2,3\n", [], "\(file) line 1: the header names column 'a' twice"),
            ("a,b,y\n1,2,3\n", ["--features", "a,c"], "--features names column 'c' but \(file) has no such column; its columns are a, b, y"),
            ("a,b,y\n1,2,3\n", ["--features", "a,y"], "column 'y' of \(file) is given both as a feature and as a target"),
        ]
        for (csv, arguments, message) in cases {
            try csv.write(toFile: file, atomically: true, encoding: .utf8)
            let result = try runCommand(builtProduct("swiftddp"), ["prepare", "csv", "--input", file, "--out", directory.file("out"),
                                                                   "--target", "y", "--task", "regression"] + arguments)
            #expect(result.status == 1, "\(message): status \(result.status)")
            #expect(result.error.hasPrefix("swiftddp: error: ") && result.error.contains(message), "expected \"\(message)\", got: \(result.error)")
        }
        let unknown = try runCommand(builtProduct("swiftddp"), ["prepare", "csv", "--input", file, "--out", directory.file("out"),
                                                                "--target", "nope", "--task", "regression"])
        #expect(unknown.status == 1 && unknown.error.contains("--target names column 'nope' but \(file) has no such column"), "\(unknown.error)")
        let task = try runCommand(builtProduct("swiftddp"), ["prepare", "csv", "--input", file, "--out", directory.file("out"),
                                                             "--target", "y", "--task", "ranking"])
        #expect(task.status != 0 && task.error.contains("--task must be classification or regression"), "\(task.error)")
        #expect(!FileManager.default.fileExists(atPath: directory.file("out/train-00000-of-00001.h5")))
    }

    /// Options that cannot be satisfied whatever the file holds are a bad command line: exit 2, as
    /// `--delimiter ';;'` is, and nothing is read or written.
    @Test func unsatisfiableOptionsAreUsageErrors() throws {
        let directory = try TemporaryDirectory("csv-usage")
        let cases: [(arguments: [String], message: String)] = [
            (["--val-fraction", "0.6", "--test-fraction", "0.5"], "--val-fraction + --test-fraction must be < 1"),
            (["--val-fraction", "1.5"], "--val-fraction must be in [0, 1), got 1.5"),
            (["--shards", "0"], "--shards must be ≥ 1, got 0"),
            (["--delimiter", ";;"], "--delimiter must be one character"),
            (["--delimiter", "\""], "--delimiter '\"' must be one ASCII character other than a quote or a line break"),
            (["--delimiter", "\r\n"], "must be one ASCII character other than a quote or a line break"),
            (["--delimiter", "é"], "--delimiter 'é' must be one ASCII character"),
        ]
        for (arguments, message) in cases {
            let result = try prepare(directory, "a,b,y\n1,2,3\n", ["--target", "y", "--task", "regression"] + arguments)
            #expect(result.status == 2, "\(arguments): status \(result.status), \(result.error)")
            #expect(result.error.contains(message), "expected \"\(message)\", got: \(result.error)")
        }
        let twoClassTargets = try prepare(directory, "a,b,y\n1,2,3\n", "--target", "b,y", "--task", "classification")
        #expect(twoClassTargets.status == 2 && twoClassTargets.error.contains("--task classification takes one --target column"),
                "\(twoClassTargets.status): \(twoClassTargets.error)")
        #expect(!FileManager.default.fileExists(atPath: directory.file("out")))
    }

    /// `--out` naming a file, or a directory that cannot be made, gives one line naming the path, not
    /// a Foundation error dump.
    @Test func anOutputThatCannotBeADirectoryIsNamed() throws {
        let directory = try TemporaryDirectory("csv-out")
        let csv = "a,y\n1,2\n2,3\n3,4\n"
        let file = try prepare(directory, csv, out: "in.csv", "--target", "y", "--task", "regression")
        #expect(file.status == 1, "\(file.status)")
        #expect(file.error == "swiftddp: error: --out \(directory.file("in.csv")) is a file, not a directory\n", "\(file.error)")
        let below = try prepare(directory, csv, out: "in.csv/data", "--target", "y", "--task", "regression")
        #expect(below.status == 1, "\(below.status)")
        #expect(below.error == "swiftddp: error: cannot create output directory \(directory.file("in.csv/data")): Not a directory\n",
                "\(below.error)")
    }

    /// Rerunning with a fraction of 0 would leave the old `val.h5` or `test.h5` next to the new
    /// shards; the refusal says that this is why.
    @Test func aZeroFractionRefusesTheOldSplitFileAndSaysWhy() throws {
        let directory = try TemporaryDirectory("csv-zero")
        let csv = TinyDatasets.linearCSV(count: 40)
        #expect(try prepare(directory, csv, "--target", "y0", "--task", "regression", "--shards", "2").status == 0)
        for (flag, name) in [("--val-fraction", "val.h5"), ("--test-fraction", "test.h5")] {
            let again = try prepare(directory, csv, "--target", "y0", "--task", "regression", "--shards", "2", flag, "0")
            #expect(again.status == 1, "\(again.status)")
            #expect(again.error.contains("\(directory.file("out")) holds \(name) from an earlier preparation, but \(flag) 0 writes no \(name)"),
                    "\(again.error)")
            #expect(!again.error.contains("shard count"), "\(again.error)")
        }
    }

    /// The names and bytes of every file in `directory`.
    private func contents(_ directory: String) throws -> [String: Data] {
        var files: [String: Data] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: directory) { files[name] = bytes(directory + "/" + name) }
        return files
    }

    /// A preparation that fails while writing (here: a directory where `test.h5.partial` goes, as a
    /// full disk fails the last file) leaves the earlier dataset exactly as it was, and no partial file.
    @Test func aFailedPreparationLeavesTheEarlierDatasetWhole() throws {
        let directory = try TemporaryDirectory("csv-fail")
        let csv = TinyDatasets.linearCSV(count: 200)
        #expect(try prepare(directory, csv, "--target", "y0", "--task", "regression", "--shards", "2", "--seed", "1").status == 0)
        let before = try contents(directory.file("out"))
        #expect(before.count == 4)
        try FileManager.default.createDirectory(atPath: directory.file("out/test.h5.partial/blocker"), withIntermediateDirectories: true)
        let failed = try prepare(directory, csv, "--target", "y0", "--task", "regression", "--shards", "2", "--seed", "2")
        #expect(failed.status == 1, "\(failed.status): \(failed.output)")
        #expect(failed.error.hasPrefix("swiftddp: error: ") && failed.error.contains("test.h5.partial"), "\(failed.error)")
        #expect(failed.error.hasSuffix("; no file of \(directory.file("out")) was replaced\n"), "\(failed.error)")
        try FileManager.default.removeItem(atPath: directory.file("out/test.h5.partial"))
        #expect(try contents(directory.file("out")) == before)

        // once the way is clear, a rerun replaces every file
        #expect(try prepare(directory, csv, "--target", "y0", "--task", "regression", "--shards", "2", "--seed", "2").status == 0)
        let after = try contents(directory.file("out"))
        #expect(after.keys.sorted() == before.keys.sorted())
        #expect(after.keys.allSatisfy { after[$0] != before[$0] }, "\(after.keys.filter { after[$0] == before[$0] })")
    }

    /// Files of two preparations in one directory (a preparation killed between its renames, or a
    /// file copied in) stop `train` in preflight, naming the files.
    @Test func trainRefusesFilesOfTwoPreparations() throws {
        let directory = try TemporaryDirectory("csv-mix")
        let csv = TinyDatasets.linearCSV(count: 200)
        for (out, seed) in [("a", "1"), ("b", "2")] {
            #expect(try prepare(directory, csv, out: out, "--target", "y0", "--task", "regression", "--shards", "2", "--seed", seed).status == 0)
        }
        try FileManager.default.removeItem(atPath: directory.file("a/val.h5"))
        try FileManager.default.copyItem(atPath: directory.file("b/val.h5"), toPath: directory.file("a/val.h5"))
        try TinyDatasets.regressionConfig(dataDirectory: directory.file("a"), epochs: 1)
            .write(toFile: directory.file("config.yaml"), atomically: true, encoding: .utf8)
        let run = try runCommand(builtProduct("swiftddp"), ["train", "--config", directory.file("config.yaml"), "--run-dir", directory.file("run")])
        #expect(run.status == 1, "\(run.status): \(run.output)")
        #expect(run.error.contains("\(directory.file("a")) holds files of different preparations"), "\(run.error)")
        #expect(run.error.contains("val.h5"), "\(run.error)")
        #expect(!FileManager.default.fileExists(atPath: directory.file("run/metrics.jsonl")))
    }

    @Test func regressionFromCSVToMetrics() throws {
        let directory = try TemporaryDirectory("csv-train")
        let prepared = try prepare(directory, TinyDatasets.linearCSV(count: 400), "--target", "y0", "--task", "regression", "--shards", "2")
        #expect(prepared.status == 0, "\(prepared.error)")
        try TinyDatasets.regressionConfig(dataDirectory: directory.file("out"), epochs: 4)
            .write(toFile: directory.file("config.yaml"), atomically: true, encoding: .utf8)
        let run = try runCommand(builtProduct("swiftddp"), ["train", "--config", directory.file("config.yaml"), "--run-dir", directory.file("run")])
        #expect(run.status == 0, "\(run.error)")
        #expect(run.output.contains("val_mae") && run.output.contains("test: loss"), "\(run.output)")
        let records = try String(contentsOfFile: directory.file("run/metrics.jsonl"), encoding: .utf8).split(separator: "\n")
            .map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] ?? [:] }
        let test = try #require(records.last)
        #expect(test["split"] as? String == "test" && test["samples"] as? Int == 40)
        for key in ["mae", "mse", "rmse", "r2"] { #expect(test[key] is Double, "test record lacks \(key): \(test)") }
        #expect((test["r2"] as? Double ?? 0) > 0.9, "\(test)")

        // `swiftddp evaluate` on the last checkpoint gives the run's own test numbers, and a CSV of predictions
        let checkpoint = try #require(try FileManager.default.contentsOfDirectory(atPath: directory.file("run/checkpoints"))
            .filter { $0.hasPrefix("ckpt-") }.sorted().last)
        let evaluated = try runCommand(builtProduct("swiftddp"), ["evaluate", "--checkpoint", directory.file("run/checkpoints/" + checkpoint),
                                                                 "--data", directory.file("out/test.h5"), "--format", "json",
                                                                 "--predictions", directory.file("predictions.csv")])
        #expect(evaluated.status == 0, "\(evaluated.error)")
        let report = try #require(JSONSerialization.jsonObject(with: Data(evaluated.output.utf8)) as? [String: Any])
        let member = try #require((report["members"] as? [[String: Any]])?.first)
        for key in ["mae", "mse", "r2"] {
            let (mine, logged) = (member[key] as? Double ?? .nan, test[key] as? Double ?? .nan)
            #expect(abs(mine - logged) <= 1e-9 * max(1, abs(logged)), "\(key): evaluate \(mine), test record \(logged)")
        }
        let rows = try String(contentsOfFile: directory.file("predictions.csv"), encoding: .utf8).split(separator: "\n")
        #expect(rows.first == "sample,target,predicted_target" && rows.count == 41, "\(rows.prefix(2))")
    }
}
