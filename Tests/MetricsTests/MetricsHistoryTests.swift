import Foundation
import Metrics
import Testing

struct MetricsHistoryTests {
    @Test func parsesOrderedObjectsAndNonFiniteStrings() throws {
        let value = try JSONValue.parse(#"{"b":1,"a":[1.5,"x\u00e9\n",true,null],"c":{"d":-2e-3}}"#)
        guard case .object(let members) = value else { Issue.record("not an object"); return }
        #expect(members.map(\.key) == ["b", "a", "c"])
        #expect(members[1].value == .array([.number(1.5), .string("xé\n"), .bool(true), .null]))
        #expect(try JSONValue.parse(value.rendered(indent: 0)) == value)
        #expect(try JSONValue.parse(value.rendered()) == value)
        #expect(throws: JSONParseError.self) { try JSONValue.parse(#"{"a":1"#) }

        let record = MetricsRecord([("step", .integer(3)), ("loss", .string("NaN")), ("split", .string("val"))])
        #expect(record.step == 3 && record.split == "val" && record.number("loss")?.isNaN == true)
    }

    @Test func ignoresAPartialLastLineAndReportsMalformedOnes() {
        let text = """
            {"step":1,"epoch":1,"split":"train","loss":1.0}
            not json
            {"step":2,"epoch":1,"split":"val","loss":0.5}
            {"step":3,"epoch":2,"spl
            """
        let history = MetricsHistory(text: text)
        #expect(history.records.map(\.step) == [1, 2])
        #expect(history.malformedLines == [2])
        #expect(history.endsInPartialLine)
        #expect(!MetricsHistory(text: text + "\n").malformedLines.isEmpty)   // once complete, a bad line is malformed
    }

    @Test func resumedSegmentsKeepOnlyRecordsUpToTheResumeStep() {
        // the first segment ran to step 8; the run resumed from the checkpoint at step 4
        let lines = [
            #"{"time":10,"step":2,"epoch":1,"split":"train","loss":4}"#,
            #"{"time":11,"step":4,"epoch":1,"split":"train","loss":3}"#,
            #"{"time":12,"step":4,"epoch":1,"split":"val","loss":3.5}"#,
            #"{"time":13,"step":6,"epoch":2,"split":"train","loss":2.9}"#,
            #"{"time":14,"step":8,"epoch":2,"split":"train","loss":2.8}"#,
            #"{"time":20,"step":4,"split":"resume","world_size":2}"#,
            #"{"time":21,"step":6,"epoch":2,"split":"train","loss":2}"#,
            #"{"time":22,"step":8,"epoch":2,"split":"train","loss":1}"#,
        ]
        let history = MetricsHistory(text: lines.joined(separator: "\n") + "\n")
        #expect(history.resumes.count == 1)
        #expect(history.records.map(\.step) == [2, 4, 4, 6, 8])
        #expect(history.records.map { $0.number("loss") ?? 0 } == [4, 3, 3.5, 2, 1])
    }

    @Test func stepsThatAreNoIntegerAreMissingNotACrash() {
        // hand-damaged lines: a step beyond Int's range, a non-finite step, a huge world size
        let lines = [
            #"{"time":10,"step":2,"epoch":1,"split":"train","loss":4,"world_size":1}"#,
            #"{"time":11,"step":1e30,"epoch":"NaN","split":"train","loss":3,"world_size":1e300}"#,
            #"{"time":12,"step":"Infinity","epoch":1,"split":"val","loss":3.5}"#,
        ]
        let history = MetricsHistory(text: lines.joined(separator: "\n") + "\n")
        #expect(history.records.map(\.step) == [2, nil, nil])
        #expect(history.records.map(\.epoch) == [1, nil, 1])
        let run = RunReview(history: history, name: "r")
        #expect(run.lastStep == 2 && run.worldSizes == [1])
    }
}
