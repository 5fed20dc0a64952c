// `swiftddp prepare csv`: a table in, a dataset directory of HDF5 shards out (datasets/README.md,
// "Preparing a CSV file").
import Foundation
import Tensors

/// Converts a CSV table into a dataset directory: seeded train/validation/test split, missing
/// values dropped or imputed, per-feature standardization from the training split.
///
/// Steps, in order: read and check the table; drop rows whose target is missing; with
/// `missing: .drop`, drop rows with a missing feature; split the rows with
/// `Generator(seed:, keys: [Purpose.split]).permutation(n)` (validation first, then test, the rest
/// trains); with `.mean` or `.median`, fill missing features with the training split's value of
/// that column; compute each feature's mean and standard deviation on the training split; write
/// `train-*.h5` (training rows in the permuted order, cut into `shards` contiguous parts), `val.h5`
/// and `test.h5` (rows in file order). Features are stored as float32 as read (after imputation);
/// `mean` and `std` are attributes the loader applies, so every split is standardized with the
/// training statistics.
///
/// ```swift
/// var preparer = CSVPreparer(input: "diabetes.csv", output: "datasets/diabetes", targets: ["target"], task: .regression)
/// preparer.missing = .median
/// let report = try preparer.run { print($0) }
/// ```
public struct CSVPreparer: Sendable {
    /// What to do with a missing feature value.
    public enum MissingPolicy: String, Sendable, CaseIterable {
        /// Drop the row.
        case drop
        /// Fill in the training split's mean of the column.
        case mean
        /// Fill in the training split's median of the column.
        case median
    }

    /// The CSV file.
    public var input: String
    /// The dataset directory to write (created with its parents if missing).
    public var output: String
    /// The target columns: one for classification, one or more for regression.
    public var targets: [String]
    /// The feature columns, or `nil` for every column that is neither a target nor ignored.
    public var features: [String]?
    /// Columns left out when `features` is `nil` (an id or a text column).
    public var ignored: [String] = []
    /// Classification (a target column of class values) or regression (numeric targets).
    public var task: DatasetTask
    /// The fraction of rows held out as `val.h5`, in [0, 1).
    public var validationFraction = 0.1
    /// The fraction of rows held out as `test.h5`, in [0, 1).
    public var testFraction = 0.1
    /// How many training shards to write, ≥ 1.
    public var shards = 1
    /// The seed of the split.
    public var seed: UInt64 = 0
    /// What to do with missing feature values.
    public var missing = MissingPolicy.drop
    /// Whether to store the training split's per-feature mean and std for standardization on load.
    public var standardize = true
    /// The cell separator.
    public var delimiter: Character = ","

    /// The cells read as missing values (compared case-insensitively, after trimming spaces).
    public static let missingMarkers: Set<String> = ["", "na", "n/a", "nan", "null", "none", "?"]

    /// Describes a preparation with the default options; nothing is read until `run(progress:)`.
    public init(input: String, output: String, targets: [String], task: DatasetTask) {
        self.input = input
        self.output = output
        self.targets = targets
        self.task = task
    }

