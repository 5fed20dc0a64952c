// One dataset shard in memory, loaded and validated from an HDF5 file (datasets/README.md).
import Foundation
import Tensors

/// The samples of one shard file: features as an (N, D) float tensor, already normalized, and labels.
///
/// ```swift
/// let shard = try DatasetShard.load(path: "data/fmnist/train-00000-of-00002.h5")
/// shard.features.shape   // [27500, 784], values in [0, 1]
/// shard.labels[0]        // a class id in 0..<shard.numClasses
/// ```
public struct DatasetShard: Sendable {
    /// The file the samples came from (empty for shards built in memory).
    public let path: String
    /// (N, D) float32, with the file's `scale` (and `mean`, `std` if present) already applied.
    public let features: Tensor
    /// N class ids, each in 0..<numClasses.
    public let labels: [Int32]
    /// The number of classes K.
    public let numClasses: Int
    /// The shape of one sample, e.g. [1, 28, 28]; its product is D.
    public let featureShape: [Int]
    /// One name per class, or empty when the file has none.
    public let classNames: [String]
    /// The loaded value of a stored 0 feature (the normalization's offset, `−mean/std`); image
    /// augmentation pads with it, so padding is black as in the raw image.
    public let zeroValue: Float

    /// The number of samples N.
    public var count: Int { labels.count }

    /// A shard built in memory (tests, synthetic data).
    ///
    /// - Precondition: `features` is (N, D) with N = `labels.count`, `featureShape`'s product is D,
    ///   and `classNames` is empty or has `numClasses` names.
    public init(
        path: String = "", features: Tensor, labels: [Int32], numClasses: Int,
        featureShape: [Int]? = nil, classNames: [String] = [], zeroValue: Float = 0
    ) {
        precondition(features.shape.count == 2 && features.rowCount == labels.count,
                     "DatasetShard: features \(features.shape) for \(labels.count) labels")
        let sampleShape = featureShape ?? [features.rowLength]
        precondition(sampleShape.reduce(1, *) == features.rowLength,
                     "DatasetShard: feature shape \(sampleShape) for rows of \(features.rowLength)")
        precondition(classNames.isEmpty || classNames.count == numClasses,
                     "DatasetShard: \(classNames.count) class names for \(numClasses) classes")
        self.path = path
        self.features = features
        self.labels = labels
        self.numClasses = numClasses
        self.featureShape = sampleShape
        self.classNames = classNames
        self.zeroValue = zeroValue
    }

