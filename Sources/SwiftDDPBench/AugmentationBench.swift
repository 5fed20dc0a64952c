// What data.augmentation costs the training loop: the per-epoch draw of every sample's crop and
// flip, and an augmented batch against a plain copy, on a Fashion-MNIST-sized shard in memory.
import Comm
import Data
import Foundation
import Tensors

enum AugmentationBench {
    /// Prints the timings (median over `repetitions`) and a RESULT line.
    static func run(repetitions: Int, batch: Int) throws {
        let rows = 27_500, shape = [1, 28, 28]
        let features = Tensor(zeros: [rows, 784])
        var generator = Generator(seed: 3)
        for i in 0..<features.count { features.pointer[i] = generator.nextUnitFloat() }
        let shard = DatasetShard(features: features, labels: (0..<rows).map { Int32($0 % 10) }, numClasses: 10, featureShape: shape)
        let shards = [(index: 0, shard: shard), (index: 1, shard: shard)]         // 55,000 rows, as train-0000{0,1}
        let plain = try TrainingLoader(shards: shards, batchSize: batch, seed: 1)
        let augmented = try TrainingLoader(shards: shards, batchSize: batch, seed: 1,
                                           augmentation: Augmentation(cropPadding: 2, horizontalFlip: true))
        var epochDraw: [Double] = [], plainBatch: [Double] = [], augmentedBatch: [Double] = []
        let steps = 200
        for repetition in 0..<repetitions {
            var start = monotonicSeconds()
            _ = plain.batch(epoch: repetition, step: 0)                         // the shuffle alone
            let shuffle = monotonicSeconds() - start
            start = monotonicSeconds()
            _ = augmented.batch(epoch: repetition, step: 0)                     // shuffle + the epoch's draws
            epochDraw.append(monotonicSeconds() - start - shuffle)
            start = monotonicSeconds()
            for step in 1...steps { _ = plain.batch(epoch: repetition, step: step) }
            plainBatch.append((monotonicSeconds() - start) / Double(steps))
            start = monotonicSeconds()
            for step in 1...steps { _ = augmented.batch(epoch: repetition, step: step) }
            augmentedBatch.append((monotonicSeconds() - start) / Double(steps))
        }
        print("== data.augmentation {random_crop_padding: 2, horizontal_flip: true}, 55,000 rows of [1, 28, 28], batch \(batch) ==")
        print("per-epoch draw of every row's crop and flip  \(spread(epochDraw, scale: 1e3, digits: 1)) ms")
        print("batch, plain copy                            \(spread(plainBatch, scale: 1e6, digits: 1)) µs")
        print("batch, augmented                             \(spread(augmentedBatch, scale: 1e6, digits: 1)) µs")
        var result = ResultLine("augmentation")
        result.add("batch", Double(batch))
        result.add("epoch_draw_ms", median(epochDraw) * 1e3)
        result.add("plain_batch_us", median(plainBatch) * 1e6)
        result.add("augmented_batch_us", median(augmentedBatch) * 1e6)
        result.print()
    }
}
