// Loss, accuracy and predicted probabilities of the model on a whole dataset file, in
// evaluation mode.
import Data
import Foundation
import Metrics
import NN
import Tensors

/// What one pass over a dataset file gives: the loss and accuracy tally (arg-max of the logits)
/// and every sample's softmax probabilities, for the metrics of `evaluation.metrics`.
struct EvaluationResult {
    var tally: ClassificationTally
    var predictions: ClassificationPredictions

    /// The mean loss per sample.
    var loss: Double { tally.loss }
    /// The fraction of correct arg-max predictions.
    var accuracy: Double { tally.accuracy }
    /// Samples evaluated.
    var count: Int { tally.count }
}

/// Runs `model` over every sample of `shard` in batches of `batchSize`, tallies loss and
/// accuracy, and keeps the softmax of every row of logits. Parameters and gradients are not
/// touched.
func evaluate(_ model: Sequential, loss: SoftmaxCrossEntropy, on shard: DatasetShard, batchSize: Int) -> EvaluationResult {
    var tally = ClassificationTally()
    let classes = model.outputShape.reduce(1, *)
    var probabilities = [Float](repeating: 0, count: shard.count * classes)
    var start = 0
    while start < shard.count {
        let end = min(start + batchSize, shard.count)
        let logits = model.forward(shard.features.rows(start..<end), mode: .evaluation)
        let labels = Array(shard.labels[start..<end])
        let value = loss.forward(logits, labels: labels)
        tally.add(meanLoss: value, logits: logits.pointer, rows: end - start, classes: logits.rowLength, labels: labels)
        probabilities.withUnsafeMutableBufferPointer { output in
            softmaxRows(logits.pointer, rows: end - start, classes: classes, into: output.baseAddress! + start * classes)
        }
        start = end
    }
    return EvaluationResult(tally: tally, predictions: ClassificationPredictions(labels: shard.labels, probabilities: probabilities, classes: classes))
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
