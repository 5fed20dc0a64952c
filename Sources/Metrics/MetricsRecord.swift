// One line of metrics.jsonl: an ordered list of keys and values, rendered as strict JSON.

/// A value in a metrics record.
public enum MetricValue: Sendable, Equatable, CustomStringConvertible {
    case number(Double)
    case float(Float)
    case integer(Int)
    case text(String)

    /// The value as strict JSON. Non-finite numbers, which JSON cannot hold, become the strings
    /// "NaN", "Infinity" and "-Infinity" (documented in docs/metrics.md).
    public var json: String {
        switch self {
        case .integer(let value): return String(value)
        case .text(let value): return jsonString(value)
        case .number(let value): return finiteJSON(value, text: "\(value)")
        case .float(let value): return finiteJSON(Double(value), text: "\(value)")
        }
    }

    public var description: String {
        switch self {
        case .integer(let value): return String(value)
        case .text(let value): return value
        case .number(let value): return String(value)
        case .float(let value): return String(value)
        }
    }

    /// The value as a Double, if it is numeric.
    public var doubleValue: Double? {
        switch self {
        case .integer(let value): return Double(value)
        case .number(let value): return value
        case .float(let value): return Double(value)
        case .text: return nil
        }
    }
}

/// An ordered set of named values written as one JSON object per line.
public struct MetricsRecord: Sendable, Equatable {
    /// The fields in the order they are written.
    public private(set) var fields: [(key: String, value: MetricValue)] = []

    /// An empty record.
    public init() {}

    /// Sets `key` (appending it if new).
    public subscript(key: String) -> MetricValue? {
        get { fields.first { $0.key == key }?.value }
        set {
            if let index = fields.firstIndex(where: { $0.key == key }) {
                if let newValue { fields[index].value = newValue } else { fields.remove(at: index) }
            } else if let newValue {
                fields.append((key, newValue))
            }
        }
    }

    /// The record as one line of JSON, without a newline.
    public var jsonLine: String {
        "{" + fields.map { "\(jsonString($0.key)):\($0.value.json)" }.joined(separator: ",") + "}"
    }

    public static func == (lhs: MetricsRecord, rhs: MetricsRecord) -> Bool {
        lhs.fields.map(\.key) == rhs.fields.map(\.key) && lhs.fields.map(\.value) == rhs.fields.map(\.value)
    }
}

/// A JSON string literal with the required escapes.
func jsonString(_ text: String) -> String {
    var result = "\""
    for scalar in text.unicodeScalars {
        switch scalar {
        case "\"": result += "\\\""
        case "\\": result += "\\\\"
        case "\n": result += "\\n"
        case "\r": result += "\\r"
        case "\t": result += "\\t"
        case _ where scalar.value < 0x20: result += "\\u" + String(repeating: "0", count: 4 - String(scalar.value, radix: 16).count) + String(scalar.value, radix: 16)
        default: result.unicodeScalars.append(scalar)
        }
    }
    return result + "\""
}

/// Swift's shortest round-trip spelling ("0.4123", "1e-05") is valid JSON for finite values.
private func finiteJSON(_ value: Double, text: String) -> String {
    if value.isNaN { return "\"NaN\"" }
    if value.isInfinite { return value > 0 ? "\"Infinity\"" : "\"-Infinity\"" }
    return text
}
