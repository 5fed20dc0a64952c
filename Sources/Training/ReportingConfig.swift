// The `evaluation` and `logging` sections of the config: which metrics val and test records
// carry, and which files and console output rank 0 writes besides metrics.jsonl.
import Metrics

/// What rank 0 measures on validation and test, and where it reports (docs/config.md).
public struct ReportingConfig: Equatable, Sendable {
    /// Metrics of every val and test record besides `loss` (`evaluation.metrics`).
    public var metrics = ["accuracy", "f1_macro", "auc"]
    /// Write TensorBoard event files to `<run>/tensorboard/` (`logging.tensorboard`).
    public var tensorboard = false
    /// Write `<run>/metrics.csv` beside metrics.jsonl (`logging.csv`).
    public var csv = false
    /// `auto` (a progress bar when stdout is a terminal), `bar`, or `lines` (`logging.progress`).
    public var progress = "auto"

    /// The names `evaluation.metrics` accepts for a classification model.
    static let classificationMetrics = ClassificationReport.metricNames
    /// Regression metric names (MAE, MSE, RMSE, R²): accepted once the model can have a
    /// regression loss; the branch that adds those losses lists them here.
    static let regressionMetrics: [String] = []

    /// The defaults.
    public init() {}
}

extension TrainingConfig {
    /// Reads `evaluation` and `logging` into `reporting`.
    mutating func readReporting(_ root: inout ConfigReader) throws {
        var evaluation = try root.section("evaluation")
        if evaluation.tree("metrics") != nil {
            let allowed = ReportingConfig.classificationMetrics + ReportingConfig.regressionMetrics
            let names = try evaluation.list("metrics").map { item -> String in
                guard case .scalar(let name) = item, allowed.contains(name) else {
                    throw evaluation.error("metrics", "must list names from \(allowed.joined(separator: ", ")), got \(item)")
                }
                return name
            }
            guard Set(names).count == names.count else { throw evaluation.error("metrics", "lists a metric twice: \(names)") }
            reporting.metrics = names
        }
        try evaluation.finish()

        var logging = try root.section("logging")
        reporting.tensorboard = try logging.bool("tensorboard", default: reporting.tensorboard)
        reporting.csv = try logging.bool("csv", default: reporting.csv)
        reporting.progress = try logging.choice("progress", default: reporting.progress, from: ["auto", "bar", "lines"])
        try logging.finish()
    }

    /// The two sections as lines of the resolved config.yaml.
    var reportingYAML: [String] {
        ["evaluation:", "  metrics: [\(reporting.metrics.joined(separator: ", "))]",
         "logging:", "  tensorboard: \(reporting.tensorboard)", "  csv: \(reporting.csv)", "  progress: \(reporting.progress)"]
    }

    /// The columns of metrics.csv: every field of train, val, test and resume records, in the
    /// order metrics.jsonl writes them. After `loss` come the task's metrics: `accuracy` and the
    /// rest of `evaluation.metrics` for a softmax classifier, `accuracy` for binary
    /// cross-entropy, `mae`, `mse`, `rmse` and `r2` for a regression loss.
    var csvColumns: [String] {
        let metrics = isRegressionLoss ? ["mae", "mse", "rmse", "r2"]
            : loss == "softmax_cross_entropy" ? ["accuracy"] + reporting.metrics.filter { $0 != "accuracy" } : ["accuracy"]
        return ["time", "step", "epoch", "split", "loss"] + metrics
            + ["lr", "grad_norm", "samples_per_sec", "step_ms", "compute_ms", "comm_ms", "allreduce_wait_ms", "data_ms", "steps", "samples", "world_size"]
    }
}
