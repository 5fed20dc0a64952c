// Training data across hosts: `data.dir` is read on each rank's own host, either a shared path
// or a per-host copy that holds only the shards of that host's ranks (docs/operations.md).
import Data
import Glibc

extension Trainer {
    /// The dataset directory as this rank's host sees it. A numbered shard set may be
    /// incomplete here (a per-host copy); `checkHostHas` then names what this rank lacks.
    /// Every rank must count the same number of shards, or the ranks would assign them
    /// differently: they compare the counts, and all stop together if they differ.
    func hostDatasetDirectory() throws -> DatasetDirectory {
        let directory = try DatasetDirectory(path: config.dataDirectory, requireAllShards: false)
        let count = Double(directory.trainShards.count)
        let range = try communicator.allReduce([count, -count], .max)
        if range[0] != -range[1] {
            let counts = try communicator.allGather(UInt64(count))
            throw TrainingError.ranksDisagree(
                what: "the number of training shards in \(config.dataDirectory) (\(counts.map(String.init).joined(separator: ", ")) "
                    + "by rank; prepare the data once and copy files of the same set to every host)",
                ranks: counts.indices.filter { counts[$0] != counts[0] })
        }
        return directory
    }

    /// Throws, naming this rank, its host and the files, if a shard of `paths` (the ones this
    /// rank reads) is not in its host's copy of the data directory.
    func checkHostHas(_ paths: [String], in directory: DatasetDirectory) throws {
        let lacking = paths.filter { directory.missingShards.contains($0) }
        guard !lacking.isEmpty else { return }
        let names = lacking.map { $0.split(separator: "/").last.map(String.init) ?? $0 }
        throw TrainingError.missingData(
            "rank \(communicator.rank) of \(communicator.size) on host \(hostName()) reads \(names.joined(separator: ", ")), "
                + "which \(names.count == 1 ? "is" : "are") not in \(directory.path) there "
                + "(it holds \(directory.trainShards.count - directory.missingShards.count) of the \(directory.trainShards.count) shards). "
                + "Copy the shards of this host's ranks to it, or use a path every host shares (docs/operations.md, Data placement)")
    }

    /// Whether rank 0's host has `val.h5`: only rank 0 reads it, so other hosts need no copy,
    /// but every rank must take the same decisions that depend on it.
    func rankZeroHasValidation(_ directory: DatasetDirectory) throws -> Bool {
        let mine: Double = communicator.rank == 0 && directory.validation != nil ? 1 : 0
        return try communicator.allReduce([mine], .max)[0] > 0
    }
}

/// This host's name (`gethostname`), for error messages.
func hostName() -> String {
    var buffer = [CChar](repeating: 0, count: 256)
    guard gethostname(&buffer, buffer.count - 1) == 0 else { return "?" }
    return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}
