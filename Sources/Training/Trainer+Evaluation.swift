// The val and test records of metrics.jsonl: loss, accuracy and the metrics of
// `evaluation.metrics` computed from the predicted probabilities (docs/metrics.md).
import Foundation
import Metrics

extension Trainer {
    /// The record of one evaluation on `split` ("val" or "test") after `step` steps.
    func evaluationRecord(split: String, tally result: EvaluationResult, step: Int, epoch: Int) -> MetricsRecord {
        var record = MetricsRecord()
        record["time"] = .number(Date().timeIntervalSince1970)
        record["step"] = .integer(step)
        record["epoch"] = .integer(epoch)
        record["split"] = .text(split)
        record["loss"] = .number(result.loss)
        result.tally.addMetrics(to: &record)   // accuracy, or mae, mse, rmse, r2 (like the train records)
        // the rest of evaluation.metrics from the probabilities (softmax classifiers)
        let more = config.reporting.metrics.filter { $0 != "accuracy" }
        if !more.isEmpty, let predictions = result.predictions {
            let report = ClassificationReport(predictions)
            for name in more { record[name] = report.value(of: name).map { .number($0) } }
        }
        record["samples"] = .integer(result.count)
        return record
    }
}
