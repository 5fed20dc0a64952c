// The loss and the task's metrics over batches, for whichever loss the run trains with:
// accuracy for class ids, MAE, MSE, RMSE and R² for regression (the sums live in Metrics).
import Metrics
import NN
import Tensors

/// Tallies a run's batches for its records and console lines.
///
/// Softmax cross-entropy gives loss and arg-max accuracy, binary cross-entropy loss and the
/// accuracy of each output at 0.5, the regression losses (MSE, MAE, Huber) loss, MAE, MSE, RMSE
/// and R² (docs/metrics.md).
struct TaskTally {
    private var classes: ClassificationTally?
    private var binary: BinaryTally?
    private var regression: RegressionTally?   // sized by the first batch

    /// An empty tally for batches scored by `loss`.
    init(for loss: any Loss) {
        if loss is SoftmaxCrossEntropy {
            classes = ClassificationTally()
        } else if loss is BinaryCrossEntropy {
            binary = BinaryTally()
        }
    }

    /// Whether the records carry `accuracy` (classification) or MAE, MSE, RMSE and R² (regression).
    var reportsAccuracy: Bool { classes != nil || binary != nil }

    /// Adds one batch: the model's `outputs` (N, K), the loss's `targets`, and the batch's mean loss.
    mutating func add(meanLoss: Float, outputs: Tensor, targets: Targets) {
        switch targets {
        case .classes(let labels):
            classes?.add(meanLoss: meanLoss, logits: outputs.pointer, rows: outputs.rowCount, classes: outputs.rowLength, labels: labels)
            binary?.add(meanLoss: meanLoss, logits: outputs.pointer, labels: labels)
        case .values(let values):
            binary?.add(meanLoss: meanLoss, logits: outputs.pointer, targets: values.pointer, rows: outputs.rowCount, values: outputs.count)
            if !reportsAccuracy {
                if regression == nil { regression = RegressionTally(targets: outputs.rowLength) }
                regression?.add(meanLoss: meanLoss, predictions: outputs.pointer, targets: values.pointer, rows: outputs.rowCount)
            }
        }
    }

    /// The mean loss per sample.
    var loss: Double { classes?.loss ?? binary?.loss ?? regression?.loss ?? .nan }

    /// The accuracy, or NaN for a regression.
    var accuracy: Double { classes?.accuracy ?? binary?.accuracy ?? .nan }

    /// Samples seen.
    var count: Int { classes?.count ?? binary?.count ?? regression?.count ?? 0 }

    /// The task's metrics after `loss`: `accuracy`, or `mae`, `mse`, `rmse` and `r2`.
    var metrics: [(key: String, value: Double)] {
        guard !reportsAccuracy else { return [("accuracy", accuracy)] }
        let tally = regression ?? RegressionTally(targets: 1)
        return [("mae", tally.meanAbsoluteError), ("mse", tally.meanSquaredError),
                ("rmse", tally.rootMeanSquaredError), ("r2", tally.r2)]
    }

    /// Adds `metrics` to a record.
    func addMetrics(to record: inout MetricsRecord) {
        for (key, value) in metrics { record[key] = .number(value) }
    }

    /// `acc 0.8750`, or `mae 0.4100 | rmse 0.5500 | r2 0.5123`, each name after `prefix`
    /// (`val_acc …`); `accuracyName` replaces `acc`.
    func summary(_ prefix: String = "", accuracyName: String = "acc") -> String {
        metrics.filter { $0.key != "mse" }
            .map { "\(prefix)\($0.key == "accuracy" ? accuracyName : $0.key) \(fixed($0.value, 4))" }
            .joined(separator: " | ")
    }
}
