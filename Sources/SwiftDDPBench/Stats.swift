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

    func string(_ name: String, _ fallback: String) -> String {
        values[name] ?? fallback
    }

    /// A comma-separated list of positive numbers.
    func list(_ name: String, _ fallback: [Double]) throws -> [Double] {
        guard let text = values[name] else { return fallback }
        let numbers = text.split(separator: ",").compactMap { Double($0) }
        guard numbers.count == text.split(separator: ",").count, numbers.allSatisfy({ $0 > 0 }), !numbers.isEmpty else {
            throw BenchError.usage("--\(name) must be a comma-separated list of positive numbers, got \(text)")
        }
        return numbers
    }

    func double(_ name: String, _ fallback: Double) throws -> Double {
        guard let text = values[name] else { return fallback }
        guard let value = Double(text), value > 0 else { throw BenchError.usage("--\(name) must be a positive number, got \(text)") }
        return value
    }
}

/// How busy the machine was with other work while a measurement ran: the CPU time of the whole
/// system (from /proc/stat) minus this job's own CPU time (getrusage, all threads), as a share of
/// all cores, and the hypervisor's steal time.
struct CPUAccounting {
    private let start: (busy: Double, steal: Double, total: Double)
    private let startSelf: Double

    init() {
        start = CPUAccounting.system()
        startSelf = CPUAccounting.selfSeconds()
    }

    /// This process's CPU seconds since `init`.
    var selfSeconds: Double { CPUAccounting.selfSeconds() - startSelf }

    /// (other work, steal) in percent of all cores since `init`; `jobSeconds` is the CPU time of
    /// every process of this job (the sum over ranks of `selfSeconds`).
    func shares(jobSeconds: Double) -> (other: Double, steal: Double) {
        let now = CPUAccounting.system()
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        let total = (now.total - start.total) / ticks
        guard total > 0 else { return (0, 0) }
        let busy = (now.busy - start.busy) / ticks
        return (max(0, 100 * (busy - jobSeconds) / total), 100 * (now.steal - start.steal) / ticks / total)
    }

    private static func system() -> (busy: Double, steal: Double, total: Double) {
        guard let text = try? String(contentsOfFile: "/proc/stat", encoding: .utf8),
              let line = text.split(separator: "\n").first else { return (0, 0, 0) }
        let fields = line.split(separator: " ").dropFirst().prefix(8).compactMap { Double($0) }
        guard fields.count == 8 else { return (0, 0, 0) }
        let total = fields.reduce(0, +)
        let idle = fields[3] + fields[4]
        return (total - idle - fields[7], fields[7], total)
    }

    private static func selfSeconds() -> Double {
        var usage = rusage()
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        func seconds(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) * 1e-6 }
        return seconds(usage.ru_utime) + seconds(usage.ru_stime)
    }
}
