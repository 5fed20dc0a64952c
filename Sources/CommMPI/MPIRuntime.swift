// Process-wide MPI life cycle: detect a launcher, initialize once, finalize or abort at the end.
import CMPI
import Glibc

/// MPI initialization and shutdown for this process.
public enum MPIRuntime {
    /// Whether this process was started by `mpirun`/`srun` (an MPI launcher sets these).
    public static var launchedByMPI: Bool {
        let names = ["OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_SIZE", "PMI_RANK"]
        return names.contains { name in getenv(name) != nil }
    }

    /// The ranks on this node and this rank's index among them, from the launcher's environment
    /// (Open MPI's `OMPI_COMM_WORLD_LOCAL_SIZE`), or (1, 0).
    public static var localRanks: (count: Int, index: Int) {
        let count = getenv("OMPI_COMM_WORLD_LOCAL_SIZE").flatMap { Int(String(cString: $0)) } ?? 1
        let index = getenv("OMPI_COMM_WORLD_LOCAL_RANK").flatMap { Int(String(cString: $0)) } ?? 0
        return (max(count, 1), index)
    }

    /// Initializes MPI (asking for `MPI_THREAD_SERIALIZED`: only one thread calls MPI at a
    /// time) and makes errors on the world communicator return codes instead of aborting.
    public static func initialize() throws -> MPICommunicator {
        var provided: Int32 = 0
        try mpi("MPI_Init_thread", rank: -1) { MPI_Init_thread(nil, nil, Int32(MPI_THREAD_SERIALIZED), &provided) }
        guard let world = cmpi_comm_world() else { throw MPIError(call: "MPI_COMM_WORLD", code: -1, rank: -1) }
        try mpi("MPI_Comm_set_errhandler", rank: -1) { MPI_Comm_set_errhandler(world, cmpi_errors_return()) }
        return try MPICommunicator(communicator: world)
    }

    /// Shuts MPI down cleanly; every rank must call it at the end of a successful run.
    public static func finalize() {
        var finalized: Int32 = 0
        MPI_Finalized(&finalized)
        if finalized == 0 { MPI_Finalize() }
    }

    /// Ends every rank of the job (used after an error on one rank, so no other rank waits forever).
    public static func abort(code: Int32) -> Never {
        MPI_Abort(cmpi_comm_world(), code)
        exit(code)
    }
}
