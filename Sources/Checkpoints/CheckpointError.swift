// Why a checkpoint cannot be used.

/// A checkpoint file that cannot be used, naming the file and the fix.
public enum CheckpointError: Error, CustomStringConvertible {
    case unreadable(path: String, reason: String)
    case notACheckpoint(path: String)
    case unsupportedVersion(path: String, found: Int, supported: Int)
    case checksumMismatch(path: String, stored: String, computed: String)
    case noCheckpoint(directory: String)
    case doesNotFitModel(path: String, detail: String)
    /// Writing failed (a full disk, an unwritable directory); `newest` is the newest complete
    /// checkpoint, untouched.
    case cannotWrite(path: String, reason: String, newest: String?)

    public var description: String {
        switch self {
        case .unreadable(let path, let reason):
            return "checkpoint \(path) cannot be read: \(reason)"
        case .notACheckpoint(let path):
            return "\(path) is not a swiftddp checkpoint (its format attribute is not \"\(Checkpoint.format)\")"
        case .unsupportedVersion(let path, let found, let supported):
            return "checkpoint \(path) has format version \(found), newer than this build reads (\(supported)); rebuild from a newer commit"
        case .checksumMismatch(let path, let stored, let computed):
            return "checkpoint \(path) is damaged: its checksum is \(stored) but its contents hash to \(computed)"
        case .noCheckpoint(let directory):
            return "no valid checkpoint in \(directory) to resume from (train without --resume to start afresh)"
        case .doesNotFitModel(let path, let detail):
            return "checkpoint \(path) does not fit the configured model: \(detail)"
        case .cannotWrite(let path, let reason, let newest):
            return "cannot write checkpoint \(path): \(reason) (is the disk full or the directory read-only?); "
                + (newest.map { "the newest complete checkpoint, \($0), is intact" } ?? "no complete checkpoint exists yet")
        }
    }
}
