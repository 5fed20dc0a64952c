// Bucketed gradient averaging: contiguous slices of the flat gradient buffer, each all-reduced as
// soon as backward has made it final (design.md §3), so communication overlaps the rest of
// backward.

/// Sums a flat gradient buffer across ranks in buckets that start while backward still runs.
///
/// Backward finishes the last layer first and the flat buffer lays parameters out first-first,
/// so what is final at any moment is a suffix of the buffer. The buckets are therefore fixed
/// slices of `bucketBytes` cut from the end of the buffer (the first bucket is the last slice);
/// `gradientsFinal(from:)` starts every bucket that lies wholly inside the final suffix, and
/// gives the transport a chance to progress the earlier ones (MPI moves nonblocking collectives
/// only inside MPI calls). Layers report progress at layer ends and, for large layers, between
/// blocks of their weight gradient (`Dense`), so even the largest layer's bucket overlaps with
/// the computation of the next block. Blocks cost sgemm speed, so a layer asks `nextReport`
/// where a report would matter: until the first bucket starts, only at the next bucket's start
/// (with one bucket for the whole gradient, a layer computes its weight gradient in one GEMM).
///
/// The buckets hold *sums*; training makes them means by scaling the loss gradient by 1/ranks.
public final class GradientBuckets {
    /// The buckets' element ranges, in the order they become final (the end of the buffer first).
    public let buckets: [Range<Int>]
    private let gradients: UnsafeMutableBufferPointer<Float>
    private var nextBucket = 0
    private var pending: [PendingReduction] = []
    private var failure: (any Error)?
    /// After `finish`: whether every reduction of the step reported the part of the sum this
    /// rank added as finite (`PendingReduction.partFinite`). When that holds on every rank, the
    /// whole summed gradient is finite; false when any part was not, or was not looked at (one
    /// rank, MPI's own all-reduce), and the buffer must then be read to know.
    public private(set) var partsFinite = false

    /// Plans buckets of at most `bucketBytes` over `gradients`.
    public init(gradients: UnsafeMutableBufferPointer<Float>, bucketBytes: Int) {
        precondition(bucketBytes >= 4, "GradientBuckets: bucketBytes must be ≥ 4, got \(bucketBytes)")
        self.gradients = gradients
        let size = bucketBytes / MemoryLayout<Float>.stride
        buckets = stride(from: gradients.count, to: 0, by: -size).map { end in max(0, end - size)..<end }
    }

    /// Everything from flat index `offset` to the end is final: starts the reductions of the
    /// buckets inside that suffix and polls those in flight. Errors are kept for `finish`, so
    /// layers can report progress without throwing.
    public func gradientsFinal(from offset: Int, communicator: any Communicator) {
        guard communicator.size > 1, failure == nil else { return }
        do {
            while nextBucket < buckets.count, buckets[nextBucket].lowerBound >= offset {
                pending.append(try communicator.startAllReduceSum(UnsafeMutableBufferPointer(rebasing: gradients[buckets[nextBucket]])))
                nextBucket += 1
            }
            if let oldest = pending.first(where: { !$0.isComplete }) { _ = try communicator.poll(oldest) }
        } catch {
            failure = error
        }
    }

    /// The flat index below `offset` at which the next report is worth making (see
    /// `GradientProgress.nextReport`). Once a bucket has started in this step, every report is:
    /// it polls the reductions in flight. Before that, only the start of the next bucket is,
    /// since a report above it starts nothing; 0 when that bucket is the first of the buffer.
    /// This depends on the reports made so far and not on timing, so layers cut their blocks
    /// the same way in every run (and in `--simulate-ranks` and `mpirun` alike).
    public func nextReport(below offset: Int) -> Int {
        guard nextBucket == 0 else { return offset - 1 }
        return buckets.first.map { min($0.lowerBound, offset - 1) } ?? 0
    }

    /// Starts whatever is left, waits for every reduction, and returns the seconds spent
    /// waiting (the communication not hidden behind backward). Afterwards every rank holds the
    /// sum of all ranks' gradients.
    @discardableResult
    public func finish(communicator: any Communicator) throws -> Double {
        partsFinite = false
        guard communicator.size > 1 else { return 0 }
        let started = monotonicSeconds()
        gradientsFinal(from: 0, communicator: communicator)
        defer {
            pending.removeAll(keepingCapacity: true)
            nextBucket = 0
            failure = nil
        }
        if let failure { throw failure }
        for reduction in pending { try communicator.wait(reduction) }
        let waited = monotonicSeconds() - started
        partsFinite = !pending.isEmpty && pending.allSatisfy { $0.partFinite == true }
        return waited
    }
}
