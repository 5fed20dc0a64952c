// What the terminal chart and the SVG plot share: the curves to draw, their value range, and
// round tick values.
import Foundation

/// One curve of a chart.
public struct ChartSeries: Sendable {
    /// The legend text, e.g. `demo train`.
    public var label: String
    /// Points (x, y), in x order; non-finite y values are skipped when drawing.
    public var points: [(x: Double, y: Double)]
    /// Validation curves are drawn with markers (and dashes in SVG); train curves as lines.
    public var isValidation: Bool
    /// Which run it belongs to (0, 1, …), for its colour.
    public var run: Int

    /// A curve.
    public init(label: String, points: [(x: Double, y: Double)], isValidation: Bool, run: Int) {
        self.label = label
        self.points = points
        self.isValidation = isValidation
        self.run = run
    }
}

/// A chart of one metric: train and val curves of one or several runs over epochs.
public struct Chart: Sendable {
    /// The metric, e.g. `loss`.
    public var metric: String
    /// The x-axis label, e.g. `epoch`.
    public var xLabel: String
    public var series: [ChartSeries]

    /// A chart of `metric` over `xLabel`.
    public init(metric: String, xLabel: String, series: [ChartSeries]) {
        self.metric = metric
        self.xLabel = xLabel
        self.series = series
    }

    /// The charts `swiftddp metrics` draws for `runs`: loss, and accuracy, or for runs without
    /// accuracy the first of mae, rmse, mse, r2 that they log. `xAxis` is `epoch` or `step`.
    public static func standard(for runs: [RunReview], xAxis: String = "epoch") -> [Chart] {
        let logged = Set(runs.flatMap { $0.trainMetrics + $0.evaluationMetrics })
        var metrics = ["loss"]
        if let second = ["accuracy", "mae", "rmse", "mse", "r2"].first(where: logged.contains) { metrics.append(second) }
        // a diverged run's values near ±Float/Double's limits are drawn at ±1e300, so that the
        // spans, means and scales of the renderers stay finite
        func plotted(_ y: Double) -> Double { y.isFinite ? min(max(y, -1e300), 1e300) : y }
        return metrics.compactMap { metric in
            var series: [ChartSeries] = []
            for (index, run) in runs.enumerated() {
                let prefix = runs.count > 1 ? run.name + " " : ""
                let train = run.trainCurve.compactMap { point in point.values[metric].map { (x: xAxis == "step" ? Double(point.step) : point.x, y: plotted($0)) } }
                let validation = run.validationCurve.compactMap { point in point.values[metric].map { (x: xAxis == "step" ? Double(point.step) : point.x, y: plotted($0)) } }
                if !train.isEmpty { series.append(ChartSeries(label: prefix + "train", points: train, isValidation: false, run: index)) }
                if !validation.isEmpty { series.append(ChartSeries(label: prefix + "val", points: validation, isValidation: true, run: index)) }
            }
            return series.isEmpty ? nil : Chart(metric: metric, xLabel: xAxis, series: series)
        }
    }

    /// The smallest and largest finite x and y over all series (nil when there is no point).
    public var bounds: (x: ClosedRange<Double>, y: ClosedRange<Double>)? {
        let points = series.flatMap(\.points).filter { $0.x.isFinite && $0.y.isFinite }
        guard let first = points.first else { return nil }
        var x = (first.x, first.x), y = (first.y, first.y)
        for point in points {
            x = (min(x.0, point.x), max(x.1, point.x))
            y = (min(y.0, point.y), max(y.1, point.y))
        }
        return (x.0...x.1, y.0...y.1)
    }
}

/// About `count` round tick values (1, 2 or 5 × 10ⁿ apart, the nearest to an even split)
/// inside `range`.
public func niceTicks(_ range: ClosedRange<Double>, count: Int = 5) -> [Double] {
    let span = range.upperBound - range.lowerBound
    guard span > 0, span.isFinite else { return [range.lowerBound] }
    let rough = span / Double(max(count - 1, 1))
    let magnitude = pow(10, floor(log10(rough)))
    let normalized = rough / magnitude
    let step = (normalized < 1.5 ? 1 : normalized < 3 ? 2 : normalized < 7 ? 5 : 10) * magnitude
    var ticks: [Double] = []
    var tick = ceil(range.lowerBound / step - 1e-9) * step
    while tick <= range.upperBound + step * 1e-9 {
        ticks.append(abs(tick) < step * 1e-9 ? 0 : tick)
        tick += step
    }
    return ticks
}

/// A tick label: as few decimals as the tick spacing needs; 3 significant digits for values of
/// 10⁷ or more, or a spacing that is not finite (a diverged run's range can overflow).
func tickLabel(_ value: Double, spacing: Double) -> String {
    if abs(value) >= 1e7 || !spacing.isFinite { return String(format: "%.3g", value) }
    let decimals = spacing > 0 ? max(0, min(6, Int(-floor(log10(spacing) + 1e-9)))) : 2
    return String(format: "%.\(decimals)f", value)
}

/// A metric value for tables: 4 decimals, or an integer when it is one and large, or
/// scientific notation from 10¹⁵ on (a diverging loss; `Int` holds at most about 9.2·10¹⁸).
func formatMetric(_ value: Double?, decimals: Int = 4) -> String {
    guard let value else { return "-" }
    guard value.isFinite else { return value.isNaN ? "nan" : (value > 0 ? "inf" : "-inf") }
    if abs(value) >= 1e15 { return String(format: "%.4e", value) }
    if abs(value) >= 1e5 || (value == value.rounded() && abs(value) >= 1000) { return String(Int(value.rounded())) }
    return String(format: "%.\(decimals)f", value)
}

/// Seconds as `1h02m03s`, `2m05s` or `12.3s`.
func formatDuration(_ seconds: Double?) -> String {
    guard let seconds, seconds.isFinite else { return "-" }
    if seconds < 60 { return String(format: "%.1fs", seconds) }
    let whole = Int(seconds.rounded())
    if whole < 3600 { return String(format: "%dm%02ds", whole / 60, whole % 60) }
    return String(format: "%dh%02dm%02ds", whole / 3600, (whole % 3600) / 60, whole % 60)
}
