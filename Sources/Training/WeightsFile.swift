// Final parameters by name in an HDF5 file (`--save-weights`), readable with h5py:
// f["params/layers.0.weight"][...].
import Data
import NN

/// Writes and reads a model's parameters, one float32 dataset per parameter under `/params`.
public enum WeightsFile {
    /// The `format` attribute.
    public static let format = "swiftddp-weights"

    /// Writes every parameter of `store` to `path` atomically, with the step and checksum.
    public static func write(_ store: ParameterStore, to path: String, step: Int) throws {
        try HDF5File.writeAtomically(path: path) { file in
            try file.writeAttribute("format", format)
            try file.writeAttribute("format_version", 1)
            try file.writeAttribute("step", step)
            try file.writeAttribute("checksum", hexChecksum(store.checksum()))
            for parameter in store.parameters {
                try file.write(store.value(parameter), to: "/params/\(parameter.name)")
            }
        }
    }

    /// Reads every parameter of a weights file, by name.
    public static func read(path: String) throws -> [String: [Float]] {
        let file = try HDF5File.open(path: path)
        defer { try? file.close() }
        var result: [String: [Float]] = [:]
        for name in try file.datasetNames(in: "/params") {
            result[name] = try file.readFloats("/params/\(name)").values
        }
        return result
    }
}
