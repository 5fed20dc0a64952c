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
public func runCommand(_ executable: String, _ arguments: [String], in directory: String? = nil,
                       environment: [String: String] = [:]) throws -> CommandResult {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
    process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    let outputPipe = Pipe(), errorPipe = Pipe()
    process.standardOutput = outputPipe
    process.standardError = errorPipe
    try process.run()
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
