// Every case of docs/errors.md through the real `swiftddp` binary: the message, the exit code,
// and that no existing file of the run directory changed (issue 7, "Done when" 2).
import Data
import Foundation
import Testing
import TestSupport

/// One bad input: what is wrong, how it is run, and what must come out.
struct ErrorCase: Sendable, CustomTestStringConvertible {
    /// The id in the first column of docs/errors.md.
    let id: String
    /// The exit code.
    let exit: Int32
    /// Fragments stderr must contain; `{dir}` stands for the workspace.
    let mentions: [String]
    /// The arguments; `{dir}` stands for the workspace.
    let arguments: [String]
    /// Changes made to the workspace before the run (a broken shard, a damaged checkpoint).
    var setup: @Sendable (String) throws -> Void = { _ in }
    /// The failure comes mid-run: existing checkpoints must be unchanged, and metrics.jsonl and
    /// train.log may only have grown (the failed run's lines appended).
    var appendsToLogs = false
    /// Run under `sh -c` with this prefix (e.g. a `ulimit`).
    var shellPrefix: String?
    /// Root may write anywhere, so a permission case cannot fail as root.
    var needsNonRoot = false

    var testDescription: String { id }
}

/// `train` on the workspace's config, replacing the existing run unless an error stops it first.
private func train(_ extra: String...) -> [String] {
    ["train", "--config", "{dir}/config.yaml", "--run-dir", "{dir}/run", "--overwrite"] + extra
}

/// `train --resume` into the workspace's run.
private func resume(_ extra: String...) -> [String] {
    ["train", "--config", "{dir}/config.yaml", "--run-dir", "{dir}/run", "--resume"] + extra
}

private func shard(_ dir: String, _ index: Int = 0) -> String { "\(dir)/data/train-0000\(index)-of-00002.h5" }

/// Writes a raw shard with the given datasets (no checks, unlike `DatasetShard.write`).
private func writeRawShard(_ path: String, features: [Float], featureShape: [Int], labels: [Int32], labelShape: [Int]? = nil) throws {
    try HDF5File.writeAtomically(path: path) { file in
        try file.write(features, shape: featureShape, to: "/features")
        try file.write(labels, shape: labelShape ?? [labels.count], to: "/labels")
        try file.writeAttribute("num_classes", 3)
    }
}

