// The default config on the real Fashion-MNIST (Debian's dataset-fashion-mnist, which
// launch/test.sh installs): ≥ 87 % test accuracy in 5 epochs, in one process and under
// `mpirun -np 2` (global batch 256).
import Foundation
import Testing
import TestSupport

private let debianFashionMNIST = "/usr/share/datasets/fashion-mnist"

@Suite(.serialized, .enabled(if: FileManager.default.fileExists(atPath: debianFashionMNIST + "/train-images-idx3-ubyte.gz"),
                             "Fashion-MNIST is not installed: launch/test.sh installs dataset-fashion-mnist"))
struct FashionMNISTAcceptanceTests {
    private func prepared() throws -> TemporaryDirectory {
        let directory = try TemporaryDirectory("fashion-mnist")
        let prepare = try swiftddp("prepare", "fashion-mnist", "--source", debianFashionMNIST, "--out", directory.file("data"), "--shards", "2")
        #expect(prepare.status == 0, "\(prepare.error)")
        return directory
    }

    private func testAccuracy(_ output: String) -> Double? {
        output.split(separator: "\n").last { $0.hasPrefix("test accuracy: ") }.flatMap { Double($0.dropFirst("test accuracy: ".count)) }
    }

    private var config: String { repositoryRoot + "/launch/configs/fashion-mnist-mlp.yaml" }

    @Test func defaultMLPReaches87PercentInOneProcess() throws {
        let directory = try prepared()
        let result = try swiftddp("train", "--config", config, "--data", directory.file("data"), "--run-dir", directory.file("run"))
        #expect(result.status == 0, "\(result.error)")
        let accuracy = try #require(testAccuracy(result.output), "\(result.output)")
        #expect(accuracy >= 0.87, "test accuracy \(accuracy)")
    }

    @Test(.enabled(if: mpirunAvailable, "mpirun is not on PATH"))
    func defaultMLPReaches87PercentOnTwoRanks() throws {
        let directory = try prepared()
        let result = try mpirun(ranks: 2, ["train", "--config", config, "--data", directory.file("data"), "--run-dir", directory.file("run")])
        #expect(result.status == 0, "\(result.error)")
        #expect(result.output.contains("global batch 256"))
        let accuracy = try #require(testAccuracy(result.output), "\(result.output)")
        #expect(accuracy >= 0.87, "test accuracy \(accuracy)")
    }
}
