// The output of `swiftddp metrics RUN...`: per run a summary and a per-epoch table, several runs
// side by side, terminal charts; or the same numbers as CSV or JSON.

/// A review of one or several runs.
public struct RunReport: Sendable {
    /// The runs, in the order given.
    public var runs: [RunReview]
    /// The monitored metric of each run (`val_loss`, `val_accuracy`, …), for its best epoch.
    public var monitors: [String]
    /// Draw terminal charts in `table()`.
    public var charts = true
    /// The chart renderer.
    public var chart = TerminalChart()
    /// `epoch` or `step`: the x axis of the charts.
    public var xAxis = "epoch"
    /// The settings that differ between the runs (from their `config.yaml`), each with one value
    /// per run (nil: that run has no such setting, or no readable config): rows of the
    /// comparison, as a hyper-parameter table shows them.
    public var differingSettings: [(key: String, values: [String?])] = []

    /// A report of `runs`, each judged by the monitor at the same index.
    public init(runs: [RunReview], monitors: [String]) {
        precondition(runs.count == monitors.count, "RunReport: \(runs.count) runs, \(monitors.count) monitors")
        self.runs = runs
        self.monitors = monitors
    }

    // MARK: - Table

    /// The human-readable report.
    public func table() -> String {
        var lines: [String] = []
        if runs.count == 1 {
            lines += summaryLines(runs[0], monitor: monitors[0])
            if !runs[0].epochs.isEmpty {   // a run with no records yet has said so in its summary
                lines.append("")
                lines += epochTable(runs[0]).render()
            }
        } else {
            lines += comparisonTable().render()
            if let best = bestRunLine() { lines.append(best) }
            lines.append("")
            lines += sideBySideEpochs().render()
        }
        for run in runs {
            if !run.malformedLines.isEmpty {
                lines.append("note: \(run.path): skipped malformed line(s) \(run.malformedLines.map(String.init).joined(separator: ", "))")
            }
            if run.endsInPartialLine { lines.append("note: \(run.path): the last line is still being written and was left out") }
        }
        if charts {
            for chart in Chart.standard(for: runs, xAxis: xAxis) {
                lines.append("")
                lines += self.chart.render(chart)
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    private func summaryLines(_ run: RunReview, monitor: String) -> [String] {
        var lines = ["run \(run.name)  (\(run.path))"]
        let worlds = run.worldSizes.isEmpty ? "-" : run.worldSizes.map(String.init).joined(separator: " → ")
        lines += wrapped("  ", ["world size \(worlds)", "\(run.epochs.count) epoch(s)",
                                "\(run.lastStep) steps", "wall \(formatDuration(run.wallSeconds))",
                                "\(formatMetric(run.samplesPerSecond.map { $0.rounded() })) samples/s"]
                                + (run.resumeCount > 0 ? ["resumed \(run.resumeCount)×"] : []), separator: " | ")
        func fields(_ values: [String: Double], _ keys: [String]) -> [String] {
            keys.compactMap { key in values[key].map { "\(key) \(formatMetric($0))" } }
        }
        if let best = run.bestEpoch(monitor: monitor) {
            lines.append("  best epoch \(best.epoch) (step \(best.step)) by \(monitor)")
            lines += wrapped("    val   ", fields(best.validation, run.evaluationMetrics))
        } else {
            // a run in its first epoch has no val record yet; a run with val records lacking it never will
            lines.append(run.validationCurve.isEmpty ? "  best epoch: none yet (no val record with \(monitor))"
                                                     : "  best epoch: none (no val record has a value of \(monitor))")
        }
        lines.append("  final")
        if let last = run.trainCurve.last { lines += wrapped("    train ", fields(last.values, run.trainMetrics)) }
        if let last = run.validationCurve.last { lines += wrapped("    val   ", fields(last.values, run.evaluationMetrics)) }
        if let test = run.test {
            // a test of an earlier segment's model: a resumed run that is still going, or that a signal stopped
            let earlier = run.testStep.flatMap { $0 < run.lastStep ? "(of step \($0), not \(run.lastStep))" : nil }
            lines += wrapped("    test  ", fields(test, run.evaluationMetrics) + (earlier.map { [$0] } ?? []))
        }
        if run.trainCurve.isEmpty && run.validationCurve.isEmpty { lines.append("    no records yet") }
        return lines
    }

    /// `items` after `prefix`, joined by `separator`, broken into lines of at most `width`
    /// columns (continuations indented like the prefix).
    private func wrapped(_ prefix: String, _ items: [String], separator: String = "  ", width: Int = 80) -> [String] {
        var lines = [prefix]
        for item in items {
            let current = lines[lines.count - 1]
            let fresh = current.count == prefix.count
            if !fresh && current.count + separator.count + item.count > width {
                lines.append(String(repeating: " ", count: prefix.count) + item)
            } else {
                lines[lines.count - 1] = current + (fresh ? "" : separator) + item
            }
        }
        return lines
    }

    /// The per-epoch table of one run: train metrics, val metrics, lr (when it changes) and
    /// throughput (the step time is in the CSV and JSON forms).
    public func epochTable(_ run: RunReview) -> TextTable {
        let learningRates = Set(run.epochs.compactMap(\.learningRate))
        let showRate = learningRates.count > 1
        var table = TextTable(header: ["epoch", "step"] + run.trainMetrics.map(shortName) + run.evaluationMetrics.map { "val_" + shortName($0) }
            + (showRate ? ["lr"] : []) + ["samples/s"])
        for row in run.epochs {
            table.add([String(row.epoch), String(row.step)] + run.trainMetrics.map { formatMetric(row.train[$0]) }
                + run.evaluationMetrics.map { formatMetric(row.validation[$0]) }
                + (showRate ? [row.learningRate.map { "\($0)" } ?? "-"] : [])
                + [formatMetric(row.samplesPerSecond.map { $0.rounded() })])
        }
        table.leftAligned = []
        return table
    }

    private func shortName(_ key: String) -> String { key == "accuracy" ? "acc" : key }

    private func comparisonTable() -> TextTable {
        var table = TextTable(header: [""] + runs.map(\.name))
        func row(_ label: String, _ value: (RunReview, String) -> String) {
            table.add([label] + zip(runs, monitors).map { value($0.0, $0.1) })
        }
        row("world size") { run, _ in run.worldSizes.isEmpty ? "-" : run.worldSizes.map(String.init).joined(separator: "→") }
        row("epochs validated") { run, _ in String(run.epochs.filter { !$0.validation.isEmpty }.count) }
        row("steps") { run, _ in String(run.lastStep) }
        row("wall time") { run, _ in formatDuration(run.wallSeconds) }
        row("samples/s") { run, _ in formatMetric(run.samplesPerSecond.map { $0.rounded() }) }
        for (index, setting) in differingSettings.enumerated() {
            table.add([setting.key] + setting.values.map { $0 ?? "-" })
            if index == differingSettings.count - 1 { table.add([""] + runs.map { _ in "" }) }
        }
        row("monitor") { _, monitor in monitor }
        row("best epoch") { run, monitor in run.bestEpoch(monitor: monitor).map { String($0.epoch) } ?? "-" }
        let keys = runs.flatMap(\.evaluationMetrics).reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }
        for key in keys {
            row("best val_\(key)") { run, monitor in formatMetric(run.bestEpoch(monitor: monitor)?.validation[key]) }
        }
        for key in runs.flatMap(\.trainMetrics).reduce(into: [String](), { if !$0.contains($1) { $0.append($1) } }) {
            row("final train \(key)") { run, _ in formatMetric(run.trainCurve.last?.values[key]) }
        }
        for key in keys {
            row("final val_\(key)") { run, _ in formatMetric(run.validationCurve.last?.values[key]) }
        }
        for key in keys where runs.contains(where: { $0.test?[key] != nil }) {
            row("test \(key)") { run, _ in formatMetric(run.test?[key]) }
        }
        return table
    }

    /// `best run by val_loss: fast (0.2140 at epoch 3)` when every run is judged by the same
    /// monitor and at least one has a val record of it; ties go to the run given first.
    private func bestRunLine() -> String? {
        guard let monitor = monitors.first, monitors.allSatisfy({ $0 == monitor }) else { return nil }
        let key = RunReview.validationKey(monitor), lower = lowerIsBetterMetrics.contains(key)
        var best: (run: RunReview, row: EpochRow, value: Double)?
        for run in runs {
            guard let row = run.bestEpoch(monitor: monitor), let value = row.validation[key] else { continue }
            if let current = best?.value, lower ? value >= current : value <= current { continue }
            best = (run, row, value)
        }
        return best.map { "best run by \(monitor): \($0.run.name) (\(formatMetric($0.value)) at epoch \($0.row.epoch))" }
    }

    /// Epoch | for each run: its monitored val metric, and val accuracy (the train loss is in
    /// the charts).
    private func sideBySideEpochs() -> TextTable {
        var columns: [(header: String, value: (EpochRow) -> Double?, run: Int)] = []
        var groups: [(title: String, first: Int, count: Int)] = []
        for (index, (run, monitor)) in zip(runs, monitors).enumerated() {
            let key = RunReview.validationKey(monitor)
            let first = columns.count + 1
            columns.append(("val_\(shortName(key))", { $0.validation[key] }, index))
            if key != "accuracy" && run.evaluationMetrics.contains("accuracy") {
                columns.append(("val_acc", { $0.validation["accuracy"] }, index))
            }
            groups.append((run.name, first, columns.count + 1 - first))
        }
        var table = TextTable(header: ["epoch"] + columns.map(\.header))
        table.leftAligned = []
        table.groups = groups
        let epochs = Set(runs.flatMap { $0.epochs.map(\.epoch) }).sorted()
        for epoch in epochs {
            table.add([String(epoch)] + columns.map { column in
                formatMetric(runs[column.run].epochs.first { $0.epoch == epoch }.flatMap(column.value))
            })
        }
        return table
    }

    // MARK: - CSV and JSON

    /// One row per run and epoch: `run,epoch,step,<train metrics>,val_<metrics>,lr,samples_per_sec,step_seconds`.
    public func csv() -> String {
        let train = runs.flatMap(\.trainMetrics).reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }
        let validation = runs.flatMap(\.evaluationMetrics).reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }
        var lines = [(["run", "epoch", "step"] + train + validation.map { "val_" + $0 } + ["lr", "samples_per_sec", "step_seconds"]).joined(separator: ",")]
        for run in runs {
            for row in run.epochs {
                let cells = [csvCell(run.name), String(row.epoch), String(row.step)] + train.map { csvNumber(row.train[$0]) }
                    + validation.map { csvNumber(row.validation[$0]) } + [csvNumber(row.learningRate), csvNumber(row.samplesPerSecond), csvNumber(row.stepSeconds)]
                lines.append(cells.joined(separator: ","))
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// 10 significant digits, more than the Float values of the log hold, so that the noise of a
    /// step-weighted mean (`0.0072640000000000005`) is not printed; empty when missing.
    private func csvNumber(_ value: Double?) -> String { value.map { String(format: "%.10g", $0) } ?? "" }

    /// Every number of the report (docs/cli.md lists the keys).
    public func json() -> JSONValue {
        func object(_ values: [String: Double], order: [String]) -> JSONValue {
            .object(order.compactMap { key in values[key].map { (key, JSONValue.finite($0)) } })
        }
        let items: [JSONValue] = zip(runs.indices, zip(runs, monitors)).map { index, pair in
            let (run, monitor) = pair
            let best = run.bestEpoch(monitor: monitor)
            let summary: JSONValue = .object([
                ("world_sizes", .array(run.worldSizes.map { .integer($0) })),
                ("epochs_validated", .integer(run.epochs.filter { !$0.validation.isEmpty }.count)),
                ("steps", .integer(run.lastStep)),
                ("wall_seconds", .finite(run.wallSeconds)),
                ("samples_per_sec", .finite(run.samplesPerSecond)),
                ("resumes", .integer(run.resumeCount)),
                ("monitor", .string(monitor)),
                ("best", best.map { row in .object([("epoch", .integer(row.epoch)), ("step", .integer(row.step)),
                                                    ("val", object(row.validation, order: run.evaluationMetrics))]) } ?? .null),
                ("final_train", run.trainCurve.last.map { object($0.values, order: run.trainMetrics) } ?? .null),
                ("final_val", run.validationCurve.last.map { object($0.values, order: run.evaluationMetrics) } ?? .null),
                ("test", run.test.map { object($0, order: run.evaluationMetrics) } ?? .null),
                ("test_step", run.testStep.map { .integer($0) } ?? .null),
                ("malformed_lines", .array(run.malformedLines.map { .integer($0) })),
                ("partial_last_line", .bool(run.endsInPartialLine)),
            ])
            let epochs: [JSONValue] = run.epochs.map { row in
                .object([("epoch", .integer(row.epoch)), ("step", .integer(row.step)),
                         ("train", object(row.train, order: run.trainMetrics)), ("val", object(row.validation, order: run.evaluationMetrics)),
                         ("lr", .finite(row.learningRate)), ("samples_per_sec", .finite(row.samplesPerSecond)),
                         ("step_seconds", .finite(row.stepSeconds))])
            }
            let settings: JSONValue = .object(differingSettings.map { ($0.key, $0.values[index].map { .string($0) } ?? .null) })
            return .object([("run", .string(run.name)), ("path", .string(run.path)), ("differing_settings", settings), ("summary", summary),
                            ("epochs", .array(epochs))])
        }
        return .object([("runs", .array(items))])
    }
}
