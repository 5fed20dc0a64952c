// Plain-text tables with aligned columns (numbers right, text left), and CSV cells.

/// A table of text cells rendered with aligned columns.
public struct TextTable: Sendable {
    /// The header cells.
    public var header: [String]
    /// The rows; shorter rows are padded with empty cells.
    public var rows: [[String]] = []
    /// Columns that are left-aligned (by default only the first).
    public var leftAligned: Set<Int> = [0]
    /// Titles over runs of adjacent columns, drawn above the header: (title, first column,
    /// column count).
    public var groups: [(title: String, first: Int, count: Int)] = []

    /// A table with `header`.
    public init(header: [String]) {
        self.header = header
    }

    /// Appends one row.
    public mutating func add(_ row: [String]) { rows.append(row) }

    /// The table as lines: the header, a rule, then the rows; columns are two spaces apart.
    public func render() -> [String] {
        let columns = max(header.count, rows.map(\.count).max() ?? 0)
        var widths = [Int](repeating: 0, count: columns)
        for row in [header] + rows { for (index, cell) in row.enumerated() { widths[index] = max(widths[index], cell.count) } }
        // a group title wider than its columns widens the last of them
        for group in groups where group.count > 0 && group.first + group.count <= columns {
            let span = widths[group.first..<(group.first + group.count)].reduce(0, +) + 2 * (group.count - 1)
            if group.title.count > span { widths[group.first + group.count - 1] += group.title.count - span }
        }
        func line(_ row: [String]) -> String {
            var text = ""
            for index in 0..<columns {
                let cell = index < row.count ? row[index] : ""
                let pad = String(repeating: " ", count: widths[index] - cell.count)
                text += (index > 0 ? "  " : "") + (leftAligned.contains(index) ? cell + pad : pad + cell)
            }
            while text.last == " " { text.removeLast() }
            return text
        }
        var titles: [String] = []
        if !groups.isEmpty {
            var text = ""
            for group in groups.sorted(by: { $0.first < $1.first }) where group.first + group.count <= columns {
                let start = widths[..<group.first].reduce(0, +) + 2 * group.first
                let span = widths[group.first..<(group.first + group.count)].reduce(0, +) + 2 * (group.count - 1)
                text += String(repeating: " ", count: max(0, start - text.count))
                let pad = max(0, span - group.title.count)
                text += String(repeating: " ", count: pad / 2) + group.title + String(repeating: " ", count: pad - pad / 2)
            }
            while text.last == " " { text.removeLast() }
            titles = [text]
        }
        return titles + [line(header), String(repeating: "-", count: widths.reduce(0, +) + 2 * max(columns - 1, 0))] + rows.map(line)
    }
}

/// A CSV cell (RFC 4180): quoted when it holds a comma, a quote or a line break.
public func csvCell(_ text: String) -> String {
    guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return text }
    return "\"" + text.replacingOccurrencesOfQuote() + "\""
}

private extension String {
    func replacingOccurrencesOfQuote() -> String {
        var result = ""
        for character in self { result += character == "\"" ? "\"\"" : String(character) }
        return result
    }
}
