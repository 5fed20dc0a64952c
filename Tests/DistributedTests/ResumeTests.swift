// Checkpoints and exact restore: a run stopped after 2.5 epochs and resumed ends with the
// parameters, optimizer state and validation metrics of a run that never stopped — under real
// mpirun with 2 ranks, and in the in-process debug mode.
import Checkpoints
import Foundation
import Testing
import Training
import TestSupport

@Suite(.serialized)
struct ResumeTests {
    private func workspace() throws -> TemporaryDirectory {
        let directory = try TemporaryDirectory("resume")
        try TinyDatasets.writeBlobDirectory(directory.file("data"), shardSizes: [96, 96])
        // 2 ranks × batch 8: 12 steps per epoch; 2.5 epochs = step 30, a multiple of log_every
        try TinyDatasets.blobConfig(dataDirectory: directory.file("data"), epochs: 4, batchSize: 8,
                                    extra: "training: {batch_size: 8, epochs: 4, log_every: 6}\noptimizer: {type: adam, learning_rate: 0.01}")
            .replacingOccurrences(of: "training:\n  batch_size: 8\n  epochs: 4\n  log_every: 5\n", with: "")
            .replacingOccurrences(of: "optimizer:\n  type: sgd\n  learning_rate: 0.1\n  momentum: 0.9\n", with: "")
            .write(toFile: directory.file("config.yaml"), atomically: true, encoding: .utf8)
        return directory
    }

    private func run(_ launcher: String, _ arguments: [String]) throws -> CommandResult {
        if launcher == "mpirun" { return try mpirun(ranks: 2, arguments) }
        return try runCommand(builtProduct("swiftddp"), arguments + ["--simulate-ranks", "2"])
    }

    /// The validation records at the end of complete epochs (12 steps each), without their times.
    private func valRecords(_ path: String) throws -> [String] {
        try validationRecords(path, steps: [12, 24, 36, 48])
    }

    @Test(arguments: ["simulate", "mpirun"])
    func resumingAfterTwoAndAHalfEpochsEqualsNeverStopping(launcher: String) throws {
        if launcher == "mpirun" && !mpirunAvailable { return }
        let directory = try workspace()
        let train = ["train", "--config", directory.file("config.yaml")]
        let straight = try run(launcher, train + ["--run-dir", directory.file("straight")])
        #expect(straight.status == 0, "\(straight.error)")
        let first = try run(launcher, train + ["--run-dir", directory.file("stopped"), "--max-steps", "30"])
        #expect(first.status == 0, "\(first.error)")
        let resumed = try run(launcher, train + ["--run-dir", directory.file("stopped"), "--resume"])
        #expect(resumed.status == 0, "\(resumed.error)")
        #expect(resumed.output.contains("resuming from"), "\(resumed.output)")
        #expect(!resumed.output.contains("warning: the config differs"), "only where the run ends changed: \(resumed.output)")

        // parameters bit for bit (the checksum line) and the optimizer state (the checkpoints' checksums)
        let checksum = try #require(parameterChecksum(straight.output))
        #expect(parameterChecksum(resumed.output) == checksum)
        let a = try Checkpoint.read(path: CheckpointDirectory(path: directory.file("straight/checkpoints")).files()[0])
        let b = try Checkpoint.read(path: CheckpointDirectory(path: directory.file("stopped/checkpoints")).files()[0])
        #expect(a.step == 48 && b.step == 48)
        #expect(a.checksum == b.checksum)
        #expect(a.optimizerState.map(\.values) == b.optimizerState.map(\.values))
        // the same validation metrics for every epoch
        #expect(try valRecords(directory.file("straight/metrics.jsonl")) == valRecords(directory.file("stopped/metrics.jsonl")))
        #expect(try String(contentsOfFile: directory.file("stopped/metrics.jsonl"), encoding: .utf8).contains("\"split\":\"resume\""))
    }

