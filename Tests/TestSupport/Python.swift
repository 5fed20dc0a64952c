// Running Python reference checks (scikit-learn, TensorBoard's reader) from tests; the packages
// come from launch/install-deps.sh.
import Foundation

/// Runs `python3 -c script arguments…` and returns what it printed.
public func python(_ script: String, _ arguments: [String] = [], timeout: Double = 120) throws -> CommandResult {
    try runCommand("/usr/bin/env", ["python3", "-c", script] + arguments, timeout: timeout)
}

/// Whether `tool` is an executable on PATH.
public func onPath(_ tool: String) -> Bool {
    (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":")
        .contains { FileManager.default.isExecutableFile(atPath: "\($0)/\(tool)") }
}
