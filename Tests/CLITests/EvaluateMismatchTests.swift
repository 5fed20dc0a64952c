// `swiftddp evaluate` with a dataset file that is not what the checkpoint was trained on (other
// features, other classes, regression data for a classifier and the reverse), an ensemble of a
// classifier and a regression model, and predictions for a directory that does not exist. Each
// is a runtime failure (exit 1) reported in one line that names the files and the cause.
import Foundation
import Testing
import TestSupport

@Suite(.serialized)
struct EvaluateMismatchTests {
    /// A 3-class classifier (`run`) and a regression model (`rreg`), both on 4 features, with a
    /// checkpoint after 4 steps; and the files they are evaluated on: `data` (4 features, 3
    /// classes), `data5` (5 features, 3 classes), `classes5` (4 features, 5 classes), `datareg`
    /// (4 features, 1 float target).
    private func workspace() throws -> TemporaryDirectory {
        let directory = try TemporaryDirectory("evaluate-mismatch")
        try TinyDatasets.writeBlobDirectory(directory.file("data"), shardSizes: [64], evalCount: 20, features: 4, classes: 3)
        try TinyDatasets.writeBlobDirectory(directory.file("data5"), shardSizes: [16], evalCount: 20, features: 5, classes: 3)
        try TinyDatasets.writeBlobDirectory(directory.file("classes5"), shardSizes: [16], evalCount: 20, features: 4, classes: 5)
        try TinyDatasets.writeLinearDirectory(directory.file("datareg"), shardSizes: [64], evalCount: 20, features: 4)
        try TinyDatasets.blobConfig(dataDirectory: directory.file("data"), classes: 3, epochs: 1, batchSize: 16, extra: "checkpoint: {every_steps: 4}")
            .write(toFile: directory.file("classifier.yaml"), atomically: true, encoding: .utf8)
        try TinyDatasets.regressionConfig(dataDirectory: directory.file("datareg"), epochs: 1, batchSize: 16, extra: "checkpoint: {every_steps: 4}")
            .write(toFile: directory.file("regression.yaml"), atomically: true, encoding: .utf8)
        for (config, run) in [("classifier.yaml", "run"), ("regression.yaml", "rreg")] {
            let result = try swiftddp("train", "--config", directory.file(config), "--run-dir", directory.file(run))
            #expect(result.status == 0, "\(result.error)")
        }
        return directory
    }

    /// Expects exit 1 and exactly one line on stderr, `swiftddp: error: <message>`.
    private func expectFailure(_ result: CommandResult, _ message: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(result.status == 1, "exit \(result.status): \(result.error)", sourceLocation: sourceLocation)
        #expect(result.error == "swiftddp: error: \(message)\n", "\(result.error)", sourceLocation: sourceLocation)
    }

    @Test func dataOfAnotherShapeOrClassCountIsNamedWithBothCounts() throws {
        let directory = try workspace()
        let checkpoint = directory.file("run/checkpoints/ckpt-00000004.h5")
        let features = try swiftddp("evaluate", "--checkpoint", checkpoint, "--data", directory.file("data5/test.h5"))
        expectFailure(features, "\(directory.file("data5/test.h5")) has 5 features per sample, but the checkpoint \(checkpoint) was trained on 4")
        let classes = try swiftddp("evaluate", "--checkpoint", checkpoint, "--data", directory.file("classes5/test.h5"))
        expectFailure(classes, "\(directory.file("classes5/test.h5")) has 5 classes, but the checkpoint \(checkpoint) was trained on 3")
        // the same checkpoint on its own kind of data still works
        let fits = try swiftddp("evaluate", "--checkpoint", checkpoint, "--data", directory.file("data/test.h5"))
        #expect(fits.status == 0, "\(fits.error)")
    }

