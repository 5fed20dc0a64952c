import Comm
import Testing

struct LocalCommunicatorTests {
    @Test(arguments: [1, 2, 4])
    func allReduceSumAddsInRankOrder(ranks: Int) throws {
        let results = try LocalCommunicator.run(ranks: ranks) { comm -> [Float] in
            // values whose float sum depends on the order: 1e8 on rank 0, then small values
            var buffer: [Float] = (0..<7).map { i in comm.rank == 0 ? 1e8 : Float(comm.rank) * 0.37 + Float(i) }
            try buffer.withUnsafeMutableBufferPointer { try comm.allReduceSum($0) }
            return buffer
        }
        var expected: [Float] = Array(repeating: 1e8, count: 7)
        for rank in 1..<max(ranks, 1) { for i in 0..<7 { expected[i] += Float(rank) * 0.37 + Float(i) } }
        #expect(results.allSatisfy { $0 == (ranks == 1 ? [Float](repeating: 1e8, count: 7) : expected) })
    }

    @Test(arguments: [1, 2, 4])
    func broadcastGatherReduceAndBarrier(ranks: Int) throws {
        let results = try LocalCommunicator.run(ranks: ranks) { comm -> ([Float], [UInt64], [Double], [Double]) in
            var buffer: [Float] = comm.rank == ranks - 1 ? [1, 2, 3] : [0, 0, 0]
            try buffer.withUnsafeMutableBufferPointer { try comm.broadcast($0, from: ranks - 1) }
            let gathered = try comm.allGather(UInt64(comm.rank + 100))
            let maxima = try comm.allReduce([Double(comm.rank), -Double(comm.rank)], .max)
            let sums = try comm.allReduce([1], .sum)
            try comm.barrier()
            return (buffer, gathered, maxima, sums)
        }
        for (buffer, gathered, maxima, sums) in results {
            #expect(buffer == [1, 2, 3])
            #expect(gathered == (0..<ranks).map { UInt64($0 + 100) })
            #expect(maxima == [Double(ranks - 1), 0])
            #expect(sums == [Double(ranks)])
        }
    }

    @Test func aFailingRankReleasesTheOthers() {
        struct Boom: Error {}
        #expect(throws: Boom.self) {
            _ = try LocalCommunicator.run(ranks: 3) { comm in
                if comm.rank == 2 { throw Boom() }
                try comm.barrier()   // would wait forever without the poison
            }
        }
    }

    @Test func mismatchedCollectivesAreReported() {
        let error = #expect(throws: CommError.self) {
            _ = try LocalCommunicator.run(ranks: 2) { comm in
                var buffer = [Float](repeating: 0, count: comm.rank == 0 ? 4 : 5)
                try buffer.withUnsafeMutableBufferPointer { try comm.allReduceSum($0) }
            }
        }
        #expect(error?.description.contains("collective mismatch") == true)
    }

    @Test func chunksCoverTheBufferContiguously() {
        for (count, ranks) in [(10, 3), (2, 4), (0, 2), (262_147, 4)] {
            let parts = (0..<ranks).map { chunk($0, of: count, ranks: ranks) }
            #expect(parts.first?.lowerBound == 0 && parts.last?.upperBound == count)
            #expect(zip(parts, parts.dropFirst()).allSatisfy { $0.upperBound == $1.lowerBound })
            #expect(parts.map(\.count).max()! - parts.map(\.count).min()! <= 1)
        }
    }
}
