// Loss and accuracy of the model on a whole dataset file, in evaluation mode.
import Data
import Metrics
import NN
import Tensors

/// Runs `model` over every sample of `shard` in batches of `batchSize` and tallies loss and
/// accuracy. Parameters and gradients are not touched.
func evaluate(_ model: Sequential, loss: SoftmaxCrossEntropy, on shard: DatasetShard, batchSize: Int) -> ClassificationTally {
    var tally = ClassificationTally()
    var start = 0
    while start < shard.count {
        let end = min(start + batchSize, shard.count)
        let logits = model.forward(shard.features.rows(start..<end), mode: .evaluation)
        let labels = Array(shard.labels[start..<end])
        let value = loss.forward(logits, labels: labels)
        tally.add(meanLoss: value, logits: logits.pointer, rows: end - start, classes: logits.rowLength, labels: labels)
        start = end
    }
    return tally
}
