import Comm
import Testing

struct GradientBucketsTests {
    @Test func bucketsFollowBackwardOrderAndLayerBoundaries() {
        let buffer = UnsafeMutableBufferPointer<Float>.allocate(capacity: 1000)
        defer { buffer.deallocate() }
        // layers 0 (600 params), 1 (none), 2 (300), 3 (none), 4 (100)
        let ranges = [0..<600, 600..<600, 600..<900, 900..<900, 900..<1000]
        let buckets = GradientBuckets(gradients: buffer, layerRanges: ranges, bucketBytes: 450 * 4)
        #expect(buckets.buckets.map(\.range) == [600..<1000, 0..<600])     // layer 0 would overflow the open bucket
        #expect(buckets.buckets.map(\.readyAfterLayer) == [2, 0])
        let small = GradientBuckets(gradients: buffer, layerRanges: ranges, bucketBytes: 200 * 4)
        #expect(small.buckets.map(\.range) == [900..<1000, 600..<900, 0..<600])
        #expect(small.buckets.map(\.readyAfterLayer) == [4, 2, 0])
        let single = GradientBuckets(gradients: buffer, layerRanges: ranges, bucketBytes: 4 << 20)
        #expect(single.buckets.map(\.range) == [0..<1000])
    }

    @Test(arguments: [1, 2, 3])
    func averagesAcrossRanks(ranks: Int) throws {
        let results = try LocalCommunicator.run(ranks: ranks) { comm -> [Float] in
            let buffer = UnsafeMutableBufferPointer<Float>.allocate(capacity: 10)
            defer { buffer.deallocate() }
            for i in 0..<10 { buffer[i] = Float(comm.rank * 10 + i) }
            let buckets = GradientBuckets(gradients: buffer, layerRanges: [0..<4, 4..<10], bucketBytes: 8)
            for layer in [1, 0] { try buckets.layerFinished(layer, communicator: comm) }
            try buckets.finish(communicator: comm)
            return Array(buffer)
        }
        let expected = (0..<10).map { i in Float((0..<ranks).map { $0 * 10 + i }.reduce(0, +)) / Float(ranks) }
        #expect(results.allSatisfy { $0 == expected })
    }
}
