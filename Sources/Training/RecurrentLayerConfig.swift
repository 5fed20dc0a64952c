// The `simple_rnn`, `lstm` and `gru` entries of `model.layers`: keys, defaults, the layer, YAML.
import NN

/// A recurrent layer as written in `model.layers` (docs/config.md, "Recurrent layers").
public struct RecurrentLayerConfig: Equatable, Sendable {
    /// Which recurrent layer.
    public enum Kind: String, Sendable {
        case simpleRNN = "simple_rnn"
        case lstm
        case gru
    }

    /// The layer type.
    public var kind: Kind
    /// H, the size of the hidden state.
    public var units: Int
    /// Output every step's hidden state (N, T, H) rather than the last (N, H).
    public var returnSequences = false
    /// The initializer of `weight_ih` (Keras' `kernel_initializer`).
    public var initializer: Initializer = .xavierUniform
    /// The initializer of `weight_hh` (Keras' `recurrent_initializer`).
    public var recurrentInitializer: Initializer = .orthogonal
    /// Whether the layer has biases.
    public var bias = true
    /// LSTM only: start the forget gate's bias at 1 (Keras' `unit_forget_bias`).
    public var unitForgetBias = true

    /// A layer of `kind` with `units` and every other key at its default.
    public init(kind: Kind, units: Int) {
        self.kind = kind
        self.units = units
    }

    /// Reads the keys of a `simple_rnn`, `lstm` or `gru` entry.
    init(type: String, reader: inout ConfigReader) throws {
        guard let kind = Kind(rawValue: type) else { throw reader.error("type", "is not a recurrent layer: '\(type)'") }
        guard let units = try reader.optionalInt("units", minimum: 1) else {
            throw reader.error("units", "is required for a \(type) layer")
        }
        self.init(kind: kind, units: units)
        returnSequences = try reader.bool("return_sequences", default: returnSequences)
        initializer = try TrainingConfig.initializer(&reader, key: "init", default: initializer.name)
        recurrentInitializer = try TrainingConfig.initializer(&reader, key: "recurrent_init", default: recurrentInitializer.name)
        bias = try reader.bool("bias", default: bias)
        if kind == .lstm { unitForgetBias = try reader.bool("unit_forget_bias", default: unitForgetBias) }
    }

    /// The layer this entry describes.
    func makeLayer() -> any Layer {
        switch kind {
        case .simpleRNN:
            return SimpleRNN(units: units, returnSequences: returnSequences, weightInitializer: initializer,
                             recurrentInitializer: recurrentInitializer, useBias: bias)
        case .lstm:
            return LSTM(units: units, returnSequences: returnSequences, weightInitializer: initializer,
                        recurrentInitializer: recurrentInitializer, useBias: bias, unitForgetBias: unitForgetBias)
        case .gru:
            return GRU(units: units, returnSequences: returnSequences, weightInitializer: initializer,
                       recurrentInitializer: recurrentInitializer, useBias: bias)
        }
    }

    /// The entry as a YAML flow mapping, every key written.
    var yaml: String {
        "{type: \(kind.rawValue), units: \(units), return_sequences: \(returnSequences), "
            + "init: \(initializer.name)\(LayerConfig.initializerParameter(initializer)), "
            + "recurrent_init: \(recurrentInitializer.name)\(LayerConfig.initializerParameter(recurrentInitializer, key: "recurrent_init")), "
            + "bias: \(bias)\(kind == .lstm ? ", unit_forget_bias: \(unitForgetBias)" : "")}"
    }
}
