// Preflight (design.md §4, issue 7): before any output file is touched, every rank loads and
// checks its training shards (rank 0 also the validation and test files and the run directory),
// and the ranks compare their resolved config and data schema. Any problem on any rank stops
// every rank together, with the whole list.
import Comm
import Data
import Foundation
import NN
import Tensors

extension Trainer {
    /// Loads this rank's data after checking everything a run needs, on every rank at once.
    ///
    /// Each shard is checked for existence, HDF5, the configured dataset names, numeric element
    /// types, shapes, labels in `0..<num_classes` (all by `DatasetShard.load`) and finite
    /// features; a rank's shards, and validation and test, must share one feature shape and
    /// class count; every file of the directory must carry the same `preparation` id
    /// (`DatasetDirectory.checkOnePreparation`). Then the ranks exchange their problem lists,
    /// config hashes, data schemas and preparation ids.
    /// - Throws: `TrainingError.preflightFailed` on every rank, listing every problem of every
    ///   rank (the same problem on several ranks once, with its ranks).
    func preflight() throws -> RankData {
        let comm = communicator
        (comm as? CollectiveDeadline)?.timeoutSeconds = config.collectiveTimeout > 0 ? config.collectiveTimeout : .infinity
        var problems: [String] = []
        if case .failure(let error) = FaultInjection.environment { problems.append("\(error)") }
        var preparation: String?
        let data = loadData(problems: &problems, preparation: &preparation)
        if comm.rank == 0 { problems += runDirectoryProblems() }

        let reports = try comm.allGatherText(problems.joined(separator: "\n"))
        let schemas = try comm.allGatherText(data.map { schema($0.loader.shards[0].shard) } ?? "")
        let preparations = try comm.allGatherText(preparation ?? "")
        let configs = try comm.allGather(fnv1a(config.yaml))

        var found: [(problem: String, ranks: [Int])] = []
        for (rank, report) in reports.enumerated() {
            for line in report.split(separator: "\n").map(String.init) {
                if let index = found.firstIndex(where: { $0.problem == line }) { found[index].ranks.append(rank) } else { found.append((line, [rank])) }
            }
        }
        var list = found.map { comm.size == 1 ? $0.problem : "rank(s) \(ranksText($0.ranks)): \($0.problem)" }
        let otherConfig = configs.indices.filter { configs[$0] != configs[0] }
        if !otherConfig.isEmpty {   // every rank sees the hashes, so all take part in the gather
            let texts = try comm.allGatherText(config.yaml)
            let differences = otherConfig.compactMap { rank in
                configDifferences(texts[0], texts[rank]).first.map { "rank \(rank) has \($0.text($0.other)) where rank 0 has \($0.text($0.first))" }
            }
            list.append("rank(s) \(ranksText(otherConfig)) resolved another config than rank 0"
                + (differences.isEmpty ? "" : ": " + differences.joined(separator: "; "))
                + " (check --set flags and the config file on every host)")
        }
        let otherSchema = schemas.indices.filter { !schemas[$0].isEmpty && !schemas[0].isEmpty && schemas[$0] != schemas[0] }
        for rank in otherSchema {
            list.append("rank \(rank)'s training shards have \(schemas[rank]) but rank 0's have \(schemas[0])")
        }
        // per-host copies of a dataset must come from one preparation too
        let otherPreparation = preparations.indices.filter { !preparations[$0].isEmpty && !preparations[0].isEmpty && preparations[$0] != preparations[0] }
        for rank in otherPreparation {
            list.append("rank \(rank)'s dataset files are from preparation \(preparations[rank]) but rank 0's from \(preparations[0]) "
                + "(copy the same prepared directory to every host)")
        }
        guard list.isEmpty, let data else { throw TrainingError.preflightFailed(problems: list) }
        return data
    }

    /// Loads this rank's part of the training shards (ShardAssignment) and, on rank 0, the
    /// validation and test files; records every problem instead of stopping at the first.
    /// `preparation` receives the `preparation` id that every file in this host's view of the
    /// directory shares (`nil` if they have none, or do not agree: a problem then).
    func loadData(problems: inout [String], preparation: inout String?) -> RankData? {
        let rank = communicator.rank
        // this host's view of data.dir: a shared path, or a per-host copy holding only the shards of
        // this host's ranks (Trainer+HostData, docs/operations.md)
        var directory: DatasetDirectory?
        do {
            directory = try DatasetDirectory(path: config.dataDirectory, requireAllShards: false)
            preparation = try directory?.checkOnePreparation()
        } catch {
            problems.append("\(error)")
        }
        // collectives every rank enters, whatever happened above
        var hasValidation = false
        do {
            try compareShardCounts(directory)
            hasValidation = try rankZeroHasValidation(directory)
        } catch {
            problems.append("\(error)")
        }
        guard let directory else { return nil }
        let before = problems.count
        var shards: [(index: Int, shard: DatasetShard)] = []
        var origins: [(file: Int, firstRow: Int)] = []   // what keys each row's augmentation
        do {
            let assignment = try ShardAssignment(files: directory.trainShards, rank: rank, ranks: communicator.size) { path in
                try checkHostHas([path], in: directory)
                let file = try HDF5File.open(path: path)
                defer { try? file.close() }
                return try file.datasetInfo("/" + config.featuresKey).shape.first ?? 0
            }
            try checkHostHas(assignment.parts.map(\.path), in: directory)
            for part in assignment.parts {
                // training rows stay as the file stores them when it stores bytes (FeatureRows)
                if let shard = checkedShard(part.path, rows: part.rows, keepingBytes: true, problems: &problems) {
                    shards.append((part.shuffleKey, shard))
                    origins.append((file: part.fileIndex, firstRow: part.rows?.lowerBound ?? 0))
                }
            }
        } catch {
            problems.append("\(error)")
        }
        var evaluation: [DatasetShard?] = []
        for path in [directory.validation, directory.test] {
            guard rank == 0, let path else {
                evaluation.append(nil)
                continue
            }
            evaluation.append(checkedShard(path, rows: nil, keepingBytes: false, problems: &problems))
        }
        if let reference = shards.first?.shard {
            for other in shards.dropFirst().map(\.shard) + evaluation.compactMap({ $0 }) where schema(other) != schema(reference) {
                problems.append("\(other.path) has \(schema(other)) but \(reference.path) has \(schema(reference)); every file of a dataset must match")
            }
        }
        guard problems.count == before else { return nil }
        do {
            let loader = try TrainingLoader(shards: shards, batchSize: config.batchSize, seed: config.seed, shuffle: config.shuffle,
                                            augmentation: Augmentation(cropPadding: config.randomCropPadding, horizontalFlip: config.horizontalFlip),
                                            origins: origins)
            return RankData(loader: loader, validation: evaluation[0], test: evaluation[1], hasValidation: hasValidation)
        } catch {
            problems.append("\(error)")
            return nil
        }
    }

