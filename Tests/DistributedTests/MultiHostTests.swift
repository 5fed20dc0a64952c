// Several hosts, emulated by network namespaces on this machine (launch/netns-cluster.sh):
// ranks on different hosts talk TCP over a bridge, ranks on one host shared memory. One epoch
// of the default MLP on 2 hosts gives exactly the parameters of the same ranks on one host; a
// killed rank or a cut link on host 2 ends the job, and the run resumes from its checkpoint.
import Checkpoints
import Foundation
import Testing
import TestSupport

private let debianFashionMNIST = "/usr/share/datasets/fashion-mnist"

@Suite(.serialized, .enabled(if: namespacesAvailable,
                             Comment(rawValue: "multi-host tests skipped: \(namespaceCheck.map { $0.output + $0.error } ?? "launch/netns-cluster.sh check did not run") (mpirun on PATH: \(mpirunAvailable))")))
struct MultiHostTests {
    private var mlpConfig: String { repositoryRoot + "/launch/configs/fashion-mnist-mlp.yaml" }

    /// The train records of a run directory's metrics.jsonl.
    private func trainRecords(_ runDirectory: String) throws -> [[String: Any]] {
        try String(contentsOfFile: runDirectory + "/metrics.jsonl", encoding: .utf8).split(separator: "\n")
            .compactMap { try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
            .filter { $0["split"] as? String == "train" }
    }

    @Test(.enabled(if: FileManager.default.fileExists(atPath: debianFashionMNIST + "/train-images-idx3-ubyte.gz"),
                   "Fashion-MNIST is not installed: launch/test.sh installs dataset-fashion-mnist"))
    func oneEpochOnTwoHostsEqualsTheSameRanksOnOneHost() throws {
        let directory = try TemporaryDirectory("multihost")
        let shared = directory.file("shared/fashion-mnist")
        let prepare = try swiftddp("prepare", "fashion-mnist", "--source", debianFashionMNIST, "--out", shared, "--shards", "2")
        try #require(prepare.status == 0, "\(prepare.error)")
        let train = ["train", "--config", mlpConfig, "--epochs", "1", "--blas-threads", "1"]

        // 2 hosts × 1 rank, each host with its own data directory at the same path holding only
        // its rank's shard (rank 0's host also val.h5 and test.h5); the run directory goes to
        // rank 0's host.
        let local = directory.file("local")
        let two = try EmulatedCluster(hosts: 2, slots: 1, state: directory.file("cluster-2x1"), localDirectory: local)
        let files = [["train-00000-of-00002.h5", "val.h5", "test.h5"], ["train-00001-of-00002.h5"]]
        for (host, names) in zip(two.hosts, files) {
            try FileManager.default.createDirectory(atPath: "\(local)/\(host)/fashion-mnist", withIntermediateDirectories: true)
            for name in names { try FileManager.default.linkItem(atPath: "\(shared)/\(name)", toPath: "\(local)/\(host)/fashion-mnist/\(name)") }
        }
        let perHost = try two.mpirun(ranks: 2, train + ["--data", local + "/fashion-mnist", "--run-dir", local + "/run"])
        two.down()
        #expect(perHost.status == 0, "\(perHost.output)\(perHost.error)")
        #expect(perHost.output.contains("2 rank(s)"))
        let oneHost = try mpirun(ranks: 2, train + ["--data", shared, "--run-dir", directory.file("one-host-2")])
        #expect(oneHost.status == 0, "\(oneHost.error)")
        let checksum = try #require(parameterChecksum(perHost.output), "\(perHost.output)")
        #expect(parameterChecksum(oneHost.output) == checksum)
        // rank 0 wrote the run directory on its own host only, with the step-time split
        let hostOneRun = "\(local)/\(two.hosts[0])/run"
        #expect(FileManager.default.fileExists(atPath: hostOneRun + "/metrics.jsonl"))
        #expect(!FileManager.default.fileExists(atPath: "\(local)/\(two.hosts[1])/run"))
        let record = try #require(try trainRecords(hostOneRun).last)
        for key in ["step_ms", "data_ms", "compute_ms", "comm_ms", "allreduce_wait_ms"] {
            #expect(record[key] is Double, "train record lacks \(key): \(record)")
        }

        // 2 hosts × 2 ranks on the shared path: shared memory within a host, TCP between hosts
        let four = try EmulatedCluster(hosts: 2, slots: 2, state: directory.file("cluster-2x2"))
        let acrossHosts = try four.mpirun(ranks: 4, train + ["--data", shared, "--run-dir", directory.file("two-hosts-4")])
        four.down()
        #expect(acrossHosts.status == 0, "\(acrossHosts.output)\(acrossHosts.error)")
        let oneHostFour = try mpirun(ranks: 4, train + ["--data", shared, "--run-dir", directory.file("one-host-4")])
        #expect(oneHostFour.status == 0, "\(oneHostFour.error)")
        let checksumFour = try #require(parameterChecksum(acrossHosts.output), "\(acrossHosts.output)")
        #expect(parameterChecksum(oneHostFour.output) == checksumFour)
        #expect(checksumFour != checksum)
    }

    /// A small run on 2 hosts × 1 rank that would go on for a long time, checkpointing every
    /// epoch; `fault` breaks host 2 once a checkpoint exists. The job must end non-zero within
    /// 30 s; then, on the healed cluster, the run resumes from its newest checkpoint and finishes.
    private func faultEndsTheJobAndTheRunResumes(_ name: String, fault: (EmulatedCluster) throws -> Void,
                                                 heal: (EmulatedCluster) throws -> Void) throws {
        let directory = try TemporaryDirectory(name)
        try TinyDatasets.writeBlobDirectory(directory.file("data"), shardSizes: [400, 400])
        try TinyDatasets.blobConfig(dataDirectory: directory.file("data"), epochs: 4, batchSize: 8)
            .write(toFile: directory.file("config.yaml"), atomically: true, encoding: .utf8)
        let cluster = try EmulatedCluster(hosts: 2, slots: 1, state: directory.file("cluster"))
        defer { cluster.down() }
        let run = directory.file("run")
        let train = ["train", "--config", directory.file("config.yaml"), "--run-dir", run, "--blas-threads", "1"]
        let job = try cluster.start(ranks: 2, train + ["--epochs", "100000"], log: directory.file("job.log"))
        let checkpoints = CheckpointDirectory(path: run + "/checkpoints")
        let started = Date()
        while job.isRunning, checkpoints.files().isEmpty, Date().timeIntervalSince(started) < 60 { usleep(50_000) }
        let startLog = (try? String(contentsOfFile: directory.file("job.log"), encoding: .utf8)) ?? ""
        try #require(!checkpoints.files().isEmpty, "no checkpoint within 60 s: \(startLog)")

        try fault(cluster)
        let seconds = waitForExit(job, timeout: 60)
        let log = try String(contentsOfFile: directory.file("job.log"), encoding: .utf8)
        print("MultiHostTests \(name): the job ended \(seconds.map { String(format: "%.1f s", $0) } ?? "not within 60 s") after the fault, "
              + "status \(job.isRunning ? "running" : String(job.terminationStatus))")
        let elapsed = try #require(seconds, "the job still ran 60 s after the fault: \(log)")
        #expect(elapsed < 30, "the job ended \(elapsed) s after the fault")
        #expect(job.terminationStatus != 0, "\(log)")

        try heal(cluster)
        let saved = try #require(checkpoints.files().first)
        let checkpoint = try Checkpoint.read(path: saved)
        // two more epochs than the checkpoint holds: the resumed run trains, tests and finishes
        let resumed = try cluster.mpirun(ranks: 2, train + ["--resume", "--epochs", String(checkpoint.epoch + 2)], timeout: 120)
        #expect(resumed.status == 0, "\(resumed.output)\(resumed.error)")
        #expect(resumed.output.contains("resuming from \(saved) at step \(checkpoint.step)"), "\(resumed.output)")
        #expect(resumed.output.contains("test accuracy"), "\(resumed.output)")
    }

    @Test func aKilledRankOnHostTwoEndsTheJobAndTheRunResumes() throws {
        try faultEndsTheJobAndTheRunResumes("kill", fault: { cluster in
            let killed = try cluster.command("kill", "2")
            try #require(killed.status == 0, "\(killed.output)\(killed.error)")
        }, heal: { _ in })
    }

    @Test func aCutLinkToHostTwoEndsTheJobAndTheRunResumesWhenHealed() throws {
        try faultEndsTheJobAndTheRunResumes("cut", fault: { cluster in
            try #require(try cluster.command("cut", "2").status == 0)
        }, heal: { cluster in
            try #require(try cluster.command("heal", "2").status == 0)
        })
    }
}
