import Comm
import Testing

struct GradientBucketsTests {
    @Test func bucketsAreSlicesCutFromTheEnd() {
        let buffer = UnsafeMutableBufferPointer<Float>.allocate(capacity: 1000)
        defer { buffer.deallocate() }
        #expect(GradientBuckets(gradients: buffer, bucketBytes: 400 * 4).buckets == [600..<1000, 200..<600, 0..<200])
        #expect(GradientBuckets(gradients: buffer, bucketBytes: 4 << 20).buckets == [0..<1000])
    }

    @Test(arguments: [1, 2, 3])
    func sumsAcrossRanksWhateverTheProgressReports(ranks: Int) throws {
        let results = try LocalCommunicator.run(ranks: ranks) { comm -> [Float] in
            let buffer = UnsafeMutableBufferPointer<Float>.allocate(capacity: 10)
            defer { buffer.deallocate() }
            for i in 0..<10 { buffer[i] = Float(comm.rank * 10 + i) }
            let buckets = GradientBuckets(gradients: buffer, bucketBytes: 12)
            for offset in [9, 7, 4, 4, 0] { buckets.gradientsFinal(from: offset, communicator: comm) }
            try buckets.finish(communicator: comm)
            // a second step reuses the plan
            for i in 0..<10 { buffer[i] = Float(comm.rank * 10 + i) }
            buckets.gradientsFinal(from: 6, communicator: comm)
            try buckets.finish(communicator: comm)
            return Array(buffer)
        }
        let expected = (0..<10).map { i in Float((0..<ranks).map { $0 * 10 + i }.reduce(0, +)) }
        #expect(results.allSatisfy { $0 == expected })
    }

    @Test func nextReportIsTheNextBucketStartUntilOneStartsThenEveryPoint() throws {
        _ = try LocalCommunicator.run(ranks: 2) { comm in
            let buffer = UnsafeMutableBufferPointer<Float>.allocate(capacity: 1000)
            defer { buffer.deallocate() }
            buffer.initialize(repeating: 1)
            let buckets = GradientBuckets(gradients: buffer, bucketBytes: 400 * 4)   // [600..<1000, 200..<600, 0..<200]
            #expect(buckets.nextReport(below: 1000) == 600)   // reporting above 600 starts nothing
            #expect(buckets.nextReport(below: 900) == 600)
            buckets.gradientsFinal(from: 600, communicator: comm)   // the first bucket starts
            #expect(buckets.nextReport(below: 550) == 549)      // now every report polls it
            try buckets.finish(communicator: comm)
            #expect(buckets.nextReport(below: 1000) == 600)     // a new step plans afresh
            // one bucket for the whole buffer: nothing is worth reporting before the end
            #expect(GradientBuckets(gradients: buffer, bucketBytes: 4 << 20).nextReport(below: 1000) == 0)
        }
    }

    /// `partsFinite` says whether this rank found its parts of the step's sums finite: true on
    /// every rank for a finite gradient, false on exactly one rank for one NaN or ∞ (the rank
    /// whose part of the bucket holds it), and false with one rank, where nothing is summed.
    @Test(arguments: [1, 2, 3])
    func partsFiniteIsWhatEachRankFoundInItsPartOfTheSums(ranks: Int) throws {
        for bad in [-1, 0, 5, 9] {   // the element made NaN on the last rank (-1: none)
            let found = try LocalCommunicator.run(ranks: ranks) { comm -> (partsFinite: Bool, sumFinite: Bool) in
                let buffer = UnsafeMutableBufferPointer<Float>.allocate(capacity: 10)
                defer { buffer.deallocate() }
                for i in 0..<10 { buffer[i] = Float(comm.rank * 10 + i) }
                if bad >= 0, comm.rank == comm.size - 1 { buffer[bad] = .nan }
                let buckets = GradientBuckets(gradients: buffer, bucketBytes: 12)   // [7..<10, 4..<7, 1..<4, 0..<1]
                buckets.gradientsFinal(from: 4, communicator: comm)
                try buckets.finish(communicator: comm)
                return (buckets.partsFinite, buffer.allSatisfy(\.isFinite))
            }
            #expect(found.allSatisfy { $0.sumFinite == (bad < 0) }, "NaN at \(bad), \(ranks) rank(s)")
            if ranks == 1 {
                #expect(found.allSatisfy { !$0.partsFinite }, "one rank sums nothing: the buffer must be read")
            } else {
                #expect(found.filter { !$0.partsFinite }.count == (bad < 0 ? 0 : 1), "NaN at \(bad), \(ranks) ranks: \(found)")
            }
        }
    }
}
