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

    /// Shards of 1×4×4 images.
    private func imageShards(_ sizes: [Int]) throws -> (TemporaryDirectory, [(index: Int, shard: DatasetShard)]) {
        let directory = try TemporaryDirectory("loader-images")
        try TinyDatasets.writeBlobDirectory(directory.path, shardSizes: sizes, features: 16, featureShape: [1, 4, 4])
        let found = try DatasetDirectory(path: directory.path)
        return (directory, try found.trainShards.enumerated().map { (index: $0, shard: try DatasetShard.load(path: $1)) })
    }

    @Test func augmentedSamplesDoNotDependOnTheRankTheyAreDrawnOn() throws {
        let (_, all) = try imageShards([40, 40])
        let augmentation = Augmentation(cropPadding: 1, horizontalFlip: true)
        let single = try TrainingLoader(shards: all, batchSize: 8, seed: 3, augmentation: augmentation)
        let rank0 = try TrainingLoader(shards: [all[0]], batchSize: 4, seed: 3, augmentation: augmentation)
        let rank1 = try TrainingLoader(shards: [all[1]], batchSize: 4, seed: 3, augmentation: augmentation)
        let plain = try TrainingLoader(shards: all, batchSize: 8, seed: 3)
        var changed = 0
        for epoch in [0, 2] {
            for step in 0..<single.stepsPerEpoch {
                let union = rank0.batch(epoch: epoch, step: step).features.toArray() + rank1.batch(epoch: epoch, step: step).features.toArray()
                let batch = single.batch(epoch: epoch, step: step)
                #expect(batch.features.toArray() == union)
                #expect(batch.labels == plain.batch(epoch: epoch, step: step).labels)   // same samples, augmented
                changed += batch.features.toArray() != plain.batch(epoch: epoch, step: step).features.toArray() ? 1 : 0
            }
        }
        #expect(changed == 2 * single.stepsPerEpoch)
        // a fresh loader (a resumed run) sees the same batch as one with a history
        let fresh = try TrainingLoader(shards: all, batchSize: 8, seed: 3, augmentation: augmentation)
        #expect(fresh.batch(epoch: 2, step: 1).features.toArray() == single.batch(epoch: 2, step: 1).features.toArray())
        #expect(single.batch(epoch: 0, step: 1).features.toArray() != single.batch(epoch: 1, step: 1).features.toArray())
    }

    @Test func rowsOfASplitFileAreAugmentedAsInTheWholeFile() throws {
        // 4 ranks on 2 files: rank 2 holds rows 20..<40 of file 0; its row i is file row 20 + i
        let (directory, all) = try imageShards([40, 40])
        let augmentation = Augmentation(cropPadding: 2, horizontalFlip: true)
        let whole = try TrainingLoader(shards: [all[0]], batchSize: 40, seed: 5, shuffle: false, augmentation: augmentation)
        let part = try DatasetShard.load(path: all[0].shard.path, rows: 20..<40)
        let split = try TrainingLoader(shards: [(index: 2, shard: part)], batchSize: 20, seed: 5, shuffle: false,
                                       augmentation: augmentation, origins: [(file: 0, firstRow: 20)])
        let rows = whole.batch(epoch: 1, step: 0).features.toArray()
        #expect(split.batch(epoch: 1, step: 0).features.toArray() == Array(rows[(20 * 16)...]))
        _ = directory
    }

    @Test func augmentationNeedsImages() throws {
        let (_, all) = try shards([20])
        let error = #expect(throws: LoaderError.self) {
            try TrainingLoader(shards: all, batchSize: 4, seed: 1, augmentation: Augmentation(horizontalFlip: true))
        }
        #expect(error?.description.contains("feature shape [2]") == true)
    }

    @Test func batchLargerThanAShardIsExplained() throws {
        let (_, all) = try shards([5])
        let error = #expect(throws: LoaderError.self) { try TrainingLoader(shards: all, batchSize: 8, seed: 1) }
        #expect(error?.description.contains("train-00000-of-00001.h5 has 5 samples") == true)
    }
}
