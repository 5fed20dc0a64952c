// The frame of a benchmark that runs under mpirun (or alone, as one rank; train-loop): MPI initialized once,
// finalized at the end, and a failure on one rank of several ends the whole job.
import CommMPI
import Foundation

enum MPIJob {
    /// Runs `body` on this rank's world communicator, then closes it (collective) and finalizes MPI.
    static func run(_ body: (MPICommunicator) throws -> Void) throws {
        let comm = try MPIRuntime.initialize()
        defer { MPIRuntime.finalize() }
        do {
            try body(comm)
            comm.close()
        } catch {
            // stderr, unbuffered: MPI_Abort ends the process before stdout would be flushed
            FileHandle.standardError.write(Data("swiftddp-bench: rank \(comm.rank): \(error)\n".utf8))
            if comm.size > 1 { MPIRuntime.abort(code: 1) }
            throw error
        }
    }
}
