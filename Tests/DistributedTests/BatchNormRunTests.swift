// Batch norm in data-parallel runs: every rank updates its running statistics from its own
// batches, and the ranks average them at every epoch end, checkpoint and the end of the run. So
// every rank ends with the same buffers, `--simulate-ranks N` equals `mpirun -np N` bit for bit,
// checkpoints and weights files carry the buffers, and a resumed run equals one never stopped.
import Checkpoints
import Data
import Foundation
import Testing
import Training
import TestSupport

/// A small CNN with batch norm in both forms (after a 1×1 convolution over [2, 2, 2] samples, and
/// after a dense layer), on blobs shaped [2, 2, 2]; `shards` training shards of 96 rows.
private func batchNormWorkspace(_ name: String, shards: Int = 2, epochs: Int, extra: String = "") throws -> TemporaryDirectory {
    let directory = try TemporaryDirectory(name)
    try TinyDatasets.writeBlobDirectory(directory.file("data"), shardSizes: Array(repeating: 96, count: shards), featureShape: [2, 2, 2])
    let layers = """
            - {type: conv2d, filters: 4, kernel_size: 1, bias: false}
            - {type: batch_norm}
            - {type: relu}
            - {type: flatten}
            - {type: dense, units: 16, bias: false}
            - {type: batch_norm, momentum: 0.2}
            - {type: relu}

        """
    let config = TinyDatasets.blobConfig(dataDirectory: directory.file("data"), epochs: epochs, batchSize: 8, extra: extra)
        .replacingOccurrences(of: "    - {type: dense, units: 16}\n    - {type: relu}\n", with: layers)
    #expect(config.contains("batch_norm, momentum: 0.2"))
    try config.write(toFile: directory.file("config.yaml"), atomically: true, encoding: .utf8)
    return directory
}

private let bufferNames = ["layers.1.running_mean", "layers.1.running_var", "layers.5.running_mean", "layers.5.running_var"]

struct BatchNormCheckpointTests {
    @Test func checkpointFormatRoundTripsBuffersAndStaysVersion1WithoutThem() throws {
        let directory = try TemporaryDirectory("bn-format")
        let buffers: [(name: String, shape: [Int], values: [Float])] = [("layers.1.running_mean", [2], [0.25, -1]),
                                                                           ("layers.1.running_var", [2], [1.5, 0.125])]
        var checkpoint = Checkpoint(step: 3, epoch: 0, stepInEpoch: 3, worldSize: 2, seed: 7, config: "c",
                                    parameters: [("layers.0.weight", [1, 2], [1, 2])], optimizer: "sgd", optimizerStepCount: 3,
                                    optimizerState: [], scalars: [:], buffers: buffers)
        try checkpoint.write(to: directory.file("with.h5"))
        let read = try Checkpoint.read(path: directory.file("with.h5"))
        #expect(read.buffers.map(\.name) == buffers.map(\.name) && read.buffers.map(\.shape) == [[2], [2]])
        #expect(read.buffers.map(\.values) == buffers.map(\.values))
        #expect(read.checksum == checkpoint.checksum)
        let file = try HDF5File.open(path: directory.file("with.h5"))
        #expect(try file.readIntAttribute("format_version") == 2 && file.exists("/buffers/layers.1.running_var"))
        try file.close()

        // a model without buffers writes exactly the version-1 file, which older builds read
        let plainChecksum = Checkpoint(step: 3, epoch: 0, stepInEpoch: 3, worldSize: 2, seed: 7, config: "c",
                                       parameters: checkpoint.parameters, optimizer: "sgd", optimizerStepCount: 3,
                                       optimizerState: [], scalars: [:]).checksum
        checkpoint.buffers = []
        #expect(checkpoint.checksum == plainChecksum)
        try checkpoint.write(to: directory.file("without.h5"))
        let plain = try HDF5File.open(path: directory.file("without.h5"))
        #expect(try plain.readIntAttribute("format_version") == 1 && !plain.exists("/buffers"))
        try plain.close()
        #expect(try Checkpoint.read(path: directory.file("without.h5")).buffers.isEmpty)
    }

    @Test func trainingSavesTheAveragedBuffersAndInitFromLoadsThem() throws {
        let directory = try batchNormWorkspace("bn-save", epochs: 2)
        let run = try runCommand(builtProduct("swiftddp"), ["train", "--config", directory.file("config.yaml"), "--run-dir", directory.file("run"),
                                                           "--simulate-ranks", "2", "--save-weights", directory.file("weights.h5")])
        #expect(run.status == 0, "\(run.error)")
        #expect(run.output.contains("buffers (not trained): 40 in layers.1.running_mean"), "\(run.output)")
        #expect(run.output.contains("(40 values, equal on 2 rank(s))"), "\(run.output)")
        let checkpoint = try Checkpoint.read(path: try #require(CheckpointDirectory(path: directory.file("run/checkpoints")).files().first))
        #expect(checkpoint.step == 24 && checkpoint.buffers.map(\.name) == bufferNames)
        #expect(!checkpoint.parameters.map(\.name).contains { $0.contains("running") })
        // the statistics moved away from their initial 0 and 1, and the weights file holds the same ones
        #expect(checkpoint.buffers[1].values.allSatisfy { $0 != 1 } && checkpoint.buffers[2].values.allSatisfy { $0 != 0 })
        let saved = try WeightsFile.readBuffers(path: directory.file("weights.h5"))
        #expect(bufferNames.map { saved[$0] ?? [] } == checkpoint.buffers.map(\.values))
        #expect(try WeightsFile.read(path: directory.file("weights.h5")).keys.allSatisfy { !$0.contains("running") })

        // `evaluate` loads the buffers: its accuracy on test.h5 is the run's own test record
        let evaluated = try runCommand(builtProduct("swiftddp"), ["evaluate", "--checkpoint", directory.file("run/checkpoints/ckpt-00000024.h5"),
                                                                 "--data", directory.file("data/test.h5"), "--format", "json"])
        #expect(evaluated.status == 0, "\(evaluated.error)")
        let report = try #require(JSONSerialization.jsonObject(with: Data(evaluated.output.utf8)) as? [String: Any])
        let member = try #require((report["members"] as? [[String: Any]])?.first)
        let testRecord = try #require(String(contentsOfFile: directory.file("run/metrics.jsonl"), encoding: .utf8)
            .split(separator: "\n").last { $0.contains("\"split\":\"test\"") })
        let logged = try #require(JSONSerialization.jsonObject(with: Data(testRecord.utf8)) as? [String: Any])
        #expect((member["accuracy"] as? Double) == (logged["accuracy"] as? Double), "\(member) vs \(logged)")

        let tuned = try runCommand(builtProduct("swiftddp"), ["train", "--config", directory.file("config.yaml"), "--run-dir", directory.file("tuned"),
                                                             "--init-from", directory.file("weights.h5"), "--max-steps", "1"])
        #expect(tuned.status == 0, "\(tuned.error)")
        #expect(tuned.output.contains("buffers loaded: \(bufferNames.joined(separator: ", "))"), "\(tuned.output)")
    }
}

