// Reading a CSV file (RFC 4180: quoted fields may hold the delimiter, quotes as "" and line breaks)
// record by record, each with the line it starts on, for `swiftddp prepare csv`.
import Foundation

/// The header and records of a CSV file.
///
/// Blank lines are skipped, a UTF-8 byte-order mark is ignored, and `\n` and `\r\n` both end a
/// record. Cells are kept as written, except that unquoted cells lose surrounding spaces.
///
/// ```swift
/// let table = try CSVTable(path: "data/diabetes.csv")
/// table.header                 // ["age", "sex", "bmi", …]
/// table.records[0].line        // 2: the line the first data record starts on
/// ```
public struct CSVTable: Sendable {
    /// One data record: its cells and the 1-based line of the file it starts on.
    public struct Record: Sendable {
        /// The line the record starts on (the header is line 1 when the file starts with it).
        public let line: Int
        /// The cells, one per column.
        public let cells: [String]
    }

    /// The file read.
    public let path: String
    /// The column names, from the first record.
    public let header: [String]
    /// The data records; each has exactly `header.count` cells.
    public let records: [Record]
    /// The CRC-32 and size of the bytes read (`PreparationOutput.checksum`), for the preparation id.
    let byteChecksum: String

    /// Whether `delimiter` can separate cells: one ASCII character, not a quote, not a line break.
    public static func isValidDelimiter(_ delimiter: Character) -> Bool {
        delimiter.isASCII && !delimiter.isNewline && delimiter != "\""
    }

    /// Reads and checks the whole file.
    ///
    /// - Throws: `CSVError` naming the file and line for a missing or empty file, an empty or
    ///   duplicate column name, an unterminated quote, or a record whose cell count differs from
    ///   the header's.
    public init(path: String, delimiter: Character = ",") throws {
        guard let data = FileManager.default.contents(atPath: path) else { throw CSVError.fileNotFound(path) }
        byteChecksum = data.withUnsafeBytes(PreparationOutput.checksum)
        guard Self.isValidDelimiter(delimiter), let separator = delimiter.asciiValue else {
            throw CSVError.badDelimiter(String(delimiter))
        }
        var rows = try Self.parse(Array(data), separator: separator, path: path)
        guard !rows.isEmpty else { throw CSVError.empty(path) }
        let head = rows.removeFirst()
        for (index, name) in head.cells.enumerated() {
            if name.isEmpty { throw CSVError.emptyColumnName(file: path, line: head.line, column: index + 1) }
            if head.cells[..<index].contains(name) { throw CSVError.duplicateColumn(file: path, line: head.line, name: name) }
        }
        for record in rows where record.cells.count != head.cells.count {
            throw CSVError.raggedRow(file: path, line: record.line, cells: record.cells.count, columns: head.cells.count)
        }
        self.path = path
        header = head.cells
        records = rows
    }

    /// Splits `bytes` into records of cells.
    private static func parse(_ bytes: [UInt8], separator: UInt8, path: String) throws -> [Record] {
        let quote = UInt8(ascii: "\""), newline = UInt8(ascii: "\n"), carriageReturn = UInt8(ascii: "\r")
        var records: [Record] = []
        var cells: [String] = []
        var cell: [UInt8] = []
        var quoted = false          // inside quotes
        var wasQuoted = false       // the current cell had quotes (keep its spaces)
        var line = 1, recordLine = 1, quoteLine = 1
        var index = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0

        func endCell() {
            let text = String(decoding: cell, as: UTF8.self)
            cells.append(wasQuoted ? text : text.trimmingCharacters(in: .whitespaces))
            cell.removeAll(keepingCapacity: true)
            wasQuoted = false
        }
        func endRecord() {
            endCell()
            if !(cells.count == 1 && cells[0].isEmpty) { records.append(Record(line: recordLine, cells: cells)) }   // blank line
            cells.removeAll(keepingCapacity: true)
        }

        while index < bytes.count {
            let byte = bytes[index]
            index += 1
            if quoted {
                if byte == quote {
                    if index < bytes.count && bytes[index] == quote {
                        cell.append(quote)
                        index += 1
                    } else {
                        quoted = false
                    }
                } else {
                    if byte == newline { line += 1 }
                    cell.append(byte)
                }
                continue
            }
            switch byte {
            case quote:
                quoted = true
                wasQuoted = true
                quoteLine = line
            case separator:
                endCell()
            case newline:
                endRecord()
                line += 1
                recordLine = line
            case carriageReturn where index < bytes.count && bytes[index] == newline:
                break
            default:
                cell.append(byte)
            }
        }
        if quoted { throw CSVError.unterminatedQuote(file: path, line: quoteLine) }
        endRecord()
        return records
    }
}