let errorCases: [ErrorCase] = [
    // ---- command line (2)
    ErrorCase(id: "cli-missing-config", exit: 2, mentions: ["Missing expected argument '--config <config>'"], arguments: ["train"]),
    ErrorCase(id: "cli-count-below-one", exit: 2, mentions: ["--epochs must be ≥ 1, got 0"], arguments: train("--epochs", "0")),
    ErrorCase(id: "cli-unknown-flag", exit: 2, mentions: ["Unknown option '--epoch'"], arguments: train("--epoch", "3")),
    ErrorCase(id: "cli-not-a-number", exit: 2, mentions: ["The value 'ten' is invalid for '--max-steps <max-steps>'"], arguments: train("--max-steps", "ten")),
    ErrorCase(id: "cli-negative-timeout", exit: 2, mentions: ["--timeout must be a number of seconds ≥ 0"], arguments: train("--timeout=-1")),
    ErrorCase(id: "cli-resume-without-run-dir", exit: 2, mentions: ["--resume and --resume-from need --run-dir"],
              arguments: ["train", "--config", "{dir}/config.yaml", "--resume"]),
    ErrorCase(id: "cli-resume-twice", exit: 2, mentions: ["give either --resume or --resume-from, not both"],
              arguments: resume("--resume-from", "{dir}/run/checkpoints/ckpt-00000008.h5")),
    ErrorCase(id: "cli-init-from-and-resume", exit: 2, mentions: ["--init-from starts a new run"],
              arguments: resume("--init-from", "{dir}/run/checkpoints/ckpt-00000008.h5")),
    ErrorCase(id: "cli-overfit-and-resume", exit: 2, mentions: ["--overfit-batches starts a new debugging run; it cannot go on with a checkpoint"],
              arguments: resume("--overfit-batches", "1")),
    ErrorCase(id: "cli-set-without-value", exit: 2, mentions: ["--set training.epochs must look like key.path=value"],
              arguments: train("--set", "training.epochs")),
    ErrorCase(id: "cli-check-comm-ranks", exit: 2, mentions: ["--simulate-ranks must be ≥ 1, got 0"], arguments: ["check-comm", "--simulate-ranks", "0"]),

    // ---- config (2)
    ErrorCase(id: "config-missing-file", exit: 2, mentions: ["{dir}/nowhere.yaml does not exist (pass --config FILE"],
              arguments: ["train", "--config", "{dir}/nowhere.yaml", "--run-dir", "{dir}/run", "--overwrite"]),
    ErrorCase(id: "config-not-yaml", exit: 2, mentions: ["{dir}/config.yaml is not valid YAML"], arguments: train(),
              setup: { dir in try "model: [\n".write(toFile: "\(dir)/config.yaml", atomically: true, encoding: .utf8) }),
    ErrorCase(id: "config-unknown-key", exit: 2, mentions: ["training.batchsize is not a known key; did you mean 'training.batch_size'?"],
              arguments: train("--set", "training.batchsize=3")),
    ErrorCase(id: "config-not-an-integer", exit: 2, mentions: ["training.batch_size must be an integer, got 'abc'"],
              arguments: train("--set", "training.batch_size=abc")),
    ErrorCase(id: "config-out-of-range", exit: 2, mentions: ["optimizer.momentum must be in [0.0, 0.999999], got 1.5"],
              arguments: train("--set", "optimizer.momentum=1.5")),
    ErrorCase(id: "config-unknown-choice", exit: 2, mentions: ["optimizer.type must be one of sgd, adam, adamw, rmsprop, adagrad, got 'adamx'"],
              arguments: train("--set", "optimizer.type=adamx")),
    ErrorCase(id: "config-no-layers", exit: 2, mentions: ["model.layers must list at least one layer"], arguments: train("--set", "model.layers=[]")),
    ErrorCase(id: "config-nonfinite-policy", exit: 2, mentions: ["training.nonfinite must be one of stop, skip, got 'ignore'"],
              arguments: train("--set", "training.nonfinite=ignore")),
    ErrorCase(id: "config-negative-timeout", exit: 2, mentions: ["distributed.timeout_seconds must be in [0.0,"],
              arguments: train("--set", "distributed.timeout_seconds=-1")),

    // ---- data (1): found by preflight, before any file is written
    ErrorCase(id: "data-missing-directory", exit: 1, mentions: ["dataset directory {dir}/nowhere does not exist"], arguments: train("--data", "{dir}/nowhere")),
    ErrorCase(id: "data-no-shards", exit: 1, mentions: ["{dir}/empty holds no train-*.h5 shards"], arguments: train("--data", "{dir}/empty"),
              setup: { dir in try FileManager.default.createDirectory(atPath: "\(dir)/empty", withIntermediateDirectories: true) }),
    ErrorCase(id: "data-missing-shard", exit: 1, mentions: ["reads train-00001-of-00002.h5, which is not in {dir}/data there (it holds 1 of the 2 shards)"], arguments: train(),
              setup: { dir in try FileManager.default.removeItem(atPath: shard(dir, 1)) }),
    ErrorCase(id: "data-not-hdf5", exit: 1, mentions: ["{dir}/data/train-00000-of-00002.h5 is not an HDF5 file"], arguments: train(),
              setup: { dir in try "not hdf5".write(toFile: shard(dir), atomically: true, encoding: .utf8) }),
    ErrorCase(id: "data-missing-dataset", exit: 1, mentions: ["has no dataset \"labels\"; it holds /features"], arguments: train(),
              setup: { dir in try HDF5File.writeAtomically(path: shard(dir)) { try $0.write([Float](repeating: 0, count: 16), shape: [2, 8], to: "/features") } }),
    ErrorCase(id: "data-wrong-dataset-name", exit: 1, mentions: ["has no dataset \"targets\"; it holds /features, /labels"],
              arguments: train("--set", "data.labels_key=targets")),
    ErrorCase(id: "data-length-mismatch", exit: 1, mentions: ["features has 10 rows but labels has 9"], arguments: train(),
              setup: { dir in try writeRawShard(shard(dir), features: [Float](repeating: 0, count: 80), featureShape: [10, 8], labels: [Int32](repeating: 0, count: 9)) }),
    ErrorCase(id: "data-label-shape", exit: 1, mentions: ["labels has shape [40, 2] but labels must be (N) or (N, 1) class ids"], arguments: train(),
              setup: { dir in try writeRawShard(shard(dir), features: [Float](repeating: 0, count: 320), featureShape: [40, 8],
                                                labels: [Int32](repeating: 0, count: 80), labelShape: [40, 2]) }),
    ErrorCase(id: "data-label-out-of-range", exit: 1, mentions: ["labels row 3 is 7, outside 0..<3"], arguments: train(),
              setup: { dir in try writeRawShard(shard(dir), features: [Float](repeating: 0, count: 320), featureShape: [40, 8],
                                                labels: (0..<40).map { $0 == 3 ? 7 : Int32($0 % 3) }) }),
    ErrorCase(id: "data-non-finite-features", exit: 1, mentions: ["{dir}/data/train-00001-of-00002.h5: features row 0 holds inf (features must be finite"],
              arguments: train(), setup: { dir in try TinyDatasets.poison(shard(dir, 1), shardIndex: 1, shardCount: 2) }),
    ErrorCase(id: "data-feature-shape-differs", exit: 1, mentions: ["train-00001-of-00002.h5 has feature shape [9] and 3 classes but", "has feature shape [8] and 3 classes"],
              arguments: train(), setup: { dir in
                  let (values, labels) = TinyDatasets.blobs(count: 64, features: 9)
                  try writeRawShard(shard(dir, 1), features: values, featureShape: [64, 9], labels: labels)
              }),
    ErrorCase(id: "data-ranks-differ", exit: 1, mentions: ["rank 1's training shards have feature shape [9] and 3 classes but rank 0's have feature shape [8] and 3 classes"],
              arguments: train("--simulate-ranks", "2"), setup: { dir in
                  let (values, labels) = TinyDatasets.blobs(count: 64, features: 9)
                  try writeRawShard(shard(dir, 1), features: values, featureShape: [64, 9], labels: labels)
              }),
    ErrorCase(id: "data-several-problems", exit: 1,
              mentions: ["preflight found 2 problem(s); nothing was written", "rank(s) 0: {dir}/data/train-00000-of-00002.h5 is not an HDF5 file",
                         "rank(s) 1: {dir}/data/train-00001-of-00002.h5: features row 0 holds inf"],
              arguments: train("--simulate-ranks", "2"), setup: { dir in
                  try "not hdf5".write(toFile: shard(dir), atomically: true, encoding: .utf8)
                  try TinyDatasets.poison(shard(dir, 1), shardIndex: 1, shardCount: 2)
              }),
    ErrorCase(id: "data-batch-too-large", exit: 1, mentions: ["has 64 samples, fewer than the 500 it must give to every batch"],
              arguments: train("--set", "training.batch_size=1000")),
    ErrorCase(id: "model-does-not-fit-data", exit: 1, mentions: ["model.layers.2 outputs [5] per sample but", "has num_classes 3"],
              arguments: train("--set", "model.layers.2.units=5")),
    ErrorCase(id: "model-layer-cannot-take-input", exit: 1,
              mentions: ["model.layers.1: Reshape([3, 3]): input shape [4] has 4 elements, not 9 (the samples in", "have shape [8])"],
              arguments: train("--set", "model.layers=[{type: dense, units: 4}, {type: reshape, shape: [3, 3]}, {type: dense, units: 3}]")),
    ErrorCase(id: "model-freeze-unknown", exit: 1, mentions: ["--freeze layers.9 names no parameter"], arguments: train("--freeze", "layers.9")),

    // ---- run directory (1)
    ErrorCase(id: "run-dir-holds-a-run", exit: 1, mentions: ["run directory {dir}/run already holds a run (metrics.jsonl); choose another --run-dir or pass --overwrite"],
              arguments: ["train", "--config", "{dir}/config.yaml", "--run-dir", "{dir}/run"]),
    ErrorCase(id: "run-dir-is-a-file", exit: 1, mentions: ["run directory {dir}/run/metrics.jsonl exists and is not a directory"],
              arguments: ["train", "--config", "{dir}/config.yaml", "--run-dir", "{dir}/run/metrics.jsonl"]),
    ErrorCase(id: "run-dir-cannot-be-created", exit: 1, mentions: ["cannot write run directory {dir}/run/metrics.jsonl/new: {dir}/run/metrics.jsonl is not a directory"],
              arguments: ["train", "--config", "{dir}/config.yaml", "--run-dir", "{dir}/run/metrics.jsonl/new"]),
    ErrorCase(id: "run-dir-read-only", exit: 1, mentions: ["cannot write run directory {dir}/run: the directory is not writable"], arguments: train(),
              setup: { dir in chmod("\(dir)/run", 0o555) }, needsNonRoot: true),
    ErrorCase(id: "resume-missing-run", exit: 1, mentions: ["run directory {dir}/elsewhere does not exist, so there is nothing to resume"],
              arguments: ["train", "--config", "{dir}/config.yaml", "--run-dir", "{dir}/elsewhere", "--resume"]),

    // ---- checkpoints (1)
    ErrorCase(id: "resume-no-checkpoint", exit: 1, mentions: ["no valid checkpoint in {dir}/run/checkpoints to resume from"], arguments: resume(),
              setup: { dir in
                  for name in try FileManager.default.contentsOfDirectory(atPath: "\(dir)/run/checkpoints") where name.hasPrefix("ckpt-") {
                      try FileManager.default.removeItem(atPath: "\(dir)/run/checkpoints/\(name)")
                  }
              }),
    ErrorCase(id: "resume-damaged-checkpoint", exit: 1, mentions: ["no valid checkpoint in {dir}/run/checkpoints to resume from"], arguments: resume(),
              setup: { dir in
                  let path = "\(dir)/run/checkpoints/ckpt-00000008.h5"
                  let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
                  try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: path))
              }),
    ErrorCase(id: "resume-from-missing-file", exit: 1, mentions: ["checkpoint {dir}/nowhere.h5 cannot be read: {dir}/nowhere.h5 does not exist"],
              arguments: ["train", "--config", "{dir}/config.yaml", "--run-dir", "{dir}/run", "--resume-from", "{dir}/nowhere.h5"]),
    ErrorCase(id: "resume-from-not-a-checkpoint", exit: 1, mentions: ["{dir}/data/val.h5 is not a swiftddp checkpoint"],
              arguments: ["train", "--config", "{dir}/config.yaml", "--run-dir", "{dir}/run", "--resume-from", "{dir}/data/val.h5"]),
    ErrorCase(id: "resume-other-model", exit: 1,
              mentions: ["does not fit the configured model: model has layers.0.weight [32, 8], checkpoint has layers.0.weight [16, 8]"],
              arguments: resume("--set", "model.layers.0.units=32")),
    ErrorCase(id: "resume-other-optimizer", exit: 1, mentions: ["it holds sgd state [\"momentum_buffer\"], the config asks for rmsprop"],
              arguments: resume("--set", "optimizer.type=rmsprop")),
    ErrorCase(id: "init-from-missing-file", exit: 1, mentions: ["{dir}/nowhere.h5 does not exist"], arguments: train("--init-from", "{dir}/nowhere.h5")),
    ErrorCase(id: "checkpoint-disk-full", exit: 1,
              mentions: ["cannot write checkpoint {dir}/run/checkpoints/ckpt-00000016.h5", "File too large",
                         "the newest complete checkpoint, {dir}/run/checkpoints/ckpt-00000008.h5, is intact"],
              arguments: resume("--epochs", "3"), appendsToLogs: true, shellPrefix: "ulimit -f 12"),

    // ---- other commands (1)
    ErrorCase(id: "inspect-missing-file", exit: 1, mentions: ["{dir}/nowhere.h5 does not exist"], arguments: ["inspect", "{dir}/nowhere.h5"]),
    ErrorCase(id: "prepare-missing-source", exit: 1, mentions: ["IDX file not found (tried {dir}/train-images-idx3-ubyte.gz"],
              arguments: ["prepare", "fashion-mnist", "--source", "{dir}", "--out", "{dir}/prepared"]),
]