    @Test func damagedCheckpointsAreNamedAndSkipped() throws {
        let directory = try workspace()
        let train = ["train", "--config", directory.file("config.yaml"), "--run-dir", directory.file("run")]
        let first = try run("simulate", train + ["--max-steps", "30"])
        #expect(first.status == 0, "\(first.error)")
        let files = CheckpointDirectory(path: directory.file("run/checkpoints")).files()
        #expect(files.count == 3)   // steps 30 (where it stopped), 24 and 12 (epoch ends)
        // the newest is truncated …
        let newest = try Data(contentsOf: URL(fileURLWithPath: files[0]))
        try newest.prefix(newest.count / 2).write(to: URL(fileURLWithPath: files[0]))
        // … and one byte of a parameter value in the next one is flipped
        let second = try Checkpoint.read(path: files[1])
        var bytes = try Data(contentsOf: URL(fileURLWithPath: files[1]))
        let needle = second.parameters[0].values.prefix(4).withUnsafeBytes { Data($0) }
        let found = try #require(bytes.range(of: needle), "parameter bytes not found in \(files[1])")
        bytes[found.lowerBound] ^= 0x01
        try bytes.write(to: URL(fileURLWithPath: files[1]))
        for file in files.prefix(2) {
            let error = #expect(throws: CheckpointError.self) { try Checkpoint.read(path: file) }
            #expect(error?.description.contains(file) == true)
        }
        let resumed = try run("simulate", train + ["--resume"])
        #expect(resumed.status == 0, "\(resumed.error)")
        #expect(resumed.output.contains("warning: skipping \(files[0])"), "\(resumed.output)")
        #expect(resumed.output.contains("warning: skipping \(files[1])") && resumed.output.contains("is damaged"), "\(resumed.output)")
        #expect(resumed.output.contains("resuming from \(files[2]) at step 12"), "\(resumed.output)")
    }

    @Test func resumingOnAnotherNumberOfRanksGoesOn() throws {
        let directory = try workspace()
        let train = ["train", "--config", directory.file("config.yaml"), "--run-dir", directory.file("run")]
        #expect(try run("simulate", train + ["--max-steps", "30"]).status == 0)
        let resumed = try runCommand(builtProduct("swiftddp"), train + ["--resume", "--simulate-ranks", "1"])
        #expect(resumed.status == 0, "\(resumed.error)")
        #expect(resumed.output.contains("written by 2 ranks, resumed on 1"), "\(resumed.output)")
        #expect(resumed.output.contains("test accuracy"))
    }

    @Test func resumingFromAFileIntoANewDirectoryStartsItAndEqualsNeverStopping() throws {
        let directory = try workspace()
        let train = ["train", "--config", directory.file("config.yaml")]
        let straight = try run("simulate", train + ["--run-dir", directory.file("straight")])
        #expect(straight.status == 0, "\(straight.error)")
        #expect(try run("simulate", train + ["--run-dir", directory.file("stopped"), "--max-steps", "30"]).status == 0)
        let checkpoint = try #require(CheckpointDirectory(path: directory.file("stopped/checkpoints")).files().first)
        let forked = try run("simulate", train + ["--run-dir", directory.file("forked/deeper"), "--resume-from", checkpoint])
        #expect(forked.status == 0, "\(forked.error)")
        #expect(parameterChecksum(forked.output) == parameterChecksum(straight.output))
        for file in ["config.yaml", "metrics.jsonl", "train.log"] {
            #expect(FileManager.default.fileExists(atPath: directory.file("forked/deeper/\(file)")), "\(file) missing")
        }
        let metrics = try String(contentsOfFile: directory.file("forked/deeper/metrics.jsonl"), encoding: .utf8)
        #expect(metrics.contains("\"split\":\"resume\"") && metrics.contains("\"split\":\"test\""))
    }

    @Test func resumingARunThatAlreadyEndedWritesNothing() throws {
        let directory = try workspace()
        let train = ["train", "--config", directory.file("config.yaml"), "--run-dir", directory.file("run")]
        #expect(try run("simulate", train + ["--max-steps", "30"]).status == 0)
        let metrics = try Data(contentsOf: URL(fileURLWithPath: directory.file("run/metrics.jsonl")))
        let log = try Data(contentsOf: URL(fileURLWithPath: directory.file("run/train.log")))
        let again = try run("simulate", train + ["--resume", "--max-steps", "24"])
        #expect(again.status == 0, "\(again.error)")
        #expect(again.output.contains("nothing left to train: the checkpoint is at step 30"), "\(again.output)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: directory.file("run/metrics.jsonl"))) == metrics)
        #expect(try Data(contentsOf: URL(fileURLWithPath: directory.file("run/train.log"))) == log)
    }

