// MPI failures as Swift errors that name the call and the rank.
import CMPI

/// An MPI call that did not return `MPI_SUCCESS`.
public struct MPIError: Error, CustomStringConvertible {
    /// The MPI function, e.g. `MPI_Allreduce`.
    public let call: String
    /// The return code.
    public let code: Int32
    /// The calling rank (-1 before `MPI_Comm_rank` is known).
    public let rank: Int

    /// Creates an error.
    public init(call: String, code: Int32, rank: Int) {
        self.call = call
        self.code = code
        self.rank = rank
    }

    public var description: String {
        var buffer = [CChar](repeating: 0, count: Int(MPI_MAX_ERROR_STRING) + 1)
        var length: Int32 = 0
        let text = MPI_Error_string(code, &buffer, &length) == MPI_SUCCESS
            ? String(decoding: buffer.prefix(Int(length)).map { UInt8(bitPattern: $0) }, as: UTF8.self) : "error code \(code)"
        return "rank \(rank): \(call) failed: \(text)"
    }
}

/// Runs one MPI call and throws `MPIError` unless it returns `MPI_SUCCESS`.
@inline(__always)
func mpi(_ call: StaticString, rank: Int, _ body: () -> Int32) throws {
    let code = body()
    guard code == MPI_SUCCESS else { throw MPIError(call: "\(call)", code: code, rank: rank) }
}
