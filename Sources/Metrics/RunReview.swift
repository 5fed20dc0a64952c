// What `swiftddp metrics` shows of one run: the per-epoch rows, the curves, and a summary (best
// epoch by the monitored metric, final values, wall time, throughput, world size).

/// Fields of train records that describe time, position or settings rather than how well the
/// model does; they are not averaged as metrics.
let trainBookkeeping: Set<String> = ["time", "step", "epoch", "steps", "samples", "world_size", "lr", "grad_norm",
                                              "samples_per_sec", "step_ms", "compute_ms", "comm_ms", "allreduce_wait_ms", "data_ms"]
/// The same for val and test records.
let evaluationBookkeeping: Set<String> = ["time", "step", "epoch", "samples", "world_size"]

/// Every metric name a val or test record can hold (docs/metrics.md): the loss, accuracy, the
/// regression metrics and the names `evaluation.metrics` accepts. A run's records hold some of them.
public let evaluationMetricNames: [String] = ["loss"] + ClassificationReport.metricNames + ["mae", "mse", "rmse", "r2"]

/// Metrics where lower is better (the rest, such as accuracy, F1, AUC and R², are better higher).
public let lowerIsBetterMetrics: Set<String> = ["loss", "log_loss", "mae", "mse", "rmse"]

/// One completed or running epoch.
public struct EpochRow: Sendable {
    /// The 1-based epoch.
    public var epoch: Int
    /// The global step at its last record.
    public var step: Int
    /// Train metrics over the epoch's records, weighted by their steps (`loss`, `accuracy`, …).
    public var train: [String: Double] = [:]
    /// The epoch's val record's metrics, if it has one.
    public var validation: [String: Double] = [:]
    /// The last learning rate used.
    public var learningRate: Double?
    /// Global samples per second over the epoch's steps (step time only).
    public var samplesPerSecond: Double?
    /// The summed step time of the epoch, in seconds (validation not included).
    public var stepSeconds: Double?
}

/// One point of a curve: x in epochs (fractional for train records), and the values.
public struct CurvePoint: Sendable {
    public var x: Double
    public var step: Int
    public var values: [String: Double]
}

/// A run's metrics, digested for review.
public struct RunReview: Sendable {
    /// The run's label (its directory name).
    public let name: String
    /// The metrics file.
    public let path: String
    /// Train metric names in first-seen order (`loss`, `accuracy`, …).
    public private(set) var trainMetrics: [String] = []
    /// Val/test metric names in first-seen order (`loss`, `accuracy`, `f1_macro`, `auc`, …).
    public private(set) var evaluationMetrics: [String] = []
    /// One row per epoch that has records.
    public private(set) var epochs: [EpochRow] = []
    /// Every train record as a point (x: fractional epoch).
    public private(set) var trainCurve: [CurvePoint] = []
    /// Every val record as a point (x: its epoch).
    public private(set) var validationCurve: [CurvePoint] = []
    /// The test record's metrics, if the run wrote one.
    public private(set) var test: [String: Double]?
    /// The test record's step: before `lastStep` when a resumed run went on past the end of
    /// the segment that wrote it (and has not written its own yet).
    public private(set) var testStep: Int?
    /// The global step of the last record.
    public private(set) var lastStep = 0
    /// Wall time from the first step to the last record, summed over resumed segments, seconds.
    public private(set) var wallSeconds: Double?
    /// Global training throughput over all steps (step time only), samples per second.
    public private(set) var samplesPerSecond: Double?
    /// The world sizes the run used, in order (several after a resume on another world size).
    public private(set) var worldSizes: [Int] = []
    /// Resumed segments after the first.
    public let resumeCount: Int
    /// Lines skipped: malformed complete lines, and a partial last line.
    public let malformedLines: [Int]
    public let endsInPartialLine: Bool

    /// Digests `history`; `name` labels the run in tables and legends.
    public init(history: MetricsHistory, name: String) {
        self.name = name
        path = history.path
        resumeCount = history.resumes.count
        malformedLines = history.malformedLines
        endsInPartialLine = history.endsInPartialLine
        let train = history.records.filter { $0.split == "train" }
        let validation = history.records.filter { $0.split == "val" }
        for record in train { for key in record.fields.map(\.key) where isMetric(record, key, bookkeeping: trainBookkeeping) && !trainMetrics.contains(key) { trainMetrics.append(key) } }
        for record in validation + history.records.filter({ $0.split == "test" }) {
            for key in record.fields.map(\.key) where isMetric(record, key, bookkeeping: evaluationBookkeeping) && !evaluationMetrics.contains(key) {
                evaluationMetrics.append(key)
            }
        }
        lastStep = history.records.compactMap(\.step).max() ?? 0
        let testRecord = history.records.last { $0.split == "test" }
        test = testRecord.map { values($0, evaluationMetrics) }
        testStep = testRecord?.step
        buildEpochs(train: train, validation: validation)
        buildCurves(train: train, validation: validation)
        summarizeTime(history: history, train: train)
    }

    private func isMetric(_ record: MetricsRecord, _ key: String, bookkeeping: Set<String>) -> Bool {
        !bookkeeping.contains(key) && key != "split" && record[key]?.doubleValue != nil
    }

    private func values(_ record: MetricsRecord, _ keys: [String]) -> [String: Double] {
        var result: [String: Double] = [:]
        for key in keys { if let value = record.number(key) { result[key] = value } }
        return result
    }

