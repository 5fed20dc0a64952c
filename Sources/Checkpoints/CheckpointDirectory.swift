// The checkpoints/ folder of a run: naming, the newest valid checkpoint, retention.
import Foundation

/// The checkpoints of one run, `ckpt-<step, 8 digits>.h5`.
public struct CheckpointDirectory: Sendable {
    /// The folder.
    public let path: String

    /// Names the folder; nothing is created until `save`.
    public init(path: String) {
        self.path = path
    }

    /// The file name for `step`.
    public func file(step: Int) -> String {
        let digits = String(step)
        return path + "/ckpt-" + String(repeating: "0", count: max(0, 8 - digits.count)) + digits + ".h5"
    }

    /// The checkpoint of the best epoch by the monitored validation metric (`checkpoint.save_best`);
    /// never deleted by retention and never picked by `--resume`.
    public var bestFile: String { path + "/best.h5" }

    /// Complete checkpoint files, newest (highest step) first. `.partial` files are never listed.
    public func files() -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
        return names.filter { $0.hasPrefix("ckpt-") && $0.hasSuffix(".h5") }.sorted(by: >).map { path + "/" + $0 }
    }

    /// Writes `checkpoint`, then deletes all but the newest `keepLast` checkpoints. Nothing is
    /// deleted unless the new file is complete.
    /// - Throws: `CheckpointError.cannotWrite` naming the file, the reason, and the newest
    ///   complete checkpoint, which is left as it was.
    public func save(_ checkpoint: Checkpoint, keepLast: Int) throws {
        try write(checkpoint, to: file(step: checkpoint.step))
        for old in files().dropFirst(max(keepLast, 1)) { try? FileManager.default.removeItem(atPath: old) }
    }

    /// Writes `checkpoint` as `best.h5` (atomically; the previous `best.h5` stays on failure).
    public func saveBest(_ checkpoint: Checkpoint) throws {
        try write(checkpoint, to: bestFile)
    }

    private func write(_ checkpoint: Checkpoint, to target: String) throws {
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
            try checkpoint.write(to: target)
        } catch {
            throw CheckpointError.cannotWrite(path: target, reason: "\(error)", newest: files().first)
        }
    }

    /// The newest checkpoint that reads and verifies; damaged ones are reported through
    /// `skipped` and passed over.
    public func newestValid(skipped: (String, CheckpointError) -> Void) throws -> (path: String, checkpoint: Checkpoint) {
        for candidate in files() {
            do {
                return (candidate, try Checkpoint.read(path: candidate))
            } catch let error as CheckpointError {
                skipped(candidate, error)
            }
        }
        throw CheckpointError.noCheckpoint(directory: path)
    }
}
