// Buffers (batch norm's running statistics) in data-parallel training: every rank updates its
// own from its own batches, and at fixed points the ranks average them, so that validation,
// checkpoints and the final model see the same statistics on every rank
// (docs/architecture.md, "Buffers: batch norm's running statistics").
import Comm
import NN

/// Averages a model's buffers across ranks, at most once per optimizer step.
///
/// The trainer calls `average(atStep:)` at the end of every epoch (before validation), before
/// every checkpoint and at the end of the run; every rank calls it at the same steps. The sum is
/// the communicator's `allReduceSum`, which adds in rank order whatever the transport, so
/// `--simulate-ranks N` and `mpirun -np N` give the same bits, and reruns do too. Averaging twice
/// at one step would not be a no-op in floating point (x + x + x is not always 3x), hence the
/// step memo: a checkpoint right after validation reuses the values validation saw.
final class BufferAveraging {
    let buffers: BufferStore
    let communicator: any Communicator
    private var averagedAtStep: Int

    /// Starts at `step`, where every rank holds the same values (the initial ones, or those of a
    /// checkpoint or `--init-from` file, broadcast from rank 0).
    init(buffers: BufferStore, communicator: any Communicator, step: Int) {
        self.buffers = buffers
        self.communicator = communicator
        self.averagedAtStep = step
    }

    /// Replaces every rank's buffers with the mean over ranks, unless that was done after this
    /// many steps already. Nothing happens for models without buffers or with one rank.
    func average(atStep step: Int) throws {
        guard buffers.count > 0, communicator.size > 1, averagedAtStep != step else { return }
        let values = buffers.flatValues
        try communicator.allReduceSum(values)
        let ranks = Float(communicator.size)
        for i in values.indices { values[i] /= ranks }
        averagedAtStep = step
    }
}

extension Trainer {
    /// Copies rank 0's buffers to every rank (after initialization, `--init-from` or a resume).
    func broadcastBuffers(_ model: Sequential) throws {
        if model.buffers.count > 0 { try communicator.broadcast(model.buffers.flatValues, from: 0) }
    }

    /// The buffers as a checkpoint stores them: name, shape and values, in model order.
    func namedBuffers(_ model: Sequential) -> [(name: String, shape: [Int], values: [Float])] {
        model.buffers.buffers.map { ($0.name, $0.shape, model.buffers.value($0).toArray()) }
    }

    /// At the end of the run: averages the buffers a last time, checks that every rank holds the
    /// same ones (like the parameter checksums) and prints their checksum. Returns the checksum.
    func finishBuffers(_ averaging: BufferAveraging, step: Int) throws -> UInt64 {
        try averaging.average(atStep: step)
        let checksum = averaging.buffers.checksum()
        guard averaging.buffers.count > 0 else { return checksum }
        let checksums = try communicator.allGather(checksum)
        let differing = checksums.indices.filter { checksums[$0] != checksums[0] }
        if !differing.isEmpty { throw TrainingError.ranksDisagree(what: "the buffers (batch norm running statistics) after step \(step)", ranks: differing) }
        console.print0("buffer checksum: \(hexChecksum(checksum)) after \(step) steps (\(averaging.buffers.count) values, equal on \(communicator.size) rank(s))")
        return checksum
    }
}
