// A fresh directory per test, removed when the value is released.
import Foundation

/// A uniquely named directory under the system's temporary directory.
public final class TemporaryDirectory: @unchecked Sendable {
    /// The directory's path.
    public let path: String

    /// Creates the directory; `name` shows up in its path to ease debugging.
    public init(_ name: String = "test") throws {
        path = NSTemporaryDirectory() + "swiftddp-\(name)-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    /// `path/name`.
    public func file(_ name: String) -> String { path + "/" + name }
}
