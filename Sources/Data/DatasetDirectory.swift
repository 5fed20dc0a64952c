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
    /// The training shard paths, sorted by name.
    public let trainShards: [String]
    /// The validation file, if present.
    public let validation: String?
    /// The test file, if present.
    public let test: String?

    /// Lists the dataset files in `path`.
    ///
    /// Shards named `train-<i>-of-<n>.h5` must form one complete set (n files, i = 0..<n); other
    /// `train-*.h5` names are accepted as they are, sorted, if no file uses the numbered form.
    ///
    /// - Throws: `DatasetError.directoryNotFound`, `.noTrainShards` (with a `swiftddp prepare`
    ///   hint) or `.inconsistentShards`.
    public init(path: String) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw DatasetError.directoryNotFound(path)
        }
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: path)
        } catch {
            throw DatasetError.directoryNotFound(path)
        }
        let shardNames = names.filter { $0.hasPrefix("train-") && $0.hasSuffix(".h5") }.sorted()
        guard !shardNames.isEmpty else { throw DatasetError.noTrainShards(directory: path) }
        try Self.checkComplete(shardNames, directory: path)

        func inside(_ name: String) -> String { (path as NSString).appendingPathComponent(name) }
        self.path = path
        trainShards = shardNames.map(inside)
        validation = names.contains(DatasetFormat.validationFileName) ? inside(DatasetFormat.validationFileName) : nil
        test = names.contains(DatasetFormat.testFileName) ? inside(DatasetFormat.testFileName) : nil
    }

    /// Throws unless numbered shard names are exactly `train-0-of-n` … `train-(n-1)-of-n`.
    private static func checkComplete(_ names: [String], directory: String) throws {
        let numbered = names.compactMap(parse)
        if numbered.isEmpty { return }
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
        let indices = Set(numbered.map(\.index))
        let missing = (0..<total).filter { !indices.contains($0) }
        guard missing.isEmpty, numbered.count == total else {
            let names = missing.prefix(3).map { DatasetFormat.trainShardName(index: $0, count: total) }
            throw DatasetError.inconsistentShards(
                directory: directory, problem: "\(missing.count) of \(total) shards are missing (\(names.joined(separator: ", ")))")
        }
    }

    /// `train-00003-of-00008.h5` → (3, 8); `nil` for other names.
    /// Throws `DatasetError.staleFiles` if `output` holds numbered training shards of another
    /// shard count than `count` (a new preparation would leave them mixed with its own), or
    /// `extra` files (e.g. a `val.h5` the new preparation does not write).
    static func checkNoStaleShards(in output: String, count: Int, extra: [String] = []) throws {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: output)) ?? []
        let stale = names.filter { name in
            guard let parsed = parse(name) else { return extra.contains(name) }
            return parsed.count != count
        }.sorted()
        guard stale.isEmpty else { throw DatasetError.staleFiles(directory: output, files: stale) }
    }

    static func parse(_ name: String) -> (index: Int, count: Int)? {
        guard name.hasPrefix("train-"), name.hasSuffix(".h5") else { return nil }
        let middle = name.dropFirst("train-".count).dropLast(".h5".count)
        let parts = middle.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[1] == "of", let index = Int(parts[0]), let count = Int(parts[2]),
              index >= 0, index < count else { return nil }
        return (index, count)
    }
}
