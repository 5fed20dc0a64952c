// Errors found while reading a CSV file or preparing shards from it; each names the file and,
// where there is one, the line and the column.

/// A CSV file or a `prepare csv` option that cannot be used, and why.
public enum CSVError: Error, Equatable, CustomStringConvertible {
    /// No file at the path.
    case fileNotFound(String)
    /// The file has no header.
    case empty(String)
    /// The delimiter is not one ASCII character other than a quote or a line break.
    case badDelimiter(String)
    /// A header cell is empty.
    case emptyColumnName(file: String, line: Int, column: Int)
    /// Two header cells have the same name.
    case duplicateColumn(file: String, line: Int, name: String)
    /// A quote opened on `line` is never closed.
    case unterminatedQuote(file: String, line: Int)
    /// A record has another number of cells than the header.
    case raggedRow(file: String, line: Int, cells: Int, columns: Int)
    /// A column named in an option is not in the header.
    case unknownColumn(file: String, option: String, name: String, available: [String])
    /// A column is both a feature and a target.
    case columnTwice(file: String, name: String)
    /// A feature or regression target cell is neither a number nor a missing-value marker.
    case notANumber(file: String, line: Int, column: String, value: String)
    /// A feature column has no value at all in the training split, so it cannot be imputed.
    case nothingToImpute(file: String, column: String)
    /// An option value is unusable.
    case invalidOption(String)
    /// Too few rows are left for the requested split and shards.
    case tooFewRows(file: String, problem: String)

    /// One line naming the file, line and column, with a hint.
    public var description: String {
        switch self {
        case let .fileNotFound(path):
            return "\(path) does not exist"
        case let .empty(path):
            return "\(path) is empty: a CSV file needs a header line naming the columns"
        case let .badDelimiter(text):
            return "--delimiter '\(text)' must be one ASCII character other than a quote or a line break"
        case let .emptyColumnName(file, line, column):
            return "\(file) line \(line): column \(column) of the header has no name"
        case let .duplicateColumn(file, line, name):
            return "\(file) line \(line): the header names column '\(name)' twice"
        case let .unterminatedQuote(file, line):
            return "\(file) line \(line): a quote opened here is never closed"
        case let .raggedRow(file, line, cells, columns):
            return "\(file) line \(line): \(cells) cells but the header has \(columns) columns"
        case let .unknownColumn(file, option, name, available):
            return "\(option) names column '\(name)' but \(file) has no such column; its columns are \(available.joined(separator: ", "))"
        case let .columnTwice(file, name):
            return "column '\(name)' of \(file) is given both as a feature and as a target"
        case let .notANumber(file, line, column, value):
            return "\(file) line \(line), column '\(column)': '\(value)' is not a number "
                + "(missing values are written as an empty cell, NA, N/A, NaN, null, None or ?; "
                + "leave a text column out with --ignore, or use it as a class target with --task classification)"
        case let .nothingToImpute(file, column):
            return "column '\(column)' of \(file) has no value in the training split, so there is nothing to impute from; "
                + "leave it out with --ignore or use --missing drop"
        case let .invalidOption(message):
            return message
        case let .tooFewRows(file, problem):
            return "\(file): \(problem)"
        }
    }
}
