// An LSTM model trained data-parallel: it learns a tiny sequence task, and the in-process
// simulation of N ranks equals `mpirun -np N` bit for bit.
import Foundation
import Testing
import TestSupport

@Suite(.serialized, .enabled(if: mpirunAvailable, "mpirun is not on PATH: launch/test.sh installs openmpi-bin"))
struct RecurrentTrainingTests {
    /// Pulse sequences of 8 steps × 3 features stored flat, read back as sequences by `reshape`.
    private static let config = """
        name: pulses-lstm
        seed: 3
        model:
          layers:
            - {type: reshape, shape: [8, 3]}
            - {type: lstm, units: 12}
            - {type: dense, units: 3, init: xavier_uniform}
        optimizer: {type: adam, learning_rate: 0.02}
        training: {batch_size: 8, epochs: 3, log_every: 10}
        """

    private func trainLosses(_ metricsPath: String) throws -> [Double] {
        try String(contentsOfFile: metricsPath, encoding: .utf8).split(separator: "\n").compactMap { line in
            let record = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            return record?["split"] as? String == "train" ? record?["loss"] as? Double : nil
        }
    }

    @Test(arguments: [2, 4])
    func lstmLearnsAndSimulatedRanksEqualMpirunBitForBit(ranks: Int) throws {
        let directory = try TemporaryDirectory("lstm")
        try TinyDatasets.writePulseDirectory(directory.file("data"), shardSizes: [128, 128, 128, 128])
        try (RecurrentTrainingTests.config + "\ndata: {dir: '\(directory.file("data"))'}\n")
            .write(toFile: directory.file("config.yaml"), atomically: true, encoding: .utf8)
        func arguments(_ run: String) -> [String] {
            ["train", "--config", directory.file("config.yaml"), "--run-dir", directory.file(run), "--overwrite"]
        }
        let real = try mpirun(ranks: ranks, arguments("mpi"))
        #expect(real.status == 0, "\(real.error)")
        let simulated = try runCommand(builtProduct("swiftddp"), arguments("sim") + ["--simulate-ranks", String(ranks)])
        #expect(simulated.status == 0, "\(simulated.error)")
        let checksum = try #require(parameterChecksum(real.output), "\(real.output)")
        #expect(parameterChecksum(simulated.output) == checksum)

        let losses = try trainLosses(directory.file("mpi/metrics.jsonl"))
        let (first, last) = (try #require(losses.first), try #require(losses.last))
        // the first record averages steps 1–10, already below chance (ln 3 ≈ 1.10)
        #expect(first > 0.8 && last < 0.5 * first, "train losses \(losses)")
        let accuracy = real.output.split(separator: "\n").last { $0.hasPrefix("test accuracy: ") }.flatMap { Double($0.dropFirst(15)) }
        #expect((accuracy ?? 0) > 0.75, "\(real.output)")   // chance: 1/3
    }
}
