// `swiftddp metrics RUN...`: review run directories from their metrics.jsonl; no MPI, no model.
import ArgumentParser
import Foundation
import Metrics
import Training

struct MetricsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "metrics",
        abstract: "Review runs: summary, per-epoch table and charts of one or several run directories.",
        discussion: """
            Reads RUN/metrics.jsonl (a run that is still writing works: its partial last
            line is left out) and prints, per run, the best epoch by the monitored metric,
            the final values, wall time, throughput and world size, a per-epoch table, and
            terminal charts of loss and accuracy. Several runs are compared side by side
            and overlaid in the charts.
              swiftddp metrics runs/demo-20250101-120000
              swiftddp metrics runs/a runs/b --plot curves.svg
              swiftddp metrics runs/a --format json | python3 -m json.tool
            """)

    @Argument(help: "Run directories (or metrics.jsonl files).")
    var runs: [String]

    @Option(help: "Output: table (summary, epochs, charts), csv (one row per run and epoch) or json.")
    var format: Format = .table

    @Option(help: ArgumentHelp("Also write the train and val curves of every run as a standalone SVG.", valueName: "file.svg"))
    var plot: String?

    @Option(help: "The metric that picks the best epoch, e.g. val_loss, val_accuracy, val_f1_macro (default: the run's early_stopping.monitor, else checkpoint.monitor, else val_loss).")
    var monitor: String?

    @Option(help: "The x axis of the charts: epoch or step.")
    var xAxis: XAxis = .epoch

    @Flag(inversion: .prefixedNo, help: "Draw terminal charts in the table output.")
    var charts = true

    @Flag(help: "Draw the charts with ASCII characters only.")
    var ascii = false

    @Option(help: "The width of the terminal charts in columns (≥ 40).")
    var width = 78

    enum Format: String, ExpressibleByArgument, CaseIterable { case table, csv, json }
    enum XAxis: String, ExpressibleByArgument, CaseIterable { case epoch, step }

    func validate() throws {
        if runs.isEmpty { throw ValidationError("give at least one run directory") }
        if width < 40 { throw ValidationError("--width must be ≥ 40, got \(width)") }
    }

    func run() throws {
        do {
            let names = labels(runs)
            var reviews: [RunReview] = [], monitors: [String] = []
            for (run, name) in zip(runs, names) {
                let file = run.hasSuffix(".jsonl") ? run : run + "/metrics.jsonl"
                reviews.append(RunReview(history: try MetricsHistory.read(path: file), name: name))
                monitors.append(monitor ?? configuredMonitor(run: run))
            }
            if let monitor { try check(monitor: monitor, of: reviews) }
            var report = RunReport(runs: reviews, monitors: monitors)
            report.charts = charts
            report.chart = TerminalChart(width: width, unicode: !ascii)
            report.xAxis = xAxis.rawValue
            if runs.count > 1 {
                let settings = differingSettings(runs)
                // the table shows of a layer ({type: dense, units: 64, …}) only what differs; JSON all of it
                report.differingSettings = format == .table ? settings.map { ($0.key, differingItems($0.values)) } : settings
            }
            switch format {
            case .table: print(report.table(), terminator: "")
            case .csv: print(report.csv(), terminator: "")
            case .json: print(report.json().rendered())
            }
            if let plot {
                let svg = SVGPlot(title: "swiftddp metrics: " + names.joined(separator: ", ")).render(Chart.standard(for: reviews, xAxis: xAxis.rawValue))
                try OutputFile.write(svg, to: plot, what: "plot")
                if format == .table { print("plot: \(plot)") }
            }
        } catch {
            throw fail(error)
        }
    }

    /// Refuses a `--monitor` that no run can be judged by: not a name val records can hold and in
    /// no record of the runs. A known name that a run has no val record with yet (a run in its
    /// first epoch) is fine: its best epoch is "none yet".
    private func check(monitor: String, of reviews: [RunReview]) throws {
        guard !reviews.contains(where: { $0.canMonitor(monitor) }) else { return }
        var logged: [String] = []
        for review in reviews { for name in review.evaluationMetrics where !logged.contains(name) { logged.append(name) } }
        let files = reviews.map(\.path).joined(separator: ", ")
        if logged.isEmpty {
            throw CommandLineError("--monitor \(monitor) is not a metric that val records hold ("
                + evaluationMetricNames.map { "val_" + $0 }.joined(separator: ", ") + "), and \(files) has no val record yet")
        }
        throw CommandLineError("--monitor \(monitor) is not a metric of the records in \(files); they have "
            + logged.map { "val_" + $0 }.joined(separator: ", "))
    }

    /// Each run's directory name, or the path as given when two names are the same.
    private func labels(_ paths: [String]) -> [String] {
        uniqueLabels(paths) { path in
            let directory = path.hasSuffix(".jsonl") ? (path as NSString).deletingLastPathComponent : path
            return (directory as NSString).lastPathComponent
        }
    }

    /// The settings of the runs' `config.yaml` files (`optimizer.learning_rate`, `model.layers[0]`,
    /// …) whose values are not the same in every run that has one, in the order they stand in
    /// the files; `name` is left out (the run's label says it). Runs without a readable
    /// `config.yaml` show no value.
    private func differingSettings(_ paths: [String]) -> [(key: String, values: [String?])] {
        let entries: [[(key: String, value: String)]?] = paths.map { run in
            let directory = run.hasSuffix(".jsonl") ? (run as NSString).deletingLastPathComponent : run
            let path = (directory.isEmpty ? "." : directory) + "/config.yaml"
            return (try? String(contentsOfFile: path, encoding: .utf8)).map(resolvedConfigEntries)
        }
        let settings = entries.map { $0.map { Dictionary($0, uniquingKeysWith: { first, _ in first }) } }
        let known = settings.compactMap { $0 }
        guard known.count > 1 else { return [] }
        var keys: [String] = []
        for case let run? in entries { for entry in run where !keys.contains(entry.key) { keys.append(entry.key) } }
        return keys.filter { key in key != "name" && Set(known.map { $0[key] }).count > 1 }
            .map { key in (key, settings.map { $0?[key] }) }
    }

    /// Of flat flow mappings (`{type: dense, units: 64, init: xavier_uniform}`, a layer), each
    /// one's items that not every value holds (`{units: 64}`); other values as they are.
    private func differingItems(_ values: [String?]) -> [String?] {
        func items(_ value: String) -> [String]? {
            guard value.hasPrefix("{"), value.hasSuffix("}") else { return nil }
            let inner = value.dropFirst().dropLast()
            guard !inner.contains(where: { "{}[]".contains($0) }) else { return nil }
            return inner.components(separatedBy: ", ")
        }
        let parsed = values.map { $0.flatMap(items) }            // nil: no value, or not a flat mapping
        let present = parsed.compactMap { $0 }
        guard let first = present.first, present.count == values.compactMap({ $0 }).count else { return values }
        let common = present.dropFirst().reduce(Set(first)) { $0.intersection($1) }
        return parsed.map { $0.map { "{" + $0.filter { !common.contains($0) }.joined(separator: ", ") + "}" } }
    }

    /// The monitor the run itself used: early stopping's, else best.h5's; val_loss without a readable config.
    private func configuredMonitor(run: String) -> String {
        let directory = run.hasSuffix(".jsonl") ? (run as NSString).deletingLastPathComponent : run
        guard let config = try? TrainingConfig.load(path: (directory.isEmpty ? "." : directory) + "/config.yaml") else { return "val_loss" }
        return config.earlyStopping?.monitor ?? config.checkpointMonitor
    }
}
