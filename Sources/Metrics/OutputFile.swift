// Report files that a command writes in one go (evaluate's predictions, the metrics plot):
// written under a temporary name and renamed, so a failed write leaves nothing half-written,
// and a failure is reported by its cause (a missing directory, a read-only one, a full disk).
import Glibc

/// Writes whole text files atomically, naming what failed and why.
public enum OutputFile {
    /// Writes `text` to `path` (through `path.partial` and a rename, replacing any file there).
    /// `what` names the file in errors, e.g. "predictions file" or "plot".
    /// - Throws: `OutputFileError` naming `what`, `path` and the cause.
    public static func write(_ text: String, to path: String, what: String) throws {
        let partial = path + ".partial"
        let descriptor = open(partial, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard descriptor >= 0 else { throw OutputFileError(what: what, path: path, errno: errno) }
        var failure: Int32?
        let bytes = Array(text.utf8)
        bytes.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = Glibc.write(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    failure = errno
                    return
                }
                offset += written
            }
        }
        if close(descriptor) != 0, failure == nil { failure = errno }
        if failure == nil, rename(partial, path) != 0 { failure = errno }
        if let failure {
            unlink(partial)
            throw OutputFileError(what: what, path: path, errno: failure)
        }
    }

    /// Why a file cannot be created at `path`, for the system error `code`: the missing or
    /// unwritable directory rather than the bare system message where that is the cause.
    public static func reason(path: String, errno code: Int32) -> String {
        let directory = parentDirectory(of: path)
        switch code {
        case ENOENT where missingAncestor(of: directory) != nil:
            return "directory \(missingAncestor(of: directory) ?? directory) does not exist"
        case ENOTDIR:
            return "\(nonDirectoryAncestor(of: directory) ?? directory) is not a directory"
        case EACCES, EPERM:
            return "no permission to write in directory \(directory)"
        case EROFS:
            return "directory \(directory) is on a read-only file system"
        case EISDIR:
            return "\(path) is a directory"
        case ENOSPC:
            return "\(String(cString: strerror(code))) (is the disk full?)"
        default:
            return String(cString: strerror(code))
        }
    }

    /// Why no file can be created at `path` because of its directory (missing, not a directory,
    /// not writable), or nil when the directory looks fine; for writers whose own errors lose
    /// the system's reason (HDF5).
    public static func directoryProblem(for path: String) -> String? {
        let directory = parentDirectory(of: path)
        if let missing = missingAncestor(of: directory) { return "directory \(missing) does not exist" }
        if let file = nonDirectoryAncestor(of: directory) { return "\(file) is not a directory" }
        if access(directory, W_OK) != 0 { return reason(path: path, errno: errno) }
        return nil
    }

    /// The directory part of `path` ("." for a bare file name).
    static func parentDirectory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        let directory = String(path[..<slash])
        return directory.isEmpty ? "/" : directory
    }

    /// The first ancestor of `directory` (itself included), from the root down, that does not exist.
    private static func missingAncestor(of directory: String) -> String? {
        prefixes(of: directory).first { !exists($0) }
    }

    /// The first ancestor of `directory` (itself included) that exists and is not a directory.
    private static func nonDirectoryAncestor(of directory: String) -> String? {
        prefixes(of: directory).first { path in
            var info = stat()
            return stat(path, &info) == 0 && (info.st_mode & mode_t(S_IFMT)) != mode_t(S_IFDIR)
        }
    }

    /// `a/b/c` → `a`, `a/b`, `a/b/c` (a leading `/` kept).
    private static func prefixes(of directory: String) -> [String] {
        let parts = directory.split(separator: "/", omittingEmptySubsequences: true)
        let root = directory.hasPrefix("/") ? "/" : ""
        return parts.indices.map { root + parts[...$0].joined(separator: "/") }
    }

    private static func exists(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0
    }
}

/// A report file that could not be written.
public struct OutputFileError: Error, CustomStringConvertible {
    /// What the file is ("predictions file", "plot").
    public let what: String
    /// The file.
    public let path: String
    /// The cause, e.g. "directory out does not exist".
    public let reason: String

    /// The error for the system error `errno` while writing `path`.
    public init(what: String, path: String, errno code: Int32) {
        self.init(what: what, path: path, reason: OutputFile.reason(path: path, errno: code))
    }

    /// The error with a cause already put into words.
    public init(what: String, path: String, reason: String) {
        self.what = what
        self.path = path
        self.reason = reason
    }

    public var description: String { "cannot write \(what) \(path): \(reason)" }
}