    /// A resume with other settings than the checkpoint's names each changed key with both
    /// values; where the run ends (`--max-steps`) is not one of them.
    @Test func resumingWithAnotherConfigNamesWhatChanged() throws {
        let directory = try workspace()
        let train = ["train", "--config", directory.file("config.yaml"), "--run-dir", directory.file("run")]
        #expect(try run("simulate", train + ["--max-steps", "24"]).status == 0)
        try FileManager.default.copyItem(atPath: directory.file("data"), toPath: directory.file("copy"))
        let resumed = try run("simulate", train + ["--resume", "--max-steps", "30", "--data", directory.file("copy"),
                                                   "--set", "optimizer.learning_rate=0.02"])
        #expect(resumed.status == 0, "\(resumed.error)")
        let warning = try #require(resumed.output.split(separator: "\n").first { $0.hasPrefix("warning: the config differs") },
                                   "\(resumed.output)")
        #expect(warning.contains("was written with: data.dir: '\(directory.file("copy"))' (checkpoint: '\(directory.file("data"))'), "
                                 + "optimizer.learning_rate: 0.02 (checkpoint: 0.01); the run goes on with the new values"), "\(warning)")
        #expect(!warning.contains("max_steps"), "\(warning)")
    }

    /// `launch/mpirun.sh train` on 2 ranks for 100,000 epochs (until a signal stops it), its
    /// output in `out.txt`. With `signalsUnblocked`, through python3, which unblocks SIGINT and
    /// SIGTERM (the test runner blocks them, and children inherit that) and execs the launcher.
    private func launchLongRun(_ directory: TemporaryDirectory, _ extra: [String] = [], signalsUnblocked: Bool = false) throws -> Process {
        let process = Process()
        let launch = [repositoryRoot + "/launch/mpirun.sh", "train", "--config", directory.file("config.yaml"),
                      "--run-dir", directory.file("run"), "--epochs", "100000"] + extra
        if signalsUnblocked {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
            process.arguments = ["-c", "import os, signal, sys; signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT, signal.SIGTERM}); "
                                 + "signal.signal(signal.SIGINT, signal.SIG_DFL); os.execv(sys.argv[1], sys.argv[1:])"] + launch
        } else {
            process.executableURL = URL(fileURLWithPath: launch[0])
            process.arguments = Array(launch.dropFirst())
        }
        process.environment = ProcessInfo.processInfo.environment.merging(["RANKS": "2", "SWIFTDDP": builtProduct("swiftddp")]) { $1 }
        _ = FileManager.default.createFile(atPath: directory.file("out.txt"), contents: nil)
        let output = try FileHandle(forWritingTo: URL(fileURLWithPath: directory.file("out.txt")))
        process.standardOutput = output
        process.standardError = output
        try process.run()
        return process
    }

    /// Waits (at most 60 s) until the run's metrics.jsonl holds `bytes` bytes.
    private func waitForMetrics(_ directory: TemporaryDirectory, bytes: Int) {
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline, ((try? String(contentsOfFile: directory.file("run/metrics.jsonl"), encoding: .utf8)) ?? "").utf8.count < bytes {
            usleep(50_000)
        }
    }

    @Test func sigtermToOneRankCheckpointsAndResumingFinishes() throws {
        guard mpirunAvailable else { return }
        let directory = try workspace()
        let process = try launchLongRun(directory)
        // wait until the ranks train, then SIGTERM one rank process (not mpirun)
        waitForMetrics(directory, bytes: 1)
        let ranks = try runCommand("/usr/bin/pgrep", ["-f", "swiftddp train --config \(directory.file("config.yaml"))"])
        let pids = ranks.output.split(separator: "\n").compactMap { Int32($0) }.filter { $0 != process.processIdentifier }
        let rank = try #require(pids.last, "no rank process found: \(ranks.output)")
        kill(rank, SIGTERM)
        process.waitUntilExit()
        let text = try String(contentsOfFile: directory.file("out.txt"), encoding: .utf8)
        #expect(process.terminationStatus != 0 && process.terminationStatus != 9, "\(text)")
        #expect(text.contains("SIGTERM received") && text.contains("checkpoint: "), "\(text)")
        let saved = try #require(CheckpointDirectory(path: directory.file("run/checkpoints")).files().first)
        let step = try Checkpoint.read(path: saved).step
        // resume with the config's 4 epochs: the run finishes
        let resumed = try mpirun(ranks: 2, ["train", "--config", directory.file("config.yaml"), "--run-dir", directory.file("run"), "--resume"])
        #expect(resumed.status == 0, "\(resumed.error)")
        #expect(resumed.output.contains("resuming from \(saved) at step \(step)"), "\(resumed.output)")
        #expect(resumed.output.contains("test accuracy") || step >= 48, "\(resumed.output)")
    }

    /// SIGINT to `mpirun` while rank 0 prints faster than `mpirun` forwards (an epoch line every
    /// few steps of a tiny model): `mpirun` stops reading the ranks' output, and rank 0 must not
    /// stay blocked in a write (its output turns non-blocking on the signal), so the ranks still
    /// stop at the end of a step and rank 0 writes the stop checkpoint within `mpirun`'s 1 s.
    /// The launcher then exits 130, as a process stopped by SIGINT does.
    @Test func sigintToMpirunStopsAChattyRunAtAStepWithItsCheckpoint() throws {
        guard mpirunAvailable else { return }
        let directory = try workspace()
        let process = try launchLongRun(directory, ["--log-every", "1000000"], signalsUnblocked: true)
        waitForMetrics(directory, bytes: 20_000)
        kill(process.processIdentifier, SIGINT)   // python3 execs launch/mpirun.sh, which forwards it to mpirun once
        let stopped = Date().addingTimeInterval(60)
        while process.isRunning && Date() < stopped { usleep(50_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }   // never hang the suite
        process.waitUntilExit()
        #expect(process.terminationStatus == 130, "the launcher exits 128 + SIGINT after a stop on SIGINT")
        let log = try String(contentsOfFile: directory.file("run/train.log"), encoding: .utf8)
        let stop = try #require(log.split(separator: "\n").first { $0.hasPrefix("stopping after step ") }, "no stop line in train.log")
        let step = try #require(Int(stop.dropFirst("stopping after step ".count).prefix { $0.isNumber }))
        let newest = try #require(CheckpointDirectory(path: directory.file("run/checkpoints")).files().first)
        #expect(try Checkpoint.read(path: newest).step == step, "the stop at step \(step) wrote no checkpoint; newest \(newest)")
    }
}

