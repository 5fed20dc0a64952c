// Why `swiftddp evaluate` cannot evaluate a checkpoint on a dataset file, or several checkpoints
// together. Every message names the files involved; none suggests changing a config, because
// evaluate builds each model from the config stored in its checkpoint.
import Data

/// A checkpoint that does not fit the dataset file (or the other checkpoints) it is evaluated with.
public enum EvaluationError: Error, CustomStringConvertible {
    /// The samples of `data` (shape `shape`) are not those the checkpoint was trained on:
    /// `trainedShape` when it is known (from `model.input_shape`, or found from the stored
    /// parameters), else `detail` says what does not fit.
    case sampleShape(data: String, shape: [Int], checkpoint: String, trainedShape: [Int]?, detail: String)
    /// `data` has `classes` classes; the checkpoint's classifier predicts `trained`.
    case classCount(data: String, classes: Int, checkpoint: String, trained: Int)
    /// `data` has `targets` regression targets per sample; the checkpoint predicts `trained`.
    case targetCount(data: String, targets: Int, checkpoint: String, trained: Int)
    /// `data` holds class labels and the checkpoint is a regression model, or the reverse.
    /// `dataSize` is the data's number of classes or of targets per sample; `outputs` the
    /// model's outputs per sample (nil when its model cannot be built for these samples).
    case task(data: String, dataTask: DatasetTask, dataSize: Int, checkpoint: String, loss: String, outputs: Int?)
    /// Two checkpoints of one ensemble predict different things (a classifier and a regression).
    case mixedTasks(first: String, firstLoss: String, other: String, otherLoss: String)
    /// A checkpoint trained with a loss that evaluate does not score (binary cross-entropy).
    case unsupportedLoss(checkpoint: String, loss: String)
    /// The checkpoint's parameters do not match the model built from its own config (a damaged
    /// or foreign file).
    case inconsistentCheckpoint(checkpoint: String, detail: String)

    public var description: String {
        switch self {
        case .sampleShape(let data, let shape, let checkpoint, let trained, let detail):
            let features = shape.reduce(1, *)
            guard let trained else {
                return "\(data) has samples of shape \(shape) (\(features) features), but the checkpoint \(checkpoint) was trained "
                    + "on samples of another shape: \(detail)"
            }
            if shape.count == 1 && trained.count == 1 {
                return "\(data) has \(features) features per sample, but the checkpoint \(checkpoint) was trained on \(trained[0])"
            }
            return "\(data) has samples of shape \(shape) (\(features) features), but the checkpoint \(checkpoint) was trained "
                + "on samples of shape \(trained) (\(trained.reduce(1, *)) features)"
        case .classCount(let data, let classes, let checkpoint, let trained):
            return "\(data) has \(classes) classes, but the checkpoint \(checkpoint) was trained on \(trained)"
        case .targetCount(let data, let targets, let checkpoint, let trained):
            return "\(data) has \(targets) regression target(s) per sample, but the checkpoint \(checkpoint) was trained on \(trained)"
        case .task(let data, .classification, let classes, let checkpoint, let loss, let outputs):
            let model = outputs.map { "\($0) target(s), loss \(loss)" } ?? "loss \(loss)"
            return "\(data) holds class data (\(classes) classes), but the checkpoint \(checkpoint) is a regression model (\(model)); "
                + "evaluate it on a file with float targets"
        case .task(let data, .regression, let targets, let checkpoint, let loss, let outputs):
            let model = outputs.map { "\($0) classes, loss \(loss)" } ?? "loss \(loss)"
            return "\(data) holds regression data (\(targets) target(s) per sample), but the checkpoint \(checkpoint) "
                + "is a classifier (\(model)); evaluate it on a file with class labels"
        case .mixedTasks(let first, let firstLoss, let other, let otherLoss):
            return "the checkpoints \(first) (\(taskName(firstLoss)), loss \(firstLoss)) and \(other) (\(taskName(otherLoss)), "
                + "loss \(otherLoss)) predict different things; the checkpoints of an ensemble must all be classifiers or all be regression models"
        case .unsupportedLoss(let checkpoint, let loss):
            return "the checkpoint \(checkpoint) was trained with loss \(loss); evaluate supports softmax classifiers and regression "
                + "(mse, mae, huber) checkpoints; its validation records hold its accuracy"
        case .inconsistentCheckpoint(let checkpoint, let detail):
            return "checkpoint \(checkpoint) does not fit the model built from its own config: \(detail)"
        }
    }
}

/// "a classifier" or "a regression model", by loss.
private func taskName(_ loss: String) -> String {
    loss == "softmax_cross_entropy" ? "a classifier" : "a regression model"
}
