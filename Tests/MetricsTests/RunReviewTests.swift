import Metrics
import Testing

struct RunReviewTests {
    private let log = [
        #"{"time":100,"step":2,"epoch":1,"split":"train","loss":2.0,"accuracy":0.2,"lr":0.1,"samples_per_sec":100,"step_ms":10,"steps":2,"world_size":2}"#,
        #"{"time":101,"step":3,"epoch":1,"split":"train","loss":1.0,"accuracy":0.5,"lr":0.1,"samples_per_sec":200,"step_ms":10,"steps":1,"world_size":2}"#,
        #"{"time":102,"step":3,"epoch":1,"split":"val","loss":0.9,"accuracy":0.6,"f1_macro":0.55,"samples":10}"#,
        #"{"time":103,"step":6,"epoch":2,"split":"train","loss":0.8,"accuracy":0.7,"lr":0.05,"samples_per_sec":300,"step_ms":10,"steps":3,"world_size":2}"#,
        #"{"time":104,"step":6,"epoch":2,"split":"val","loss":1.1,"accuracy":0.7,"f1_macro":0.65,"samples":10}"#,
        #"{"time":105,"step":6,"epoch":2,"split":"test","loss":1.2,"accuracy":0.65,"f1_macro":0.6,"samples":20}"#,
    ].joined(separator: "\n") + "\n"

    @Test func epochsAverageTrainRecordsByStepsAndKeepValRecords() {
        let run = RunReview(history: MetricsHistory(text: log), name: "r")
        #expect(run.trainMetrics == ["loss", "accuracy"])
        #expect(run.evaluationMetrics == ["loss", "accuracy", "f1_macro"])
        #expect(run.epochs.map(\.epoch) == [1, 2] && run.epochs.map(\.step) == [3, 6])
        #expect(abs((run.epochs[0].train["loss"] ?? 0) - (2.0 * 2 + 1.0) / 3) < 1e-12)
        #expect(run.epochs[1].validation["f1_macro"] == 0.65)
        #expect(run.epochs[1].learningRate == 0.05)
        // throughput weights each record by its step time: (100·20 ms + 200·10 ms) / 30 ms
        #expect(abs((run.epochs[0].samplesPerSecond ?? 0) - (100.0 * 0.02 + 200 * 0.01) / 0.03) < 1e-9)
        #expect(run.test?["accuracy"] == 0.65)
        #expect(run.worldSizes == [2])
        #expect(run.lastStep == 6)
        // wall time: from one interval before the first record (2 steps × 10 ms) to the last record
        #expect(abs((run.wallSeconds ?? 0) - 5.02) < 1e-9)
        // train records sit inside their epoch by step: steps 2 and 3 of a 3-step epoch
        #expect(run.trainCurve.map(\.x) == [2.0 / 3, 1, 2])
    }

    @Test func bestEpochFollowsTheMonitorsDirection() {
        let run = RunReview(history: MetricsHistory(text: log), name: "r")
        #expect(run.bestEpoch(monitor: "val_loss")?.epoch == 1)
        #expect(run.bestEpoch(monitor: "val_accuracy")?.epoch == 2)
        #expect(run.bestEpoch(monitor: "f1_macro")?.epoch == 2)
        #expect(run.bestEpoch(monitor: "val_auc") == nil)
    }

