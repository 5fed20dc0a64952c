// Fault injection for the reliability tests only (docs/testing.md): the environment variable
// SWIFTDDP_FAULT makes one rank die, stall, or see a non-finite gradient at a given step.
// Real runs leave it unset, and the hook then costs one comparison per step.
import Comm
import Foundation
import NN

/// The faults `SWIFTDDP_FAULT` asks for: `kind:rank=R:step=S[:seconds=T]`, several separated by
/// commas, e.g. `kill:rank=1:step=30`, `slow:rank=1:step=10:seconds=20`, `nan_grad:rank=0:step=5`.
struct FaultInjection: Sendable {
    /// What happens to the rank.
    enum Kind: Sendable, Equatable, CustomStringConvertible {
        /// SIGKILL to this process (with `--simulate-ranks`, that is every simulated rank).
        case kill
        /// Sleep this many seconds before the step, as a hung or overloaded rank would.
        case slow(seconds: Double)
        /// Set this rank's local gradient of the first parameter, element 0, to NaN before
        /// backward (layers accumulate into it, so it stays NaN until the all-reduce).
        case nanGradient

        var description: String {
            switch self {
            case .kill: return "kill (SIGKILL)"
            case .slow(let seconds): return "slow (sleeping \(seconds) s)"
            case .nanGradient: return "nan_grad (NaN in the local gradient of the first parameter)"
            }
        }
    }

    /// One fault: a kind, the rank it hits, and the step at whose start it strikes.
    struct Fault: Sendable, Equatable {
        let kind: Kind
        let rank: Int
        let step: Int
    }

    /// The environment variable.
    static let variable = "SWIFTDDP_FAULT"

    /// The faults of this process's environment, parsed once (nil when the variable is unset).
    static let environment: Result<FaultInjection?, ConfigError> = {
        guard let text = ProcessInfo.processInfo.environment[variable], !text.isEmpty else { return .success(nil) }
        return Result { try FaultInjection(parsing: text) }.mapError { $0 as? ConfigError ?? ConfigError(source: variable, key: nil, message: "\($0)") }
    }()

    let faults: [Fault]

    /// Parses the variable's value.
    /// - Throws: `ConfigError` naming `SWIFTDDP_FAULT` and the bad part.
    init(parsing text: String) throws {
        func bad(_ part: Substring, _ why: String) -> ConfigError {
            ConfigError(source: FaultInjection.variable, key: nil,
                        message: "has a bad fault '\(part)': \(why) (expected e.g. kill:rank=1:step=30, "
                            + "slow:rank=1:step=10:seconds=20 or nan_grad:rank=0:step=5; docs/testing.md)")
        }
        faults = try text.split(separator: ",").map { part in
            let fields = part.split(separator: ":")
            var values: [String: String] = [:]
            for field in fields.dropFirst() {
                let pair = field.split(separator: "=", maxSplits: 1)
                guard pair.count == 2, ["rank", "step", "seconds"].contains(pair[0]) else { throw bad(part, "unknown field '\(field)'") }
                values[String(pair[0])] = String(pair[1])
            }
            guard let rank = values["rank"].flatMap({ Int($0) }), rank >= 0 else { throw bad(part, "rank=R is required") }
            let step = try values["step"].map { text -> Int in
                guard let step = Int(text), step >= 0 else { throw bad(part, "step must be an integer ≥ 0") }
                return step
            } ?? 0
            switch fields.first {
            case "kill": return Fault(kind: .kill, rank: rank, step: step)
            case "nan_grad": return Fault(kind: .nanGradient, rank: rank, step: step)
            case "slow":
                guard let seconds = values["seconds"].flatMap({ Double($0) }), seconds > 0 else { throw bad(part, "seconds=T (> 0) is required") }
                return Fault(kind: .slow(seconds: seconds), rank: rank, step: step)
            default:
                throw bad(part, "the kind must be kill, slow or nan_grad")
            }
        }
    }
}

extension Trainer {
    /// The start of step `step`, after the gradients are zeroed: publishes the step for
    /// collective-timeout diagnostics and applies any fault injected for this rank and step.
    func beginStep(_ step: Int, _ store: ParameterStore) {
        (communicator as? CollectiveDeadline)?.step = step
        guard case .success(let injection?) = FaultInjection.environment else { return }
        for fault in injection.faults where fault.rank == communicator.rank && fault.step == step {
            // the wall-clock time lets a test measure how long the job takes to end after the fault
            let time = String(format: "%.3f", Date().timeIntervalSince1970)
            FileHandle.standardError.write(Data("swiftddp: \(FaultInjection.variable): \(fault.kind) on rank \(fault.rank) at step \(step), time \(time)\n".utf8))
            switch fault.kind {
            case .kill: kill(getpid(), SIGKILL)
            case .slow(let seconds): Thread.sleep(forTimeInterval: seconds)
            case .nanGradient: store.gradients.buffer[0] = .nan
            }
        }
    }
}
