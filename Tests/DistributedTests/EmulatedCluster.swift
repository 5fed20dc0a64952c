// A cluster of emulated hosts for one test: launch/netns-cluster.sh with a private prefix and
// state directory, torn down when the test ends, however it ends.
import Foundation
import TestSupport

/// `launch/netns-cluster.sh check`: whether this machine can create network namespaces (root,
/// iproute2, veth); its message says what is missing.
let namespaceCheck: CommandResult? = try? runCommand(EmulatedCluster.script, ["check"], timeout: 30)

/// Whether the multi-host tests can run here.
let namespacesAvailable = mpirunAvailable && namespaceCheck?.status == 0

/// N emulated hosts with S slots each (network namespaces; see launch/netns-cluster.sh).
final class EmulatedCluster {
    static let script = repositoryRoot + "/launch/netns-cluster.sh"
    private static let counter = Counter()

    /// Host names, in hostfile order: `<prefix>-h1`, …
    let hosts: [String]
    /// The environment every call of the script gets (prefix, state and local directories).
    let environment: [String: String]

    /// Brings up `hosts` hosts of `slots` slots; `localDirectory` gives every host its own
    /// directory at that path (NC_LOCAL_DIR: host H sees `localDirectory/H` there).
    init(hosts count: Int, slots: Int, state: String, localDirectory: String? = nil) throws {
        let prefix = "ddp\(getpid() % 100_000)\(Self.counter.next())"
        var environment = ["NC_PREFIX": prefix, "NC_STATE": state]
        if let localDirectory { environment["NC_LOCAL_DIR"] = localDirectory }
        self.environment = environment
        hosts = (1...count).map { "\(prefix)-h\($0)" }
        let up = try runCommand(Self.script, ["up", String(count), String(slots)], environment: environment, timeout: 60)
        guard up.status == 0 else {
            down()
            throw ClusterError(message: "netns-cluster.sh up failed (\(up.status)): \(up.output)\(up.error)")
        }
    }

    deinit { down() }

    /// `netns-cluster.sh COMMAND ARGS…` (shape, cut, heal, kill, status).
    @discardableResult
    func command(_ arguments: String...) throws -> CommandResult {
        try runCommand(Self.script, arguments, environment: environment, timeout: 60)
    }

    /// mpirun inside the cluster, waiting for it: `-np ranks swiftddp ARGS…`.
    func mpirun(ranks: Int, _ arguments: [String], timeout: Double = 300) throws -> CommandResult {
        try runCommand(Self.script, ["run", "-np", String(ranks), builtProduct("swiftddp")] + arguments,
                       environment: environment, timeout: timeout)
    }

    /// Starts mpirun inside the cluster without waiting; its output goes to `log`.
    func start(ranks: Int, _ arguments: [String], log: String) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.script)
        process.arguments = ["run", "-np", String(ranks), builtProduct("swiftddp")] + arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        let output = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        process.standardOutput = output
        process.standardError = output
        try process.run()
        return process
    }

    /// Kills everything in the cluster and removes it (idempotent).
    func down() {
        _ = try? runCommand(Self.script, ["down"], environment: environment, timeout: 60)
    }

    private final class Counter: @unchecked Sendable {
        private var value = 0
        private let lock = NSLock()
        func next() -> Int { lock.lock(); defer { lock.unlock() }; value += 1; return value }
    }
}

struct ClusterError: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}

/// Waits until `process` exits or `timeout` seconds pass; returns the seconds waited, or nil
/// after a timeout.
func waitForExit(_ process: Process, timeout: Double) -> Double? {
    let start = Date()
    while process.isRunning {
        if Date().timeIntervalSince(start) > timeout { return nil }
        usleep(20_000)
    }
    return Date().timeIntervalSince(start)
}
