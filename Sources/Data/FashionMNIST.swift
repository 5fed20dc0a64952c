// `swiftddp prepare fashion-mnist`: IDX files in, a dataset directory of HDF5 shards out.
import Foundation
import Tensors

/// Converts the four Fashion-MNIST IDX files into a dataset directory.
///
/// Output, in `output`: `train-00000-of-0000S.h5` … (the training samples left after the
/// validation split, in their original order, cut into `shards` contiguous near-equal parts),
/// `val.h5` (`validationSize` training samples chosen by a seeded permutation, in original order;
/// absent when `validationSize` is 0) and `test.h5` (the 10000 t10k samples). Features are uint8
/// (N, 784) with `scale` 1/255; with `normalize`, every file also gets the training pixels'
/// `mean` and `std`, so that training features load with mean 0 and standard deviation 1. The same
/// inputs and seed always give byte-identical files.
///
/// ```swift
/// let preparer = FashionMNISTPreparer(source: IDXSourceFiles.debianDirectory, output: "data/fmnist", shards: 2)
/// let summary = try preparer.run { print($0) }
/// ```
public struct FashionMNISTPreparer: Sendable {
    /// The directory holding the IDX files.
    public let source: String
    /// The dataset directory to write (created with its parents if missing).
    public let output: String
    /// How many training shards to write, ≥ 1.
    public let shards: Int
    /// How many training samples to hold out as `val.h5`.
    public let validationSize: Int
    /// The seed of the validation split.
    public let seed: UInt64
    /// Whether to store the training pixels' `mean` and `std` for normalization on load.
    public let normalize: Bool

    /// The ten Fashion-MNIST classes, in label order.
    public static let classNames = [
        "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
    ]

    /// Describes a preparation; nothing is read or written until `run(progress:)`.
    public init(
        source: String, output: String, shards: Int, validationSize: Int = 5000, seed: UInt64 = 0,
        normalize: Bool = false
    ) {
        self.source = source
        self.output = output
        self.shards = shards
        self.validationSize = validationSize
        self.seed = seed
        self.normalize = normalize
    }

    /// Reads the IDX files and writes every dataset file, reporting each step through `progress`.
    ///
    /// Every file is written as `<name>.partial` and renamed into place only when all of them are
    /// complete (`PreparationOutput`), each with the same `preparation` id; if anything fails, the
    /// partial files are removed and `output` keeps the files it had.
    ///
    /// - Throws: `IDXError` for missing or malformed inputs, `DatasetError.invalidOption` for a bad
    ///   shard count or validation size, `DatasetError.staleFiles` if `output` holds shards of
    ///   another shard count, `.staleSplitFile` if it holds a `val.h5` that `validationSize` 0
    ///   would leave, `.outputNotADirectory` or `.cannotCreateDirectory` if `output` cannot be a
    ///   directory, `HDF5Error` if writing fails, `.commitFailed` if renaming fails.
    public func run(progress: (String) -> Void) throws -> PrepareSummary {
        guard shards >= 1 else { throw DatasetError.invalidOption(name: "shards", value: shards, requirement: "≥ 1") }
        let files = try IDXSourceFiles(directory: source)
        progress("reading \(files.trainImages)")
        let (trainImages, trainLabels) = try readPair(images: files.trainImages, labels: files.trainLabels)
        progress("reading \(files.testImages)")
        let (testImages, testLabels) = try readPair(images: files.testImages, labels: files.testLabels)

        let trainCount = trainLabels.count
        guard validationSize >= 0, validationSize < trainCount else {
            throw DatasetError.invalidOption(name: "validation size", value: validationSize,
                                             requirement: "in 0..<\(trainCount) (the training samples)")
        }
        guard shards <= trainCount - validationSize else {
            throw DatasetError.invalidOption(name: "shards", value: shards,
                                             requirement: "at most \(trainCount - validationSize), one sample per shard")
        }
        // the files: all written as .partial, then renamed together (PreparationOutput)
        let options = "fashion-mnist \(source) shards \(shards) validation \(validationSize) seed \(seed) normalize \(normalize)"
        let inputs = [trainImages.values, trainLabels.map(UInt8.init), testImages.values, testLabels.map(UInt8.init)]
            .map { $0.withUnsafeBytes(PreparationOutput.checksum) }
        let destination = try PreparationOutput(directory: output, id: PreparationOutput.id(describing: [options] + inputs))
        try destination.checkNoStaleFiles(
            shardCount: shards, absent: validationSize == 0 ? [(DatasetFormat.validationFileName, "--val-size 0")] : [])

        var generator = Generator(seed: seed, keys: [Purpose.split])
        let order = generator.permutation(trainCount)
        let validationRows = order.prefix(validationSize).sorted()
        let trainRows = order.dropFirst(validationSize).sorted()

        let statistics = normalize ? pixelStatistics(trainImages, rows: trainRows) : nil
        var summary = PrepareSummary(outputDirectory: output, files: [])
        func emit(_ name: String, _ images: IDXArray, _ labels: [Int32], _ rows: [Int], _ split: DatasetSplit,
                  index: Int = 0, count: Int = 1) throws {
            let path = (output as NSString).appendingPathComponent(name)
            progress("writing \(path) (\(rows.count) samples)")
            var shardMetadata = metadata(images, split, index, count)
            (shardMetadata.mean, shardMetadata.std) = (statistics.map { [$0.mean] }, statistics.map { [$0.std] })
            shardMetadata.preparation = destination.id
            try writeShard(destination.stage(name), images, labels, rows, metadata: shardMetadata)
            summary.files.append(.init(path: path, split: split, sampleCount: rows.count))
        }
        try destination.write {
            for shard in 0..<shards {
                let part = trainRows[(shard * trainRows.count / shards)..<((shard + 1) * trainRows.count / shards)]
                try emit(DatasetFormat.trainShardName(index: shard, count: shards), trainImages, trainLabels, Array(part),
                         .train, index: shard, count: shards)
            }
            if validationSize > 0 {
                try emit(DatasetFormat.validationFileName, trainImages, trainLabels, validationRows, .validation)
            }
            try emit(DatasetFormat.testFileName, testImages, testLabels, Array(0..<testLabels.count), .test)
        }
        return summary
    }

