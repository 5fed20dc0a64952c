// Training data across hosts: `data.dir` is read on each rank's own host, either a shared path
// or a per-host copy that holds only the shards of that host's ranks (docs/operations.md).
import Data
import Glibc

extension Trainer {
    /// Every rank must count the same number of training shards in its host's copy of
    /// `data.dir` (a per-host copy may lack other hosts' shards, but not have another set), or the
    /// ranks would assign them differently. One all-gather that every rank enters, also a rank
    /// whose directory could not be read (`nil`, already a preflight problem of its own).
    func compareShardCounts(_ directory: DatasetDirectory?) throws {
        let unknown = UInt64.max
        let counts = try communicator.allGather(directory.map { UInt64($0.trainShards.count) } ?? unknown)
        let known = counts.filter { $0 != unknown }
        guard let first = known.first, known.contains(where: { $0 != first }) else { return }
        throw TrainingError.ranksDisagree(
            what: "the number of training shards in \(config.dataDirectory) (\(counts.map { $0 == unknown ? "?" : String($0) }.joined(separator: ", ")) "
                + "by rank; prepare the data once and copy files of the same set to every host)",
            ranks: counts.indices.filter { counts[$0] != unknown && counts[$0] != first })
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
    func rankZeroHasValidation(_ directory: DatasetDirectory?) throws -> Bool {
        let mine: Double = communicator.rank == 0 && directory?.validation != nil ? 1 : 0
        return try communicator.allReduce([mine], .max)[0] > 0
    }
}

/// This host's name (`gethostname`), for error messages.
func hostName() -> String {
    var buffer = [CChar](repeating: 0, count: 256)
    guard gethostname(&buffer, buffer.count - 1) == 0 else { return "?" }
    return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}
