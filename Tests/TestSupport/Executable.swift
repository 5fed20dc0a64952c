// Runs the built `swiftddp` executable and captures what it prints.
import Foundation

/// The result of running a command.
public struct CommandResult: Sendable {
    /// The exit status.
    public let status: Int32
    /// Everything written to stdout.
    public let output: String
    /// Everything written to stderr.
    public let error: String
}

/// The path of a product built next to the test bundle (e.g. `.build/debug/swiftddp`).
public func builtProduct(_ name: String) -> String {
    let bundle = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
    var directory = bundle.deletingLastPathComponent()
    // The test runner is `<build dir>/<Package>PackageTests.xctest`; products sit beside it.
    while !FileManager.default.fileExists(atPath: directory.appendingPathComponent(name).path), directory.path != "/" {
        directory = directory.deletingLastPathComponent()
    }
    return directory.appendingPathComponent(name).path
}

/// Runs `executable` with `arguments` in `directory` and waits for it.
/// A command still running after `timeout` seconds is killed (its result then has status -9),
/// so a hang fails the test instead of stalling the suite.
public func runCommand(_ executable: String, _ arguments: [String], in directory: String? = nil,
                       environment: [String: String] = [:], timeout: Double = 300) throws -> CommandResult {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
    process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    let outputPipe = Pipe(), errorPipe = Pipe()
    process.standardOutput = outputPipe
    process.standardError = errorPipe
    try process.run()
    let watchdog = DispatchWorkItem { if process.isRunning { kill(-process.processIdentifier, SIGKILL); process.terminate() } }
    DispatchQueue.global().asyncAfter(deadline: .now() + timeout, execute: watchdog)
    defer { watchdog.cancel() }
    // Read both pipes to the end before waiting, so a chatty child never blocks on a full pipe.
    let outputData = LockedData(), errorData = LockedData()
    let group = DispatchGroup()
    for (pipe, sink) in [(outputPipe, outputData), (errorPipe, errorData)] {
        group.enter()
        DispatchQueue.global().async {
            sink.set(pipe.fileHandleForReading.readDataToEndOfFile())
            group.leave()
        }
    }
    group.wait()
    process.waitUntilExit()
    return CommandResult(status: process.terminationStatus,
                         output: String(decoding: outputData.get(), as: UTF8.self),
                         error: String(decoding: errorData.get(), as: UTF8.self))
}

/// Runs the built `swiftddp` with `arguments`.
public func swiftddp(_ arguments: String..., in directory: String? = nil) throws -> CommandResult {
    try runCommand(builtProduct("swiftddp"), arguments, in: directory)
}

private final class LockedData: @unchecked Sendable {
    private var data = Data()
    private let lock = NSLock()
    func set(_ value: Data) { lock.lock(); data = value; lock.unlock() }
    func get() -> Data { lock.lock(); defer { lock.unlock() }; return data }
}

/// The repository's root (for launch/ scripts and configs).
public let repositoryRoot: String = {
    var url = URL(fileURLWithPath: #filePath)
    while url.path != "/" && !FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) {
        url = url.deletingLastPathComponent()
    }
    return url.path
}()

/// Whether `mpirun` is on PATH.
public let mpirunAvailable: Bool = (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":")
    .contains { FileManager.default.isExecutableFile(atPath: "\($0)/mpirun") }

/// Runs `launch/mpirun.sh` with `ranks` ranks of the built `swiftddp`; the ranks inherit
/// `environment`.
public func mpirun(ranks: Int, _ arguments: [String], environment: [String: String] = [:], timeout: Double = 300) throws -> CommandResult {
    try runCommand(repositoryRoot + "/launch/mpirun.sh", arguments,
                   environment: environment.merging(["RANKS": String(ranks), "SWIFTDDP": builtProduct("swiftddp")]) { $1 }, timeout: timeout)
}

/// The value of the last "parameter checksum: …" line a run printed.
public func parameterChecksum(_ output: String) -> String? {
    lastChecksum("parameter checksum: ", in: output)
}

/// The value of the last "buffer checksum: …" line a run printed (models with batch norm).
public func bufferChecksum(_ output: String) -> String? {
    lastChecksum("buffer checksum: ", in: output)
}

private func lastChecksum(_ prefix: String, in output: String) -> String? {
    output.split(separator: "\n").last { $0.hasPrefix(prefix) }?
        .dropFirst(prefix.count).split(separator: " ").first.map(String.init)
}

/// The validation records of a metrics.jsonl (those at `steps`, or all), without their times,
/// for comparing two runs.
public func validationRecords(_ path: String, steps: [Int]? = nil) throws -> [String] {
    try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
        .filter { line in line.contains("\"split\":\"val\"") && (steps?.contains { line.contains("\"step\":\($0),") } ?? true) }
        .map { $0.replacingOccurrences(of: #""time":[0-9.e+]+,"#, with: "", options: .regularExpression) }
}
