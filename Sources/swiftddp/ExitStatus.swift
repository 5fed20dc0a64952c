// Exit codes (docs/cli.md, docs/errors.md): 2 when the command line or the config is invalid in
// itself, or a flag names what the files it is used with cannot hold (CommandLineError); 1 when a
// valid command failed at runtime (data, files, checkpoints, ranks, the machine).
import ArgumentParser
import Training

/// The exit codes of `swiftddp`, and which errors get which.
enum ExitStatus {
    /// A runtime failure.
    static let failure: Int32 = 1
    /// A usage or config error: fix the command line or the config file.
    static let usage: Int32 = 2

    /// The exit code for `error`.
    static func code(for error: any Error) -> Int32 {
        switch error {
        case is ConfigError, is CommandLineError: return usage
        case let error as RaisedByEveryRank: return code(for: error.error)
        case let exit as ExitCode: return exit.rawValue
        default: return failure
        }
    }

    /// Whether every rank raised `error` at the same point (a collective decision), so the job can
    /// end cleanly, reported once by rank 0, without `MPI_Abort`.
    static func isRaisedByEveryRank(_ error: any Error) -> Bool {
        error is RaisedByEveryRank || (error as? TrainingError)?.isRaisedByEveryRank == true
    }
}

/// An error every rank of the job raised together (e.g. the same config file fails to load).
struct RaisedByEveryRank: Error, CustomStringConvertible {
    let error: any Error
    var description: String { "\(error)" }
}
