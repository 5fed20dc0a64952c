// The names, version and metadata of the dataset file format (design.md §5, datasets/README.md).

/// Constant names of the dataset format: dataset keys, attribute names and file names.
///
/// A shard file holds `/features` (N, D…) uint8 or float32, `/labels` — (N) int32 class ids, or
/// float32 targets (N) or (N, K) when the `task` attribute is `regression` — and root attributes
/// describing them; `datasets/README.md` documents each one.
public enum DatasetFormat {
    /// The value of the root `format` attribute.
    public static let name = "swiftddp-dataset"
    /// The format version this build writes and the newest it reads.
    public static let version = 1
    /// The default features dataset, read as (N, D) floats.
    public static let featuresKey = "features"
    /// The default labels dataset: integer class ids (N), or float targets (N) or (N, K).
    public static let labelsKey = "labels"

    /// Attribute names; all on the root group, and `scale` also on the features dataset.
    public enum Attribute {
        /// `"swiftddp-dataset"`.
        public static let format = "format"
        /// Integer format version, currently 1.
        public static let formatVersion = "format_version"
        /// `"classification"` (the default when absent) or `"regression"`.
        public static let task = "task"
        /// Integer number of classes K; labels lie in 0..<K.
        public static let numClasses = "num_classes"
        /// Integer number of float targets K per sample (regression).
        public static let numTargets = "num_targets"
        /// Integer array, the shape of one sample (e.g. [1, 28, 28]); its product is D.
        public static let featureShape = "feature_shape"
        /// Float multiplied into the features on load (1/255 for uint8 pixels).
        public static let scale = "scale"
        /// Optional float (or one float per feature) subtracted from the scaled features on load.
        public static let mean = "mean"
        /// Optional float (or one per feature), > 0, that the scaled, centred features are divided by on load.
        public static let std = "std"
        /// String array of K class names.
        public static let classNames = "class_names"
        /// String array of D feature names (tabular data).
        public static let featureNames = "feature_names"
        /// String array of K target names (regression).
        public static let targetNames = "target_names"
        /// String describing where the data came from.
        public static let source = "source"
        /// `"train"`, `"val"` or `"test"`.
        public static let split = "split"
        /// Integer index of this shard among the split's shards.
        public static let shardIndex = "shard_index"
        /// Integer number of shards in the split.
        public static let shardCount = "shard_count"
        /// String id of the preparation that wrote the file (16 hex digits, from its inputs and
        /// options); every file of a prepared directory has the same one.
        public static let preparation = "preparation"
    }

    /// The validation file's name in a dataset directory.
    public static let validationFileName = "val.h5"
    /// The test file's name in a dataset directory.
    public static let testFileName = "test.h5"

    /// The name of training shard `index` of `count`: `train-00003-of-00008.h5`.
    public static func trainShardName(index: Int, count: Int) -> String {
        precondition(index >= 0 && index < count, "trainShardName: index \(index) not in 0..<\(count)")
        return "train-\(zeroPadded(index))-of-\(zeroPadded(count)).h5"
    }

    private static func zeroPadded(_ value: Int) -> String {
        let digits = String(value)
        return String(repeating: "0", count: max(0, 5 - digits.count)) + digits
    }
}

/// Which part of a dataset a file holds.
public enum DatasetSplit: String, Sendable, CaseIterable {
    /// Training shards, `train-*.h5`.
    case train
    /// The validation file, `val.h5`.
    case validation = "val"
    /// The test file, `test.h5`.
    case test
}

/// What a shard's labels are: class ids, or float targets.
public enum DatasetTask: String, Sendable, CaseIterable {
    /// `/labels` holds integer class ids (N) in 0..<`num_classes`.
    case classification
    /// `/labels` holds float targets (N) or (N, K).
    case regression
}

/// What a shard file records about its samples besides the samples themselves.
public struct DatasetMetadata: Sendable, Equatable {
    /// Class ids or float targets; the regression writer sets `.regression` itself.
    public var task: DatasetTask = .classification
    /// The number of classes K; every label lies in 0..<K (classification only).
    public var numClasses: Int
    /// The shape of one sample, e.g. [1, 28, 28]; its product is the row length D.
    public var featureShape: [Int]
    /// Multiplied into the features on load (1/255 for uint8 pixels, 1 for floats).
    public var scale: Float
    /// One name per class, or empty.
    public var classNames: [String]
    /// Where the data came from (free text).
    public var source: String
    /// Which split the file belongs to.
    public var split: DatasetSplit
    /// This file's index among the split's shards.
    public var shardIndex: Int
    /// How many shards the split has.
    public var shardCount: Int
    /// Subtracted from the scaled features on load: one value for every feature, or one per
    /// feature (D values); `nil` stores no `mean`.
    public var mean: [Float]?
    /// Divides the scaled, centred features on load: one value, or D; `nil` stores no `std`.
    public var std: [Float]?
    /// One name per feature (D), or empty.
    public var featureNames: [String] = []
    /// One name per regression target (K), or empty.
    public var targetNames: [String] = []
    /// The id of the preparation writing the file, or empty to write no `preparation` attribute.
    public var preparation = ""

    /// Metadata for one shard; `scale` defaults to 1/255, right for uint8 pixels.
    public init(
        numClasses: Int, featureShape: [Int], scale: Float = 1.0 / 255.0, classNames: [String] = [],
        source: String = "", split: DatasetSplit = .train, shardIndex: Int = 0, shardCount: Int = 1,
        mean: [Float]? = nil, std: [Float]? = nil
    ) {
        self.numClasses = numClasses
        self.featureShape = featureShape
        self.scale = scale
        self.classNames = classNames
        self.source = source
        self.split = split
        self.shardIndex = shardIndex
        self.shardCount = shardCount
        self.mean = mean
        self.std = std
    }
}