/// A finished tiny run to copy into every case's workspace: data/ (2 training shards of 64
/// blobs, val.h5, test.h5), config.yaml (SGD, batch 16, 1 epoch) and run/ (config.yaml,
/// metrics.jsonl, train.log, checkpoints/ckpt-00000008.h5, best.h5). Built once per process.
private let template: Result<String, any Error> = {
    let path = NSTemporaryDirectory() + "swiftddp-errors-\(getpid())"
    atexit { try? FileManager.default.removeItem(atPath: NSTemporaryDirectory() + "swiftddp-errors-\(getpid())") }
    return Result {
        try TinyDatasets.writeBlobDirectory(path + "/data", shardSizes: [64, 64])
        try TinyDatasets.blobConfig(dataDirectory: path + "/data", epochs: 1)
            .write(toFile: path + "/config.yaml", atomically: true, encoding: .utf8)
        let result = try runCommand(builtProduct("swiftddp"), ["train", "--config", path + "/config.yaml", "--run-dir", path + "/run"])
        guard result.status == 0 else { throw CommandFailure(result: result) }
        return path
    }
}()

private struct CommandFailure: Error, CustomStringConvertible {
    let result: CommandResult
    var description: String { "the template run failed (\(result.status)): \(result.error)" }
}

/// Every file under `root` with its contents, by relative path.
private func snapshot(_ root: String) -> [String: Data] {
    var files: [String: Data] = [:]
    for case let name as String in FileManager.default.enumerator(atPath: root) ?? FileManager.DirectoryEnumerator() {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: root + "/" + name, isDirectory: &isDirectory), !isDirectory.boolValue {
            files[name] = FileManager.default.contents(atPath: root + "/" + name)
        }
    }
    return files
}

