// One dataset shard in memory, loaded and validated from an HDF5 file (datasets/README.md).
import Foundation
import Tensors

/// The samples of one shard file: features as (N, D) rows, normalized (`FeatureRows`), and
/// either class labels (classification) or float targets (regression).
///
/// ```swift
/// let shard = try DatasetShard.load(path: "data/fmnist/train-00000-of-00002.h5")
/// shard.features.shape   // [27500, 784], values in [0, 1]
/// shard.labels[0]        // a class id in 0..<shard.numClasses
/// let table = try DatasetShard.load(path: "data/diabetes/val.h5")
/// table.task             // .regression
/// table.targets?.shape   // [44, 1]
/// ```
public struct DatasetShard: Sendable {
    /// The file the samples came from (empty for shards built in memory).
    public let path: String
    /// (N, D), with the file's `scale` (and `mean`, `std` if present) applied: float32 rows, or
    /// the stored uint8 rows of a shard loaded `keepingBytes`, normalized as they are read.
    public let features: FeatureRows
    /// Class ids (classification) or float targets (regression).
    public let task: DatasetTask
    /// N class ids, each in 0..<numClasses; empty for regression.
    public let labels: [Int32]
    /// (N, K) float targets for regression, `nil` for classification.
    public let targets: Tensor?
    /// The number of classes K; 0 for regression.
    public let numClasses: Int
    /// The shape of one sample, e.g. [1, 28, 28]; its product is D.
    public let featureShape: [Int]
    /// One name per class, or empty when the file has none.
    public let classNames: [String]
    /// The loaded value of a stored 0 feature (the normalization's offset, `−mean/std`; the first
    /// feature's when `mean`/`std` are per feature); image augmentation pads with it, so padding
    /// is black as in the raw image.
    public let zeroValue: Float

    /// The number of samples N.
    public var count: Int { features.rowCount }

    /// The number of float targets K per sample; 0 for classification.
    public var numTargets: Int { targets?.rowLength ?? 0 }

    /// A classification shard built in memory (tests, synthetic data).
    ///
    /// - Precondition: `features` is (N, D) with N = `labels.count`, `featureShape`'s product is D,
    ///   and `classNames` is empty or has `numClasses` names.
    public init(
        path: String = "", features: Tensor, labels: [Int32], numClasses: Int,
        featureShape: [Int]? = nil, classNames: [String] = [], zeroValue: Float = 0
    ) {
        precondition(features.shape.count == 2, "DatasetShard: features must be (N, D), got \(features.shape)")
        self.init(path: path, rows: FeatureRows(features), labels: labels, numClasses: numClasses,
                  featureShape: featureShape, classNames: classNames, zeroValue: zeroValue)
    }

    /// A classification shard over `rows` (float or byte rows).
    init(path: String, rows features: FeatureRows, labels: [Int32], numClasses: Int, featureShape: [Int]?, classNames: [String], zeroValue: Float) {
        precondition(features.rowCount == labels.count, "DatasetShard: features \(features.shape) for \(labels.count) labels")
        let sampleShape = featureShape ?? [features.rowLength]
        precondition(sampleShape.reduce(1, *) == features.rowLength,
                     "DatasetShard: feature shape \(sampleShape) for rows of \(features.rowLength)")
        precondition(classNames.isEmpty || classNames.count == numClasses,
                     "DatasetShard: \(classNames.count) class names for \(numClasses) classes")
        self.path = path
        self.task = .classification
        self.features = features
        self.labels = labels
        self.targets = nil
        self.numClasses = numClasses
        self.featureShape = sampleShape
        self.classNames = classNames
        self.zeroValue = zeroValue
    }

    /// A regression shard built in memory: `targets` is (N, K).
    ///
    /// - Precondition: `features` is (N, D) and `targets` (N, K) with K ≥ 1; `featureShape`'s product is D.
    public init(path: String = "", features: Tensor, targets: Tensor, featureShape: [Int]? = nil, zeroValue: Float = 0) {
        precondition(features.shape.count == 2, "DatasetShard: features must be (N, D), got \(features.shape)")
        self.init(path: path, rows: FeatureRows(features), targets: targets, featureShape: featureShape, zeroValue: zeroValue)
    }

    /// A regression shard over `rows` (float or byte rows).
    init(path: String, rows features: FeatureRows, targets: Tensor, featureShape: [Int]?, zeroValue: Float) {
        precondition(targets.shape.count == 2 && features.rowCount == targets.rowCount && targets.rowLength >= 1,
                     "DatasetShard: features \(features.shape) for targets \(targets.shape)")
        let sampleShape = featureShape ?? [features.rowLength]
        precondition(sampleShape.reduce(1, *) == features.rowLength,
                     "DatasetShard: feature shape \(sampleShape) for rows of \(features.rowLength)")
        self.path = path
        self.task = .regression
        self.features = features
        self.labels = []
        self.targets = targets
        self.numClasses = 0
        self.featureShape = sampleShape
        self.classNames = []
        self.zeroValue = zeroValue
    }

