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

        // issue 6: `evaluate` on the run's last checkpoint prints accuracy, macro F1, AUC and the 10×10
        // confusion matrix with the class names, and its numbers are scikit-learn's on the exported predictions
        let checkpoint = try #require(try FileManager.default.contentsOfDirectory(atPath: directory.file("run/checkpoints"))
            .filter { $0.hasPrefix("ckpt-") }.sorted().last)
        let evaluate = ["evaluate", "--checkpoint", directory.file("run/checkpoints/" + checkpoint), "--data", directory.file("data/test.h5")]
        let table = try runCommand(builtProduct("swiftddp"), evaluate)
        #expect(table.status == 0, "\(table.error)")
        for text in ["accuracy", "f1_macro", "auc", "confusion matrix", "T-shirt/top", "Trouser", "Ankle boot"] {
            #expect(table.output.contains(text), "evaluate output lacks \"\(text)\":\n\(table.output)")
        }
        let json = try runCommand(builtProduct("swiftddp"), evaluate + ["--format", "json", "--predictions", directory.file("predictions.csv")])
        #expect(json.status == 0, "\(json.error)")
        try json.output.write(toFile: directory.file("report.json"), atomically: true, encoding: .utf8)
        let check = try python(scikitLearnEvaluationCheck, [directory.file("report.json"), directory.file("predictions.csv"), "member"])
        #expect(check.status == 0 && check.output.hasPrefix("ok 10000"), "\(check.output)\(check.error)")
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
