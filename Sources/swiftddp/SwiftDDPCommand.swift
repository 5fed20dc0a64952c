// The `swiftddp` command: prepare data, train, review runs, evaluate checkpoints, inspect files.
import ArgumentParser

@main
struct SwiftDDPCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "swiftddp",
        abstract: "Train neural networks data-parallel across MPI ranks on CPUs.",
        discussion: """
            Typical session:
              swiftddp prepare fashion-mnist --out datasets/fashion-mnist --shards 2
              launch/mpirun.sh train --config launch/configs/fashion-mnist-mlp.yaml
              swiftddp metrics runs/<run>
              swiftddp evaluate --checkpoint runs/<run>/checkpoints/best.h5 --data datasets/fashion-mnist/test.h5
              swiftddp inspect datasets/fashion-mnist/val.h5

            Without mpirun, `train` runs as one process (the single-node debug mode).
            Docs: docs/cli.md (commands and flags), docs/config.md (config keys).
            """,
        subcommands: [TrainCommand.self, PrepareCommand.self, InspectCommand.self, MetricsCommand.self, EvaluateCommand.self,
                      CheckCommCommand.self])

    /// Runs the command; a usage error (a flag that does not parse or validate) exits with 2, as
    /// config errors do, instead of swift-argument-parser's 64 (docs/cli.md, Exit codes).
    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            guard exitCode(for: error) == .validationFailure else { exit(withError: error) }
            var standardError = StandardError()
            print(fullMessage(for: error), to: &standardError)
            exit(withError: ExitCode(ExitStatus.usage))
        }
    }
}

/// Prints `error` the way every subcommand reports failures: one line on stderr that names the
/// file, key or rank; returns the exit code for it (`ExitStatus`).
func fail(_ error: any Error, rank: Int? = nil) -> ExitCode {
    let message = String(describing: error)
    // MPI and communicator errors already start with "rank R: …"
    let prefix = rank.map { message.hasPrefix("rank \($0):") ? "swiftddp: error on " : "swiftddp: error on rank \($0): " } ?? "swiftddp: error: "
    var standardError = StandardError()
    print(prefix + message, to: &standardError)
    return ExitCode(ExitStatus.code(for: error))
}

/// `print(..., to:)` target for stderr.
struct StandardError: TextOutputStream {
    mutating func write(_ string: String) {
        FileDescriptorWriter.write(string, to: 2)
    }
}

enum FileDescriptorWriter {
    static func write(_ string: String, to descriptor: Int32) {
        var text = string
        text.withUTF8 { bytes in
            var offset = 0
            while offset < bytes.count {
                let written = writeBytes(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
                if written <= 0 { return }
                offset += written
            }
        }
    }
}
