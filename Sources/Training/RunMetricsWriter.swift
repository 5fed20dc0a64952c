// Everything rank 0 writes for one metrics record: the line of metrics.jsonl, and, when the
// config asks for them, a row of metrics.csv and TensorBoard scalars.
import Metrics

/// Writes each record to metrics.jsonl and to the optional CSV and TensorBoard outputs.
final class RunMetricsWriter {
    private let log: MetricsLog
    private let csv: CSVMetricsLog?
    private let tensorboard: TensorBoardWriter?
    private let worldSize: Int

    /// Opens the outputs of `runDirectory` that `config.reporting` asks for: truncated for a
    /// fresh run, appended to on a resume (TensorBoard starts a new event file either way).
    init(runDirectory: RunDirectory, config: TrainingConfig, worldSize: Int, append: Bool) throws {
        log = try MetricsLog(path: runDirectory.metricsPath, append: append)
        csv = config.reporting.csv ? try CSVMetricsLog(path: runDirectory.csvPath, columns: config.csvColumns, append: append) : nil
        tensorboard = config.reporting.tensorboard ? try TensorBoardWriter(directory: runDirectory.tensorboardPath) : nil
        self.worldSize = worldSize
    }

    /// Writes `record` everywhere. Train records get the run's `world_size` as their last field,
    /// so that a reader knows it for every segment of a resumed run.
    func write(_ record: MetricsRecord) throws {
        var record = record
        if record.split == "train" && record["world_size"] == nil { record["world_size"] = .integer(worldSize) }
        try log.write(record)
        try csv?.write(record)
        try tensorboard?.write(record)
    }

    /// Closes every file.
    func close() {
        log.close()
        csv?.close()
        tensorboard?.close()
    }
}
