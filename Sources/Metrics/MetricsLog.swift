// The metrics.jsonl writer: one JSON object per line, flushed line by line so a reader can
// follow a run that is still going.
import Glibc

/// Appends `MetricsRecord`s to a JSON-lines file.
public final class MetricsLog {
    /// The file being written.
    public let path: String
    private var file: UnsafeMutablePointer<FILE>?

    /// Opens `path`, truncating it (`append: false`, a fresh run) or appending (a resumed run).
    /// - Throws: `MetricsError.cannotOpen` naming the path and the system's reason.
    public init(path: String, append: Bool) throws {
        self.path = path
        guard let file = fopen(path, append ? "a" : "w") else {
            throw MetricsError.cannotOpen(path: path, reason: String(cString: strerror(errno)))
        }
        self.file = file
    }

    deinit { close() }

    /// Writes `record` as one line and flushes it.
    public func write(_ record: MetricsRecord) throws {
        guard let file else { throw MetricsError.closed(path: path) }
        let line = record.jsonLine + "\n"
        guard fputs(line, file) >= 0, fflush(file) == 0 else {
            throw MetricsError.writeFailed(path: path, reason: String(cString: strerror(errno)))
        }
    }

    /// Flushes and closes the file; later writes throw.
    public func close() {
        if let file { fclose(file) }
        file = nil
    }
}

/// Errors reading or writing metrics files.
public enum MetricsError: Error, CustomStringConvertible {
    case cannotOpen(path: String, reason: String)
    case writeFailed(path: String, reason: String)
    case closed(path: String)

    public var description: String {
        switch self {
        case .cannotOpen(let path, let reason): return "cannot open metrics file \(path): \(reason)"
        case .writeFailed(let path, let reason): return "cannot write metrics file \(path): \(reason) (is the disk full?)"
        case .closed(let path): return "metrics file \(path) is already closed"
        }
    }
}