    /// Reads an images file and its labels file and checks that they agree.
    private func readPair(images: String, labels: String) throws -> (IDXArray, [Int32]) {
        let imageArray = try IDXArray.read(path: images, rank: 3)
        let labelArray = try IDXArray.read(path: labels, rank: 1)
        guard imageArray.shape[0] == labelArray.shape[0] else {
            throw IDXError.countMismatch(images: images, imageCount: imageArray.shape[0],
                                         labels: labels, labelCount: labelArray.shape[0])
        }
        if let bad = labelArray.values.firstIndex(where: { Int($0) >= Self.classNames.count }) {
            throw DatasetError.labelOutOfRange(file: labels, key: "labels", row: bad, label: Int(labelArray.values[bad]),
                                               numClasses: Self.classNames.count)
        }
        return (imageArray, labelArray.values.map { Int32($0) })
    }

    private func metadata(_ images: IDXArray, _ split: DatasetSplit, _ index: Int, _ count: Int) -> DatasetMetadata {
        DatasetMetadata(numClasses: Self.classNames.count, featureShape: [1, images.shape[1], images.shape[2]],
                        scale: 1.0 / 255.0, classNames: Self.classNames,
                        source: "Fashion-MNIST (Zalando), IDX files from \(source)",
                        split: split, shardIndex: index, shardCount: count)
    }

    /// The mean and standard deviation of the scaled pixels (value / 255) of the images `rows`.
    ///
    /// Sums are exact integers, so the result does not depend on summation order.
    private func pixelStatistics(_ images: IDXArray, rows: [Int]) -> (mean: Float, std: Float) {
        let rowLength = images.shape[1] * images.shape[2]
        var sum: UInt64 = 0, sumOfSquares: UInt64 = 0
        images.values.withUnsafeBufferPointer { pixels in
            for row in rows {
                for value in pixels[(row * rowLength)..<((row + 1) * rowLength)] {
                    sum += UInt64(value)
                    sumOfSquares += UInt64(value) * UInt64(value)
                }
            }
        }
        let count = Double(rows.count * rowLength)
        let mean = Double(sum) / count / 255
        let variance = max(Double(sumOfSquares) / count / (255 * 255) - mean * mean, 0)
        return (Float(mean), Float(max(variance.squareRoot(), 1e-6)))
    }

    /// Gathers `rows` of the images and labels and writes them as one shard file at `path` itself
    /// (a `.partial` path that `PreparationOutput` renames).
    private func writeShard(
        _ path: String, _ images: IDXArray, _ labels: [Int32], _ rows: [Int], metadata: DatasetMetadata
    ) throws {
        let rowLength = images.shape[1] * images.shape[2]
        var features = [UInt8](repeating: 0, count: rows.count * rowLength)
        features.withUnsafeMutableBufferPointer { destination in
            images.values.withUnsafeBufferPointer { source in
                for (out, row) in rows.enumerated() {
                    let from = UnsafeBufferPointer(rebasing: source[(row * rowLength)..<((row + 1) * rowLength)])
                    _ = UnsafeMutableBufferPointer(rebasing: destination[(out * rowLength)...]).initialize(from: from)
                }
            }
        }
        try DatasetShard.write(path: path, features: features, labels: rows.map { labels[$0] }, metadata: metadata, atomically: false)
    }
}

/// What `FashionMNISTPreparer.run(progress:)` wrote.
public struct PrepareSummary: Sendable, Equatable, CustomStringConvertible {
    /// One written file.
    public struct File: Sendable, Equatable {
        /// The file's path.
        public let path: String
        /// The split it belongs to.
        public let split: DatasetSplit
        /// How many samples it holds.
        public let sampleCount: Int
    }

    /// The dataset directory.
    public let outputDirectory: String
    /// The files in the order written: training shards, then `val.h5`, then `test.h5`.
    public internal(set) var files: [File]

    /// One line per file: `train  27500  /data/fmnist/train-00000-of-00002.h5`.
    public var description: String {
        files.map { file in
            let split = file.split.rawValue.padding(toLength: 6, withPad: " ", startingAt: 0)
            let count = String(file.sampleCount)
            return split + String(repeating: " ", count: max(0, 7 - count.count)) + count + "  " + file.path
        }.joined(separator: "\n")
    }
}
