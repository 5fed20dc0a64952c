// Bucketed gradient averaging: contiguous slices of the flat gradient buffer, in the order the
// backward pass completes them, each reduced as soon as it is complete (design.md §3).

/// Averages a flat gradient buffer across ranks in buckets that start while backward still runs.
///
/// Layers finish backward last-first, and the flat buffer lays parameters out first-first, so
/// the gradients that are complete after layer `i` are exactly the suffix starting at layer
/// `i`'s first parameter. Buckets are cut at layer boundaries (as PyTorch DDP's `bucket_cap_mb`):
/// a layer joins the open bucket unless that would take it past `bucketBytes`, in which case the
/// open bucket is closed first — so the layers that finish early are reduced while the later
/// (usually larger) ones still run backward. A single layer larger than `bucketBytes` is a
/// bucket of its own, sent as several reductions of at most that size (platform.md §2c: 1–4 MB
/// pieces reduce fastest).
public final class GradientBuckets {
    /// One bucket: the buffer range and the layer whose completion makes it ready.
    public struct Bucket: Equatable, Sendable {
        /// Element range in the flat gradient buffer.
        public let range: Range<Int>
        /// The layer index whose backward completes this bucket.
        public let readyAfterLayer: Int
    }

    /// The buckets, in the order they become ready.
    public let buckets: [Bucket]
    private let gradients: UnsafeMutableBufferPointer<Float>
    private let pieceElements: Int
    private var pending: [PendingReduction] = []

    /// Plans buckets for a buffer whose layer `i` owns `layerRanges[i]` (ranges ascending and
    /// contiguous; layers without parameters have empty ranges).
    public init(gradients: UnsafeMutableBufferPointer<Float>, layerRanges: [Range<Int>], bucketBytes: Int) {
        precondition(bucketBytes >= 4, "GradientBuckets: bucketBytes must be ≥ 4, got \(bucketBytes)")
        self.gradients = gradients
        self.pieceElements = bucketBytes / MemoryLayout<Float>.stride
        var buckets: [Bucket] = []
        var end = gradients.count        // the open bucket is start..<end, start = the last layer added
        var openLayer: Int?
        for layer in layerRanges.indices.reversed() where !layerRanges[layer].isEmpty {
            let start = layerRanges[layer].lowerBound
            if let open = openLayer, end - start > pieceElements {
                let openStart = layerRanges[open].lowerBound
                buckets.append(Bucket(range: openStart..<end, readyAfterLayer: open))
                end = openStart
            }
            openLayer = layer
        }
        if let open = openLayer {
            buckets.append(Bucket(range: layerRanges[open].lowerBound..<end, readyAfterLayer: open))
            end = layerRanges[open].lowerBound
        }
        if end > 0 {  // parameters before the first layer with parameters cannot exist; be safe
            buckets.append(Bucket(range: 0..<end, readyAfterLayer: 0))
        }
        self.buckets = buckets
    }

    /// Starts the reductions of every bucket that layer `layer` completes. Call from the
    /// backward pass's per-layer hook.
    public func layerFinished(_ layer: Int, communicator: any Communicator) throws {
        guard communicator.size > 1 else { return }
        for bucket in buckets where bucket.readyAfterLayer == layer {
            var start = bucket.range.lowerBound
            while start < bucket.range.upperBound {
                let end = min(start + pieceElements, bucket.range.upperBound)
                let slice = UnsafeMutableBufferPointer(rebasing: gradients[start..<end])
                pending.append(try communicator.startAllReduceSum(slice))
                start = end
            }
        }
        // Give the transport a chance to move earlier buckets along (MPI progresses
        // nonblocking collectives only inside MPI calls).
        for reduction in pending where !reduction.isComplete { _ = try communicator.poll(reduction) }
    }

    /// Waits for every started reduction and divides the buffer by the number of ranks, so it
    /// holds the mean gradient. Returns the seconds spent waiting (the exposed communication).
    @discardableResult
    public func finish(communicator: any Communicator) throws -> Double {
        guard communicator.size > 1 else { return 0 }
        let started = monotonicSeconds()
        for reduction in pending { try communicator.wait(reduction) }
        pending.removeAll(keepingCapacity: true)
        let inverse = 1 / Float(communicator.size)
        let values = gradients  // a local copy of the pointer keeps the loop vectorized
        for i in values.indices { values[i] *= inverse }
        return monotonicSeconds() - started
    }
}
