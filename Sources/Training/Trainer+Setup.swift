// This rank's data (loaded and checked by preflight) and building the configured model.
import Comm
import Data
import NN
import Tensors

/// The data one rank trains and evaluates on.
struct RankData {
    let loader: TrainingLoader
    let validation: DatasetShard?
    let test: DatasetShard?
    /// Whether the dataset has a validation file (known on every rank; only rank 0 loads it).
    let hasValidation: Bool
}

extension Trainer {
    /// Builds the configured layers for samples of `sampleShape` and checks that the model gives
    /// `outputs` values per sample (the loss's requirement, explained by `source`).
    func buildModel(sampleShape: [Int], outputs: Int, source: String, dataPath: String) throws -> Sequential {
        if let expected = config.inputShape, expected.reduce(1, *) != sampleShape.reduce(1, *) {
            throw TrainingError.modelDoesNotFitData(
                "model.input_shape is \(expected) but the samples in \(dataPath) have shape \(sampleShape)")
        }
        let model: Sequential
        do {
            model = try Sequential(config.layers.map { $0.makeLayer() }, inputShape: sampleShape)
        } catch let error as ModelError {   // "layers.N: …", a layer that cannot take its input
            throw TrainingError.modelDoesNotFitData("model.\(error.description) (the samples in \(dataPath) have shape \(sampleShape))")
        }
        guard model.outputShape == [outputs] else {
            let last = config.layers.count - 1
            throw TrainingError.modelDoesNotFitData(
                "model.layers.\(last) outputs \(model.outputShape) per sample but \(source); "
                    + "set the last dense layer's units to \(outputs)")
        }
        for (index, layer) in model.layers.enumerated() {
            if let norm = layer as? BatchNorm, norm.valuesPerSample * config.batchSize < 2 {
                throw TrainingError.modelDoesNotFitData("model.layers.\(index) (batch_norm) needs at least 2 values per channel in a training "
                    + "batch, but training.batch_size \(config.batchSize) gives \(norm.valuesPerSample * config.batchSize); use batch_size ≥ 2")
            }
        }
        return model
    }

    /// Puts the gradient buffer where the communicator reduces it without copies (shared memory
    /// when every rank is on one node and `distributed.shared_memory` is on); collective. Returns
    /// how the gradients are averaged, for the log.
    func placeGradients(of model: Sequential) throws -> String {
        let buckets = "buckets of \(config.bucketMegabytes) MiB"
        if config.sharedMemoryReduction, let shared = try moveGradientsToReductionBuffer(of: model, communicator: communicator) {
            return "summed in place in \(shared.transport), \(buckets)"
        }
        return "all-reduced with MPI transfers, \(buckets)"
    }
}

/// Moves `model`'s gradients into the communicator's reduction buffer (shared memory when every
/// rank is on one node) and returns it, or returns nil and leaves them where they are. Collective;
/// call it before planning the gradient buckets.
public func moveGradientsToReductionBuffer(of model: Sequential, communicator: any Communicator) throws -> ReductionBuffer? {
    guard let shared = try communicator.makeReductionBuffer(count: model.store.count) else { return nil }
    model.store.moveGradients(to: TensorStorage(borrowing: shared.buffer, owner: shared))
    return shared
}
