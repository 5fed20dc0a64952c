import Foundation
import Metrics
import Testing
import TestSupport

struct CSVMetricsLogTests {
    @Test func writesFixedColumnsAndKeepsTheHeaderWhenAppending() throws {
        let directory = try TemporaryDirectory("csv")
        let path = directory.file("metrics.csv")
        var record = MetricsRecord()
        record["step"] = .integer(1)
        record["split"] = .text("a,b")
        record["loss"] = .number(.nan)
        record["extra"] = .integer(5)
        let log = try CSVMetricsLog(path: path, columns: ["step", "split", "loss", "accuracy"], append: false)
        try log.write(record)
        log.close()
        // a resumed run appends under the existing header, whatever columns it asks for
        let resumed = try CSVMetricsLog(path: path, columns: ["step"], append: true)
        #expect(resumed.columns == ["step", "split", "loss", "accuracy"])
        try resumed.write(record)
        resumed.close()
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "step,split,loss,accuracy\n1,\"a,b\",nan,\n1,\"a,b\",nan,\n")
    }
}