    @Test func reportRendersTableCSVAndJSON() throws {
        let run = RunReview(history: MetricsHistory(text: log), name: "r")
        let report = RunReport(runs: [run, run], monitors: ["val_loss", "val_accuracy"])
        let table = report.table()
        #expect(table.contains("best epoch") && table.contains("loss by epoch"))
        for line in table.split(separator: "\n") { #expect(line.count <= 80, "too wide: \(line)") }
        let csv = report.csv().split(separator: "\n")
        #expect(csv.first == "run,epoch,step,loss,accuracy,val_loss,val_accuracy,val_f1_macro,lr,samples_per_sec,step_seconds")
        #expect(csv.count == 5)
        // epoch 1's train loss is the step-weighted mean (2·2 + 1)/3, printed without float noise
        #expect(csv[1].hasPrefix("r,1,3,1.666666667,"), "\(csv[1])")
        guard case .object(let top) = try JSONValue.parse(report.json().rendered()), case .array(let runs)? = top.first?.value else {
            Issue.record("json has no runs")
            return
        }
        #expect(runs.count == 2)
    }

    /// Runs compared: the settings that differ are rows of the comparison (and of the JSON), and
    /// the best run by the common monitor is named, by that monitor's direction.
    @Test func aComparisonShowsTheDifferingSettingsAndTheBestRun() throws {
        let worse = log.replacingOccurrences(of: #""loss":0.9,"accuracy":0.6"#, with: #""loss":1.3,"accuracy":0.9"#)
        let runs = [RunReview(history: MetricsHistory(text: log), name: "a"), RunReview(history: MetricsHistory(text: worse), name: "b")]
        var report = RunReport(runs: runs, monitors: ["val_loss", "val_loss"])
        report.charts = false
        report.differingSettings = [("optimizer.learning_rate", ["0.1", "0.01"]), ("training.max_steps", [nil, "6"])]
        let lines = report.table().split(separator: "\n").map { $0.split(separator: " ").joined(separator: " ") }
        #expect(lines.contains("optimizer.learning_rate 0.1 0.01") && lines.contains("training.max_steps - 6"), "\(lines)")
        #expect(lines.contains("best run by val_loss: a (0.9000 at epoch 1)"), "\(lines)")
        report.monitors = ["val_accuracy", "val_accuracy"]
        #expect(report.table().contains("best run by val_accuracy: b (0.9000 at epoch 1)"))
        report.monitors = ["val_loss", "val_accuracy"]
        #expect(!report.table().contains("best run by"), "runs judged by different monitors have no best run")
        guard case .object(let top) = try JSONValue.parse(report.json().rendered()), case .array(let items)? = top.first?.value,
              case .object(let second) = items[1], case .object(let settings)? = second.first(where: { $0.0 == "differing_settings" })?.1 else {
            Issue.record("json has no differing_settings")
            return
        }
        #expect(settings.map(\.0) == ["optimizer.learning_rate", "training.max_steps"])
    }

    /// Values near Double's limits of both signs in one chart: the charts and the SVG plot are
    /// drawn (they crashed on an infinite span), the values pinned at ±1e300.
    @Test func chartsOfValuesNearDoublesLimitsAreDrawn() {
        let text = [#"{"time":100,"step":2,"epoch":1,"split":"train","loss":1.7e308,"steps":2}"#,
                    #"{"time":101,"step":3,"epoch":1,"split":"train","loss":-1.7e308,"steps":1}"#,
                    #"{"time":102,"step":3,"epoch":1,"split":"val","loss":0.9,"samples":10}"#].joined(separator: "\n") + "\n"
        let runs = [RunReview(history: MetricsHistory(text: text), name: "huge")]
        let table = RunReport(runs: runs, monitors: ["val_loss"]).table()
        #expect(table.contains("1e+300 ┤") && table.contains("-1e+300 ┤"), "\(table)")
        #expect(SVGPlot(title: "huge").render(Chart.standard(for: runs)).contains("</svg>"))
    }

    @Test func aRunWithNoRecordsYetSaysSoWithoutAnEmptyTable() {
        var report = RunReport(runs: [RunReview(history: MetricsHistory(text: ""), name: "new")], monitors: ["val_loss"])
        report.charts = false
        let table = report.table()
        #expect(table.contains("no records yet") && !table.contains("samples/s\n---"), "\(table)")
    }

    @Test func aDivergedLossBeyondIntsRangeIsPrintedNotACrash() {
        let lines = [
            #"{"time":100,"step":2,"epoch":1,"split":"train","loss":3e25,"mse":3e25,"steps":2}"#,
            #"{"time":101,"step":2,"epoch":1,"split":"val","loss":1e19,"mse":1e19,"samples":10}"#,
        ]
        let run = RunReview(history: MetricsHistory(text: lines.joined(separator: "\n") + "\n"), name: "r")
        let report = RunReport(runs: [run], monitors: ["val_loss"])
        let table = report.table()
        #expect(table.contains("3.0000e+25") && table.contains("1.0000e+19"))
        #expect(report.csv().contains("3e+25"))
    }

    /// A `--max-steps 6` segment that stopped inside epoch 2 (4 steps per epoch) and validated
    /// and tested there, then a resumed segment still running: epoch 2's val record of the first
    /// segment sits at step 6 of 4…8, and the test is labelled as one of the model at step 6.
    private let resumedLog = [
        #"{"time":100,"step":4,"epoch":1,"split":"train","loss":2.0,"steps":4}"#,
        #"{"time":101,"step":4,"epoch":1,"split":"val","loss":1.5,"samples":10}"#,
        #"{"time":102,"step":6,"epoch":2,"split":"train","loss":1.2,"steps":2}"#,
        #"{"time":103,"step":6,"epoch":2,"split":"val","loss":1.4,"samples":10}"#,
        #"{"time":104,"step":6,"epoch":2,"split":"test","loss":1.45,"samples":10}"#,
        #"{"time":110,"step":6,"split":"resume","world_size":1}"#,
        #"{"time":111,"step":8,"epoch":2,"split":"train","loss":1.0,"steps":2}"#,
        #"{"time":112,"step":8,"epoch":2,"split":"val","loss":1.3,"samples":10}"#,
        #"{"time":113,"step":10,"epoch":3,"split":"train","loss":0.9,"steps":2}"#,
    ].joined(separator: "\n") + "\n"

    @Test func aMidEpochValRecordSitsAtItsStepNotOnTheEpochsEnd() {
        let run = RunReview(history: MetricsHistory(text: resumedLog), name: "r")
        #expect(run.validationCurve.map(\.x) == [1, 1.5, 2])
        #expect(run.epochs.map { $0.validation["loss"] } == [1.5, 1.3, nil])
    }

    @Test func aTestOfAnEarlierSegmentsModelSaysItsStep() throws {
        let run = RunReview(history: MetricsHistory(text: resumedLog), name: "r")
        #expect(run.testStep == 6 && run.lastStep == 10)
        let report = RunReport(runs: [run], monitors: ["val_loss"])
        #expect(report.table().contains("test  loss 1.4500  (of step 6, not 10)"))
        guard case .object(let top) = try JSONValue.parse(report.json().rendered()), case .array(let runs)? = top.first?.value,
              case .object(let fields)? = runs.first, case .object(let summary)? = fields.first(where: { $0.key == "summary" })?.value else {
            Issue.record("json has no summary")
            return
        }
        #expect(summary.first { $0.key == "test_step" }?.value == .integer(6))
        // once the run has tested its own last step, nothing is added
        let finished = RunReview(history: MetricsHistory(text: resumedLog + #"{"time":114,"step":10,"epoch":3,"split":"test","loss":1.2,"samples":10}"# + "\n"), name: "r")
        #expect(!RunReport(runs: [finished], monitors: ["val_loss"]).table().contains("of step"))
    }
}
