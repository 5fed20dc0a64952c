// Exchanging short texts between ranks (preflight problem lists), built on the float collectives.

extension Communicator {
    /// Every rank's `text`, in rank order, on every rank.
    ///
    /// For rare, small messages: one all-reduce of the byte counts, then one broadcast (bytes as
    /// floats, exact up to 2²⁴) from each rank that has something to say.
    public func allGatherText(_ text: String) throws -> [String] {
        let bytes = Array(text.utf8)
        var counts = [Double](repeating: 0, count: size)
        counts[rank] = Double(bytes.count)
        counts = try allReduce(counts, .sum)
        var texts = [String](repeating: "", count: size)
        for source in 0..<size where counts[source] > 0 {
            var buffer = source == rank ? bytes.map(Float.init) : [Float](repeating: 0, count: Int(counts[source]))
            try buffer.withUnsafeMutableBufferPointer { try broadcast($0, from: source) }
            texts[source] = String(decoding: buffer.map { UInt8($0) }, as: UTF8.self)
        }
        return texts
    }
}
