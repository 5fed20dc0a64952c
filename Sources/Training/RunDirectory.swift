// The run directory of design.md §7: config.yaml, metrics.jsonl, train.log, checkpoints/, and
// optionally metrics.csv and tensorboard/.
import Foundation

/// The files of one run, created by rank 0.
public struct RunDirectory: Sendable {
    /// The directory.
    public let path: String
    /// The resolved config, as trained.
    public var configPath: String { path + "/config.yaml" }
    /// One JSON object per line (docs/metrics.md).
    public var metricsPath: String { path + "/metrics.jsonl" }
    /// The human-readable log of rank 0.
    public var logPath: String { path + "/train.log" }
    /// The checkpoints (docs/checkpoint-format.md).
    public var checkpointsPath: String { path + "/checkpoints" }
    /// The records as CSV, with `logging.csv: true`.
    public var csvPath: String { path + "/metrics.csv" }
    /// TensorBoard event files, with `logging.tensorboard: true`.
    public var tensorboardPath: String { path + "/tensorboard" }

    /// Names the run directory without touching the disk.
    public init(path: String) {
        self.path = path
    }

    /// Creates the directory for a fresh run and writes `config.yaml`.
    /// - Throws: `RunDirectoryError.notEmpty` if it already holds a run's metrics and
    ///   `overwrite` is false, so an earlier run is never clobbered by accident.
    public func prepareFresh(config: TrainingConfig, overwrite: Bool) throws {
        let manager = FileManager.default
        var isDirectory: ObjCBool = false
        if manager.fileExists(atPath: path, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else { throw RunDirectoryError.notADirectory(path) }
            if manager.fileExists(atPath: metricsPath) && !overwrite { throw RunDirectoryError.notEmpty(path) }
            // a fresh run must never resume from an earlier run's checkpoints later, nor show its curves
            if overwrite { for old in [checkpointsPath, tensorboardPath] { try? manager.removeItem(atPath: old) } }
        }
        do {
            try manager.createDirectory(atPath: path, withIntermediateDirectories: true)
            try config.yaml.write(toFile: configPath, atomically: true, encoding: .utf8)
        } catch {
            throw RunDirectoryError.cannotWrite(path, error.localizedDescription)
        }
    }

    /// `runs/<name>-<yyyyMMdd-HHmmss>`, the default when no `--run-dir` is given.
    public static func defaultPath(name: String, date: Date = Date()) -> String {
        let formatter = DateFormatter()
        formatter.dateFormat = "yyyyMMdd-HHmmss"
        formatter.timeZone = TimeZone(identifier: "UTC")
        return "runs/\(name)-\(formatter.string(from: date))"
    }
}

/// A run directory that cannot be used.
public enum RunDirectoryError: Error, CustomStringConvertible {
    case notEmpty(String)
    case notADirectory(String)
    case cannotWrite(String, String)

    public var description: String {
        switch self {
        case .notEmpty(let path):
            return "run directory \(path) already holds a run (metrics.jsonl); choose another --run-dir or pass --overwrite"
        case .notADirectory(let path):
            return "run directory \(path) exists and is not a directory"
        case .cannotWrite(let path, let reason):
            return "cannot write run directory \(path): \(reason)"
        }
    }
}