    /// Reads the CSV file and writes every dataset file, reporting each step through `progress`.
    ///
    /// Every file is written as `<name>.partial` and renamed into place only when all of them are
    /// complete (`PreparationOutput`), each with the same `preparation` id; if anything fails, the
    /// partial files are removed and `output` keeps the files it had.
    ///
    /// - Throws: `CSVError` naming the file, line and column for bad input or options,
    ///   `DatasetError.staleFiles` or `.staleSplitFile` if `output` holds files of an earlier
    ///   preparation that this one would not replace, `.outputNotADirectory` or
    ///   `.cannotCreateDirectory` if `output` cannot be a directory, `HDF5Error` if writing fails,
    ///   `DatasetError.commitFailed` if renaming fails.
    public func run(progress: (String) -> Void) throws -> CSVPrepareReport {
        try checkOptions()
        progress("reading \(input)")
        let table = try CSVTable(path: input, delimiter: delimiter)
        let (featureColumns, targetColumns) = try selectColumns(table.header)
        var report = CSVPrepareReport(rowsRead: table.records.count, featureNames: featureColumns.map { table.header[$0] },
                                      targetNames: targetColumns.map { table.header[$0] }, task: task)
        report.files = PrepareSummary(outputDirectory: output, files: [])
        var values = try CSVValues(table, features: featureColumns, targets: targetColumns, task: task)

        // rows: a missing target always drops the row; a missing feature only with --missing drop
        var rows = Array(0..<values.rowCount).filter { !values.targetMissing($0) }
        report.droppedForTarget = values.rowCount - rows.count
        report.missingPerColumn = values.missingCounts(rows: rows)
        if missing == .drop {
            let before = rows.count
            rows = rows.filter { !values.featureMissing($0) }
            report.droppedForFeatures = before - rows.count
        }
        let classes = task == .classification ? CSVValues.classIDs(values.classValues, rows: rows) : nil
        report.classNames = classes?.names ?? []

        // the split
        let n = rows.count
        let validationCount = Int((validationFraction * Double(n)).rounded()), testCount = Int((testFraction * Double(n)).rounded())
        let trainCount = n - validationCount - testCount
        guard trainCount >= shards else {
            throw CSVError.tooFewRows(file: input, problem: "\(n) usable rows leave \(trainCount) for training, "
                + "fewer than the \(shards) training shard(s); lower --val-fraction, --test-fraction or --shards")
        }
        var generator = Generator(seed: seed, keys: [Purpose.split])
        let order = generator.permutation(n).map { rows[$0] }
        let validationRows = order[..<validationCount].sorted()
        let testRows = order[validationCount..<(validationCount + testCount)].sorted()
        let trainRows = Array(order[(validationCount + testCount)...])
        report.splitCounts = (trainRows.count, validationRows.count, testRows.count)

        if missing != .drop {
            report.imputed = try values.impute(missing, from: trainRows, into: rows, file: input)
        }
        let statistics = standardize ? values.standardization(rows: trainRows) : nil
        report.constantColumns = statistics?.constant.map { report.featureNames[$0] } ?? []

        // the files: all written as .partial, then renamed together (PreparationOutput)
        let destination = try PreparationOutput(directory: output, id: preparationID(input: table.byteChecksum))
        func leftOut(_ name: String, _ option: String, _ fraction: Double) -> (name: String, option: String) {
            (name, fraction == 0 ? "\(option) 0" : "\(option) \(fraction) (0 of \(n) rows)")
        }
        try destination.checkNoStaleFiles(
            shardCount: shards,
            absent: (validationCount == 0 ? [leftOut(DatasetFormat.validationFileName, "--val-fraction", validationFraction)] : [])
                + (testCount == 0 ? [leftOut(DatasetFormat.testFileName, "--test-fraction", testFraction)] : []))
        var metadata = DatasetMetadata(
            numClasses: max(classes?.names.count ?? 1, 1), featureShape: [featureColumns.count], scale: 1, classNames: classes?.names ?? [],
            source: "CSV \(input), target \(report.targetNames.joined(separator: ", "))",
            mean: statistics?.mean, std: statistics?.std)
        metadata.featureNames = report.featureNames
        if task == .regression { metadata.targetNames = report.targetNames }
        metadata.preparation = destination.id
        func emit(_ name: String, _ split: DatasetSplit, _ part: [Int], index: Int = 0, count: Int = 1) throws {
            let path = (output as NSString).appendingPathComponent(name)
            progress("writing \(path) (\(part.count) samples)")
            (metadata.split, metadata.shardIndex, metadata.shardCount) = (split, index, count)
            let features = values.features(rows: part)
            if let classes {
                try DatasetShard.write(path: destination.stage(name), features: features, labels: part.map { classes.ids[$0] },
                                       metadata: metadata, atomically: false)
            } else {
                try DatasetShard.write(path: destination.stage(name), features: features, targets: values.targets(rows: part),
                                       targetsPerSample: targetColumns.count, metadata: metadata, atomically: false)
            }
            report.files.files.append(.init(path: path, split: split, sampleCount: part.count))
        }
        try destination.write {
            for shard in 0..<shards {
                let part = trainRows[(shard * trainRows.count / shards)..<((shard + 1) * trainRows.count / shards)]
                try emit(DatasetFormat.trainShardName(index: shard, count: shards), .train, Array(part), index: shard, count: shards)
            }
            if validationCount > 0 { try emit(DatasetFormat.validationFileName, .validation, validationRows) }
            if testCount > 0 { try emit(DatasetFormat.testFileName, .test, testRows) }
        }
        return report
    }

    /// The `preparation` id of this run: the input's bytes (`checksum`, of the bytes the table
    /// was read from) and every option that shapes the files.
    private func preparationID(input checksum: String) -> String {
        let options = "csv \(input) targets \(targets) features \(features ?? []) ignored \(ignored) task \(task.rawValue) "
            + "fractions \(validationFraction) \(testFraction) shards \(shards) seed \(seed) missing \(missing.rawValue) "
            + "standardize \(standardize) delimiter \(delimiter)"
        return PreparationOutput.id(describing: [options, checksum])
    }

