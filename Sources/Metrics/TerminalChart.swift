// A chart drawn with characters for an 80-column terminal: one marker per series, a y axis with
// three labels, an x axis with round ticks, and a legend line.

/// Renders `Chart`s as text.
public struct TerminalChart: Sendable {
    /// The whole width in columns, labels included (at most 80 by default).
    public var width = 78
    /// Plot rows.
    public var height = 12
    /// Box-drawing characters for the axes, or plain ASCII (`|`, `-`, `+`).
    public var unicode = true

    /// Markers in series order: train curves take the first of a pair, val curves the second.
    static let markers: [(train: Character, validation: Character)] = [("*", "o"), ("+", "x"), ("~", "#"), (".", "@"), ("-", "%"), ("'", "&")]

    /// A renderer with the defaults (78 columns, 12 rows, Unicode axes).
    public init(width: Int = 78, height: Int = 12, unicode: Bool = true) {
        self.width = width
        self.height = height
        self.unicode = unicode
    }

    /// The chart as lines of at most `width` characters.
    public func render(_ chart: Chart) -> [String] {
        guard let bounds = chart.bounds else { return ["\(chart.metric): no values"] }
        var yRange = bounds.y
        if yRange.upperBound == yRange.lowerBound { yRange = (yRange.lowerBound - 0.5)...(yRange.upperBound + 0.5) }
        let xRange = bounds.x.upperBound > bounds.x.lowerBound ? bounds.x : (bounds.x.lowerBound - 0.5)...(bounds.x.upperBound + 0.5)
        let yLabels = [yRange.upperBound, (yRange.upperBound + yRange.lowerBound) / 2, yRange.lowerBound]
        let spacing = (yRange.upperBound - yRange.lowerBound) / 10
        let labelWidth = yLabels.map { tickLabel($0, spacing: spacing).count }.max() ?? 1
        let plotWidth = max(10, width - labelWidth - 2)
        var grid = [[Character]](repeating: [Character](repeating: " ", count: plotWidth), count: height)

        func column(_ x: Double) -> Int {
            min(plotWidth - 1, max(0, Int(((x - xRange.lowerBound) / (xRange.upperBound - xRange.lowerBound) * Double(plotWidth - 1)).rounded())))
        }
        func row(_ y: Double) -> Int {
            min(height - 1, max(0, Int(((yRange.upperBound - y) / (yRange.upperBound - yRange.lowerBound) * Double(height - 1)).rounded())))
        }
        // train curves first, so that val markers stay visible on top
        for series in chart.series.sorted(by: { !$0.isValidation && $1.isValidation }) {
            let pair = TerminalChart.markers[series.run % TerminalChart.markers.count]
            let marker = series.isValidation ? pair.validation : pair.train
            let points = series.points.filter { $0.x.isFinite && $0.y.isFinite }
            // the mean of the points that fall in a column, and straight lines between columns
            var byColumn: [Int: (sum: Double, count: Int)] = [:]
            for point in points { byColumn[column(point.x), default: (0, 0)].sum += point.y; byColumn[column(point.x)]?.count += 1 }
            let columns = byColumn.keys.sorted()
            for (index, c) in columns.enumerated() {
                guard let entry = byColumn[c] else { continue }
                let y = entry.sum / Double(entry.count)
                grid[row(y)][c] = marker
                guard index + 1 < columns.count, let next = byColumn[columns[index + 1]] else { continue }
                let nextColumn = columns[index + 1], nextY = next.sum / Double(next.count)
                for between in (c + 1)..<nextColumn where !series.isValidation || (between - c) % 2 == 0 {
                    let t = Double(between - c) / Double(nextColumn - c)
                    grid[row(y + (nextY - y) * t)][between] = marker
                }
            }
        }

        let vertical: Character = unicode ? "│" : "|", tickMark: Character = unicode ? "┤" : "+"
        var lines = legend(chart, limit: width)
        for (r, cells) in grid.enumerated() {
            let labelIndex = r == 0 ? 0 : r == height - 1 ? 2 : r == (height - 1) / 2 ? 1 : nil
            let label = labelIndex.map { tickLabel(yLabels[$0], spacing: spacing) } ?? ""
            lines.append((String(repeating: " ", count: labelWidth - label.count) + label + " "
                + String(labelIndex == nil ? vertical : tickMark) + String(cells)).replacingTrailingSpaces())
        }
        // x axis: round ticks under their columns
        let ticks = niceTicks(xRange, count: min(8, max(2, plotWidth / 10)))
        var axis = [Character](repeating: unicode ? "─" : "-", count: plotWidth)
        var tickLine = [Character](repeating: " ", count: plotWidth)
        let xSpacing = ticks.count > 1 ? ticks[1] - ticks[0] : 1
        var free = 0
        for tick in ticks where xRange.contains(tick) {
            let c = column(tick)
            axis[c] = unicode ? "┬" : "+"
            let text = Array(tickLabel(tick, spacing: xSpacing))
            let start = min(max(c - text.count / 2, free), tickLine.count - text.count)
            guard start >= free else { continue }
            for (offset, character) in text.enumerated() { tickLine[start + offset] = character }
            free = start + text.count + 1
        }
        lines.append(String(repeating: " ", count: labelWidth + 1) + (unicode ? "└" : "+") + String(axis))
        lines.append((String(repeating: " ", count: labelWidth + 2) + String(tickLine)).replacingTrailingSpaces())
        return lines
    }

    /// `loss by epoch   * train   o val` (several runs: `* a train   o a val   + b train …`),
    /// wrapped to `limit` columns.
    private func legend(_ chart: Chart, limit: Int) -> [String] {
        var lines = ["\(chart.metric) by \(chart.xLabel)"]
        for series in chart.series {
            let pair = TerminalChart.markers[series.run % TerminalChart.markers.count]
            let entry = "\(series.isValidation ? pair.validation : pair.train) \(series.label)"
            if lines[lines.count - 1].count + 3 + entry.count > limit {
                lines.append(String(repeating: " ", count: lines[0].count) + "   " + entry)
            } else {
                lines[lines.count - 1] += "   " + entry
            }
        }
        return lines.map { String($0.prefix(limit)) }
    }
}

private extension String {
    func replacingTrailingSpaces() -> String {
        var text = self
        while text.last == " " { text.removeLast() }
        return text
    }
}
