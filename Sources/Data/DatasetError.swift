// Errors found while loading, writing or preparing dataset files. Each names the file and, where
// there is one, the dataset key, and ends with a hint when the fix is not obvious.
import Foundation

/// A dataset file or directory that cannot be used, and why.
public enum DatasetError: Error, Equatable, CustomStringConvertible {
    /// No file at the path.
    case fileNotFound(String)
    /// The file is not HDF5.
    case notHDF5(String)
    /// The file has no dataset `key`; `available` lists the datasets it does hold.
    case missingKey(file: String, key: String, available: [String])
    /// Features and labels have different numbers of rows.
    case lengthMismatch(file: String, featuresKey: String, featureRows: Int, labelsKey: String, labelRows: Int)
    /// The features dataset is not (N, D…) with at least 2 dimensions.
    case featureRank(file: String, key: String, shape: [Int])
    /// The labels dataset is not (N) or (N, 1) (classification), or (N) or (N, K) (regression).
    case labelShape(file: String, key: String, shape: [Int], task: DatasetTask)
    /// A dataset's element type cannot be used (e.g. strings as features).
    case unsupportedType(file: String, key: String, found: String, expected: String)
    /// A label is outside 0..<numClasses; `row` is its row in the file.
    case labelOutOfRange(file: String, key: String, row: Int, label: Int, numClasses: Int)
    /// A floating-point label is not a whole number.
    case nonIntegerLabel(file: String, key: String, row: Int, value: Double)
    /// A regression target is NaN or infinite; `row` is its row in the file.
    case nonFiniteTarget(file: String, key: String, row: Int, value: Double)
    /// There is no `num_classes` attribute and labels of `type` do not allow inferring it.
    case cannotInferClasses(file: String, key: String, type: String)
    /// An attribute is present but unusable.
    case badAttribute(file: String, name: String, problem: String)
    /// The file was written by a newer format version.
    case unsupportedVersion(file: String, found: Int, supported: Int)
    /// The root `format` attribute names another kind of file.
    case wrongFormat(file: String, found: String)
    /// A row range asked of `load` lies outside the file's rows.
    case rowsOutOfRange(file: String, rows: Range<Int>, rowCount: Int)
    /// A dataset directory does not exist.
    case directoryNotFound(String)
    /// A dataset directory's path names a file.
    case notADirectory(String)
    /// A dataset directory has no `train-*.h5` files.
    case noTrainShards(directory: String)
    /// A dataset directory's training shards do not form one complete set.
    case inconsistentShards(directory: String, problem: String)
    /// A preparation option is out of range.
    case invalidOption(name: String, value: Int, requirement: String)
    /// An output directory holds training shards of another shard count, which the new
    /// preparation would not replace.
    case staleFiles(directory: String, files: [String])
    /// An output directory holds a `val.h5` or `test.h5` that the new preparation does not write,
    /// because `option` (e.g. `--val-fraction 0`) leaves it out.
    case staleSplitFile(directory: String, file: String, option: String)
    /// The output path of a preparation is an existing file.
    case outputNotADirectory(String)
    /// The output directory cannot be created; `reason` is the system's.
    case cannotCreateDirectory(String, reason: String)
    /// Writing a preparation's files failed (`reason`: the HDF5 error, e.g. a full disk); the
    /// files written so far were removed and none of the directory's files was replaced.
    case preparationNotWritten(directory: String, reason: String)
    /// Renaming a preparation's complete `<file>.partial` over `file` failed; the files in
    /// `renamed` had been replaced before it.
    case commitFailed(directory: String, file: String, reason: String, renamed: [String])
    /// Two files of a dataset directory carry different `preparation` ids (an empty id: none).
    case mixedPreparations(directory: String, file: String, id: String, other: String, otherID: String)