struct ErrorCatalogueTests {
    @Test(arguments: errorCases)
    func reportsTheErrorAndLeavesTheRunDirectoryAlone(_ errorCase: ErrorCase) throws {
        if errorCase.needsNonRoot && geteuid() == 0 { return }   // root writes anywhere; see docs/errors.md
        let source = try template.get()
        let workspace = try TemporaryDirectory("error-\(errorCase.id)")
        try FileManager.default.removeItem(atPath: workspace.path)
        try FileManager.default.copyItem(atPath: source, toPath: workspace.path)
        // the copied config names the template's data: point it at this copy
        let config = try String(contentsOfFile: workspace.file("config.yaml"), encoding: .utf8)
        try config.replacingOccurrences(of: source, with: workspace.path).write(toFile: workspace.file("config.yaml"), atomically: true, encoding: .utf8)
        try errorCase.setup(workspace.path)
        defer { chmod(workspace.file("run"), 0o755) }

        let before = snapshot(workspace.file("run"))
        let arguments = errorCase.arguments.map { $0.replacingOccurrences(of: "{dir}", with: workspace.path) }
        let result: CommandResult
        if let prefix = errorCase.shellPrefix {
            result = try runCommand("/bin/sh", ["-c", prefix + " && exec \"$0\" \"$@\"", builtProduct("swiftddp")] + arguments)
        } else {
            result = try runCommand(builtProduct("swiftddp"), arguments)
        }

        #expect(result.status == errorCase.exit, "exit \(result.status), expected \(errorCase.exit); stderr: \(result.error)")
        for text in errorCase.mentions.map({ $0.replacingOccurrences(of: "{dir}", with: workspace.path) }) {
            #expect(result.error.contains(text), "stderr lacks \"\(text)\": \(result.error)")
        }
        let after = snapshot(workspace.file("run"))
        #expect(Set(after.keys) == Set(before.keys), "files added or removed: \(Set(after.keys).symmetricDifference(before.keys))")
        for (name, contents) in before {
            if errorCase.appendsToLogs, name == "metrics.jsonl" || name == "train.log" {
                #expect(after[name]?.starts(with: contents) == true, "\(name) changed, not only appended to")
            } else {
                #expect(after[name] == contents, "\(name) changed")
            }
        }
    }

    /// docs/errors.md lists exactly these cases, each with its exit code and every message
    /// fragment that does not depend on the test's paths.
    @Test func catalogueMatchesTheDocumentation() throws {
        let text = try String(contentsOfFile: repositoryRoot + "/docs/errors.md", encoding: .utf8)
        let rows = text.split(separator: "\n").filter { $0.hasPrefix("| `") }
        var documented: [String: Substring] = [:]
        for row in rows {
            let id = row.dropFirst(3).prefix { $0 != "`" }
            documented[String(id)] = row
        }
        #expect(Set(documented.keys) == Set(errorCases.map(\.id)), "docs/errors.md and the test table differ")
        #expect(errorCases.count >= 25)
        for errorCase in errorCases {
            guard let row = documented[errorCase.id] else { continue }
            #expect(row.hasSuffix("| \(errorCase.exit) |"), "\(errorCase.id): the exit code in docs/errors.md is not \(errorCase.exit)")
            for fragment in errorCase.mentions where !fragment.contains("{dir}") {
                #expect(row.contains(fragment), "\(errorCase.id): docs/errors.md lacks \"\(fragment)\"")
            }
        }
    }
}
