// Fine-tuning: start a new run from saved parameters (`--init-from`) and keep some layers fixed
// (`--freeze`).
import Checkpoints
import Data
import NN

extension Trainer {
    /// Rank 0 loads every parameter of `path` (a checkpoint or a `--save-weights` file) whose
    /// name and size match the model; the others keep their initialization and are listed.
    /// The caller broadcasts rank 0's values.
    func initialize(_ model: Sequential, from path: String) throws {
        guard communicator.rank == 0 else { return }
        let file = try HDF5File.open(path: path)
        let format = (try? file.readStringAttribute("format")) ?? ""
        try file.close()
        var saved: [String: [Float]] = [:]
        switch format {
        case Checkpoint.format:
            for parameter in try Checkpoint.read(path: path).parameters { saved[parameter.name] = parameter.values }
        case WeightsFile.format:
            saved = try WeightsFile.read(path: path)
        default:
            throw CheckpointError.notACheckpoint(path: path)
        }
        var loaded: [String] = [], skipped: [String] = []
        for parameter in model.store.parameters {
            if let values = saved[parameter.name], values.count == parameter.count {
                _ = model.store.value(parameter).buffer.update(fromContentsOf: values)
                loaded.append(parameter.name)
            } else {
                skipped.append(saved[parameter.name].map { "\(parameter.name) (file has \($0.count) values, model \(parameter.count))" }
                               ?? "\(parameter.name) (not in the file)")
            }
        }
        guard !loaded.isEmpty else {
            throw CheckpointError.doesNotFitModel(path: path, detail: "no parameter has a matching name and size")
        }
        console.print0("init-from \(path): loaded \(loaded.joined(separator: ", "))"
            + (skipped.isEmpty ? "" : "; kept initialized: \(skipped.joined(separator: ", "))"))
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
