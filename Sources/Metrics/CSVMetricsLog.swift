// metrics.csv: the records of metrics.jsonl as CSV rows with fixed columns, for spreadsheets
// (Keras's CSVLogger). Optional, `logging.csv` in the config.
import Foundation
import Glibc

/// Appends `MetricsRecord`s to a CSV file whose columns are fixed when it is created.
public final class CSVMetricsLog {
    /// The file being written.
    public let path: String
    /// The columns, in order; a record's fields outside them are not written (metrics.jsonl
    /// holds every field).
    public let columns: [String]
    private var file: UnsafeMutablePointer<FILE>?

    /// Opens `path`. A fresh run (`append: false`) truncates it and writes the header `columns`;
    /// a resumed run appends and keeps the columns of the existing header.
    /// - Throws: `MetricsError.cannotOpen` naming the path and the system's reason.
    public init(path: String, columns: [String], append: Bool) throws {
        self.path = path
        var existing: [String]?
        if append, let data = FileManager.default.contents(atPath: path),
           let header = String(decoding: data, as: UTF8.self).split(separator: "\n").first, !header.isEmpty {
            existing = header.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        }
        self.columns = existing ?? columns
        guard let file = fopen(path, append ? "a" : "w") else {
            throw MetricsError.cannotOpen(path: path, reason: String(cString: strerror(errno)))
        }
        self.file = file
        if existing == nil { try writeLine(self.columns.map(csvCell).joined(separator: ",")) }
    }

    deinit { close() }

    /// Writes `record` as one row (empty cells for missing fields) and flushes it.
    public func write(_ record: MetricsRecord) throws {
        try writeLine(columns.map { column in
            switch record[column] {
            case .text(let text)?: return csvCell(text)
            case let value?: return value.description
            case nil: return ""
            }
        }.joined(separator: ","))
    }

    private func writeLine(_ line: String) throws {
        guard let file else { throw MetricsError.closed(path: path) }
        guard fputs(line + "\n", file) >= 0, fflush(file) == 0 else {
            throw MetricsError.writeFailed(path: path, reason: String(cString: strerror(errno)))
        }
    }

    /// Flushes and closes the file; later writes throw.
    public func close() {
        if let file { fclose(file) }
        file = nil
    }
}
