// The collective deadline (issue 7): how long a rank waits for the others in one collective, and
// the error that says which ranks arrived and which did not, instead of hanging forever.

/// A communicator whose waits in collectives give up after a deadline.
///
/// The trainer sets `timeoutSeconds` from `distributed.timeout_seconds` and keeps `step` current,
/// so that a timeout names the step. Implemented by `LocalCommunicator` and `MPICommunicator`.
public protocol CollectiveDeadline: AnyObject {
    /// Seconds one collective may wait for the other ranks; `.infinity` waits forever.
    var timeoutSeconds: Double { get set }
    /// The optimizer step this rank is at (-1 before training starts); named in diagnostics.
    var step: Int { get set }
}

/// What a waiting rank could learn about another rank when its collective timed out.
public enum RankWhereabouts: Equatable, Sendable {
    /// The rank has entered this collective (or a later one).
    case arrived
    /// The rank has not entered it; it was last seen at `step`.
    case missing(step: Int)
    /// The rank did not answer the query (dead, or a transport that needs it to make progress).
    case unknown
}

/// A collective did not complete within the deadline.
public struct CollectiveTimeout: Error, CustomStringConvertible, Sendable {
    /// The rank that gave up.
    public let rank: Int
    /// Its step (-1: before training).
    public let step: Int
    /// The collective, e.g. `MPI_Iallreduce of 2 doubles`, and its sequence number in the run.
    public let operation: String
    public let sequence: Int
    /// The deadline that passed.
    public let seconds: Double
    /// What is known about every rank, indexed by rank (this rank is `.arrived`).
    public let ranks: [RankWhereabouts]

    /// Creates the error.
    public init(rank: Int, step: Int, operation: String, sequence: Int, seconds: Double, ranks: [RankWhereabouts]) {
        self.rank = rank
        self.step = step
        self.operation = operation
        self.sequence = sequence
        self.seconds = seconds
        self.ranks = ranks
    }

    /// Ranks that entered the collective.
    public var arrived: [Int] { ranks.indices.filter { ranks[$0] == .arrived } }
    /// Ranks that did not.
    public var missing: [Int] { ranks.indices.filter { if case .missing = ranks[$0] { return true } else { return false } } }
    /// Ranks whose state could not be read.
    public var unknown: [Int] { ranks.indices.filter { ranks[$0] == .unknown } }
    /// The rank that reports the timeout for the job: the lowest that arrived. Other waiting
    /// ranks leave the report to it, so a job prints one diagnostic, not one per rank.
    public var reporter: Int { arrived.first ?? rank }

    public var description: String {
        let list = { (ranks: [Int]) in ranks.map(String.init).joined(separator: ", ") }
        var text = "rank \(rank): \(step < 0 ? "before training" : "step \(step)"): \(operation) (collective #\(sequence)) "
            + "did not complete within \(seconds) s (distributed.timeout_seconds); "
        let missing = self.missing
        if !missing.isEmpty {
            let seen = missing.map { rank -> String in
                guard case .missing(let step) = ranks[rank] else { return "" }
                return "rank \(rank) \(step < 0 ? "before training" : "at step \(step)")"
            }
            text += "rank(s) \(list(missing)) did not arrive (last seen: \(seen.joined(separator: ", ")))"
        } else if unknown.isEmpty {
            text += "every rank arrived, but the collective did not finish (a rank stopped making progress inside it)"
        }
        if !unknown.isEmpty { text += "\(missing.isEmpty ? "" : "; ")rank(s) \(list(unknown)) did not answer (dead or unreachable)" }
        text += "; rank(s) \(list(arrived)) arrived. Ending the job: a rank is hung, dead, or slower than the deadline allows"
        return text
    }
}

/// A monotonic deadline for one wait.
public struct Deadline {
    private let end: Double

    /// The moment `seconds` from now (never, for `.infinity`).
    public init(seconds: Double) {
        end = seconds.isFinite ? monotonicSeconds() + seconds : .infinity
    }

    /// Whether the deadline has passed.
    public var hasPassed: Bool { end.isFinite && monotonicSeconds() > end }

    /// Seconds left (0 when passed, `.infinity` for no deadline).
    public var remaining: Double { end.isFinite ? max(0, end - monotonicSeconds()) : .infinity }
}
