import Foundation
import Metrics
import Testing

struct MetricsRecordTests {
    @Test func writesOrderedStrictJSON() throws {
        var record = MetricsRecord()
        record["step"] = .integer(3)
        record["split"] = .text("train \"quoted\"\n")
        record["loss"] = .float(0.25)
        record["lr"] = .number(1e-5)
        record["bad"] = .number(.nan)
        record["worse"] = .float(-.infinity)
        #expect(record.jsonLine == #"{"step":3,"split":"train \"quoted\"\n","loss":0.25,"lr":1e-05,"bad":"NaN","worse":"-Infinity"}"#)
        let object = try JSONSerialization.jsonObject(with: Data(record.jsonLine.utf8)) as? [String: Any]
        #expect(object?["lr"] as? Double == 1e-5)
    }

    @Test func logAppendsFlushedLinesAndTruncatesOnAFreshStart() throws {
        let path = NSTemporaryDirectory() + "metrics-\(UUID().uuidString).jsonl"
        defer { try? FileManager.default.removeItem(atPath: path) }
        var record = MetricsRecord()
        record["step"] = .integer(1)
        let log = try MetricsLog(path: path, append: false)
        try log.write(record)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "{\"step\":1}\n")   // flushed before close
        log.close()
        try MetricsLog(path: path, append: true).write(record)
        #expect(try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").count == 2)
        _ = try MetricsLog(path: path, append: false)
        #expect(try String(contentsOfFile: path, encoding: .utf8).isEmpty)
        #expect(throws: MetricsError.self) { try MetricsLog(path: "/nonexistent-dir/m.jsonl", append: false) }
    }

    @Test func tallyCountsArgmaxHits() {
        var tally = ClassificationTally()
        let logits: [Float] = [0.1, 0.9, 0.8, 0.2, 0.3, 0.7]
        logits.withUnsafeBufferPointer { tally.add(meanLoss: 0.5, logits: $0.baseAddress!, rows: 3, classes: 2, labels: [1, 0, 0]) }
        #expect(tally.correct == 2 && tally.count == 3)
        #expect(abs(tally.accuracy - 2.0 / 3.0) < 1e-12 && tally.loss == 0.5)
    }
}
