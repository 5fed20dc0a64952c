import Foundation
import Metrics
import Testing
import TestSupport

struct TensorBoardWriterTests {
    @Test func crc32cMatchesTheStandardCheckValues() {
        #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)
        #expect(CRC32C.checksum([]) == 0)
        #expect(CRC32C.checksum([UInt8](repeating: 0, count: 32)) == 0x8A91_36AA)   // RFC 3720 B.4
    }

    @Test func recordFramingAndScalarEventBytesAreExact() {
        let frame = tfRecord([0x01, 0x02])
        #expect(frame.count == 8 + 4 + 2 + 4)
        #expect(Array(frame[0..<8]) == [2, 0, 0, 0, 0, 0, 0, 0])
        #expect(Array(frame[8..<12]) == withUnsafeBytes(of: CRC32C.masked(Array(frame[0..<8])).littleEndian, Array.init))

        var record = MetricsRecord()
        record["time"] = .number(1.5)
        record["step"] = .integer(300)
        record["split"] = .text("val")
        record["loss"] = .number(0.25)
        record["samples"] = .integer(10)
        #expect(TensorBoardWriter.scalars(for: record).map(\.tag) == ["val/loss"])
        let directory = try? TemporaryDirectory("tensorboard")
        guard let directory, let writer = try? TensorBoardWriter(directory: directory.path, time: 1) else {
            Issue.record("cannot create the writer")
            return
        }
        #expect((try? writer.write(record)) != nil)
        writer.close()
        let bytes = [UInt8](FileManager.default.contents(atPath: writer.path) ?? Data())
        // the second record: Event {1: 1.5, 2: 300, 5: {1: {1: "val/loss", 2: 0.25f}}}
        let value: [UInt8] = [0x0A, 8] + Array("val/loss".utf8) + [0x15, 0x00, 0x00, 0x80, 0x3E]
        let event: [UInt8] = [0x09, 0, 0, 0, 0, 0, 0, 0xF8, 0x3F, 0x10, 0xAC, 0x02, 0x2A, UInt8(value.count + 2), 0x0A, UInt8(value.count)] + value
        #expect(Array(bytes.suffix(tfRecord(event).count)) == tfRecord(event))
        #expect(writer.path.contains("/events.out.tfevents.1."))
    }

    @Test func trainRecordsMapToTrainTagsLrAndThroughput() {
        var record = MetricsRecord()
        for (key, value) in [("step", 5.0), ("loss", 1), ("accuracy", 0.5), ("lr", 0.1), ("grad_norm", 2), ("samples_per_sec", 900), ("step_ms", 3)] {
            record[key] = .number(value)
        }
        record["split"] = .text("train")
        #expect(TensorBoardWriter.scalars(for: record).map(\.tag) == ["train/loss", "train/accuracy", "lr", "train/grad_norm", "samples_per_sec"])
    }
}