    /// A one-line explanation naming the file and key, with a hint.
    public var description: String {
        switch self {
        case let .fileNotFound(path):
            return "\(path) does not exist (make a dataset with `swiftddp prepare fashion-mnist --out DIR`)"
        case let .notHDF5(path):
            return "\(path) is not an HDF5 file (datasets are HDF5 shards; see datasets/README.md)"
        case let .missingKey(file, key, available):
            let held = available.isEmpty ? "no datasets" : available.joined(separator: ", ")
            return "\(file) has no dataset \"\(key)\"; it holds \(held) "
                + "(choose other names with the features/labels key settings)"
        case let .lengthMismatch(file, featuresKey, featureRows, labelsKey, labelRows):
            return "\(file): \(featuresKey) has \(featureRows) rows but \(labelsKey) has \(labelRows) "
                + "(every sample needs exactly one label)"
        case let .featureRank(file, key, shape):
            return "\(file): \(key) has shape \(shape) but features must be (N, D…) with at least 2 dimensions "
                + "(reshape a flat array to (N, 1))"
        case let .labelShape(file, key, shape, task):
            return task == .regression
                ? "\(file): \(key) has shape \(shape) but regression targets must be (N) or (N, K) with K ≥ 1"
                : "\(file): \(key) has shape \(shape) but labels must be (N) or (N, 1) class ids "
                    + "(float targets of shape (N, K) need the attribute task = \"regression\")"
        case let .unsupportedType(file, key, found, expected):
            return "\(file): \(key) holds \(found) but \(expected) is required"
        case let .labelOutOfRange(file, key, row, label, numClasses):
            return "\(file): \(key) row \(row) is \(label), outside 0..<\(numClasses) "
                + "(check the num_classes attribute and that labels count from 0)"
        case let .nonIntegerLabel(file, key, row, value):
            return "\(file): \(key) row \(row) is \(value), not a whole-number class id "
                + "(float targets need the attribute task = \"regression\")"
        case let .nonFiniteTarget(file, key, row, value):
            return "\(file): \(key) row \(row) is \(value); regression targets must be finite"
        case let .cannotInferClasses(file, key, type):
            return "\(file) has no num_classes attribute and \(key) holds \(type) values, "
                + "so the class count cannot be inferred (add a num_classes attribute)"
        case let .badAttribute(file, name, problem):
            return "\(file): attribute \(name) \(problem)"
        case let .unsupportedVersion(file, found, supported):
            return "\(file) is dataset format \(found), newer than this build reads (\(supported)); "
                + "rebuild from a newer commit or re-run `swiftddp prepare`"
        case let .wrongFormat(file, found):
            return "\(file) is a \"\(found)\" file, not a \(DatasetFormat.name) file "
                + "(use `swiftddp inspect` to see what it holds)"
        case let .rowsOutOfRange(file, rows, rowCount):
            return "\(file): rows \(rows.lowerBound)..<\(rows.upperBound) requested but it has \(rowCount) rows"
        case let .directoryNotFound(path):
            return "dataset directory \(path) does not exist (run `swiftddp prepare fashion-mnist --out \(path)`)"
        case let .notADirectory(path):
            return "\(path) is a file, not a dataset directory (give data.dir or --data the directory that holds "
                + "the train-*.h5 shards)"
        case let .noTrainShards(directory):
            return "\(directory) holds no train-*.h5 shards (run `swiftddp prepare fashion-mnist --out \(directory)`)"
        case let .inconsistentShards(directory, problem):
            return "training shards in \(directory) are inconsistent: \(problem) "
                + "(remove the directory and run `swiftddp prepare` again)"
        case let .invalidOption(name, value, requirement):
            return "\(name) is \(value) but must be \(requirement)"
        case let .staleFiles(directory, files):
            return "\(directory) already holds \(files.joined(separator: ", ")) from an earlier preparation "
                + "with another shard count; remove them or choose another --out directory"
        case let .staleSplitFile(directory, file, option):
            return "\(directory) holds \(file) from an earlier preparation, but \(option) writes no \(file), "
                + "so the old file would be read with the new shards; remove it or choose another --out directory"
        case let .outputNotADirectory(path):
            return "--out \(path) is a file, not a directory"
        case let .cannotCreateDirectory(path, reason):
            return "cannot create output directory \(path): \(reason)"
        case let .preparationNotWritten(directory, reason):
            return "\(reason); no file of \(directory) was replaced"
        case let .commitFailed(directory, file, reason, renamed):
            let target = (directory as NSString).appendingPathComponent(file)
            guard !renamed.isEmpty else {
                return "cannot replace \(target) with the newly written \(file).partial: \(reason); "
                    + "no file of \(directory) was replaced, and the new files were removed"
            }
            return "cannot rename \(target).partial to \(file): \(reason); \(renamed.joined(separator: ", ")) were already replaced, "
                + "so \(directory) now mixes two preparations (`swiftddp train` refuses it): run the preparation again"
        case let .mixedPreparations(directory, file, id, other, otherID):
            func from(_ name: String, _ id: String) -> String {
                id.isEmpty ? "\(name) carries no preparation id" : "\(name) is from preparation \(id)"
            }
            return "\(directory) holds files of different preparations: \(from(file, id)), but \(from(other, otherID)) "
                + "(a `swiftddp prepare` stopped while renaming its files, or a file copied in from another dataset); "
                + "run the preparation again, or remove the files that do not belong"
        }
    }
}