    /// Loads and validates a shard file, or the rows `rows` of it (a hyperslab, nothing else is read).
    ///
    /// Features of any numeric type are converted to float32 by HDF5 while reading, then mapped to
    /// `(x · scale − mean) / std` in one pass. Each of `scale`, `mean` and `std` is the attribute
    /// of the features dataset, else of the root group, else 1, 0 and 1. Labels of any integer
    /// type are read as int32; float labels must be whole numbers.
    ///
    /// - Parameters:
    ///   - path: the HDF5 file.
    ///   - featuresKey: the features dataset, (N, D…) with at least 2 dimensions.
    ///   - labelsKey: the labels dataset, (N) or (N, 1).
    ///   - rows: the rows to load, or `nil` for all of them.
    /// - Throws: `DatasetError` naming the file and key for every problem found, `HDF5Error` if the
    ///   HDF5 library fails while reading.
    public static func load(
        path: String, featuresKey: String = DatasetFormat.featuresKey, labelsKey: String = DatasetFormat.labelsKey,
        rows: Range<Int>? = nil
    ) throws -> DatasetShard {
        let file: HDF5File
        do {
            file = try HDF5File.open(path: path)
        } catch HDF5Error.fileNotFound {
            throw DatasetError.fileNotFound(path)
        } catch HDF5Error.notHDF5 {
            throw DatasetError.notHDF5(path)
        }
        defer { try? file.close() }
        try checkFormat(file)

        let featuresName = absolute(featuresKey), labelsName = absolute(labelsKey)
        for (key, name) in [(featuresKey, featuresName), (labelsKey, labelsName)] where !file.exists(name) {
            throw DatasetError.missingKey(file: path, key: key, available: (try? file.allDatasetPaths()) ?? [])
        }
        let (featureDims, featureType) = try file.datasetInfo(featuresName)
        let (labelDims, labelType) = try file.datasetInfo(labelsName)
        guard featureDims.count >= 2 else { throw DatasetError.featureRank(file: path, key: featuresKey, shape: featureDims) }
        guard featureType.isNumeric else {
            throw DatasetError.unsupportedType(file: path, key: featuresKey, found: featureType.description,
                                               expected: "uint8, float32 or another numeric type")
        }
        guard labelDims.count == 1 || (labelDims.count == 2 && labelDims[1] == 1) else {
            throw DatasetError.labelShape(file: path, key: labelsKey, shape: labelDims)
        }
        guard labelType.isNumeric else {
            throw DatasetError.unsupportedType(file: path, key: labelsKey, found: labelType.description,
                                               expected: "integer class ids (int32, int64, uint8 …)")
        }
        guard featureDims[0] == labelDims[0] else {
            throw DatasetError.lengthMismatch(file: path, featuresKey: featuresKey, featureRows: featureDims[0],
                                              labelsKey: labelsKey, labelRows: labelDims[0])
        }
        let selected = rows ?? 0..<featureDims[0]
        guard selected.lowerBound >= 0, selected.upperBound <= featureDims[0] else {
            throw DatasetError.rowsOutOfRange(file: path, rows: selected, rowCount: featureDims[0])
        }

        // Labels and attributes first: they are small, so a bad file fails before the big read.
        let rowLength = featureDims.dropFirst().reduce(1, *)
        let labels = try readLabels(file, labelsName, key: labelsKey, type: labelType, rows: selected)
        let numClasses = try classCount(file, labels, key: labelsKey, type: labelType)
        if let bad = labels.firstIndex(where: { $0 < 0 || Int($0) >= numClasses }) {
            throw DatasetError.labelOutOfRange(file: path, key: labelsKey, row: selected.lowerBound + bad,
                                               label: Int(labels[bad]), numClasses: numClasses)
        }
        let featureShape = try readFeatureShape(file, rowLength: rowLength) ?? Array(featureDims.dropFirst())
        let classNames = try readClassNames(file, numClasses: numClasses)
        let (multiplier, offset) = try readNormalization(file, featuresName)

        // Features: HDF5 converts to float32 straight into the tensor, then one normalizing pass.
        let features = Tensor(zeros: [selected.count, rowLength])
        try file.readFloatRows(featuresName, rows: selected, into: features.buffer)
        if offset != 0 {
            let x = features.pointer
            for i in 0..<features.count { x[i] = x[i] * multiplier + offset }
        } else if multiplier != 1 {
            Tensors.scale(count: features.count, alpha: multiplier, x: features.pointer)
        }
        return DatasetShard(path: path, features: features, labels: labels, numClasses: numClasses,
                            featureShape: featureShape, classNames: classNames, zeroValue: offset)
    }

    /// `features` → `/features`; keys may also be given as absolute paths.
    static func absolute(_ key: String) -> String { key.hasPrefix("/") ? key : "/" + key }

    private static func checkFormat(_ file: HDF5File) throws {
        let names = DatasetFormat.Attribute.self
        if file.hasAttribute(names.format) {
            let format = (try? file.readStringAttribute(names.format)) ?? "(not a string)"
            guard format == DatasetFormat.name else { throw DatasetError.wrongFormat(file: file.path, found: format) }
        }
        if file.hasAttribute(names.formatVersion) {
            let version = try intAttribute(file, names.formatVersion)
            guard version <= DatasetFormat.version else {
                throw DatasetError.unsupportedVersion(file: file.path, found: version, supported: DatasetFormat.version)
            }
        }
    }

