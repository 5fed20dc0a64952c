// A standalone SVG of charts side by side (`swiftddp metrics --plot FILE.svg`): axes with round
// ticks and grid lines, train curves as solid lines, val curves dashed with markers, one colour
// per run, and a legend. Any browser or `rsvg-convert` shows it.
import Foundation

/// Renders `Chart`s as one SVG document.
public struct SVGPlot: Sendable {
    /// The size of one chart panel in pixels.
    public var panelWidth = 480.0
    public var panelHeight = 340.0
    /// The title above the panels.
    public var title: String

    /// Colours of runs 0, 1, … (the Tableau 10 palette).
    static let colours = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"]

    /// A plot titled `title`.
    public init(title: String) {
        self.title = title
    }

    /// The SVG document for `charts`, side by side.
    public func render(_ charts: [Chart]) -> String {
        let legendEntries = charts.first.map { $0.series.map { ($0.label, $0.run, $0.isValidation) } } ?? []
        let legendColumns = max(1, Int(panelWidth * Double(max(charts.count, 1)) / 230))
        let legendRows = (legendEntries.count + legendColumns - 1) / legendColumns
        let width = panelWidth * Double(max(charts.count, 1))
        let height = 40 + panelHeight + 16 + Double(legendRows) * 20 + 10
        var svg = """
            <?xml version="1.0" encoding="UTF-8"?>
            <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" viewBox="0 0 \(Int(width)) \(Int(height))" \
            font-family="DejaVu Sans, Helvetica, Arial, sans-serif" font-size="12">
            <rect width="100%" height="100%" fill="white"/>
            <text x="\(Int(width / 2))" y="24" text-anchor="middle" font-size="15">\(escaped(title))</text>

            """
        for (index, chart) in charts.enumerated() {
            svg += panel(chart, x: Double(index) * panelWidth, y: 40)
        }
        // legend under the panels
        for (index, entry) in legendEntries.enumerated() {
            let x = 20 + Double(index % legendColumns) * 230, y = 40 + panelHeight + 16 + Double(index / legendColumns) * 20
            let colour = SVGPlot.colours[entry.1 % SVGPlot.colours.count]
            svg += "<line x1=\"\(f(x))\" y1=\"\(f(y))\" x2=\"\(f(x + 28))\" y2=\"\(f(y))\" stroke=\"\(colour)\" stroke-width=\"2\"\(entry.2 ? " stroke-dasharray=\"6,3\"" : "")/>\n"
            if entry.2 { svg += "<circle cx=\"\(f(x + 14))\" cy=\"\(f(y))\" r=\"3.5\" fill=\"white\" stroke=\"\(colour)\" stroke-width=\"2\"/>\n" }
            svg += "<text x=\"\(f(x + 36))\" y=\"\(f(y + 4))\">\(escaped(entry.0))</text>\n"
        }
        return svg + "</svg>\n"
    }

    /// One chart: frame, grid, ticks, axis labels and curves, in the box at (x, y).
    private func panel(_ chart: Chart, x: Double, y: Double) -> String {
        let left = x + 62, right = x + panelWidth - 18, top = y + 22, bottom = y + panelHeight - 44
        guard let bounds = chart.bounds else {
            return "<text x=\"\(f((left + right) / 2))\" y=\"\(f((top + bottom) / 2))\" text-anchor=\"middle\">\(escaped(chart.metric)): no values</text>\n"
        }
        let yPad = (bounds.y.upperBound - bounds.y.lowerBound) * 0.05
        var yRange = (bounds.y.lowerBound - yPad)...(bounds.y.upperBound + yPad)
        if yRange.upperBound == yRange.lowerBound { yRange = (yRange.lowerBound - 0.5)...(yRange.upperBound + 0.5) }
        var xRange = bounds.x
        if bounds.x.lowerBound > 0 && bounds.x.lowerBound <= 1 && chart.xLabel == "epoch" { xRange = 0...xRange.upperBound }
        if xRange.upperBound == xRange.lowerBound { xRange = (xRange.lowerBound - 0.5)...(xRange.upperBound + 0.5) }
        func px(_ value: Double) -> Double { left + (value - xRange.lowerBound) / (xRange.upperBound - xRange.lowerBound) * (right - left) }
        func py(_ value: Double) -> Double { bottom - (value - yRange.lowerBound) / (yRange.upperBound - yRange.lowerBound) * (bottom - top) }

        var svg = "<g>\n<text x=\"\(f((left + right) / 2))\" y=\"\(f(top - 8))\" text-anchor=\"middle\" font-size=\"13\" font-weight=\"bold\">\(escaped(chart.metric))</text>\n"
        let yTicks = niceTicks(yRange, count: 6), xTicks = niceTicks(xRange, count: 7)
        let ySpacing = yTicks.count > 1 ? yTicks[1] - yTicks[0] : 1, xSpacing = xTicks.count > 1 ? xTicks[1] - xTicks[0] : 1
        for tick in yTicks where yRange.contains(tick) {
            svg += "<line x1=\"\(f(left))\" y1=\"\(f(py(tick)))\" x2=\"\(f(right))\" y2=\"\(f(py(tick)))\" stroke=\"#e5e5e5\"/>\n"
            svg += "<line x1=\"\(f(left - 5))\" y1=\"\(f(py(tick)))\" x2=\"\(f(left))\" y2=\"\(f(py(tick)))\" stroke=\"black\"/>\n"
            svg += "<text x=\"\(f(left - 8))\" y=\"\(f(py(tick) + 4))\" text-anchor=\"end\">\(tickLabel(tick, spacing: ySpacing))</text>\n"
        }
        for tick in xTicks where xRange.contains(tick) {
            svg += "<line x1=\"\(f(px(tick)))\" y1=\"\(f(top))\" x2=\"\(f(px(tick)))\" y2=\"\(f(bottom))\" stroke=\"#e5e5e5\"/>\n"
            svg += "<line x1=\"\(f(px(tick)))\" y1=\"\(f(bottom))\" x2=\"\(f(px(tick)))\" y2=\"\(f(bottom + 5))\" stroke=\"black\"/>\n"
            svg += "<text x=\"\(f(px(tick)))\" y=\"\(f(bottom + 18))\" text-anchor=\"middle\">\(tickLabel(tick, spacing: xSpacing))</text>\n"
        }
        svg += "<rect x=\"\(f(left))\" y=\"\(f(top))\" width=\"\(f(right - left))\" height=\"\(f(bottom - top))\" fill=\"none\" stroke=\"black\"/>\n"
        svg += "<text x=\"\(f((left + right) / 2))\" y=\"\(f(bottom + 36))\" text-anchor=\"middle\">\(escaped(chart.xLabel))</text>\n"
        svg += "<text transform=\"translate(\(f(x + 16)),\(f((top + bottom) / 2))) rotate(-90)\" text-anchor=\"middle\">\(escaped(chart.metric))</text>\n"
        for series in chart.series.sorted(by: { !$0.isValidation && $1.isValidation }) {
            let colour = SVGPlot.colours[series.run % SVGPlot.colours.count]
            let points = series.points.filter { $0.x.isFinite && $0.y.isFinite }
            guard !points.isEmpty else { continue }
            let path = points.map { "\(f(px($0.x))),\(f(py($0.y)))" }.joined(separator: " ")
            svg += "<polyline points=\"\(path)\" fill=\"none\" stroke=\"\(colour)\" stroke-width=\"\(series.isValidation ? 2 : 1.5)\""
                + (series.isValidation ? " stroke-dasharray=\"6,3\"" : "") + " stroke-linejoin=\"round\"/>\n"
            if series.isValidation {
                for point in points {
                    svg += "<circle cx=\"\(f(px(point.x)))\" cy=\"\(f(py(point.y)))\" r=\"3.5\" fill=\"white\" stroke=\"\(colour)\" stroke-width=\"2\"/>\n"
                }
            }
        }
        return svg + "</g>\n"
    }

    private func f(_ value: Double) -> String { String(format: "%.1f", value) }
}

/// `text` with the five XML special characters escaped.
func escaped(_ text: String) -> String {
    var result = ""
    for character in text {
        switch character {
        case "&": result += "&amp;"
        case "<": result += "&lt;"
        case ">": result += "&gt;"
        case "\"": result += "&quot;"
        case "'": result += "&apos;"
        default: result.append(character)
        }
    }
    return result
}
