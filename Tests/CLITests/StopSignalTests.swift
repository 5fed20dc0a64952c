// SIGTERM/SIGINT: every rank stops together at the end of a step and the process exits 128+signal.
import Foundation
import Testing
import TestSupport

struct StopSignalTests {
    @Test(arguments: [(SIGTERM, Int32(143)), (SIGINT, Int32(130))])
    func signalStopsAllSimulatedRanksAtTheEndOfAStep(signal: Int32, status: Int32) throws {
        let directory = try TemporaryDirectory("signal")
        try TinyDatasets.writeBlobDirectory(directory.file("data"), shardSizes: [64, 64])
        try TinyDatasets.blobConfig(dataDirectory: directory.file("data"), epochs: 100_000, batchSize: 8)
            .write(toFile: directory.file("config.yaml"), atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: builtProduct("swiftddp"))
        process.arguments = ["train", "--config", directory.file("config.yaml"), "--run-dir", directory.file("run"), "--simulate-ranks", "2"]
        _ = FileManager.default.createFile(atPath: directory.file("output.txt"), contents: nil)
        let output = try FileHandle(forWritingTo: URL(fileURLWithPath: directory.file("output.txt")))
        process.standardOutput = output
        process.standardError = output
        try process.run()
        // wait until training has logged a record, then signal
        let metrics = directory.file("run/metrics.jsonl")
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline, ((try? String(contentsOfFile: metrics, encoding: .utf8)) ?? "").isEmpty { usleep(50_000) }
        kill(process.processIdentifier, signal)
        process.waitUntilExit()
        let text = try String(contentsOfFile: directory.file("output.txt"), encoding: .utf8)
        #expect(process.terminationStatus == status, "\(text)")
        #expect(text.contains("received"), "\(text)")
        #expect(text.contains("parameter checksum"))
    }
}
