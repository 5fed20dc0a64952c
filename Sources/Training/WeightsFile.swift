// Final parameters (and buffers, such as batch norm's running statistics) by name in an HDF5
// file (`--save-weights`), readable with h5py: f["params/layers.0.weight"][...].
import Data
import NN

/// Writes and reads a model's parameters, one float32 dataset per parameter under `/params`,
/// and its buffers (if any) under `/buffers`.
public enum WeightsFile {
    /// The `format` attribute.
    public static let format = "swiftddp-weights"

    /// Writes every parameter of `store` and every buffer of `buffers` to `path` atomically, with
    /// the step and the parameter checksum.
    public static func write(_ store: ParameterStore, buffers: BufferStore? = nil, to path: String, step: Int) throws {
        try HDF5File.writeAtomically(path: path) { file in
            try file.writeAttribute("format", format)
            try file.writeAttribute("format_version", 1)
            try file.writeAttribute("step", step)
            try file.writeAttribute("checksum", hexChecksum(store.checksum()))
            for parameter in store.parameters {
                try file.write(store.value(parameter), to: "/params/\(parameter.name)")
            }
            if let buffers {
                for buffer in buffers.buffers { try file.write(buffers.value(buffer), to: "/buffers/\(buffer.name)") }
            }
        }
    }

    /// Reads every parameter of a weights file, by name.
    public static func read(path: String) throws -> [String: [Float]] {
        try read(path: path, group: "/params")
    }

    /// Reads every buffer of a weights file, by name (none in files of models without buffers).
    public static func readBuffers(path: String) throws -> [String: [Float]] {
        try read(path: path, group: "/buffers")
    }

    private static func read(path: String, group: String) throws -> [String: [Float]] {
        let file = try HDF5File.open(path: path)
        defer { try? file.close() }
        var result: [String: [Float]] = [:]
        guard file.exists(group) else { return result }
        for name in try file.datasetNames(in: group) {
            result[name] = try file.readFloats("\(group)/\(name)").values
        }
        return result
    }
}
