// Choosing the loss for the data: the configured loss must fit the labels the shards hold, and
// it decides how many outputs the model needs.
import Data
import NN
import Tensors

extension Trainer {
    /// The configured loss, after checking that it fits every shard this rank loaded (training,
    /// and on rank 0 validation and test), with the number of outputs per sample the model must
    /// have and where that number comes from (for the error when it does not).
    ///
    /// - Throws: `TrainingError.modelDoesNotFitData` naming `loss.type` and the file: a regression
    ///   loss on class ids, cross-entropy on float targets, binary cross-entropy on more than two
    ///   classes or on targets outside [0, 1], or files of one dataset that disagree.
    func makeCriterion(fitting data: RankData) throws -> (loss: any Loss, outputs: Int, source: String) {
        let reference = data.loader.shards[0].shard
        let loss = config.loss
        let others = [data.validation, data.test].compactMap { $0 }
        for shard in others where shard.task != reference.task || shard.numTargets != reference.numTargets {
            throw TrainingError.modelDoesNotFitData(
                "\(shard.path) holds \(describe(shard)) but the training shard \(reference.path) holds \(describe(reference))")
        }
        let needs = "loss.type \(loss) needs"
        let outputs: Int, source: String
        switch (loss, reference.task) {
        case ("softmax_cross_entropy", .classification):
            (outputs, source) = (reference.numClasses, "\(reference.path) has num_classes \(reference.numClasses)")
        case ("binary_cross_entropy", .classification):
            guard reference.numClasses <= 2 else {
                throw TrainingError.modelDoesNotFitData(
                    "\(needs) labels 0 and 1 but \(reference.path) has num_classes \(reference.numClasses); "
                        + "use loss.type softmax_cross_entropy for more than two classes")
            }
            (outputs, source) = (1, "\(needs) one output per sample for the class ids 0/1 of \(reference.path)")
        case ("binary_cross_entropy", .regression):
            for shard in data.loader.shards.map(\.shard) + others {
                if let bad = shard.targets?.buffer.firstIndex(where: { !($0 >= 0 && $0 <= 1) }) {
                    throw TrainingError.modelDoesNotFitData(
                        "\(needs) targets in [0, 1] but \(shard.path) row \(bad / shard.numTargets) has \(shard.targets?.buffer[bad] ?? .nan)")
                }
            }
            (outputs, source) = (reference.numTargets, "\(reference.path) has num_targets \(reference.numTargets)")
        case (_, .regression) where config.isRegressionLoss:
            (outputs, source) = (reference.numTargets, "\(reference.path) has num_targets \(reference.numTargets)")
        case (_, .regression):
            throw TrainingError.modelDoesNotFitData(
                "\(needs) class ids but \(reference.path) holds \(describe(reference)); "
                    + "use loss.type mse, mae or huber (or binary_cross_entropy for 0/1 targets)")
        case (_, .classification):
            throw TrainingError.modelDoesNotFitData(
                "\(needs) float targets but \(reference.path) holds \(describe(reference)); "
                    + "use loss.type softmax_cross_entropy, or prepare the data as a regression (swiftddp prepare csv --task regression)")
        }
        return (config.makeLoss(), outputs, source)
    }

    private func describe(_ shard: DatasetShard) -> String {
        shard.task == .regression ? "regression targets (task = regression, num_targets \(shard.numTargets))"
            : "class ids (task = classification, num_classes \(shard.numClasses))"
    }
}

extension Batch {
    /// The batch's labels or float targets, as the loss takes them.
    var lossTargets: Targets { targets.map { .values($0) } ?? .classes(labels) }
}

extension DatasetShard {
    /// The labels or float targets of `rows`, as the loss takes them.
    func lossTargets(_ rows: Range<Int>) -> Targets {
        targets.map { .values($0.rows(rows)) } ?? .classes(Array(labels[rows]))
    }
}