@Suite(.serialized, .enabled(if: mpirunAvailable, "mpirun is not on PATH: launch/test.sh installs openmpi-bin"))
struct BatchNormMPITests {
    @Test(arguments: [2, 4])
    func simulatedRanksEqualMpirunBitForBit(ranks: Int) throws {
        let directory = try batchNormWorkspace("bn-mpi", shards: 4, epochs: 2)
        let train = ["train", "--config", directory.file("config.yaml"), "--overwrite"]
        let real = try mpirun(ranks: ranks, train + ["--run-dir", directory.file("mpi")])
        #expect(real.status == 0, "\(real.error)")
        // the run checks that every rank ends with the same buffers, and says so
        #expect(real.output.contains("equal on \(ranks) rank(s)"), "\(real.output)")
        let simulated = try runCommand(builtProduct("swiftddp"), train + ["--run-dir", directory.file("sim"), "--simulate-ranks", String(ranks)])
        #expect(simulated.status == 0, "\(simulated.error)")
        let parameters = try #require(parameterChecksum(real.output), "\(real.output)")
        let buffers = try #require(bufferChecksum(real.output), "\(real.output)")
        #expect(parameterChecksum(simulated.output) == parameters)
        #expect(bufferChecksum(simulated.output) == buffers)
        // the checkpoints hold the same buffers, and rank 0 validated with them: equal val metrics
        let a = try Checkpoint.read(path: CheckpointDirectory(path: directory.file("mpi/checkpoints")).files()[0])
        let b = try Checkpoint.read(path: CheckpointDirectory(path: directory.file("sim/checkpoints")).files()[0])
        #expect(a.checksum == b.checksum && a.buffers.map(\.values) == b.buffers.map(\.values))
        #expect(try validationRecords(directory.file("mpi/metrics.jsonl")) == validationRecords(directory.file("sim/metrics.jsonl")))
    }
}

@Suite(.serialized)
struct BatchNormResumeTests {
    /// The run stops at step 30, in the middle of epoch 3 (2 ranks × batch 8 over 2 × 96 rows:
    /// 12 steps per epoch). Checkpoints every 6 steps make the uninterrupted run checkpoint, and so
    /// average its buffers, at step 30 too.
    @Test(arguments: ["simulate", "mpirun"])
    func resumingEqualsNeverStopping(launcher: String) throws {
        if launcher == "mpirun" && !mpirunAvailable { return }
        let directory = try batchNormWorkspace("bn-resume", epochs: 4, extra: "checkpoint: {every_steps: 6}")
        func run(_ arguments: [String]) throws -> CommandResult {
            let train = ["train", "--config", directory.file("config.yaml")] + arguments
            if launcher == "mpirun" { return try mpirun(ranks: 2, train) }
            return try runCommand(builtProduct("swiftddp"), train + ["--simulate-ranks", "2"])
        }
        let straight = try run(["--run-dir", directory.file("straight")])
        #expect(straight.status == 0, "\(straight.error)")
        #expect(try run(["--run-dir", directory.file("stopped"), "--max-steps", "30"]).status == 0)
        let resumed = try run(["--run-dir", directory.file("stopped"), "--resume"])
        #expect(resumed.status == 0, "\(resumed.error)")
        #expect(resumed.output.contains("resuming from") && resumed.output.contains("at step 30"), "\(resumed.output)")

        #expect(parameterChecksum(resumed.output) == parameterChecksum(straight.output))
        #expect(bufferChecksum(resumed.output) == bufferChecksum(straight.output) && bufferChecksum(straight.output) != nil)
        let a = try Checkpoint.read(path: CheckpointDirectory(path: directory.file("straight/checkpoints")).files()[0])
        let b = try Checkpoint.read(path: CheckpointDirectory(path: directory.file("stopped/checkpoints")).files()[0])
        #expect(a.step == 48 && b.step == 48 && a.checksum == b.checksum)
        #expect(a.buffers.map(\.values) == b.buffers.map(\.values))
        #expect(try validationRecords(directory.file("straight/metrics.jsonl"), steps: [12, 24, 36, 48])
                == validationRecords(directory.file("stopped/metrics.jsonl"), steps: [12, 24, 36, 48]))
    }
}
