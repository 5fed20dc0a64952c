// Writing shard files in the dataset format, atomically (used by `prepare` and by test fixtures).

extension DatasetShard {
    /// Writes a shard with uint8 features (pixels), atomically: `path` holds the complete file or
    /// nothing new.
    ///
    /// `/features` is stored as (N, D) uint8 with `metadata.scale` as its `scale` attribute (1/255
    /// by default, so values load in [0, 1]); `/labels` as (N) int32; the metadata as root attributes.
    ///
    /// - Parameters:
    ///   - features: N·D values, row-major; D is the product of `metadata.featureShape`.
    ///   - labels: N class ids in 0..<`metadata.numClasses`.
    /// - Precondition: `features.count` is `labels.count` times D; `classNames` is empty or has one
    ///   name per class.
    /// - Throws: `DatasetError.labelOutOfRange` for a bad label, `HDF5Error` if writing fails.
    public static func write(
        path: String, features: UnsafeBufferPointer<UInt8>, labels: [Int32], metadata: DatasetMetadata
    ) throws {
        try writeShard(path: path, featureCount: features.count, labels: labels, metadata: metadata) { file, shape in
            try file.write(features, shape: shape, to: "/" + DatasetFormat.featuresKey)
        }
    }

    /// Writes a shard with uint8 features; see the `UnsafeBufferPointer` version.
    public static func write(path: String, features: [UInt8], labels: [Int32], metadata: DatasetMetadata) throws {
        try features.withUnsafeBufferPointer { try write(path: path, features: $0, labels: labels, metadata: metadata) }
    }

    /// Writes a shard with float32 features, atomically; `metadata.scale` is usually 1 here.
    ///
    /// - Throws: `DatasetError.labelOutOfRange` for a bad label, `HDF5Error` if writing fails.
    public static func write(
        path: String, features: UnsafeBufferPointer<Float>, labels: [Int32], metadata: DatasetMetadata
    ) throws {
        try writeShard(path: path, featureCount: features.count, labels: labels, metadata: metadata) { file, shape in
            try file.write(features, shape: shape, to: "/" + DatasetFormat.featuresKey)
        }
    }

    /// Validates, then writes `/features` with `writeFeatures(file, shape)` and the rest, atomically.
    private static func writeShard(path: String, featureCount: Int, labels: [Int32], metadata: DatasetMetadata,
                                   writeFeatures: (HDF5File, [Int]) throws -> Void) throws {
        let shape = try validate(path: path, featureCount: featureCount, labels: labels, metadata: metadata)
        try HDF5File.writeAtomically(path: path) { file in
            try writeFeatures(file, shape)
            try writeRest(file, labels: labels, metadata: metadata)
        }
    }

    /// Writes a shard with float32 features; see the `UnsafeBufferPointer` version.
    public static func write(path: String, features: [Float], labels: [Int32], metadata: DatasetMetadata) throws {
        try features.withUnsafeBufferPointer { try write(path: path, features: $0, labels: labels, metadata: metadata) }
    }

    /// Checks the arguments and returns the features dataset's (N, D) shape.
    private static func validate(
        path: String, featureCount: Int, labels: [Int32], metadata: DatasetMetadata
    ) throws -> [Int] {
        let rowLength = metadata.featureShape.reduce(1, *)
        precondition(!metadata.featureShape.isEmpty && rowLength > 0,
                     "DatasetShard.write: feature shape \(metadata.featureShape) for \(path)")
        precondition(featureCount == labels.count * rowLength,
                     "DatasetShard.write: \(featureCount) feature values for \(labels.count) rows of \(rowLength)")
        precondition(metadata.std.map { $0 > 0 && $0.isFinite } ?? true,
                     "DatasetShard.write: std must be positive, got \(metadata.std ?? 0)")
        precondition(metadata.numClasses >= 1, "DatasetShard.write: numClasses \(metadata.numClasses) for \(path)")
        precondition(metadata.classNames.isEmpty || metadata.classNames.count == metadata.numClasses,
                     "DatasetShard.write: \(metadata.classNames.count) class names for \(metadata.numClasses) classes")
        if let bad = labels.firstIndex(where: { $0 < 0 || Int($0) >= metadata.numClasses }) {
            throw DatasetError.labelOutOfRange(file: path, key: DatasetFormat.labelsKey, row: bad,
                                               label: Int(labels[bad]), numClasses: metadata.numClasses)
        }
        return [labels.count, rowLength]
    }

    /// Writes `/labels`, the features' `scale` and the root attributes.
    private static func writeRest(_ file: HDF5File, labels: [Int32], metadata: DatasetMetadata) throws {
        let names = DatasetFormat.Attribute.self
        try file.writeAttribute(names.scale, metadata.scale, on: "/" + DatasetFormat.featuresKey)
        try file.write(labels, shape: [labels.count], to: "/" + DatasetFormat.labelsKey)
        try file.writeAttribute(names.format, DatasetFormat.name)
        try file.writeAttribute(names.formatVersion, DatasetFormat.version)
        try file.writeAttribute(names.numClasses, metadata.numClasses)
        try file.writeAttribute(names.featureShape, metadata.featureShape)
        try file.writeAttribute(names.scale, metadata.scale)
        if let mean = metadata.mean { try file.writeAttribute(names.mean, mean) }
        if let std = metadata.std { try file.writeAttribute(names.std, std) }
        if !metadata.classNames.isEmpty { try file.writeAttribute(names.classNames, metadata.classNames) }
        try file.writeAttribute(names.source, metadata.source)
        try file.writeAttribute(names.split, metadata.split.rawValue)
        try file.writeAttribute(names.shardIndex, metadata.shardIndex)
        try file.writeAttribute(names.shardCount, metadata.shardCount)
    }
}
