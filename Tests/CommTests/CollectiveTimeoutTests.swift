// The collective deadline of the in-process group, the timeout diagnostic, and text exchange.
import Comm
import Foundation
import Testing

struct CollectiveTimeoutTests {
    @Test(arguments: [2, 4])
    func aRankThatDoesNotArriveIsNamed(ranks: Int) throws {
        let error = #expect(throws: CollectiveTimeout.self) {
            _ = try LocalCommunicator.run(ranks: ranks) { comm in
                comm.timeoutSeconds = 0.3
                comm.step = 7
                if comm.rank == 1 { Thread.sleep(forTimeInterval: 1) }   // late: the others give up
                _ = try comm.allReduce([1], .sum)
            }
        }
        let timeout = try #require(error)
        #expect(timeout.step == 7 && timeout.seconds == 0.3)
        #expect(timeout.missing == [1])
        #expect(timeout.arrived == [0] + Array(2..<ranks))
        #expect(timeout.ranks[1] == .missing(step: 7))
        #expect(timeout.description.contains("step 7: allReduce of 1 value(s) (collective #1) did not complete within 0.3 s"), "\(timeout)")
        #expect(timeout.description.contains("rank(s) 1 did not arrive (last seen: rank 1 at step 7)"), "\(timeout)")
    }

    @Test func withoutADeadlineASlowRankIsWaitedFor() throws {
        let sums = try LocalCommunicator.run(ranks: 2) { comm -> Double in
            if comm.rank == 1 { Thread.sleep(forTimeInterval: 0.3) }
            return try comm.allReduce([1], .sum)[0]
        }
        #expect(sums == [2, 2])
    }

    @Test func descriptionSaysWhatIsKnown() {
        let unknown = CollectiveTimeout(rank: 2, step: -1, operation: "MPI_Ibarrier", sequence: 3, seconds: 5,
                                        ranks: [.arrived, .unknown, .arrived])
        #expect(unknown.reporter == 0)
        #expect(unknown.description.hasPrefix("rank 2: before training: MPI_Ibarrier (collective #3) did not complete within 5.0 s"))
        #expect(unknown.description.contains("rank(s) 1 did not answer (dead or unreachable); rank(s) 0, 2 arrived"), "\(unknown)")
        let stuck = CollectiveTimeout(rank: 0, step: 4, operation: "x", sequence: 1, seconds: 1, ranks: [.arrived, .arrived])
        #expect(stuck.description.contains("every rank arrived, but the collective did not finish"), "\(stuck)")
    }

    @Test(arguments: [1, 2, 4])
    func textsAreGatheredInRankOrder(ranks: Int) throws {
        let results = try LocalCommunicator.run(ranks: ranks) { comm in
            try comm.allGatherText(comm.rank == 1 ? "" : "rank \(comm.rank): ünïcode ✓")
        }
        let expected = (0..<ranks).map { $0 == 1 ? "" : "rank \($0): ünïcode ✓" }
        #expect(results.allSatisfy { $0 == expected })
    }
}