struct InitFromTests {
    @Test func fineTuningLoadsMatchingParametersAndFreezesLayers() throws {
        let directory = try TemporaryDirectory("init-from")
        try TinyDatasets.writeBlobDirectory(directory.file("data"), shardSizes: [120])
        try TinyDatasets.blobConfig(dataDirectory: directory.file("data"), epochs: 2)
            .write(toFile: directory.file("config.yaml"), atomically: true, encoding: .utf8)
        let base = try swiftddp("train", "--config", directory.file("config.yaml"), "--run-dir", directory.file("base"),
                                "--save-weights", directory.file("base.h5"))
        #expect(base.status == 0, "\(base.error)")
        let checkpoint = try #require(CheckpointDirectory(path: directory.file("base/checkpoints")).files().first)

        // from the checkpoint, a new head of 4 classes is impossible on 3-class data, so keep
        // the model and freeze layer 0: its parameters must come out exactly as loaded
        let tuned = try swiftddp("train", "--config", directory.file("config.yaml"), "--run-dir", directory.file("tuned"),
                                 "--init-from", checkpoint, "--freeze", "layers.0", "--save-weights", directory.file("tuned.h5"))
        #expect(tuned.status == 0, "\(tuned.error)")
        #expect(tuned.output.contains("init-from \(checkpoint): loaded layers.0.weight, layers.0.bias, layers.2.weight, layers.2.bias"))
        #expect(tuned.output.contains("frozen: layers.0"))
        let before = try WeightsFile.read(path: directory.file("base.h5")), after = try WeightsFile.read(path: directory.file("tuned.h5"))
        #expect(before["layers.0.weight"] == after["layers.0.weight"] && before["layers.0.bias"] == after["layers.0.bias"])
        #expect(before["layers.2.weight"] != after["layers.2.weight"])

        // from a weights file into a wider model: mismatched parameters keep their initialization
        let wider = try swiftddp("train", "--config", directory.file("config.yaml"), "--run-dir", directory.file("wider"),
                                 "--init-from", directory.file("base.h5"), "--set", "model.layers.0.units=32")
        #expect(wider.status == 0, "\(wider.error)")
        #expect(wider.output.contains("kept initialized: layers.0.weight (file has 128 values, model 256)"), "\(wider.output)")
        let unknown = try swiftddp("train", "--config", directory.file("config.yaml"), "--run-dir", directory.file("x"), "--freeze", "layers.9")
        #expect(unknown.status != 0 && unknown.error.contains("--freeze layers.9 names no parameter"))
    }
}

struct BestCheckpointTests {
    @Test func bestEpochIsKeptBesideTheLastOnes() throws {
        let directory = try TemporaryDirectory("best")
        try TinyDatasets.writeBlobDirectory(directory.file("data"), shardSizes: [120])
        try TinyDatasets.blobConfig(dataDirectory: directory.file("data"), epochs: 4, extra: "checkpoint: {keep_last: 1, monitor: val_accuracy}")
            .write(toFile: directory.file("config.yaml"), atomically: true, encoding: .utf8)
        let result = try swiftddp("train", "--config", directory.file("config.yaml"), "--run-dir", directory.file("run"))
        #expect(result.status == 0, "\(result.error)")
        let checkpoints = CheckpointDirectory(path: directory.file("run/checkpoints"))
        #expect(checkpoints.files().count == 1)                       // keep_last 1 …
        let best = try Checkpoint.read(path: checkpoints.bestFile)   // … and best.h5 beside it
        // best.h5 is the first epoch with the highest val_accuracy
        let records = try String(contentsOfFile: directory.file("run/metrics.jsonl"), encoding: .utf8).split(separator: "\n")
            .compactMap { try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
            .filter { $0["split"] as? String == "val" }
        let accuracies = records.compactMap { $0["accuracy"] as? Double }
        let bestIndex = try #require(accuracies.firstIndex(of: accuracies.max() ?? 0))
        #expect(best.step == records[bestIndex]["step"] as? Int)
    }
}