    /// Checks the options that do not depend on the file: the shard count, the fractions and
    /// their sum, and the number of targets for the task. `run(progress:)` calls it first; the
    /// command calls it while validating its flags, so that such errors are usage errors.
    ///
    /// - Throws: `CSVError.invalidOption` naming the flag and the value.
    public func checkOptions() throws {
        guard shards >= 1 else { throw CSVError.invalidOption("--shards must be ≥ 1, got \(shards)") }
        guard CSVTable.isValidDelimiter(delimiter) else { throw CSVError.badDelimiter(String(delimiter)) }
        for (name, fraction) in [("--val-fraction", validationFraction), ("--test-fraction", testFraction)]
        where !(fraction >= 0 && fraction < 1) {
            throw CSVError.invalidOption("\(name) must be in [0, 1), got \(fraction)")
        }
        guard validationFraction + testFraction < 1 else {
            throw CSVError.invalidOption("--val-fraction + --test-fraction must be < 1 so that rows are left for training, "
                + "got \(validationFraction) + \(testFraction)")
        }
        guard !targets.isEmpty else { throw CSVError.invalidOption("--target must name at least one column") }
        guard task == .regression || targets.count == 1 else {
            throw CSVError.invalidOption("--task classification takes one --target column, got \(targets.count): \(targets.joined(separator: ", "))")
        }
    }

    /// The indices of the feature and target columns, checked against the header.
    private func selectColumns(_ header: [String]) throws -> (features: [Int], targets: [Int]) {
        func index(_ name: String, _ option: String) throws -> Int {
            guard let column = header.firstIndex(of: name) else {
                throw CSVError.unknownColumn(file: input, option: option, name: name, available: header)
            }
            return column
        }
        let targetColumns = try targets.map { try index($0, "--target") }
        let ignoredColumns = try ignored.map { try index($0, "--ignore") }
        let featureColumns = try features.map { try $0.map { try index($0, "--features") } }
            ?? header.indices.filter { !targetColumns.contains($0) && !ignoredColumns.contains($0) }
        if let both = featureColumns.first(where: targetColumns.contains) {
            throw CSVError.columnTwice(file: input, name: header[both])
        }
        guard !featureColumns.isEmpty else {
            throw CSVError.invalidOption("no feature columns are left in \(input) (columns: \(header.joined(separator: ", ")))")
        }
        return (featureColumns, targetColumns)
    }
}

/// What `CSVPreparer.run(progress:)` read, dropped, imputed and wrote.
public struct CSVPrepareReport: Sendable, CustomStringConvertible {
    /// Data records in the file (the header not counted).
    public var rowsRead: Int
    /// The feature columns, in stored order.
    public var featureNames: [String]
    /// The target columns.
    public var targetNames: [String]
    /// The task written.
    public var task: DatasetTask
    /// The class names in id order (classification).
    public var classNames: [String] = []
    /// Rows dropped because their target was missing.
    public var droppedForTarget = 0
    /// Missing values per feature column, among the rows with a target (before dropping or imputing).
    public var missingPerColumn: [(column: String, count: Int)] = []
    /// Rows dropped because a feature was missing (`--missing drop`).
    public var droppedForFeatures = 0
    /// Per feature column with missing values: how many were filled in, and with what (`--missing mean|median`).
    public var imputed: [(column: String, count: Int, value: Double)] = []
    /// Rows in each split.
    public var splitCounts = (train: 0, validation: 0, test: 0)
    /// Feature columns that are constant on the training split (stored with std 1).
    public var constantColumns: [String] = []
    /// The files written.
    public var files = PrepareSummary(outputDirectory: "", files: [])

    /// What happened, one fact per line (the files are listed by `files`).
    public var description: String {
        var lines = ["read \(rowsRead) rows; features (\(featureNames.count)): \(featureNames.joined(separator: ", "))"]
        lines.append(task == .classification
            ? "target \(targetNames.joined()): classification, \(classNames.count) classes: \(classNames.joined(separator: ", "))"
            : "targets (\(targetNames.count)): \(targetNames.joined(separator: ", ")): regression")
        if droppedForTarget > 0 { lines.append("dropped \(droppedForTarget) rows with a missing target") }
        let missingText = missingPerColumn.map { "\($0.column) \($0.count)" }.joined(separator: ", ")
        lines.append("missing feature values: " + (missingPerColumn.isEmpty ? "none" : missingText))
        if droppedForFeatures > 0 { lines.append("dropped \(droppedForFeatures) rows with a missing feature (--missing drop)") }
        for (column, count, value) in imputed {
            lines.append("imputed \(count) values of \(column) with \(value) (from the training split)")
        }
        lines.append("split: train \(splitCounts.train), val \(splitCounts.validation), test \(splitCounts.test)")
        if !constantColumns.isEmpty {
            lines.append("constant on the training split (stored with std 1): \(constantColumns.joined(separator: ", "))")
        }
        return lines.joined(separator: "\n")
    }
}