    /// The map `x ← x · multiplier + offset` equal to `(x · scale − mean) / std`.
    private static func readNormalization(_ file: HDF5File, _ featuresName: String) throws -> (Float, Float) {
        let names = DatasetFormat.Attribute.self
        let scale = try readNumber(file, featuresName, names.scale, default: 1, "finite, non-zero") { $0 != 0 }
        let mean = try readNumber(file, featuresName, names.mean, default: 0, "finite") { _ in true }
        let std = try readNumber(file, featuresName, names.std, default: 1, "finite, positive") { $0 > 0 }
        return (Float(scale / std), Float(-mean / std))
    }

    /// A number attribute of the features dataset, else of the root, else `default`.
    private static func readNumber(
        _ file: HDF5File, _ featuresName: String, _ name: String, default: Double, _ requirement: String,
        _ isValid: (Double) -> Bool
    ) throws -> Double {
        let owner = file.hasAttribute(name, on: featuresName) ? featuresName : file.hasAttribute(name) ? "/" : nil
        guard let owner else { return `default` }
        guard let value = try? file.readDoubleAttribute(name, of: owner), value.isFinite, isValid(value) else {
            throw DatasetError.badAttribute(file: file.path, name: owner == "/" ? name : "\(name) of \(owner)",
                                            problem: "must be one \(requirement) number")
        }
        return value
    }

    private static func readLabels(
        _ file: HDF5File, _ name: String, key: String, type: HDF5File.ElementType, rows: Range<Int>
    ) throws -> [Int32] {
        if type.isInteger { return try file.readInt32Rows(name, rows: rows) }
        let values = try file.readDoubleRows(name, rows: rows)
        return try values.enumerated().map { index, value in
            guard value.rounded() == value, abs(value) < 2_147_483_648 else {
                throw DatasetError.nonIntegerLabel(file: file.path, key: key, row: rows.lowerBound + index, value: value)
            }
            return Int32(value)
        }
    }

    private static func classCount(
        _ file: HDF5File, _ labels: [Int32], key: String, type: HDF5File.ElementType
    ) throws -> Int {
        let name = DatasetFormat.Attribute.numClasses
        if file.hasAttribute(name) {
            let count = try intAttribute(file, name)
            guard count >= 1 else {
                throw DatasetError.badAttribute(file: file.path, name: name, problem: "is \(count) but must be ≥ 1")
            }
            return count
        }
        guard type.isInteger else { throw DatasetError.cannotInferClasses(file: file.path, key: key, type: type.description) }
        return Int(labels.max() ?? -1) + 1
    }

    private static func readFeatureShape(_ file: HDF5File, rowLength: Int) throws -> [Int]? {
        let name = DatasetFormat.Attribute.featureShape
        guard file.hasAttribute(name) else { return nil }
        guard let shape = try? file.readIntArrayAttribute(name) else {
            throw DatasetError.badAttribute(file: file.path, name: name, problem: "must be a list of integers")
        }
        guard shape.allSatisfy({ $0 > 0 }), shape.reduce(1, *) == rowLength else {
            throw DatasetError.badAttribute(file: file.path, name: name,
                                            problem: "is \(shape) but each features row holds \(rowLength) values")
        }
        return shape
    }

    private static func readClassNames(_ file: HDF5File, numClasses: Int) throws -> [String] {
        let name = DatasetFormat.Attribute.classNames
        guard file.hasAttribute(name) else { return [] }
        guard let names = try? file.readStringArrayAttribute(name) else {
            throw DatasetError.badAttribute(file: file.path, name: name, problem: "must be a list of strings")
        }
        guard names.count == numClasses else {
            throw DatasetError.badAttribute(file: file.path, name: name,
                                            problem: "has \(names.count) names for \(numClasses) classes")
        }
        return names
    }

    private static func intAttribute(_ file: HDF5File, _ name: String) throws -> Int {
        guard let value = try? file.readIntAttribute(name) else {
            throw DatasetError.badAttribute(file: file.path, name: name, problem: "must be one integer")
        }
        return value
    }
}
