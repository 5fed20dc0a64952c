// Fine-tuning: start a new run from saved parameters (`--init-from`) and keep some layers fixed
// (`--freeze`).
import Checkpoints
import Data
import NN
import Tensors

extension Trainer {
    /// Rank 0 loads every parameter and buffer of `path` (a checkpoint or a `--save-weights`
    /// file) whose name and size match the model; the others keep their initialization and are
    /// listed. The caller broadcasts rank 0's values.
    func initialize(_ model: Sequential, from path: String) throws {
        guard communicator.rank == 0 else { return }
        let file = try HDF5File.open(path: path)
        let format = (try? file.readStringAttribute("format")) ?? ""
        try file.close()
        var saved: [String: [Float]] = [:], savedBuffers: [String: [Float]] = [:]
        switch format {
        case Checkpoint.format:
            let checkpoint = try Checkpoint.read(path: path)
            for parameter in checkpoint.parameters { saved[parameter.name] = parameter.values }
            for buffer in checkpoint.buffers { savedBuffers[buffer.name] = buffer.values }
        case WeightsFile.format:
            saved = try WeightsFile.read(path: path)
            savedBuffers = try WeightsFile.readBuffers(path: path)
        default:
            throw CheckpointError.notACheckpoint(path: path)
        }
        let parameters = load(saved, into: model.store.parameters) { model.store.value($0) }
        guard !parameters.loaded.isEmpty else {
            throw CheckpointError.doesNotFitModel(path: path, detail: "no parameter has a matching name and size")
        }
        console.print0("init-from \(path): loaded \(parameters.loaded.joined(separator: ", "))"
            + (parameters.skipped.isEmpty ? "" : "; kept initialized: \(parameters.skipped.joined(separator: ", "))"))
        if model.buffers.count > 0 {
            let buffers = load(savedBuffers, into: model.buffers.buffers) { model.buffers.value($0) }
            console.print0("init-from \(path): buffers loaded: \(buffers.loaded.isEmpty ? "none" : buffers.loaded.joined(separator: ", "))"
                + (buffers.skipped.isEmpty ? "" : "; kept initial: \(buffers.skipped.joined(separator: ", "))"))
        }
    }

    /// Copies each of `saved` into the view of the same name and size; lists what was loaded and
    /// what was not (with the reason).
    private func load(_ saved: [String: [Float]], into views: [Parameter], value: (Parameter) -> Tensor) -> (loaded: [String], skipped: [String]) {
        var loaded: [String] = [], skipped: [String] = []
        for view in views {
            if let values = saved[view.name], values.count == view.count {
                _ = value(view).buffer.update(fromContentsOf: values)
                loaded.append(view.name)
            } else {
                skipped.append(saved[view.name].map { "\(view.name) (file has \($0.count) values, model \(view.count))" }
                               ?? "\(view.name) (not in the file)")
            }
        }
        return (loaded, skipped)
    }

    /// The flat ranges of the parameters under the `--freeze` prefixes.
    func frozenRanges(_ model: Sequential) throws -> [Range<Int>] {
        var ranges: [Range<Int>] = []
        for prefix in options.freeze {
            let matching = model.store.parameters.filter { $0.name.hasPrefix(prefix + ".") || $0.name == prefix }
            guard !matching.isEmpty else {
                throw TrainingError.modelDoesNotFitData("--freeze \(prefix) names no parameter; the model has "
                    + model.store.parameters.map(\.name).joined(separator: ", "))
            }
            ranges += matching.map(\.range)
        }
        if !ranges.isEmpty {
            console.print0("frozen: \(options.freeze.joined(separator: ", ")) (\(ranges.reduce(0) { $0 + $1.count }) parameters are not trained)")
        }
        return ranges
    }
}
