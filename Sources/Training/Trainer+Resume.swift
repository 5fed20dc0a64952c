// Restoring a run from a checkpoint: rank 0 reads and checks it, every rank takes the state.
import Checkpoints
import Comm
import NN

extension Trainer {
    /// Loads the checkpoint `resume` names into `model`, `optimizer` and the callbacks on every
    /// rank, and returns where training goes on. Rank 0 reads the file (the run directory may
    /// exist on its host only) and broadcasts the state.
    func restore(from resume: RunOptions.ResumeFrom, checkpoints: CheckpointDirectory, model: Sequential,
                 optimizer: any Optimizer, stopping: inout EarlyStopping?, plateau: inout PlateauReduction?,
                 bestMonitor: inout MetricMonitor)
        throws -> (step: Int, epoch: Int, stepInEpoch: Int) {
        let comm = communicator
        var header = [Double](repeating: 0, count: 5)   // ok, step, epoch, step in epoch, optimizer steps
        var loaded: (path: String, checkpoint: Checkpoint)?
        var failure: (any Error)?
        if comm.rank == 0 {
            do {
                switch resume {
                case .latest:
                    loaded = try checkpoints.newestValid { path, error in
                        console.print0("warning: skipping \(path): \(error)")
                    }
                case .file(let path):
                    loaded = (path, try Checkpoint.read(path: path))
                }
                if let (path, checkpoint) = loaded {
                    try check(checkpoint, path: path, fits: model, optimizer: optimizer)
                    header = [1, Double(checkpoint.step), Double(checkpoint.epoch), Double(checkpoint.stepInEpoch),
                              Double(checkpoint.optimizerStepCount)]
                }
            } catch {
                failure = error
            }
        }
        header = try comm.allReduce(header, .sum)   // only rank 0 contributes
        guard header[0] == 1 else {
            // rank 0's reason on every rank, so that the job ends together and says why once
            let reason = try comm.allGatherText(failure.map { "\($0)" } ?? "")[0]
            throw TrainingError.cannotResume(reason.isEmpty ? "rank 0 could not load the checkpoint" : reason)
        }

        // parameters, optimizer state and callback state: rank 0's, on every rank
        if let (path, checkpoint) = loaded {
            for (parameter, saved) in zip(model.store.parameters, checkpoint.parameters) {
                _ = model.store.value(parameter).buffer.update(fromContentsOf: saved.values)
            }
            for (buffer, saved) in zip(optimizer.state, checkpoint.optimizerState) {
                _ = buffer.values.buffer.update(fromContentsOf: saved.values)
            }
            for (buffer, saved) in zip(model.buffers.buffers, checkpoint.buffers) {
                _ = model.buffers.value(buffer).buffer.update(fromContentsOf: saved.values)
            }
            stopping?.restore(checkpoint.scalars)
            plateau?.restore(checkpoint.scalars)
            bestMonitor.restore(checkpoint.scalars, "checkpoint")
            let note = checkpoint.worldSize == comm.size ? "" : " (written by \(checkpoint.worldSize) ranks, resumed on \(comm.size): the data order from here differs from an uninterrupted run)"
            console.print0("resuming from \(path) at step \(checkpoint.step), epoch \(checkpoint.epoch + 1), step \(checkpoint.stepInEpoch) of that epoch\(note)")
            if let changed = changedSettings(since: checkpoint) {
                console.print0("warning: the config differs from the one \(path) was written with: \(changed); "
                    + "the run goes on with the new values, so it will not equal a run that never stopped")
            }
        }
        try comm.broadcast(model.store.values.buffer, from: 0)
        for buffer in optimizer.state { try comm.broadcast(buffer.values.buffer, from: 0) }
        try broadcastBuffers(model)
        optimizer.stepCount = Int(header[4])
        // the plateau factor is the only callback state every rank uses
        if var reduction = plateau {
            let scale = try comm.allReduce([comm.rank == 0 ? Double(reduction.scale) : 0], .sum)[0]
            if comm.rank != 0 { reduction.restore(["reduce_lr_on_plateau.scale": scale]) }
            plateau = reduction
        }
        return (Int(header[1]), Int(header[2]), Int(header[3]))
    }

    /// Rank 0: the checkpoint's parameters, buffers and optimizer must be those of the configured
    /// model.
    private func check(_ checkpoint: Checkpoint, path: String, fits model: Sequential, optimizer: any Optimizer) throws {
        let expected = model.store.parameters.map { "\($0.name) \($0.shape)" }
        let found = checkpoint.parameters.map { "\($0.name) \($0.shape)" }
        guard expected == found else {
            let first = zip(expected, found).first { $0 != $1 }.map { "model has \($0.0), checkpoint has \($0.1)" }
                ?? "model has \(expected.count) parameters, checkpoint has \(found.count)"
            throw CheckpointError.doesNotFitModel(path: path, detail: first)
        }
        let expectedBuffers = model.buffers.buffers.map { "\($0.name) \($0.shape)" }
        let foundBuffers = checkpoint.buffers.map { "\($0.name) \($0.shape)" }
        guard expectedBuffers == foundBuffers else {
            throw CheckpointError.doesNotFitModel(path: path, detail: "the model has buffers \(expectedBuffers), the checkpoint has \(foundBuffers)"
                + (foundBuffers.isEmpty ? " (a checkpoint of a model without batch norm, or of format version 1)" : ""))
        }
        guard checkpoint.optimizer == config.optimizer, checkpoint.optimizerState.map(\.name) == optimizer.state.map(\.name) else {
            throw CheckpointError.doesNotFitModel(
                path: path, detail: "it holds \(checkpoint.optimizer) state \(checkpoint.optimizerState.map(\.name)), "
                    + "the config asks for \(config.optimizer) with \(optimizer.state.map(\.name))")
        }
    }

    /// The keys whose values differ from the config the checkpoint was written with, as
    /// `data.dir: 'b' (checkpoint: 'a')`, at most eight of them; nil when none does. Where the
    /// run ends (`training.epochs`, `training.max_steps`, `--epochs`, `--max-steps`) is left
    /// out: going on further than before is what a resume is for.
    private func changedSettings(since checkpoint: Checkpoint) -> String? {
        let differences = configDifferences(config.yaml, checkpoint.config).filter {
            $0.key != "training.epochs" && $0.key != "training.max_steps"
        }
        guard !differences.isEmpty else { return nil }
        let shown = differences.prefix(8).map { "\($0.key): \($0.first ?? "not set") (checkpoint: \($0.other ?? "not set"))" }
        return shown.joined(separator: ", ") + (differences.count > 8 ? " and \(differences.count - 8) more" : "")
    }
}
