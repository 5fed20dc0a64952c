// `order-check`: a deterministic reproduction of the collective-ordering hazard in
// MPICommunicator's overlapped reductions (docs/performance.md, "Problems found"). MPI requires
// every rank to start collectives on a communicator in the same order; `poll` starts a
// reduction's all-gather phase as soon as its all-to-all has completed *on this rank*, so a rank
// that polls can start [A.alltoallv, A.allgatherv, B.alltoallv] while another starts
// [A.alltoallv, B.alltoallv, A.allgatherv].
import Comm
import CommMPI
import Glibc

enum OrderCheck {
    static func run() throws {
        let comm = try MPIRuntime.initialize()
        defer { MPIRuntime.finalize() }
        guard comm.size == 2 else {
            if comm.rank == 0 { print("order-check: run with mpirun -np 2") }
            return
        }
        let count = 262_144   // two equal-sized 1 MiB reductions, as two pieces of one bucket would be
        let a = UnsafeMutableBufferPointer<Float>.allocate(capacity: count)
        let b = UnsafeMutableBufferPointer<Float>.allocate(capacity: count)
        defer { a.deallocate(); b.deallocate() }
        a.initialize(repeating: Float(comm.rank + 1))          // sum over ranks: 3
        b.initialize(repeating: Float(10 * (comm.rank + 1)))   // sum over ranks: 30
        try comm.barrier()
        if comm.rank == 0 {
            // start A, then keep polling it (as layerFinished does during backward) before starting B
            let pendingA = try comm.startAllReduceSum(a)
            let until = monotonicSeconds() + 0.05
            while monotonicSeconds() < until { _ = try comm.poll(pendingA) }
            let pendingB = try comm.startAllReduceSum(b)
            try comm.wait(pendingA)
            try comm.wait(pendingB)
        } else {
            // start A and B back to back (a rank whose buckets become ready together), then wait
            let pendingA = try comm.startAllReduceSum(a)
            let pendingB = try comm.startAllReduceSum(b)
            try comm.wait(pendingA)
            try comm.wait(pendingB)
        }
        let wrongA = a.filter { $0 != 3 }.count, wrongB = b.filter { $0 != 30 }.count
        let distinctA = Set(a).sorted().prefix(4), distinctB = Set(b).sorted().prefix(4)
        print("order-check: rank \(comm.rank): A wrong in \(wrongA) of \(count) elements (values \(Array(distinctA))), "
              + "B wrong in \(wrongB) (values \(Array(distinctB)))")
    }
}
