// One training checkpoint as an HDF5 file (docs/checkpoint-format.md): parameters and buffers by
// name, optimizer state, where training stands, the resolved config, and a checksum of it all.
import Data
import NN
import Tensors

/// Everything needed to go on training exactly where a run stopped.
public struct Checkpoint: Sendable {
    /// The `format` attribute.
    public static let format = "swiftddp-checkpoint"
    /// The newest format version this build reads; it writes 2 when there are buffers, and 1
    /// (which has no `/buffers`) otherwise, so older builds still read models without them.
    public static let version = 2

    /// Optimizer steps completed.
    public var step: Int
    /// The epoch (0-based) and the step inside it where training goes on.
    public var epoch: Int
    public var stepInEpoch: Int
    /// The number of ranks that wrote it.
    public var worldSize: Int
    /// The run's seed.
    public var seed: UInt64
    /// The resolved config, as YAML.
    public var config: String
    /// Parameter names, shapes and values, in model order.
    public var parameters: [(name: String, shape: [Int], values: [Float])]
    /// The optimizer's type, step count and flat state buffers (the store's layout).
    public var optimizer: String
    public var optimizerStepCount: Int
    public var optimizerState: [(name: String, values: [Float])]
    /// Named scalars of callbacks (early stopping, plateau), e.g. `early_stopping.best`.
    public var scalars: [String: Double]
    /// Buffer names, shapes and values (batch norm's running statistics), in model order; empty
    /// for models without buffers and for version-1 files.
    public var buffers: [(name: String, shape: [Int], values: [Float])]

    /// Creates a checkpoint.
    public init(step: Int, epoch: Int, stepInEpoch: Int, worldSize: Int, seed: UInt64, config: String,
                parameters: [(name: String, shape: [Int], values: [Float])], optimizer: String, optimizerStepCount: Int,
                optimizerState: [(name: String, values: [Float])], scalars: [String: Double],
                buffers: [(name: String, shape: [Int], values: [Float])] = []) {
        self.step = step
        self.epoch = epoch
        self.stepInEpoch = stepInEpoch
        self.worldSize = worldSize
        self.seed = seed
        self.config = config
        self.parameters = parameters
        self.optimizer = optimizer
        self.optimizerStepCount = optimizerStepCount
        self.optimizerState = optimizerState
        self.scalars = scalars
        self.buffers = buffers
    }

    /// A 64-bit FNV-1a hash of the step, the parameters, the optimizer state and the buffers, in
    /// file order (without buffers, the version-1 checksum).
    public var checksum: UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        func mix(_ word: UInt64) { hash = (hash ^ word) &* 0x0000_0100_0000_01B3 }
        mix(UInt64(step))
        mix(UInt64(optimizerStepCount))
        for (_, _, values) in parameters { for value in values { mix(UInt64(value.bitPattern)) } }
        for (_, values) in optimizerState { for value in values { mix(UInt64(value.bitPattern)) } }
        for (_, _, values) in buffers { for value in values { mix(UInt64(value.bitPattern)) } }
        return hash
    }

    // MARK: - Writing

    /// Writes the checkpoint to `path` atomically: a `.partial` file is written, flushed to disk
    /// (fsync) and renamed, so `path` is either complete or absent. `durable: false` skips the
    /// fsync (the benchmark's page-cache figure; training always writes durably).
    public func write(to path: String, durable: Bool = true) throws {
        try HDF5File.writeAtomically(path: path, durable: durable) { file in
            try file.writeAttribute("format", Checkpoint.format)
            try file.writeAttribute("format_version", buffers.isEmpty ? 1 : 2)
            try file.writeAttribute("step", step)
            try file.writeAttribute("epoch", epoch)
            try file.writeAttribute("step_in_epoch", stepInEpoch)
            try file.writeAttribute("world_size", worldSize)
            try file.writeAttribute("seed", String(seed))
            try file.writeAttribute("config", config)
            try file.writeAttribute("optimizer", optimizer)
            try file.writeAttribute("optimizer_step_count", optimizerStepCount)
            try file.writeAttribute("checksum", hexChecksum(checksum))
            try file.writeAttribute("scalar_names", scalars.keys.sorted())
            try file.writeAttribute("parameter_names", parameters.map(\.name))
            try file.writeAttribute("optimizer_state_names", optimizerState.map(\.name))
            for name in scalars.keys.sorted() { try file.writeAttribute("scalar." + name, scalars[name] ?? 0) }
            for (name, shape, values) in parameters { try file.write(values, shape: shape, to: "/params/\(name)") }
            for (name, values) in optimizerState { try file.write(values, shape: [values.count], to: "/optimizer/\(name)") }
            if !buffers.isEmpty {
                try file.writeAttribute("buffer_names", buffers.map(\.name))
                for (name, shape, values) in buffers { try file.write(values, shape: shape, to: "/buffers/\(name)") }
            }
        }
    }

    // MARK: - Reading

    /// Reads and verifies a checkpoint.
    /// - Throws: `CheckpointError` naming the file: not a checkpoint, a newer format, or a
    ///   checksum that does not match its contents (a damaged file).
    public static func read(path: String) throws -> Checkpoint {
        let file: HDF5File
        do {
            file = try HDF5File.open(path: path)
        } catch {
            throw CheckpointError.unreadable(path: path, reason: "\(error)")
        }
        defer { try? file.close() }
        do {
            guard (try? file.readStringAttribute("format")) == Checkpoint.format else { throw CheckpointError.notACheckpoint(path: path) }
            let version = try file.readIntAttribute("format_version")
            guard version <= Checkpoint.version else {
                throw CheckpointError.unsupportedVersion(path: path, found: version, supported: Checkpoint.version)
            }
            var parameters: [(name: String, shape: [Int], values: [Float])] = []
            for name in try file.readStringArrayAttribute("parameter_names") {
                let (values, shape) = try file.readFloats("/params/\(name)")
                parameters.append((name, shape, values))
            }
            var state: [(name: String, values: [Float])] = []
            for name in try file.readStringArrayAttribute("optimizer_state_names") {
                state.append((name, try file.readFloats("/optimizer/\(name)").values))
            }
            var buffers: [(name: String, shape: [Int], values: [Float])] = []
            if version >= 2 {
                for name in try file.readStringArrayAttribute("buffer_names") {
                    let (values, shape) = try file.readFloats("/buffers/\(name)")
                    buffers.append((name, shape, values))
                }
            }
            var scalars: [String: Double] = [:]
            for name in try file.readStringArrayAttribute("scalar_names") { scalars[name] = try file.readDoubleAttribute("scalar." + name) }
            let checkpoint = Checkpoint(
                step: try file.readIntAttribute("step"), epoch: try file.readIntAttribute("epoch"),
                stepInEpoch: try file.readIntAttribute("step_in_epoch"), worldSize: try file.readIntAttribute("world_size"),
                seed: UInt64(try file.readStringAttribute("seed")) ?? 0, config: try file.readStringAttribute("config"),
                parameters: parameters, optimizer: try file.readStringAttribute("optimizer"),
                optimizerStepCount: try file.readIntAttribute("optimizer_step_count"), optimizerState: state, scalars: scalars,
                buffers: buffers)
            let stored = try file.readStringAttribute("checksum")
            guard stored == hexChecksum(checkpoint.checksum) else {
                throw CheckpointError.checksumMismatch(path: path, stored: stored, computed: hexChecksum(checkpoint.checksum))
            }
            return checkpoint
        } catch let error as CheckpointError {
            throw error
        } catch {
            throw CheckpointError.unreadable(path: path, reason: "\(error)")
        }
    }
}
