// Reading metrics.jsonl back: complete lines only (a run that is still writing may have a
// partial last line), non-finite strings as numbers, and resumed runs' segments resolved as
// docs/metrics.md says.
import Foundation

/// The records of one `metrics.jsonl`, as a reader should see them.
public struct MetricsHistory: Sendable {
    /// The file read (empty for text given directly).
    public let path: String
    /// The train, val and test records that describe the run, in file order: records that a
    /// resumed segment repeats are dropped, and so are the `resume` records themselves.
    public private(set) var records: [MetricsRecord] = []
    /// The `resume` records, in file order.
    public private(set) var resumes: [MetricsRecord] = []
    /// 1-based numbers of complete lines that are not a JSON object (reported, then skipped).
    public private(set) var malformedLines: [Int] = []
    /// Whether the file ended in a line without a newline (a record being written), which is
    /// ignored.
    public private(set) var endsInPartialLine = false

    /// Reads `path`.
    /// - Throws: `MetricsError.cannotOpen` naming the file.
    public static func read(path: String) throws -> MetricsHistory {
        guard let data = FileManager.default.contents(atPath: path) else {
            let reason = FileManager.default.fileExists(atPath: path) ? "not readable" : "no such file"
            throw MetricsError.cannotOpen(path: path, reason: reason)
        }
        return MetricsHistory(text: String(decoding: data, as: UTF8.self), path: path)
    }

    /// Parses the text of a metrics.jsonl file.
    public init(text: String, path: String = "") {
        self.path = path
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        // the piece after the last newline is empty, or a line still being written
        if let last = lines.popLast(), !last.trimmingCharacters(in: .whitespaces).isEmpty { endsInPartialLine = true }
        var all: [(record: MetricsRecord, segment: Int)] = []
        var resumeSteps: [Int] = []
        for (index, line) in lines.enumerated() where !line.trimmingCharacters(in: .whitespaces).isEmpty {
            guard case .object(let members)? = try? JSONValue.parse(String(line)) else {
                malformedLines.append(index + 1)
                continue
            }
            let record = MetricsRecord(members)
            if record.split == "resume" {
                resumes.append(record)
                resumeSteps.append(record.step ?? 0)
            } else {
                all.append((record, resumeSteps.count))
            }
        }
        // a record of segment s is kept if no later resume went back to before its step
        records = all.filter { entry in
            guard let step = entry.record.step else { return true }
            return resumeSteps[entry.segment...].allSatisfy { step <= $0 }
        }.map(\.record)
    }
}

extension MetricsRecord {
    /// A record from a parsed JSON object: integers stay integers, the strings "NaN",
    /// "Infinity" and "-Infinity" become numbers again, nested values and nulls are dropped.
    public init(_ members: [(key: String, value: JSONValue)]) {
        self.init()
        for (key, value) in members {
            switch value {
            case .integer(let number): self[key] = .integer(number)
            case .number(let number): self[key] = .number(number)
            case .bool(let flag): self[key] = .integer(flag ? 1 : 0)
            case .string("NaN"): self[key] = .number(.nan)
            case .string("Infinity"): self[key] = .number(.infinity)
            case .string("-Infinity"): self[key] = .number(-.infinity)
            case .string(let text): self[key] = .text(text)
            case .null, .array, .object: break
            }
        }
    }

    /// The `split` field.
    public var split: String? {
        if case .text(let text)? = self["split"] { return text }
        return nil
    }

    /// The `step` field.
    public var step: Int? { integer("step") }

    /// The `epoch` field.
    public var epoch: Int? { integer("epoch") }

    /// A numeric field.
    public func number(_ key: String) -> Double? { self[key]?.doubleValue }

    /// A numeric field as an integer (a fraction is dropped); nil when it is missing, not
    /// finite or beyond `Int`'s range (a damaged line such as `"step":1e30` or `"step":"NaN"`).
    public func integer(_ key: String) -> Int? { number(key).flatMap { Int(exactly: $0.rounded(.towardZero)) } }
}
