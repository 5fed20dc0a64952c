// The distributed features under real `mpirun` with 2 and 4 ranks (4 on 2 cores: oversubscribed),
// each next to the same check in the in-process debug mode (--simulate-ranks).
import Foundation
import Testing
import TestSupport
import Training

@Suite(.serialized, .enabled(if: mpirunAvailable, "mpirun is not on PATH: launch/test.sh installs openmpi-bin"))
struct MPIRunTests {
    /// A tiny dataset and config; `shards` training shards of the given sizes.
    private func workspace(shards: [Int], batchSize: Int = 8, extra: String = "") throws -> TemporaryDirectory {
        let directory = try TemporaryDirectory("mpi")
        try TinyDatasets.writeBlobDirectory(directory.file("data"), shardSizes: shards)
        try TinyDatasets.blobConfig(dataDirectory: directory.file("data"), epochs: 2, batchSize: batchSize, extra: extra)
            .write(toFile: directory.file("config.yaml"), atomically: true, encoding: .utf8)
        return directory
    }

    private func trainArguments(_ directory: TemporaryDirectory, run: String, _ extra: [String] = []) -> [String] {
        ["train", "--config", directory.file("config.yaml"), "--run-dir", directory.file(run), "--overwrite"] + extra
    }

    /// Trains under `mpirun` (run directory `mpi`) and with `--simulate-ranks` (`sim`), expects both
    /// to succeed with the same parameter checksum, and returns the `mpirun` run and its checksum.
    private func mpirunEqualsSimulated(_ directory: TemporaryDirectory, ranks: Int, _ extra: [String] = [],
                                       sourceLocation: SourceLocation = #_sourceLocation) throws -> (real: CommandResult, checksum: String) {
        let real = try mpirun(ranks: ranks, trainArguments(directory, run: "mpi", extra))
        #expect(real.status == 0, "\(real.error)", sourceLocation: sourceLocation)
        let simulated = try runCommand(builtProduct("swiftddp"), trainArguments(directory, run: "sim", extra + ["--simulate-ranks", String(ranks)]))
        #expect(simulated.status == 0, "\(simulated.error)", sourceLocation: sourceLocation)
        let checksum = try #require(parameterChecksum(real.output), "\(real.output)", sourceLocation: sourceLocation)
        #expect(parameterChecksum(simulated.output) == checksum, sourceLocation: sourceLocation)
        return (real, checksum)
    }

    @Test(arguments: [2, 4])
    func collectivesAreCorrect(ranks: Int) throws {
        let result = try mpirun(ranks: ranks, ["check-comm"])
        #expect(result.status == 0, "\(result.output)\(result.error)")
        #expect(result.output.contains("check-comm: \(ranks) rank(s): all"), "\(result.output)")
        let simulated = try swiftddp("check-comm", "--simulate-ranks", String(ranks))
        #expect(simulated.status == 0 && simulated.output.contains("all"), "\(simulated.output)")
    }

    /// With the default bucket size the tiny model is one bucket; 0.0001 MiB (26 floats) puts
    /// many buckets and pieces in flight at once, as a large model does.
    @Test(arguments: [(2, "4"), (4, "4"), (2, "0.0001"), (4, "0.0001")])
    func simulatedRanksEqualMpirunBitForBit(ranks: Int, bucketMegabytes: String) throws {
        let directory = try workspace(shards: [120, 120, 120, 120])
        let bucket = ["--set", "distributed.bucket_mb=\(bucketMegabytes)"]
        let (real, checksum) = try mpirunEqualsSimulated(directory, ranks: ranks, bucket)
        // and the same again: runs are reproducible bit for bit
        let again = try mpirun(ranks: ranks, trainArguments(directory, run: "mpi2", bucket))
        #expect(parameterChecksum(again.output) == checksum)
        // the ranks share this node, so the gradients were summed in shared memory; MPI transfers
        // (distributed.shared_memory off) give the same bits
        #expect(real.output.contains("gradients: summed in place in shared memory (\(ranks) ranks on one node)"), "\(real.output)")
        let transfers = try mpirun(ranks: ranks, trainArguments(directory, run: "mpi3", bucket + ["--set", "distributed.shared_memory=false"]))
        #expect(transfers.output.contains("gradients: all-reduced with MPI transfers"), "\(transfers.output)")
        #expect(parameterChecksum(transfers.output) == checksum)
    }

