import Data
import Tensors
import Testing
import TestSupport

struct LoaderTests {
    private func shards(_ sizes: [Int]) throws -> (TemporaryDirectory, [(index: Int, shard: DatasetShard)]) {
        let directory = try TemporaryDirectory("loader")
        try TinyDatasets.writeBlobDirectory(directory.path, shardSizes: sizes, features: 2)
        let found = try DatasetDirectory(path: directory.path)
        return (directory, try found.trainShards.enumerated().map { (index: $0, shard: try DatasetShard.load(path: $1)) })
    }

    @Test func stepsPerEpochFollowTheSmallestShard() throws {
        let (_, all) = try shards([50, 41])
        let loader = try TrainingLoader(shards: all, batchSize: 10, seed: 1)
        #expect(loader.parts == [5, 5])
        #expect(loader.stepsPerEpoch == 8)   // ⌊41 / 5⌋
    }

    @Test func oneProcessWithTwoShardsSeesTheUnionOfTwoRanksBatches() throws {
        let (_, all) = try shards([40, 40])
        let single = try TrainingLoader(shards: all, batchSize: 8, seed: 3)
        let rank0 = try TrainingLoader(shards: [all[0]], batchSize: 4, seed: 3)
        let rank1 = try TrainingLoader(shards: [all[1]], batchSize: 4, seed: 3)
        for step in 0..<single.stepsPerEpoch {
            let union = rank0.batch(epoch: 1, step: step).features.toArray() + rank1.batch(epoch: 1, step: step).features.toArray()
            #expect(single.batch(epoch: 1, step: step).features.toArray() == union)
        }
    }

    @Test func orderDependsOnSeedAndEpochOnly() throws {
        let (_, all) = try shards([60])
        let a = try TrainingLoader(shards: all, batchSize: 6, seed: 5)
        let b = try TrainingLoader(shards: all, batchSize: 6, seed: 5)
        _ = a.batch(epoch: 0, step: 3)                      // a different history…
        #expect(a.batch(epoch: 2, step: 1).labels == b.batch(epoch: 2, step: 1).labels)  // …same batch
        #expect(a.batch(epoch: 0, step: 0).features.toArray() != a.batch(epoch: 1, step: 0).features.toArray())
        let fileOrder = try TrainingLoader(shards: all, batchSize: 6, seed: 5, shuffle: false)
        #expect(fileOrder.batch(epoch: 4, step: 1).labels == Array(all[0].shard.labels[6..<12]))
    }

    @Test func batchLargerThanAShardIsExplained() throws {
        let (_, all) = try shards([5])
        let error = #expect(throws: LoaderError.self) { try TrainingLoader(shards: all, batchSize: 8, seed: 1) }
        #expect(error?.description.contains("train-00000-of-00001.h5 has 5 samples") == true)
    }
}