    private mutating func buildEpochs(train: [MetricsRecord], validation: [MetricsRecord]) {
        let epochNumbers = Set((train + validation).compactMap(\.epoch)).filter { $0 > 0 }.sorted()
        for epoch in epochNumbers {
            var row = EpochRow(epoch: epoch, step: 0)
            let records = train.filter { $0.epoch == epoch }
            var weight = 0.0, sums: [String: Double] = [:]
            var samples = 0.0, seconds = 0.0
            for record in records {
                let steps = record.number("steps") ?? 1
                weight += steps
                for key in trainMetrics { if let value = record.number(key) { sums[key, default: 0] += value * steps } }
                if let rate = record.number("samples_per_sec"), let stepMs = record.number("step_ms") {
                    samples += rate * steps * stepMs / 1000
                    seconds += steps * stepMs / 1000
                }
                row.learningRate = record.number("lr") ?? row.learningRate
            }
            if weight > 0 { row.train = sums.mapValues { $0 / weight } }
            if seconds > 0 {
                row.samplesPerSecond = samples / seconds
                row.stepSeconds = seconds
            }
            if let record = validation.last(where: { $0.epoch == epoch }) { row.validation = values(record, evaluationMetrics) }
            row.step = (records.compactMap(\.step) + validation.filter { $0.epoch == epoch }.compactMap(\.step)).max() ?? 0
            epochs.append(row)
        }
    }

    /// Records are placed inside their epoch by their step: x = (e − 1) + (step − first step of
    /// e) / (steps of e). An epoch still running takes the previous epoch's length. A val record
    /// at the end of its epoch sits at x = e; one written mid-epoch (by a `--max-steps` segment
    /// that a resumed run went on from) sits where it was written, not on the epoch's end.
    private mutating func buildCurves(train: [MetricsRecord], validation: [MetricsRecord]) {
        var previousEnd = 0, previousLength: Int?
        var placement: [Int: (start: Int, length: Int)] = [:]
        for (index, row) in epochs.enumerated() {
            let complete = index + 1 < epochs.count || !row.validation.isEmpty
            let start = previousEnd
            let length = complete ? row.step - start : max(previousLength ?? (row.step - start), row.step - start)
            placement[row.epoch] = (start, length)
            previousEnd = row.step
            previousLength = length
        }
        func x(epoch: Int, step: Int) -> Double {
            guard let (start, length) = placement[epoch] else { return Double(epoch) }
            return Double(epoch - 1) + (length > 0 ? min(1, max(0, Double(step - start) / Double(length))) : 1)
        }
        for row in epochs {
            for record in train where record.epoch == row.epoch {
                guard let step = record.step else { continue }
                trainCurve.append(CurvePoint(x: x(epoch: row.epoch, step: step), step: step, values: values(record, trainMetrics)))
            }
        }
        validationCurve = validation.compactMap { record in
            guard let epoch = record.epoch, let step = record.step else { return nil }
            return CurvePoint(x: x(epoch: epoch, step: step), step: step, values: values(record, evaluationMetrics))
        }
    }

    private mutating func summarizeTime(history: MetricsHistory, train: [MetricsRecord]) {
        var samples = 0.0, seconds = 0.0
        for record in train {
            guard let rate = record.number("samples_per_sec"), let stepMs = record.number("step_ms") else { continue }
            let steps = record.number("steps") ?? 1
            samples += rate * steps * stepMs / 1000
            seconds += steps * stepMs / 1000
        }
        samplesPerSecond = seconds > 0 ? samples / seconds : nil
        for record in train {
            if let size = record.integer("world_size"), worldSizes.last != size { worldSizes.append(size) }
        }
        // segments: the first starts one interval before its first record, a resumed one at its resume record
        var wall = 0.0, segmentStart: Double?, segmentEnd: Double?
        var resumeTimes = history.resumes.compactMap { $0.number("time") }
        func closeSegment() {
            if let start = segmentStart, let end = segmentEnd, end > start { wall += end - start }
        }
        for record in history.records {
            guard let time = record.number("time") else { continue }
            while let next = resumeTimes.first, next <= time {
                closeSegment()
                segmentStart = next
                segmentEnd = nil
                resumeTimes.removeFirst()
            }
            if segmentStart == nil {
                let firstInterval = (record.number("steps") ?? 0) * (record.number("step_ms") ?? 0) / 1000
                segmentStart = time - firstInterval
            }
            segmentEnd = time
        }
        closeSegment()
        wallSeconds = wall > 0 ? wall : nil
    }

    // MARK: - Best epoch

    /// The epoch whose val record is best by `monitor` (`val_loss`, `val_accuracy`, `val_f1_macro`,
    /// …, or the bare metric name), the first one on ties; nil without val records holding it.
    public func bestEpoch(monitor: String) -> EpochRow? {
        let key = RunReview.validationKey(monitor)
        let lower = lowerIsBetterMetrics.contains(key)
        var best: EpochRow?
        for row in epochs {
            guard let value = row.validation[key], !value.isNaN else { continue }
            if let current = best?.validation[key], lower ? value >= current : value <= current { continue }
            best = row
        }
        return best
    }

    /// Whether `monitor` can pick a best epoch of this run, now or once it has val records: a
    /// name val records can hold (`evaluationMetricNames`), or one that its records hold.
    public func canMonitor(_ monitor: String) -> Bool {
        let key = RunReview.validationKey(monitor)
        return evaluationMetricNames.contains(key) || evaluationMetrics.contains(key)
    }

    /// `val_loss` → `loss`; a name without the prefix is taken as it is.
    public static func validationKey(_ monitor: String) -> String {
        monitor.hasPrefix("val_") ? String(monitor.dropFirst(4)) : monitor
    }
}