    /// `distributed.bucket_mb` changes only speed, at the default MLP's shapes (784-512-256-10,
    /// batch 128), where OpenBLAS's kernels decide the bits: buckets that start inside the first
    /// layer make `Dense` compute its weight gradient in blocks, and the blocks must give the bits
    /// of one GEMM (on Zen 3, blocks that started at any row did not). One BLAS thread per rank, the
    /// condition config.md states.
    @Test(arguments: [2, 4])
    func bucketSizeChangesOnlySpeedAtTheDefaultShapes(ranks: Int) throws {
        let directory = try TemporaryDirectory("mpi-buckets")
        try TinyDatasets.writeBlobDirectory(directory.file("data"), shardSizes: [256, 256, 256, 256], evalCount: 128,
                                            features: 784, classes: 10)
        try """
            name: buckets
            seed: 3
            data: {dir: '\(directory.file("data"))'}
            model:
              layers:
                - {type: dense, units: 512}
                - {type: relu}
                - {type: dense, units: 256}
                - {type: relu}
                - {type: dense, units: 10}
            optimizer: {type: sgd, learning_rate: 0.01, momentum: 0.9}
            training: {batch_size: 128, epochs: 1, log_every: 1}
            """.write(toFile: directory.file("config.yaml"), atomically: true, encoding: .utf8)
        let bucket = { (megabytes: String) in ["--set", "distributed.bucket_mb=\(megabytes)", "--blas-threads", "1"] }
        // 4 MiB: one bucket, every dW one GEMM; 0.3 MiB: five bucket starts inside the first layer
        let (_, oneBucket) = try mpirunEqualsSimulated(directory, ranks: ranks, bucket("4"))
        let (_, fiveInside) = try mpirunEqualsSimulated(directory, ranks: ranks, bucket("0.3"))
        #expect(fiveInside == oneBucket)
        // 0.0001 MiB: a report at every block
        let everyBlock = try runCommand(builtProduct("swiftddp"),
                                        trainArguments(directory, run: "tiny", bucket("0.0001") + ["--simulate-ranks", String(ranks)]))
        #expect(everyBlock.status == 0, "\(everyBlock.error)")
        #expect(parameterChecksum(everyBlock.output) == oneBucket)
    }

    @Test func regressionSimulatedRanksEqualMpirunBitForBit() throws {
        let directory = try TemporaryDirectory("mpi-regression")
        try TinyDatasets.writeLinearDirectory(directory.file("data"), shardSizes: [96, 96], targets: 2)
        try TinyDatasets.regressionConfig(dataDirectory: directory.file("data"), targets: 2, loss: "huber", epochs: 2, batchSize: 8)
            .write(toFile: directory.file("config.yaml"), atomically: true, encoding: .utf8)
        let (real, _) = try mpirunEqualsSimulated(directory, ranks: 2)
        #expect(real.output.contains("val_r2"), "\(real.output)")
        let metrics = { (run: String) in try String(contentsOfFile: directory.file("\(run)/metrics.jsonl"), encoding: .utf8) }
        let test = { (text: String) in text.split(separator: "\n").last.map { $0.replacing(/"time":[^,]*,/, with: "") } }
        #expect(try test(metrics("mpi")) == test(metrics("sim")))   // the same test record: loss, mae, mse, rmse, r2
    }

    /// Augmented batches (random crop and flip of 1×4×4 images) are keyed by sample, not by rank or
    /// step: simulated ranks, real ranks and a resumed run train on the same images.
    /// With 4 ranks the 2 files are split by rows, so the augmentation's (file, row) keys are tested too.
    @Test(arguments: [2, 4])
    func augmentedRunUnderSimulatedRanksEqualsMpirunBitForBit(ranks: Int) throws {
        let directory = try TemporaryDirectory("mpi-augment")
        try TinyDatasets.writeBlobDirectory(directory.file("data"), shardSizes: [64, 64], features: 16, featureShape: [1, 4, 4])
        try TinyDatasets.blobConfig(dataDirectory: directory.file("data"), epochs: 2, batchSize: 8)
            .write(toFile: directory.file("config.yaml"), atomically: true, encoding: .utf8)
        let augment = ["--set", "data.augmentation.random_crop_padding=1", "--set", "data.augmentation.horizontal_flip=true"]
        let (_, checksum) = try mpirunEqualsSimulated(directory, ranks: ranks, augment)
        let plain = try runCommand(builtProduct("swiftddp"), trainArguments(directory, run: "plain", ["--simulate-ranks", String(ranks)]))
        #expect(parameterChecksum(plain.output) != checksum)              // the augmentation did something
        // stopped in the middle of epoch 1 (8 or 4 steps per epoch) and resumed: the same parameters
        let simulate = augment + ["--simulate-ranks", String(ranks)]
        let stopped = try runCommand(builtProduct("swiftddp"), trainArguments(directory, run: "stopped", simulate + ["--max-steps", "5"]))
        #expect(stopped.status == 0, "\(stopped.error)")
        let resumed = try runCommand(builtProduct("swiftddp"), ["train", "--config", directory.file("config.yaml"),
                                                                "--run-dir", directory.file("stopped"), "--resume"] + simulate)
        #expect(resumed.output.contains("resuming from"), "\(resumed.output)\(resumed.error)")
        #expect(parameterChecksum(resumed.output) == checksum)
    }

