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
        try LocalCommunicator.run(ranks: 2) { comm in
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
}
