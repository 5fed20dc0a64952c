// This rank's data (loaded and checked by preflight) and building the configured model.
import Data
import NN

/// The data one rank trains and evaluates on.
struct RankData {
    let loader: TrainingLoader
    let validation: DatasetShard?
    let test: DatasetShard?
    /// Whether the dataset has a validation file (known on every rank; only rank 0 loads it).
    let hasValidation: Bool
}

extension Trainer {
    /// Builds the configured layers for samples of `sampleShape` and checks the model's output
    /// against the number of classes.
    func buildModel(sampleShape: [Int], numClasses: Int, dataPath: String) throws -> Sequential {
        if let expected = config.inputShape, expected.reduce(1, *) != sampleShape.reduce(1, *) {
            throw TrainingError.modelDoesNotFitData(
                "model.input_shape is \(expected) but the samples in \(dataPath) have shape \(sampleShape)")
        }
        let model = try Sequential(config.layers.map { $0.makeLayer() }, inputShape: sampleShape)
        guard model.outputShape == [numClasses] else {
            let last = config.layers.count - 1
            throw TrainingError.modelDoesNotFitData(
                "model.layers.\(last) outputs \(model.outputShape) per sample but \(dataPath) has num_classes \(numClasses); "
                    + "set the last dense layer's units to \(numClasses)")
        }
        return model
    }
}