    /// A conv model without `model.input_shape`, trained on [1, 8, 8] images and evaluated on
    /// [1, 12, 12] ones (both image axes differ): the message names the trained sample shape,
    /// not the sizes of a parameter.
    @Test func imagesOfAnotherSizeNameTheTrainedImageShape() throws {
        let directory = try TemporaryDirectory("evaluate-images")
        try TinyDatasets.writeBlobDirectory(directory.file("small"), shardSizes: [32], evalCount: 8, features: 64, featureShape: [1, 8, 8])
        try TinyDatasets.writeBlobDirectory(directory.file("large"), shardSizes: [8], evalCount: 8, features: 144, featureShape: [1, 12, 12])
        let layers = """
                - {type: dense, units: 16}
                - {type: relu}
            """
        let conv = """
                - {type: conv2d, filters: 4, kernel_size: 3, padding: 1}
                - {type: relu}
                - {type: max_pool2d, pool_size: 2}
                - {type: flatten}
            """
        try TinyDatasets.blobConfig(dataDirectory: directory.file("small"), epochs: 1, batchSize: 16, extra: "checkpoint: {every_steps: 2}")
            .replacingOccurrences(of: layers, with: conv)
            .write(toFile: directory.file("conv.yaml"), atomically: true, encoding: .utf8)
        let train = try swiftddp("train", "--config", directory.file("conv.yaml"), "--run-dir", directory.file("run"))
        #expect(train.status == 0, "\(train.error)")
        let checkpoint = directory.file("run/checkpoints/ckpt-00000002.h5"), data = directory.file("large/test.h5")
        let result = try swiftddp("evaluate", "--checkpoint", checkpoint, "--data", data)
        expectFailure(result, "\(data) has samples of shape [1, 12, 12] (144 features), but the checkpoint \(checkpoint) was trained "
            + "on samples of shape [1, 8, 8] (64 features)")
    }

    @Test func classifierAndRegressionDataOrCheckpointsDoNotMix() throws {
        let directory = try workspace()
        let classifier = directory.file("run/checkpoints/ckpt-00000004.h5"), regression = directory.file("rreg/checkpoints/ckpt-00000004.h5")
        let onRegressionData = try swiftddp("evaluate", "--checkpoint", classifier, "--data", directory.file("datareg/test.h5"))
        expectFailure(onRegressionData, "\(directory.file("datareg/test.h5")) holds regression data (1 target(s) per sample), but the checkpoint "
            + "\(classifier) is a classifier (3 classes, loss softmax_cross_entropy); evaluate it on a file with class labels")
        let onClassData = try swiftddp("evaluate", "--checkpoint", regression, "--data", directory.file("data/test.h5"))
        expectFailure(onClassData, "\(directory.file("data/test.h5")) holds class data (3 classes), but the checkpoint \(regression) "
            + "is a regression model (1 target(s), loss mse); evaluate it on a file with float targets")
        let ensemble = try swiftddp("evaluate", "--checkpoint", classifier, "--checkpoint", regression, "--data", directory.file("data/test.h5"))
        expectFailure(ensemble, "the checkpoints \(classifier) (a classifier, loss softmax_cross_entropy) and \(regression) (a regression model, "
            + "loss mse) predict different things; the checkpoints of an ensemble must all be classifiers or all be regression models")
        let fits = try swiftddp("evaluate", "--checkpoint", regression, "--data", directory.file("datareg/test.h5"))
        #expect(fits.status == 0, "\(fits.error)")
    }

    @Test func predictionsForAMissingDirectoryNameTheDirectory() throws {
        let directory = try workspace()
        let classifier = directory.file("run/checkpoints/ckpt-00000004.h5"), regression = directory.file("rreg/checkpoints/ckpt-00000004.h5")
        for (checkpoint, data, file) in [(classifier, "data/test.h5", "nodir/p.csv"), (classifier, "data/test.h5", "nodir/p.h5"),
                                         (regression, "datareg/test.h5", "nodir/p.csv")] {
            let result = try swiftddp("evaluate", "--checkpoint", checkpoint, "--data", directory.file(data), "--predictions", directory.file(file))
            expectFailure(result, "cannot write predictions file \(directory.file(file)): directory \(directory.file("nodir")) does not exist")
        }
        // a file where a directory should be
        try "".write(toFile: directory.file("plain"), atomically: true, encoding: .utf8)
        let notADirectory = try swiftddp("evaluate", "--checkpoint", classifier, "--data", directory.file("data/test.h5"),
                                         "--predictions", directory.file("plain/p.csv"))
        expectFailure(notADirectory, "cannot write predictions file \(directory.file("plain/p.csv")): \(directory.file("plain")) is not a directory")
    }
}
