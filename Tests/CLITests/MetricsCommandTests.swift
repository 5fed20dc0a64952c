// `swiftddp metrics` on run directories of real short training runs: summary, table and charts,
// two runs compared, the SVG rendered by librsvg, JSON and CSV, a run that is still writing.
import Foundation
import Testing
import TestSupport

@Suite(.serialized)
struct MetricsCommandTests {
    /// Two 3-epoch runs on blobs (different learning rates), in one temporary directory.
    private func twoRuns() throws -> TemporaryDirectory {
        let directory = try TemporaryDirectory("metrics")
        try TinyDatasets.writeBlobDirectory(directory.file("data"), shardSizes: [96])
        try TinyDatasets.blobConfig(dataDirectory: directory.file("data"), epochs: 3, batchSize: 16)
            .write(toFile: directory.file("config.yaml"), atomically: true, encoding: .utf8)
        for (run, rate) in [("fast", "0.1"), ("slow", "0.01")] {
            let result = try swiftddp("train", "--config", directory.file("config.yaml"), "--run-dir", directory.file(run),
                                      "--set", "optimizer.learning_rate=\(rate)")
            #expect(result.status == 0, "\(result.error)")
        }
        return directory
    }

    @Test func reviewsOneRunAndComparesTwo() throws {
        let directory = try twoRuns()
        let one = try swiftddp("metrics", directory.file("fast"))
        #expect(one.status == 0, "\(one.error)")
        for text in ["run fast", "world size 1", "best epoch ", ") by val_loss", "    train loss", "    test  loss", "val_f1_macro", "val_auc",
                     "loss by epoch", "accuracy by epoch", "* train", "o val"] {
            #expect(one.output.contains(text), "metrics output lacks \"\(text)\":\n\(one.output)")
        }
        let epochRows = one.output.split(separator: "\n").filter { $0.range(of: #"^ +[123] +(6|12|18) "#, options: .regularExpression) != nil }
        #expect(epochRows.count == 3, "\(one.output)")
        for line in one.output.split(separator: "\n") { #expect(line.count <= 80, "wider than 80 columns: \(line)") }

        let two = try swiftddp("metrics", directory.file("fast"), directory.file("slow"), "--ascii")
        #expect(two.status == 0, "\(two.error)")
        for text in ["fast", "slow", "best val_loss", "test accuracy", "val_loss  val_acc  val_loss  val_acc", "* fast train", "+ slow train", "x slow val"] {
            #expect(two.output.contains(text), "comparison lacks \"\(text)\":\n\(two.output)")
        }
        #expect(two.output.allSatisfy { $0.isASCII })
        // the runs differ only in their learning rate: the one setting row, and the best run named
        let settings = two.output.split(separator: "\n").filter { $0.hasPrefix("optimizer.") || $0.hasPrefix("training.") || $0.hasPrefix("model.") }
        #expect(settings.map { $0.split(separator: " ") } == [["optimizer.learning_rate", "0.1", "0.01"]], "\(two.output)")
        #expect(two.output.contains("best run by val_loss: "), "\(two.output)")
        // a layer that differs shows only its differing items in the table, all of them in JSON
        let narrow = try swiftddp("train", "--config", directory.file("config.yaml"), "--run-dir", directory.file("narrow"),
                                  "--set", "optimizer.learning_rate=0.1", "--set", "model.layers.0.units=8", "--max-steps", "6")
        #expect(narrow.status == 0, "\(narrow.error)")
        let layers = try swiftddp("metrics", directory.file("fast"), directory.file("narrow"), "--no-charts")
        let layerRows = layers.output.split(separator: "\n").filter { $0.hasPrefix("model.") }.map { $0.split(separator: " ").joined(separator: " ") }
        #expect(layerRows == ["model.layers[0] {units: 16} {units: 8}"], "\(layers.output)")
        let json = try swiftddp("metrics", directory.file("fast"), directory.file("narrow"), "--format", "json")
        #expect(json.output.contains(#""model.layers[0]": "{type: dense, units: 8, init: he_normal, bias: true}""#), "\(json.output)")
    }

    @Test func jsonParsesAndAgreesWithTheLogAndCSVHasARowPerEpoch() throws {
        let directory = try twoRuns()
        let result = try swiftddp("metrics", directory.file("fast"), directory.file("slow"), "--format", "json")
        #expect(result.status == 0, "\(result.error)")
        let path = directory.file("report.json")
        try result.output.write(toFile: path, atomically: true, encoding: .utf8)
        let tool = try runCommand("/usr/bin/env", ["python3", "-m", "json.tool", path])
        #expect(tool.status == 0, "python3 -m json.tool: \(tool.error)")

        // the best epoch by val_loss is the epoch of the smallest val loss in metrics.jsonl
        let report = try #require(try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any])
        let runs = try #require(report["runs"] as? [[String: Any]])
        #expect(runs.count == 2)
        let summary = try #require(runs[0]["summary"] as? [String: Any])
        let best = try #require(summary["best"] as? [String: Any])
        let records = try String(contentsOfFile: directory.file("fast/metrics.jsonl"), encoding: .utf8).split(separator: "\n")
            .compactMap { try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        let validation = records.filter { $0["split"] as? String == "val" }
        let smallest = try #require(validation.min { ($0["loss"] as? Double ?? 0) < ($1["loss"] as? Double ?? 0) })
        #expect(best["epoch"] as? Int == smallest["epoch"] as? Int)
        #expect((summary["world_sizes"] as? [Int]) == [1])
        #expect((runs[0]["epochs"] as? [Any])?.count == 3)

        let csv = try swiftddp("metrics", directory.file("fast"), directory.file("slow"), "--format", "csv")
        let lines = csv.output.split(separator: "\n")
        #expect(lines.count == 1 + 6)
        #expect(lines.first?.hasPrefix("run,epoch,step,loss,accuracy,val_loss,val_accuracy,val_f1_macro,val_auc") == true)
    }

    @Test func plotIsAnSVGThatLibrsvgRendersWithTheCurves() throws {
        let directory = try twoRuns()
        let svg = directory.file("curves.svg"), png = directory.file("curves.png")
        let result = try swiftddp("metrics", directory.file("fast"), directory.file("slow"), "--plot", svg, "--no-charts")
        #expect(result.status == 0, "\(result.error)")
        #expect(result.output.contains("plot: \(svg)"))
        let render = try runCommand("/usr/bin/env", ["rsvg-convert", "--format", "png", "--output", png, svg])
        #expect(render.status == 0, "rsvg-convert (apt librsvg2-bin, see launch/install-deps.sh): \(render.error)")
        // decode the PNG (Pillow) and count pixels of the two runs' colours (blue #1f77b4, red #d62728)
        let check = try python("""
            import sys
            from PIL import Image
            image = Image.open(sys.argv[1]).convert("RGB")
            pixels = list(image.getdata())
            def count(rgb): return sum(all(abs(p[k] - rgb[k]) < 40 for k in range(3)) for p in pixels)
            print(image.width, image.height, count((0x1f, 0x77, 0xb4)), count((0xd6, 0x27, 0x28)))
            """, [png])
        #expect(check.status == 0, "\(check.error)")
        let numbers = check.output.split(separator: " ").compactMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        #expect(numbers.count == 4 && numbers[0] >= 900 && numbers[1] >= 350, "\(check.output)")
        #expect(numbers.count == 4 && numbers[2] > 200 && numbers[3] > 200, "too few curve pixels: \(check.output)")
    }

    @Test func aRunStillWritingItsLastLineIsReviewedWithoutIt() throws {
        let directory = try twoRuns()
        let log = try String(contentsOfFile: directory.file("fast/metrics.jsonl"), encoding: .utf8)
        try FileManager.default.createDirectory(atPath: directory.file("running"), withIntermediateDirectories: true)
        try (log + #"{"time":1795000000.5,"step":19,"epoch":4,"split":"tr"#)
            .write(toFile: directory.file("running/metrics.jsonl"), atomically: true, encoding: .utf8)
        let result = try swiftddp("metrics", directory.file("running"), "--format", "json")
        #expect(result.status == 0, "\(result.error)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any])
        let run = try #require((report["runs"] as? [[String: Any]])?.first)
        #expect((run["summary"] as? [String: Any])?["partial_last_line"] as? Bool == true)
        #expect((run["epochs"] as? [Any])?.count == 3)
        let table = try swiftddp("metrics", directory.file("running"))
        #expect(table.output.contains("still being written"))

        let missing = try swiftddp("metrics", directory.file("nowhere"))
        #expect(missing.status != 0 && missing.error.contains(directory.file("nowhere/metrics.jsonl")), "\(missing.error)")
    }

    @Test func monitorThatNoRecordCanHoldIsAUsageErrorListingTheRecordsMetrics() throws {
        let directory = try twoRuns()
        let log = directory.file("fast/metrics.jsonl")
        let bogus = try swiftddp("metrics", directory.file("fast"), "--monitor", "val_bogus")
        #expect(bogus.status == 2, "exit \(bogus.status): \(bogus.error)")
        #expect(bogus.error == "swiftddp: error: --monitor val_bogus is not a metric of the records in \(log); "
            + "they have val_loss, val_accuracy, val_f1_macro, val_auc\n", "\(bogus.error)")
        // a name that val records can hold but this run's do not: no best epoch, not an error
        let unlogged = try swiftddp("metrics", directory.file("fast"), "--monitor", "val_f1_weighted")
        #expect(unlogged.status == 0 && unlogged.output.contains("best epoch: none (no val record has a value of val_f1_weighted)"),
                "\(unlogged.output)\(unlogged.error)")

        // a run still in its first epoch has no val record yet: a known name is "none yet", an unknown one an error
        try FileManager.default.createDirectory(atPath: directory.file("first"), withIntermediateDirectories: true)
        let trainOnly = try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n")
            .filter { $0.contains("\"split\":\"train\"") && $0.contains("\"epoch\":1,") }
        try (trainOnly.joined(separator: "\n") + "\n").write(toFile: directory.file("first/metrics.jsonl"), atomically: true, encoding: .utf8)
        let early = try swiftddp("metrics", directory.file("first"), "--monitor", "val_accuracy")
        #expect(early.status == 0 && early.output.contains("best epoch: none yet (no val record with val_accuracy)"), "\(early.output)\(early.error)")
        let earlyBogus = try swiftddp("metrics", directory.file("first"), "--monitor", "val_bogus")
        #expect(earlyBogus.status == 2 && earlyBogus.error.hasPrefix("swiftddp: error: --monitor val_bogus is not a metric that val records hold (val_loss, "),
                "exit \(earlyBogus.status): \(earlyBogus.error)")
        #expect(earlyBogus.error.hasSuffix("), and \(directory.file("first/metrics.jsonl")) has no val record yet\n"), "\(earlyBogus.error)")
        #expect(!earlyBogus.error.contains("Usage"))
    }

    @Test func plotForAMissingDirectoryNamesThePlotAndTheDirectory() throws {
        let directory = try twoRuns()
        let result = try swiftddp("metrics", directory.file("fast"), "--plot", directory.file("nodir/x.svg"))
        #expect(result.status == 1, "exit \(result.status): \(result.error)")
        #expect(result.error == "swiftddp: error: cannot write plot \(directory.file("nodir/x.svg")): directory \(directory.file("nodir")) does not exist\n",
                "\(result.error)")
        #expect(!FileManager.default.fileExists(atPath: directory.file("nodir")))
    }
}
