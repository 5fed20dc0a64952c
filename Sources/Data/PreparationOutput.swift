// The output directory of `swiftddp prepare`: created, checked for files the new preparation would
// not replace, and written so that its files are replaced all together or not at all.
import CZlib
import Foundation

/// The files one preparation writes into a dataset directory.
///
/// Every file is first written complete as `<name>.partial` (`stage(_:)` gives the path, which
/// the writer fills with `DatasetShard.write(…, atomically: false)`); `commit()` then renames
/// them all over their names, and `discard()` removes them if anything failed. So a failed
/// preparation (a full disk, a bad path) leaves the directory as it was, and the renames, which
/// take no space and little time, are the only moment at which old and new files can be mixed.
/// Each file carries the `preparation` id (`DatasetFormat.Attribute.preparation`), so that a mix
/// left by a process killed between two renames is found by `DatasetDirectory.checkOnePreparation()`.
///
/// ```swift
/// let output = try PreparationOutput(directory: "data/blobs", id: PreparationOutput.id(describing: […]))
/// try output.checkNoStaleFiles(shardCount: 2, absent: [])
/// try output.write {
///     try DatasetShard.write(path: output.stage("val.h5"), …, atomically: false)
/// }
/// ```
final class PreparationOutput {
    /// The dataset directory.
    let directory: String
    /// The id every file of this preparation carries.
    let id: String
    /// The names staged so far, in the order written.
    private(set) var staged: [String] = []

    /// Creates `directory` with its parents if it is missing.
    ///
    /// - Throws: `DatasetError.outputNotADirectory` when `directory` is a file,
    ///   `.cannotCreateDirectory` with the system's reason when it cannot be made.
    init(directory: String, id: String) throws {
        self.directory = directory
        self.id = id
        try Self.createDirectory(directory)
    }

    /// An id for a preparation: 16 hex digits of the FNV-1a hash of `parts` (the options, and the
    /// CRC-32 and size of each input, `checksum(_:)`). The same inputs and options give the same
    /// id, as they give the same bytes; anything else gives another.
    static func id(describing parts: [String]) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in "format \(DatasetFormat.version)\n\(parts.joined(separator: "\n"))".utf8 {
            hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3
        }
        let digits = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }

    /// `"crc32 <hex> size <n>"` of `bytes`, for `id(describing:)`.
    static func checksum(_ bytes: UnsafeRawBufferPointer) -> String {
        var crc = crc32(0, nil, 0)
        var offset = 0
        while offset < bytes.count {   // zlib takes 32-bit lengths
            let length = min(bytes.count - offset, 1 << 30)
            crc = crc32(crc, bytes.baseAddress.map { $0.assumingMemoryBound(to: UInt8.self) + offset }, uInt(length))
            offset += length
        }
        return "crc32 \(String(crc, radix: 16)) size \(bytes.count)"
    }

    /// Throws if the directory holds files this preparation would not replace, which would then
    /// be read with its own: numbered training shards of another count than `shardCount`
    /// (`DatasetError.staleFiles`), or a `val.h5`/`test.h5` that it does not write
    /// (`.staleSplitFile`; `absent` pairs each such name with the option that leaves it out).
    func checkNoStaleFiles(shardCount: Int, absent: [(name: String, option: String)]) throws {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        let stale = names.filter { name in DatasetDirectory.parse(name).map { $0.count != shardCount } ?? false }.sorted()
        guard stale.isEmpty else { throw DatasetError.staleFiles(directory: directory, files: stale) }
        if let (name, option) = absent.first(where: { names.contains($0.name) }) {
            throw DatasetError.staleSplitFile(directory: directory, file: name, option: option)
        }
    }

    /// The path to write `name` to, `<directory>/<name>.partial`, recorded for `commit()`.
    func stage(_ name: String) -> String {
        precondition(!staged.contains(name), "PreparationOutput: \(name) staged twice in \(directory)")
        staged.append(name)
        return path(name) + Self.partialSuffix
    }

    /// Runs `body`, which stages and writes every file, then commits them; if anything throws,
    /// removes every staged file and rethrows, leaving the directory's files as they were.
    ///
    /// - Throws: what `body` throws, except that a failed write (`HDF5Error`, e.g. a full disk)
    ///   becomes `DatasetError.preparationNotWritten`, which says that nothing was replaced;
    ///   `DatasetError.commitFailed` if a rename fails.
    func write(_ body: () throws -> Void) throws {
        do {
            try body()
        } catch let error as HDF5Error {
            discard()
            throw DatasetError.preparationNotWritten(directory: directory, reason: "\(error)")
        } catch {
            discard()
            throw error
        }
        do {
            try commit()
        } catch {
            discard()
            throw error
        }
        removeLeftoverPartialFiles()
    }

    /// Removes the `.partial` files of dataset files (`train-*-of-*.h5`, `val.h5`, `test.h5`)
    /// that an earlier preparation, killed before it could discard them, left behind: with
    /// another shard count, no later preparation would overwrite them.
    func removeLeftoverPartialFiles() {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        for name in names where name.hasSuffix(Self.partialSuffix) {
            let file = String(name.dropLast(Self.partialSuffix.count))
            if DatasetDirectory.parse(file) != nil || file == "val.h5" || file == "test.h5" { unlink(path(name)) }
        }
    }

    /// Renames every staged `<name>.partial` over `<name>`, in the order staged.
    ///
    /// - Throws: `DatasetError.commitFailed` if a rename fails; the files renamed before it are
    ///   the new ones, so the error says to run the preparation again.
    func commit() throws {
        // a destination that cannot be replaced by a file fails here, before anything is renamed
        for name in staged {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: path(name), isDirectory: &isDirectory), isDirectory.boolValue {
                throw DatasetError.commitFailed(directory: directory, file: name, reason: "a directory has that name", renamed: [])
            }
        }
        for (index, name) in staged.enumerated() where rename(path(name) + Self.partialSuffix, path(name)) != 0 {
            throw DatasetError.commitFailed(directory: directory, file: name, reason: String(cString: strerror(errno)),
                                            renamed: Array(staged[..<index]))
        }
    }

    /// Removes every staged `.partial` file that is still there.
    func discard() {
        for name in staged { unlink(path(name) + Self.partialSuffix) }
    }

    private static let partialSuffix = ".partial"

    private func path(_ name: String) -> String { (directory as NSString).appendingPathComponent(name) }

    /// `mkdir -p`, reporting the system's reason instead of a Foundation error.
    private static func createDirectory(_ path: String) throws {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else { throw DatasetError.outputNotADirectory(path) }
            return
        }
        var prefix = path.hasPrefix("/") ? "/" : ""
        for component in path.split(separator: "/") {
            prefix += (prefix.isEmpty || prefix.hasSuffix("/") ? "" : "/") + component
            guard mkdir(prefix, 0o777) == 0 || errno == EEXIST else {
                throw DatasetError.cannotCreateDirectory(path, reason: String(cString: strerror(errno)))
            }
        }
        // EEXIST for the last component can mean a file appeared under the name meanwhile
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw DatasetError.outputNotADirectory(path)
        }
    }
}
