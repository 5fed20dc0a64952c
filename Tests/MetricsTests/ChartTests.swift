import Foundation
import FoundationXML
import Metrics
import Testing

struct ChartTests {
    private var chart: Chart {
        Chart(metric: "loss", xLabel: "epoch", series: [
            ChartSeries(label: "train", points: (0..<40).map { (x: Double($0) / 10, y: 2 / Double($0 + 1)) }, isValidation: false, run: 0),
            ChartSeries(label: "val", points: [(1, 0.9), (2, 0.5), (3, 0.45), (4, .nan)], isValidation: true, run: 0),
        ])
    }

    @Test func niceTicksAreRoundAndCoverTheRange() {
        let unit = niceTicks(0...1, count: 5)
        #expect(unit.count == 6 && unit.first == 0 && abs((unit.last ?? 0) - 1) < 1e-12)
        let inner = niceTicks(0.13...0.87, count: 4)
        #expect(zip(inner, [0.2, 0.4, 0.6, 0.8]).allSatisfy { abs($0 - $1) < 1e-12 } && inner.count == 4)
        #expect(niceTicks(3...3) == [3])
    }

    @Test(arguments: [true, false])
    func terminalChartFitsEightyColumnsAndDrawsEverySeries(unicode: Bool) {
        let lines = TerminalChart(width: 78, height: 10, unicode: unicode).render(chart)
        #expect(lines.count == 1 + 10 + 2)
        for line in lines { #expect(line.count <= 78, "\(line.count) columns: \(line)") }
        let body = lines[1...10].joined()
        #expect(body.contains("*") && body.contains("o"))
        if !unicode { #expect(lines.joined().allSatisfy { $0.isASCII }) }
    }

    @Test func svgIsWellFormedXMLWithAPolylinePerSeries() throws {
        let svg = SVGPlot(title: "a & b").render([chart, chart])
        let parser = XMLParser(data: Data(svg.utf8))
        let counter = ElementCounter()
        parser.delegate = counter
        #expect(parser.parse(), "\(parser.parserError.map { "\($0)" } ?? "")")
        #expect(counter.counts["polyline"] == 4)
        #expect(counter.counts["circle", default: 0] >= 6)
    }
}

private final class ElementCounter: NSObject, XMLParserDelegate {
    var counts: [String: Int] = [:]
    func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String] = [:]) {
        counts[name, default: 0] += 1
    }
}
