// Finding the shard files of a prepared dataset directory.
import Foundation

/// The files of a dataset directory: training shards `train-*.h5`, and optional `val.h5` and `test.h5`.
///
/// ```swift
/// let dataset = try DatasetDirectory(path: "data/fashion-mnist")
/// dataset.trainShards   // [".../train-00000-of-00002.h5", ".../train-00001-of-00002.h5"]
/// dataset.validation    // ".../val.h5"
/// ```
public struct DatasetDirectory: Sendable, Equatable {
    /// The directory.
    public let path: String
    /// The training shard paths, sorted by name (with `requireAllShards: false`, the whole
    /// numbered set, including the files listed in `missingShards`).
    public let trainShards: [String]
    /// The shards of the numbered set that are not in this directory (always empty with
    /// `requireAllShards`): on a host that holds only its own ranks' shards.
    public let missingShards: [String]
    /// The validation file, if present.
    public let validation: String?
    /// The test file, if present.
    public let test: String?

    /// Lists the dataset files in `path`.
    ///
    /// Shards named `train-<i>-of-<n>.h5` must form one complete set (n files, i = 0..<n); other
    /// `train-*.h5` names are accepted as they are, sorted, if no file uses the numbered form.
    /// With `requireAllShards: false`, members of a numbered set may be missing (a per-host
    /// copy that holds only the shards of that host's ranks): `trainShards` still lists all n,
    /// and `missingShards` the ones not here, so that every host assigns shards alike.
    ///
    /// - Throws: `DatasetError.directoryNotFound`, `.notADirectory`, `.noTrainShards` (with a
    ///   `swiftddp prepare` hint) or `.inconsistentShards`.
    public init(path: String, requireAllShards: Bool = true) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw DatasetError.directoryNotFound(path)
        }
        guard isDirectory.boolValue else { throw DatasetError.notADirectory(path) }
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: path)
        } catch {
            throw DatasetError.directoryNotFound(path)
        }
        let shardNames = names.filter { $0.hasPrefix("train-") && $0.hasSuffix(".h5") }.sorted()
        guard !shardNames.isEmpty else { throw DatasetError.noTrainShards(directory: path) }
        let allNames = try Self.checkComplete(shardNames, directory: path, requireAll: requireAllShards)

        func inside(_ name: String) -> String { (path as NSString).appendingPathComponent(name) }
        self.path = path
        trainShards = allNames.map(inside)
        missingShards = allNames.filter { !shardNames.contains($0) }.map(inside)
        validation = names.contains(DatasetFormat.validationFileName) ? inside(DatasetFormat.validationFileName) : nil
        test = names.contains(DatasetFormat.testFileName) ? inside(DatasetFormat.testFileName) : nil
    }

    /// Throws unless numbered shard names are exactly `train-0-of-n` … `train-(n-1)-of-n` (or,
    /// unless `requireAll`, a subset of them); returns the names of the whole set.
    private static func checkComplete(_ names: [String], directory: String, requireAll: Bool) throws -> [String] {
        let numbered = names.compactMap(parse)
        if numbered.isEmpty { return names }
        guard numbered.count == names.count else {
            let odd = names.filter { parse($0) == nil }
            throw DatasetError.inconsistentShards(
                directory: directory, problem: "\(odd.joined(separator: ", ")) are not named train-NNNNN-of-NNNNN.h5")
        }
        let counts = Set(numbered.map(\.count))
        guard counts.count == 1, let total = counts.first else {
            throw DatasetError.inconsistentShards(
                directory: directory, problem: "shards from sets of \(counts.sorted()) files are mixed")
        }
        let present = Dictionary(numbered.indices.map { (numbered[$0].index, names[$0]) }) { first, _ in first }
        let missing = (0..<total).filter { present[$0] == nil }
        if !requireAll || (missing.isEmpty && numbered.count == total) {
            return (0..<total).map { present[$0] ?? DatasetFormat.trainShardName(index: $0, count: total) }
        }
        let examples = missing.prefix(3).map { DatasetFormat.trainShardName(index: $0, count: total) }
        throw DatasetError.inconsistentShards(
            directory: directory,
            problem: missing.isEmpty ? "\(numbered.count) files name \(total) shards (the same index twice)"
                : "\(missing.count) of \(total) shards are missing (\(examples.joined(separator: ", ")))")
    }

    /// `train-00003-of-00008.h5` → (3, 8); `nil` for other names.
    static func parse(_ name: String) -> (index: Int, count: Int)? {
        guard name.hasPrefix("train-"), name.hasSuffix(".h5") else { return nil }
        let middle = name.dropFirst("train-".count).dropLast(".h5".count)
        let parts = middle.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[1] == "of", let index = Int(parts[0]), let count = Int(parts[2]),
              index >= 0, index < count else { return nil }
        return (index, count)
    }
}
