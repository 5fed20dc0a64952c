// Small statistics and output helpers: medians, fixed-point text, and the RESULT lines that
// launch/bench.sh collects across process launches.
import Foundation

func median(_ values: [Double]) -> Double {
    precondition(!values.isEmpty, "median of nothing")
    let sorted = values.sorted()
    let middle = sorted.count / 2
    return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
}

/// `value` with `digits` decimals.
func fmt(_ value: Double, _ digits: Int = 1) -> String {
    String(format: "%.\(digits)f", value)
}

/// "median [min–max]".
func spread(_ values: [Double], scale: Double = 1, digits: Int = 1) -> String {
    let scaled = values.map { $0 * scale }
    return "\(fmt(median(scaled), digits)) [\(fmt(scaled.min()!, digits))–\(fmt(scaled.max()!, digits))]"
}

/// Collects `key=value` pairs for one machine-readable line: `RESULT <tag> key=value …`.
struct ResultLine {
    private var fields: [String]

    init(_ tag: String) { fields = ["RESULT", tag] }

    mutating func add(_ key: String, _ value: Double) {
        fields.append("\(key)=\(String(format: "%.6g", value))")
    }

    mutating func add(_ key: String, _ value: String) {
        fields.append("\(key)=\(value)")
    }

    func print() { Swift.print(fields.joined(separator: " ")) }
}

/// Reads `--name value` options; unknown names are an error.
struct Options {
    private var values: [String: String] = [:]

    init(_ arguments: ArraySlice<String>, allowed: [String]) throws {
        var iterator = arguments.makeIterator()
        while let argument = iterator.next() {
            guard argument.hasPrefix("--") else { throw BenchError.usage("unexpected argument \(argument)") }
            let name = String(argument.dropFirst(2))
            guard allowed.contains(name) else {
                throw BenchError.usage("unknown option --\(name); options: \(allowed.map { "--" + $0 }.joined(separator: " "))")
            }
            guard let value = iterator.next() else { throw BenchError.usage("--\(name) needs a value") }
            values[name] = value
        }
    }

    func int(_ name: String, _ fallback: Int) throws -> Int {
        guard let text = values[name] else { return fallback }
        guard let value = Int(text), value > 0 else { throw BenchError.usage("--\(name) must be a positive integer, got \(text)") }
        return value
    }

    func double(_ name: String, _ fallback: Double) throws -> Double {
        guard let text = values[name] else { return fallback }
        guard let value = Double(text), value > 0 else { throw BenchError.usage("--\(name) must be a positive number, got \(text)") }
        return value
    }
}
