// Where each rank stands, readable by the others without their help: the cheap way for a rank
// whose collective timed out to learn which ranks arrived (issue 7, docs/errors.md).
import CMPI
import Comm

/// Every rank's progress in a one-sided MPI window: the sequence number of the last collective it
/// started, and its step.
///
/// A rank updates its own slot with plain stores (no MPI call, so nothing is added to a
/// collective's cost). Only a rank whose collective timed out reads the others, with `MPI_Rget`
/// under a passive-target epoch opened once at creation. On one node Open MPI's `osc/sm` maps the
/// window into every rank's memory, so the read works even when the target is busy computing,
/// sleeping or stopped. Between nodes (`osc/pt2pt`, `osc/rdma` over TCP) a read may need the
/// target to make MPI progress; a read that does not complete within `readSeconds` reports the
/// rank as unknown.
final class ProgressBoard {
    private let window: MPI_Win
    private let slot: UnsafeMutablePointer<Int64>
    private let size: Int
    /// How long a diagnostic read of another rank's slot may take.
    var readSeconds = 2.0

    /// Creates the window over `communicator` (collective), or returns nil if the MPI library
    /// cannot (timeouts then report every other rank as unknown).
    init?(communicator: MPI_Comm, size: Int) {
        var base: UnsafeMutableRawPointer?
        var window: MPI_Win?
        guard MPI_Win_allocate(2 * 8, 8, cmpi_info_null(), communicator, &base, &window) == MPI_SUCCESS,
              let window, let base else { return nil }
        MPI_Win_set_errhandler(window, cmpi_errors_return())
        guard MPI_Win_lock_all(MPI_MODE_NOCHECK, window) == MPI_SUCCESS else { return nil }
        self.window = window
        self.size = size
        slot = base.bindMemory(to: Int64.self, capacity: 2)
        slot[0] = 0
        slot[1] = -1
    }

    /// This rank has started collective `sequence`.
    func started(_ sequence: Int) {
        slot[0] = Int64(sequence)
    }

    /// This rank is at `step`.
    func at(step: Int) {
        slot[1] = Int64(step)
    }

    /// What every rank's slot says about collective `sequence`, which `rank` is blocked in.
    func whereabouts(of sequence: Int, rank: Int) -> [RankWhereabouts] {
        (0..<size).map { other in
            if other == rank { return .arrived }
            guard let (started, step) = read(other) else { return .unknown }
            return started >= sequence ? .arrived : .missing(step: step)
        }
    }

    /// Reads `rank`'s slot, giving up after `readSeconds`.
    private func read(_ rank: Int) -> (Int, Int)? {
        // MPI may still write into the buffer after a read is given up, so it is freed only
        // after a completed read (the job is about to end anyway).
        let values = UnsafeMutablePointer<Int64>.allocate(capacity: 2)
        var request: MPI_Request? = cmpi_request_null()
        guard MPI_Rget(values, 2, cmpi_int64(), Int32(rank), 0, 2, cmpi_int64(), window, &request) == MPI_SUCCESS else { return nil }
        let deadline = Deadline(seconds: readSeconds)
        var done: Int32 = 0
        while done == 0 {
            guard MPI_Test(&request, &done, cmpi_status_ignore()) == MPI_SUCCESS, !deadline.hasPassed else { return nil }
        }
        defer { values.deallocate() }
        return (Int(values[0]), Int(values[1]))
    }

    /// Ends the epoch and frees the window (collective; before `MPI_Finalize`).
    func free() {
        MPI_Win_unlock_all(window)
        var window: MPI_Win? = self.window
        MPI_Win_free(&window)
    }
}
