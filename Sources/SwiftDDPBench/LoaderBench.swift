// Issue 8: shard loading throughput, as training does it: each training shard of a dataset
// directory read whole with `DatasetShard.load` as the trainer loads them (uint8 features kept as
// bytes, others converted to float32 and normalized), then batches drawn by `TrainingLoader`
// (shuffle of a new epoch, rows normalized into the batch buffer) at the config's batch size and
// augmentation.
import Comm
import Data
import Foundation

enum LoaderBench {
    static func run(dataDirectory: String, batch: Int, repetitions: Int, horizontalFlip: Bool) throws {
        let directory = try DatasetDirectory(path: dataDirectory, requireAllShards: true)
        let paths = directory.trainShards
        let fileBytes = paths.reduce(0) { $0 + fileSize($1) }

        var loadTimes: [Double] = [], epochTimes: [Double] = [], batchTimes: [Double] = []
        var samples = 0, memoryBytes = 0, floatBytes = 0, batchesPerRun = 0
        for repetition in 0..<repetitions {
            let start = monotonicSeconds()
            let shards = try paths.enumerated().map { (index: $0.offset, shard: try DatasetShard.load(path: $0.element, keepingBytes: true)) }
            loadTimes.append(monotonicSeconds() - start)
            samples = shards.reduce(0) { $0 + $1.shard.count }
            memoryBytes = shards.reduce(0) { $0 + $1.shard.features.memoryBytes }
            floatBytes = shards.reduce(0) { $0 + $1.shard.features.count * MemoryLayout<Float>.stride }

            let loader = try TrainingLoader(shards: shards, batchSize: batch, seed: 42,
                                            augmentation: Augmentation(cropPadding: 0, horizontalFlip: horizontalFlip))
            // the first batch of an epoch also shuffles (and draws the augmentation); the rest copy rows
            var t = monotonicSeconds()
            _ = loader.batch(epoch: repetition, step: 0)
            epochTimes.append(monotonicSeconds() - t)
            batchesPerRun = loader.stepsPerEpoch - 1
            t = monotonicSeconds()
            for step in 1..<loader.stepsPerEpoch { _ = loader.batch(epoch: repetition, step: step) }
            batchTimes.append((monotonicSeconds() - t) / Double(max(batchesPerRun, 1)))
        }

        let load = median(loadTimes), epochStart = median(epochTimes), perBatch = median(batchTimes)
        print("== shard loading, \(paths.count) training shard(s) of \(dataDirectory): \(samples) samples, "
              + "\(fmt(Double(fileBytes) / 1e6, 1)) MB of files, \(fmt(Double(memoryBytes) / 1e6, 1)) MB in memory "
              + "(\(fmt(Double(floatBytes) / 1e6, 1)) MB as float32) ==")
        print("median [min–max] of \(repetitions) loads (page cache warm after the first)")
        print("load (HDF5 read, as the trainer keeps it)  \(spread(loadTimes, scale: 1e3, digits: 1)) ms = "
              + "\(fmt(Double(fileBytes) / load / 1e6, 0)) MB/s of file, \(fmt(Double(memoryBytes) / load / 1e6, 0)) MB/s in memory, "
              + "\(fmt(Double(samples) / load, 0)) samples/s")
        print("batch of \(batch)\(horizontalFlip ? " (horizontal flip)" : ""): first of an epoch (shuffle) \(fmt(epochStart * 1e3, 2)) ms, "
              + "then \(fmt(perBatch * 1e6, 1)) µs each = \(fmt(Double(batch) / perBatch, 0)) samples/s")
        var result = ResultLine("loader")
        result.add("batch", Double(batch))
        result.add("flip", horizontalFlip ? 1 : 0)
        result.add("shards", Double(paths.count))
        result.add("samples", Double(samples))
        result.add("file_mb", Double(fileBytes) / 1e6)
        result.add("memory_mb", Double(memoryBytes) / 1e6)
        result.add("float32_mb", Double(floatBytes) / 1e6)
        result.add("load_s", load)
        result.add("load_file_mb_per_s", Double(fileBytes) / load / 1e6)
        result.add("load_memory_mb_per_s", Double(memoryBytes) / load / 1e6)
        result.add("load_samples_per_s", Double(samples) / load)
        result.add("epoch_start_ms", epochStart * 1e3)
        result.add("batch_us", perBatch * 1e6)
        result.add("batch_samples_per_s", Double(batch) / perBatch)
        result.print()
    }

    private static func fileSize(_ path: String) -> Int {
        ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.intValue ?? 0
    }
}
