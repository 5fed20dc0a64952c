// Errors raised by communicators.

/// A collective failed; names the operation and the rank.
public struct CommError: Error, CustomStringConvertible {
    /// The operation, e.g. `MPI_Allreduce`.
    public let operation: String
    /// The rank that saw the failure.
    public let rank: Int
    /// What went wrong.
    public let reason: String

    /// Creates an error.
    public init(operation: String, rank: Int, reason: String) {
        self.operation = operation
        self.rank = rank
        self.reason = reason
    }

    public var description: String { "rank \(rank): \(operation) failed: \(reason)" }
}
