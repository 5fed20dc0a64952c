// The loss and the task's metrics of the model on a whole dataset file, in evaluation mode.
import Data
import NN
import Tensors

/// Runs `model` over every sample of `shard` in batches of `batchSize` and tallies the loss and
/// the task's metrics (accuracy, or MAE, MSE, RMSE and R²). Parameters and gradients are not touched.
func evaluate(_ model: Sequential, loss: any Loss, on shard: DatasetShard, batchSize: Int) -> TaskTally {
    var tally = TaskTally(for: loss)
    var start = 0
    while start < shard.count {
        let end = min(start + batchSize, shard.count)
        let outputs = model.forward(shard.features.rows(start..<end), mode: .evaluation)
        let targets = shard.lossTargets(start..<end)
        let value = loss.forward(outputs, targets: targets)
        tally.add(meanLoss: value, outputs: outputs, targets: targets)
        start = end
    }
    return tally
}
