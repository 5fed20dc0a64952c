// Writing shard files in the dataset format, atomically (used by `prepare` and by test fixtures).
// Every writer takes `atomically`: `true` (the default) writes `<path>.partial` and renames it over
// `path`; `false` writes `path` itself, removed again if writing fails, for a preparation that
// writes all its files as `.partial` and renames them together (`PreparationOutput`).

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
        path: String, features: UnsafeBufferPointer<UInt8>, labels: [Int32], metadata: DatasetMetadata, atomically: Bool = true
    ) throws {
        try writeShard(path: path, featureCount: features.count, labels: labels, metadata: metadata, atomically: atomically) { file, shape in
            try file.write(features, shape: shape, to: "/" + DatasetFormat.featuresKey)
        }
    }

    /// Writes a shard with uint8 features; see the `UnsafeBufferPointer` version.
    public static func write(path: String, features: [UInt8], labels: [Int32], metadata: DatasetMetadata, atomically: Bool = true) throws {
        try features.withUnsafeBufferPointer { try write(path: path, features: $0, labels: labels, metadata: metadata, atomically: atomically) }
    }

    /// Writes a shard with float32 features, atomically; `metadata.scale` is usually 1 here.
    ///
    /// - Throws: `DatasetError.labelOutOfRange` for a bad label, `HDF5Error` if writing fails.
    public static func write(
        path: String, features: UnsafeBufferPointer<Float>, labels: [Int32], metadata: DatasetMetadata, atomically: Bool = true
    ) throws {
        try writeShard(path: path, featureCount: features.count, labels: labels, metadata: metadata, atomically: atomically) { file, shape in
            try file.write(features, shape: shape, to: "/" + DatasetFormat.featuresKey)
        }
    }

    /// Writes a regression shard, atomically: float32 features (N, D) and float32 `targets`, N·K
    /// values stored as `/labels` (N) when K = 1 and (N, K) otherwise, with `task` = `regression`
    /// and `num_targets` = K. `metadata.numClasses` and `classNames` are not used.
    ///
    /// - Precondition: `features.count` is N·D and `targets.count` is N·`targetsPerSample`;
    ///   `metadata.targetNames` is empty or has K names.
    /// - Throws: `HDF5Error` if writing fails.
    public static func write(
        path: String, features: [Float], targets: [Float], targetsPerSample: Int, metadata: DatasetMetadata,
        atomically: Bool = true
    ) throws {
        var metadata = metadata
        metadata.task = .regression
        let k = targetsPerSample
        precondition(k >= 1 && targets.count % k == 0, "DatasetShard.write: \(targets.count) targets in rows of \(k) for \(path)")
        precondition(metadata.targetNames.isEmpty || metadata.targetNames.count == k,
                     "DatasetShard.write: \(metadata.targetNames.count) target names for \(k) targets")
        let rows = targets.count / k
        let shape = try validate(path: path, featureCount: features.count, rows: rows, labels: [], metadata: metadata)
        try writeFile(path: path, atomically: atomically) { file in
            try file.write(features, shape: shape, to: "/" + DatasetFormat.featuresKey)
            try file.write(targets, shape: k == 1 ? [rows] : [rows, k], to: "/" + DatasetFormat.labelsKey)
            try file.writeAttribute(DatasetFormat.Attribute.numTargets, k)
            try writeAttributes(file, metadata: metadata)
        }
    }

    /// Writes a shard with float32 features; see the `UnsafeBufferPointer` version.
    public static func write(path: String, features: [Float], labels: [Int32], metadata: DatasetMetadata, atomically: Bool = true) throws {
        try features.withUnsafeBufferPointer { try write(path: path, features: $0, labels: labels, metadata: metadata, atomically: atomically) }
    }

    /// `HDF5File.writeAtomically`, or `writeComplete` on `path` itself.
    private static func writeFile(path: String, atomically: Bool, _ body: (HDF5File) throws -> Void) throws {
        if atomically { try HDF5File.writeAtomically(path: path, body) } else { try HDF5File.writeComplete(path: path, body) }
    }

    /// Validates, then writes `/features` with `writeFeatures(file, shape)` and the rest, atomically.
    private static func writeShard(path: String, featureCount: Int, labels: [Int32], metadata: DatasetMetadata, atomically: Bool,
                                   writeFeatures: (HDF5File, [Int]) throws -> Void) throws {
        var metadata = metadata
        metadata.task = .classification
        let shape = try validate(path: path, featureCount: featureCount, rows: labels.count, labels: labels, metadata: metadata)
        try writeFile(path: path, atomically: atomically) { file in
            try writeFeatures(file, shape)
            try file.write(labels, shape: [labels.count], to: "/" + DatasetFormat.labelsKey)
            try file.writeAttribute(DatasetFormat.Attribute.numClasses, metadata.numClasses)
            if !metadata.classNames.isEmpty { try file.writeAttribute(DatasetFormat.Attribute.classNames, metadata.classNames) }
            try writeAttributes(file, metadata: metadata)
        }
    }

    /// Checks the arguments and returns the features dataset's (N, D) shape; `labels` are checked
    /// for a classification shard.
    private static func validate(
        path: String, featureCount: Int, rows: Int, labels: [Int32], metadata: DatasetMetadata
    ) throws -> [Int] {
        let rowLength = metadata.featureShape.reduce(1, *)
        precondition(!metadata.featureShape.isEmpty && rowLength > 0,
                     "DatasetShard.write: feature shape \(metadata.featureShape) for \(path)")
        precondition(featureCount == rows * rowLength,
                     "DatasetShard.write: \(featureCount) feature values for \(rows) rows of \(rowLength)")
        for (name, values) in [("mean", metadata.mean), ("std", metadata.std)] {
            precondition(values.map { $0.count == 1 || $0.count == rowLength } ?? true,
                         "DatasetShard.write: \(values?.count ?? 0) \(name) values for \(rowLength) features")
        }
        precondition(metadata.std.map { $0.allSatisfy { $0 > 0 && $0.isFinite } } ?? true,
                     "DatasetShard.write: std must be positive, got \(metadata.std ?? [])")
        precondition(metadata.featureNames.isEmpty || metadata.featureNames.count == rowLength,
                     "DatasetShard.write: \(metadata.featureNames.count) feature names for \(rowLength) features")
        guard metadata.task == .classification else { return [rows, rowLength] }
        precondition(metadata.numClasses >= 1, "DatasetShard.write: numClasses \(metadata.numClasses) for \(path)")
        precondition(metadata.classNames.isEmpty || metadata.classNames.count == metadata.numClasses,
                     "DatasetShard.write: \(metadata.classNames.count) class names for \(metadata.numClasses) classes")
        if let bad = labels.firstIndex(where: { $0 < 0 || Int($0) >= metadata.numClasses }) {
            throw DatasetError.labelOutOfRange(file: path, key: DatasetFormat.labelsKey, row: bad,
                                               label: Int(labels[bad]), numClasses: metadata.numClasses)
        }
        return [rows, rowLength]
    }

    /// Writes the features' `scale` and the root attributes every shard has.
    private static func writeAttributes(_ file: HDF5File, metadata: DatasetMetadata) throws {
        let names = DatasetFormat.Attribute.self
        try file.writeAttribute(names.scale, metadata.scale, on: "/" + DatasetFormat.featuresKey)
        try file.writeAttribute(names.format, DatasetFormat.name)
        try file.writeAttribute(names.formatVersion, DatasetFormat.version)
        try file.writeAttribute(names.task, metadata.task.rawValue)
        try file.writeAttribute(names.featureShape, metadata.featureShape)
        try file.writeAttribute(names.scale, metadata.scale)
        // one value is stored as a scalar, D values (one per feature) as an array
        for (name, values) in [(names.mean, metadata.mean), (names.std, metadata.std)] {
            guard let values else { continue }
            if values.count == 1 { try file.writeAttribute(name, values[0]) } else { try file.writeAttribute(name, values) }
        }
        if !metadata.featureNames.isEmpty { try file.writeAttribute(names.featureNames, metadata.featureNames) }
        if !metadata.targetNames.isEmpty { try file.writeAttribute(names.targetNames, metadata.targetNames) }
        try file.writeAttribute(names.source, metadata.source)
        try file.writeAttribute(names.split, metadata.split.rawValue)
        try file.writeAttribute(names.shardIndex, metadata.shardIndex)
        try file.writeAttribute(names.shardCount, metadata.shardCount)
        if !metadata.preparation.isEmpty { try file.writeAttribute(names.preparation, metadata.preparation) }
    }
}
