// Loading this rank's data and building the configured model.
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
    /// Loads this rank's part of the training shards (ShardAssignment) and, on rank 0, the
    /// validation and test files.
    func loadData() throws -> RankData {
        let rank = communicator.rank
        let directory = try DatasetDirectory(path: config.dataDirectory)
        let assignment = try ShardAssignment(files: directory.trainShards, rank: rank, ranks: communicator.size) { path in
            let file = try HDF5File.open(path: path)
            defer { try? file.close() }
            return try file.datasetInfo("/" + config.featuresKey).shape.first ?? 0
        }
        let shards = try assignment.parts.map { part in
            (index: part.shuffleKey,
             shard: try DatasetShard.load(path: part.path, featuresKey: config.featuresKey, labelsKey: config.labelsKey, rows: part.rows))
        }
        let loader = try TrainingLoader(shards: shards, batchSize: config.batchSize, seed: config.seed, shuffle: config.shuffle,
                                        augmentation: Augmentation(cropPadding: config.randomCropPadding, horizontalFlip: config.horizontalFlip),
                                        origins: assignment.parts.map { (file: $0.fileIndex, firstRow: $0.rows?.lowerBound ?? 0) })
        func evaluationSet(_ path: String?) throws -> DatasetShard? {
            guard rank == 0, let path else { return nil }
            return try DatasetShard.load(path: path, featuresKey: config.featuresKey, labelsKey: config.labelsKey)
        }
        return RankData(loader: loader, validation: try evaluationSet(directory.validation), test: try evaluationSet(directory.test),
                        hasValidation: directory.validation != nil)
    }

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