    /// Loads and validates a shard file, or the rows `rows` of it (a hyperslab, nothing else is read).
    ///
    /// Features of any numeric type are converted to float32 by HDF5 while reading, then mapped to
    /// `(x · scale − mean) / std` in one pass. Each of `scale`, `mean` and `std` is the attribute
    /// of the features dataset, else of the root group, else 1, 0 and 1; `mean` and `std` may hold
    /// one value per feature. With `task` = `classification` (or no `task`, as in files written
    /// before regression existed), labels of any integer type are read as int32 and float labels
    /// must be whole numbers. With `task` = `regression`, labels of any numeric type are read as
    /// float32 targets (N, K), which must be finite.
    ///
    /// - Parameters:
    ///   - path: the HDF5 file.
    ///   - featuresKey: the features dataset, (N, D…) with at least 2 dimensions.
    ///   - labelsKey: the labels dataset, (N) or (N, 1); for regression (N) or (N, K).
    ///   - rows: the rows to load, or `nil` for all of them.
    ///   - keepingBytes: keep uint8 features as stored, 1 byte per value instead of 4, and
    ///     normalize rows as they are read (`FeatureRows`; the same floats). Features of other
    ///     types are converted to float32 either way. Training shards load this way.
    /// - Throws: `DatasetError` naming the file and key for every problem found, `HDF5Error` if the
    ///   HDF5 library fails while reading.
    public static func load(
        path: String, featuresKey: String = DatasetFormat.featuresKey, labelsKey: String = DatasetFormat.labelsKey,
        rows: Range<Int>? = nil, keepingBytes: Bool = false
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
        let task = try readTask(file)

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
        guard labelDims.count == 1 || (labelDims.count == 2 && (labelDims[1] == 1 || task == .regression)) else {
            throw DatasetError.labelShape(file: path, key: labelsKey, shape: labelDims, task: task)
        }
        guard labelType.isNumeric else {
            throw DatasetError.unsupportedType(file: path, key: labelsKey, found: labelType.description,
                                               expected: task == .regression ? "float32 targets" : "integer class ids (int32, int64, uint8 …)")
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
        let featureShape = try readFeatureShape(file, rowLength: rowLength) ?? Array(featureDims.dropFirst())
        let (multiplier, offset) = try readNormalization(file, featuresName, rowLength: rowLength)
        if task == .regression {
            let targets = try readTargets(file, labelsName, key: labelsKey, shape: labelDims, rows: selected)
            let features = try readFeatures(file, featuresName, rows: selected, rowLength: rowLength, multiplier, offset,
                                            asBytes: keepingBytes && featureType == .uint8)
            return DatasetShard(path: path, rows: features, targets: targets, featureShape: featureShape, zeroValue: offset.first ?? 0)
        }
        let labels = try readLabels(file, labelsName, key: labelsKey, type: labelType, rows: selected)
        let numClasses = try classCount(file, labels, key: labelsKey, type: labelType)
        if let bad = labels.firstIndex(where: { $0 < 0 || Int($0) >= numClasses }) {
            throw DatasetError.labelOutOfRange(file: path, key: labelsKey, row: selected.lowerBound + bad,
                                               label: Int(labels[bad]), numClasses: numClasses)
        }
        let classNames = try readClassNames(file, numClasses: numClasses)
        let features = try readFeatures(file, featuresName, rows: selected, rowLength: rowLength, multiplier, offset,
                                        asBytes: keepingBytes && featureType == .uint8)
        return DatasetShard(path: path, rows: features, labels: labels, numClasses: numClasses,
                            featureShape: featureShape, classNames: classNames, zeroValue: offset.first ?? 0)
    }

    /// HDF5 converts the features to float32 straight into the tensor, then one normalizing pass
    /// applies `x ← x · multiplier + offset` (one pair for every feature, or one per feature).
    /// `asBytes` (uint8 features only): the bytes as stored instead, normalized when read
    /// (`ByteRows.convert`, the same arithmetic as here).
    private static func readFeatures(
        _ file: HDF5File, _ name: String, rows: Range<Int>, rowLength: Int, _ multiplier: [Float], _ offset: [Float], asBytes: Bool
    ) throws -> FeatureRows {
        if asBytes {
            let bytes = ByteRows(rowCount: rows.count, rowLength: rowLength, multiplier: multiplier, offset: offset)
            try file.readByteRows(name, rows: rows, into: UnsafeMutableBufferPointer(start: bytes.pointer, count: rows.count * rowLength))
            return FeatureRows(bytes: bytes)
        }
        let features = Tensor(zeros: [rows.count, rowLength])
        try file.readFloatRows(name, rows: rows, into: features.buffer)
        let x = features.pointer
        if multiplier.count > 1 {
            for row in 0..<rows.count {
                let values = x + row * rowLength
                for j in 0..<rowLength { values[j] = values[j] * multiplier[j] + offset[j] }
            }
        } else if offset[0] != 0 {
            let (m, o) = (multiplier[0], offset[0])
            for i in 0..<features.count { x[i] = x[i] * m + o }
        } else if multiplier[0] != 1 {
            Tensors.scale(count: features.count, alpha: multiplier[0], x: x)
        }
        return FeatureRows(features)
    }

    /// The `task` attribute: classification when absent.
    private static func readTask(_ file: HDF5File) throws -> DatasetTask {
        let name = DatasetFormat.Attribute.task
        guard file.hasAttribute(name) else { return .classification }
        guard let text = try? file.readStringAttribute(name), let task = DatasetTask(rawValue: text) else {
            throw DatasetError.badAttribute(file: file.path, name: name, problem: "must be \"classification\" or \"regression\"")
        }
        return task
    }

    /// Regression targets (N) or (N, K) as an (N, K) tensor; every value must be finite, and
    /// `num_targets`, if present, must be K.
    private static func readTargets(
        _ file: HDF5File, _ name: String, key: String, shape: [Int], rows: Range<Int>
    ) throws -> Tensor {
        let k = shape.count == 2 ? shape[1] : 1
        if file.hasAttribute(DatasetFormat.Attribute.numTargets) {
            let declared = try intAttribute(file, DatasetFormat.Attribute.numTargets)
            guard declared == k else {
                throw DatasetError.badAttribute(file: file.path, name: DatasetFormat.Attribute.numTargets,
                                                problem: "is \(declared) but \(key) has \(k) target(s) per sample (shape \(shape))")
            }
        }
        guard k >= 1 else { throw DatasetError.labelShape(file: file.path, key: key, shape: shape, task: .regression) }
        let targets = Tensor(zeros: [rows.count, k])
        try file.readFloatRows(name, rows: rows, into: targets.buffer)
        if let bad = targets.buffer.firstIndex(where: { !$0.isFinite }) {
            throw DatasetError.nonFiniteTarget(file: file.path, key: key, row: rows.lowerBound + bad / k,
                                               value: Double(targets.buffer[bad]))
        }
        return targets
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

    /// The map `x ← x · multiplier + offset` equal to `(x · scale − mean) / std`: one pair, or
    /// `rowLength` pairs when `mean` or `std` holds one value per feature.
    private static func readNormalization(_ file: HDF5File, _ featuresName: String, rowLength: Int) throws -> ([Float], [Float]) {
        let names = DatasetFormat.Attribute.self
        let scale = try readNumbers(file, featuresName, names.scale, default: 1, "finite, non-zero", perFeature: nil) { $0 != 0 }[0]
        let mean = try readNumbers(file, featuresName, names.mean, default: 0, "finite", perFeature: rowLength) { _ in true }
        let std = try readNumbers(file, featuresName, names.std, default: 1, "finite, positive", perFeature: rowLength) { $0 > 0 }
        let count = max(mean.count, std.count)
        let multiplier = (0..<count).map { Float(scale / std[min($0, std.count - 1)]) }
        let offset = (0..<count).map { Float(-mean[min($0, mean.count - 1)] / std[min($0, std.count - 1)]) }
        return (multiplier, offset)
    }

    /// A number attribute of the features dataset, else of the root, else `[default]`: one value,
    /// or `perFeature` values when that is given.
    private static func readNumbers(
        _ file: HDF5File, _ featuresName: String, _ name: String, default: Double, _ requirement: String,
        perFeature: Int?, _ isValid: (Double) -> Bool
    ) throws -> [Double] {
        let owner = file.hasAttribute(name, on: featuresName) ? featuresName : file.hasAttribute(name) ? "/" : nil
        guard let owner else { return [`default`] }
        let values = (try? file.readDoubleArrayAttribute(name, of: owner)) ?? []
        guard values.count == 1 || (values.count == perFeature && values.count > 0), values.allSatisfy({ $0.isFinite && isValid($0) }) else {
            throw DatasetError.badAttribute(file: file.path, name: owner == "/" ? name : "\(name) of \(owner)",
                                            problem: "must be one \(requirement) number"
                                                + (perFeature.map { " or one per feature (\($0))" } ?? ""))
        }
        return values
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
