// The loss, the task's metrics and (for softmax classifiers) the predicted probabilities of the
// model on a whole dataset file, in evaluation mode.
import Data
import Foundation
import Metrics
import NN
import Tensors

/// What one pass over a dataset file gives: the loss and task tally (accuracy, or MAE, MSE,
/// RMSE and R²) and, for a softmax classifier, every sample's probabilities, for the metrics of
/// `evaluation.metrics`.
struct EvaluationResult {
    var tally: TaskTally
    /// Softmax probabilities and labels (nil unless the loss is softmax cross-entropy).
    var predictions: ClassificationPredictions?

    /// The mean loss per sample.
    var loss: Double { tally.loss }
    /// The fraction of correct predictions (NaN for a regression).
    var accuracy: Double { tally.accuracy }
    /// Samples evaluated.
    var count: Int { tally.count }
    /// Whether the task reports accuracy (classification).
    var reportsAccuracy: Bool { tally.reportsAccuracy }

    /// The console summary of the task's metrics (TaskTally.summary).
    func summary(_ prefix: String = "", accuracyName: String = "acc") -> String {
        tally.summary(prefix, accuracyName: accuracyName)
    }
}

/// Runs `model` over every sample of `shard` in batches of `batchSize`, tallies the loss and the
/// task's metrics, and, for softmax cross-entropy, keeps the softmax of every row of logits.
/// Parameters and gradients are not touched.
func evaluate(_ model: Sequential, loss: any Loss, on shard: DatasetShard, batchSize: Int) -> EvaluationResult {
    var tally = TaskTally(for: loss)
    let keepProbabilities = loss is SoftmaxCrossEntropy
    let classes = model.outputShape.reduce(1, *)
    var probabilities = [Float](repeating: 0, count: keepProbabilities ? shard.count * classes : 0)
    var start = 0
    while start < shard.count {
        let end = min(start + batchSize, shard.count)
        let outputs = model.forward(shard.features.rows(start..<end), mode: .evaluation)
        let targets = shard.lossTargets(start..<end)
        let value = loss.forward(outputs, targets: targets)
        tally.add(meanLoss: value, outputs: outputs, targets: targets)
        if keepProbabilities {
            probabilities.withUnsafeMutableBufferPointer { output in
                softmaxRows(outputs.pointer, rows: end - start, classes: classes, into: output.baseAddress! + start * classes)
            }
        }
        start = end
    }
    let predictions = keepProbabilities
        ? ClassificationPredictions(labels: shard.labels, probabilities: probabilities, classes: classes) : nil
    return EvaluationResult(tally: tally, predictions: predictions)
}

/// `output[i, j] = exp(z[i, j] − max_j z[i]) / Σ_j exp(…)`, computed in Double per row.
private func softmaxRows(_ z: UnsafePointer<Float>, rows: Int, classes: Int, into output: UnsafeMutablePointer<Float>) {
    for row in 0..<rows {
        let base = row * classes
        var largest = z[base]
        for j in 1..<classes { largest = max(largest, z[base + j]) }
        var sum = 0.0
        for j in 0..<classes { sum += exp(Double(z[base + j] - largest)) }
        for j in 0..<classes { output[base + j] = Float(exp(Double(z[base + j] - largest)) / sum) }
    }
}
