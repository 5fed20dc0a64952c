// `order-check`: a deterministic regression check for the collective-ordering hazard of
// overlapped reductions (docs/performance.md, "Problems found"). MPI requires every rank to start
// collectives on a communicator in the same order. Before commit 094a84c, `poll` started a
// reduction's all-gather as soon as its all-to-all had completed *on this rank*, so a rank that
// polled started [A.alltoallv, A.allgatherv, B.alltoallv] while another started
// [A.alltoallv, B.alltoallv, A.allgatherv], and equal-sized pieces were silently mixed up
// (half of A and all of B wrong on both ranks, exit status 0). Exits non-zero if any value is wrong.
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
        let anyWrong = try comm.allReduce([Double(wrongA + wrongB)], .sum)[0] > 0
        defer { if anyWrong { MPIRuntime.finalize(); exit(1) } }
        print("order-check: rank \(comm.rank): A wrong in \(wrongA) of \(count) elements (values \(Array(distinctA))), "
              + "B wrong in \(wrongB) (values \(Array(distinctB)))")
    }
}