    /// Loads one file (or rows of it) and checks that its features are finite.
    private func checkedShard(_ path: String, rows: Range<Int>?, keepingBytes: Bool, problems: inout [String]) -> DatasetShard? {
        do {
            let shard = try DatasetShard.load(path: path, featuresKey: config.featuresKey, labelsKey: config.labelsKey, rows: rows,
                                              keepingBytes: keepingBytes)
            let finite = shard.features.tensor.map { allFinite($0.buffer) } ?? false   // byte rows: look row by row below
            if !finite, let (index, value) = shard.features.firstNonFinite() {
                let row = (rows?.lowerBound ?? 0) + index
                problems.append("\(path): \(config.featuresKey) row \(row) holds \(value) "
                    + "(features must be finite; clean the data or drop the row)")
                return nil
            }
            if let targets = shard.targets, !allFinite(targets.buffer), let index = targets.buffer.firstIndex(where: { !$0.isFinite }) {
                let row = (rows?.lowerBound ?? 0) + index / max(targets.rowLength, 1)
                problems.append("\(path): \(config.labelsKey) row \(row) holds the target \(targets.buffer[index]) "
                    + "(regression targets must be finite; clean the data or drop the row)")
                return nil
            }
            return shard
        } catch {
            problems.append("\(error)")
            return nil
        }
    }

    /// Rank 0: the run directory can be written, and does not hold a run that would be replaced
    /// by accident (a fresh run), or exists (a resumed one).
    func runDirectoryProblems() -> [String] {
        let path = options.runDirectory
        let directory = RunDirectory(path: path)
        let manager = FileManager.default
        var isDirectory: ObjCBool = false
        if manager.fileExists(atPath: path, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else { return [RunDirectoryError.notADirectory(path).description] }
            if options.resume == nil && !options.overwrite && manager.fileExists(atPath: directory.metricsPath) {
                return [RunDirectoryError.notEmpty(path).description]
            }
            return access(path, W_OK) == 0 ? [] : [RunDirectoryError.cannotWrite(path, "the directory is not writable").description]
        }
        if options.resume == .latest {
            return ["run directory \(path) does not exist, so there is nothing to resume (check --run-dir; "
                + "--resume-from FILE goes on from a checkpoint into a new directory; drop --resume to start a new run)"]
        }
        // a new directory (also for --resume-from FILE): its nearest existing ancestor must be a writable directory
        var ancestor = Substring(path)
        repeat {
            while ancestor.hasSuffix("/") && ancestor.count > 1 { ancestor = ancestor.dropLast() }
            ancestor = ancestor.lastIndex(of: "/").map { ancestor[..<$0] } ?? ""
        } while !ancestor.isEmpty && !manager.fileExists(atPath: String(ancestor))
        let parent = ancestor.isEmpty ? (path.hasPrefix("/") ? "/" : ".") : String(ancestor)
        guard manager.fileExists(atPath: parent, isDirectory: &isDirectory), isDirectory.boolValue else {
            return [RunDirectoryError.cannotWrite(path, "\(parent) is not a directory").description]
        }
        return access(parent, W_OK) == 0 ? [] : [RunDirectoryError.cannotWrite(path, "\(parent) is not writable").description]
    }

    /// What every file of a dataset must share: the sample shape and the class count.
    private func schema(_ shard: DatasetShard) -> String {
        shard.task == .regression ? "feature shape \(shard.featureShape) and \(shard.numTargets) regression target(s)"
            : "feature shape \(shard.featureShape) and \(shard.numClasses) classes"
    }

    private func ranksText(_ ranks: [Int]) -> String {
        ranks.map(String.init).joined(separator: ", ")
    }
}

/// The 64-bit FNV-1a hash of `text`'s UTF-8 bytes.
func fnv1a(_ text: String) -> UInt64 {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    for byte in text.utf8 { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
    return hash
}