    @Test func twoRanksMatchOneProcessOnTheSameGlobalBatch() throws {
        // 2 shards: one process with batch 16 takes 8 rows of each shard per step, exactly the
        // union of what two ranks with batch 8 take; only float summation order differs.
        let directory = try workspace(shards: [96, 96])
        let two = try mpirun(ranks: 2, trainArguments(directory, run: "two", ["--save-weights", directory.file("two.h5")]))
        #expect(two.status == 0, "\(two.error)")
        let one = try runCommand(builtProduct("swiftddp"),
                                 trainArguments(directory, run: "one", ["--set", "training.batch_size=16", "--save-weights", directory.file("one.h5")]))
        #expect(one.status == 0, "\(one.error)")
        let a = try WeightsFile.read(path: directory.file("two.h5")), b = try WeightsFile.read(path: directory.file("one.h5"))
        #expect(a.keys.sorted() == b.keys.sorted())
        var worst: Float = 0
        for (name, values) in a {
            for (x, y) in zip(values, b[name] ?? []) { worst = max(worst, abs(x - y)) }
        }
        #expect(worst <= 1e-5, "max |difference| \(worst)")
        #expect(worst > 0 || parameterChecksum(one.output) == parameterChecksum(two.output))
    }

    @Test(arguments: [2, 4])
    func unequalShardsFinishWithoutHanging(ranks: Int) throws {
        let directory = try workspace(shards: [100, 37])   // with 4 ranks each file is split by rows
        let result = try mpirun(ranks: ranks, trainArguments(directory, run: "uneven"), timeout: 120)
        #expect(result.status == 0, "status \(result.status): \(result.error)")
        #expect(result.output.contains("test accuracy"))
        let simulated = try runCommand(builtProduct("swiftddp"), trainArguments(directory, run: "uneven-sim", ["--simulate-ranks", String(ranks)]), timeout: 120)
        #expect(parameterChecksum(simulated.output) == parameterChecksum(result.output))
        // the ranks' parts differ (100 against 37 rows, or 50 against 19): the run says what that costs
        #expect(result.output.contains("warning: the ranks hold unequal parts of the training data"), "\(result.output)")
        #expect(simulated.output.contains("warning: the ranks hold unequal parts of the training data"), "\(simulated.output)")
    }

    @Test func equalPartsGiveNoUnequalDataWarning() throws {
        let directory = try workspace(shards: [64, 64])
        let result = try runCommand(builtProduct("swiftddp"), trainArguments(directory, run: "even", ["--simulate-ranks", "2"]), timeout: 120)
        #expect(result.status == 0, "\(result.error)")
        #expect(!result.output.contains("unequal parts"), "\(result.output)")
    }

    @Test func anErrorOnOneRankEndsTheWholeJob() throws {
        // Huge (finite, so preflight passes them) features in the second shard only: rank 1's
        // first layer overflows and it fails with --detect-anomalies while rank 0 waits in the
        // gradient all-reduce; the job must end.
        let directory = try workspace(shards: [64, 64])
        try TinyDatasets.poison(directory.file("data/train-00001-of-00002.h5"), value: 3e38, shardIndex: 1, shardCount: 2)
        let result = try mpirun(ranks: 2, trainArguments(directory, run: "fail", ["--detect-anomalies"]), timeout: 120)
        #expect(result.status != 0 && result.status != -9, "status \(result.status)")
        #expect(result.error.contains("error on rank 1"), "\(result.error)")
        #expect(result.error.contains("layers.0"), "\(result.error)")
    }

    /// A /dev/shm too small for the gradient window (a container's default size, say) must not
    /// crash the ranks (the window's pages would raise SIGBUS when touched): they warn and use MPI
    /// transfers, with the same bits. A private tmpfs of 4 MiB over /dev/shm stands in for it.
    @Test(.enabled(if: geteuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/bin/unshare"), "needs root for a private /dev/shm"))
    func tooLittleSharedMemoryFallsBackToMPITransfers() throws {
        let directory = try TemporaryDirectory("mpi-shm")
        try TinyDatasets.writeBlobDirectory(directory.file("data"), shardSizes: [64, 64], features: 100)
        try TinyDatasets.blobConfig(dataDirectory: directory.file("data"), epochs: 1, batchSize: 8)
            .write(toFile: directory.file("config.yaml"), atomically: true, encoding: .utf8)
        let wide = ["--set", "model.layers.0.units=4096"]   // 100 × 4096 weights: a 1.6 MB gradient per rank
        let normal = try mpirun(ranks: 2, trainArguments(directory, run: "normal", wide))
        #expect(normal.output.contains("gradients: summed in place in shared memory"), "\(normal.output)\(normal.error)")
        let cramped = try runCommand("/usr/bin/unshare", ["--mount", "sh", "-c", "mount -t tmpfs -o size=4M tmpfs /dev/shm && exec \"$@\"", "sh",
                                                          repositoryRoot + "/launch/mpirun.sh"] + trainArguments(directory, run: "cramped", wide),
                                     environment: ["RANKS": "2", "SWIFTDDP": builtProduct("swiftddp")], timeout: 120)
        #expect(cramped.status == 0, "\(cramped.output)\(cramped.error)")
        #expect(cramped.error.contains("swiftddp: warning: /dev/shm has"), "\(cramped.error)")
        #expect(cramped.output.contains("gradients: all-reduced with MPI transfers"), "\(cramped.output)")
        let checksum = try #require(parameterChecksum(normal.output))
        #expect(parameterChecksum(cramped.output) == checksum)
    }
}
