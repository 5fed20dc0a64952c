// Ways to fill a parameter before training, named as in Keras and PyTorch.
import Tensors

/// How a parameter's first values are drawn.
///
/// `fanIn`/`fanOut` are the number of inputs and outputs of one unit (for Dense: inFeatures and
/// outFeatures).
///
/// ### References
/// 1. Glorot & Bengio, "Understanding the difficulty of training deep feedforward neural
///    networks", 2010 (Xavier).
/// 2. He et al., "Delving Deep into Rectifiers", 2015. https://arxiv.org/abs/1502.01852
/// 3. Saxe, McClelland & Ganguli, "Exact solutions to the nonlinear dynamics of learning in deep
///    linear neural networks", 2014. https://arxiv.org/abs/1312.6120 (orthogonal)
public enum Initializer: Sendable, Equatable {
    /// All zeros (the default for biases).
    case zeros
    /// Every element `value`.
    case constant(Float)
    /// 𝒩(0, std²).
    case normal(standardDeviation: Float)
    /// 𝒰(−limit, limit).
    case uniform(limit: Float)
    /// 𝒰(−a, a) with a = √(6 / (fanIn + fanOut)).
    case xavierUniform
    /// 𝒩(0, 2 / (fanIn + fanOut)).
    case xavierNormal
    /// 𝒰(−a, a) with a = √(6 / fanIn).
    case heUniform
    /// 𝒩(0, 2 / fanIn).
    case heNormal
    /// A random orthogonal matrix (Keras `Orthogonal`, gain 1): the values seen as a
    /// (count / fanIn, fanIn) matrix get orthonormal rows, or orthonormal columns when there are
    /// more rows than columns.
    case orthogonal
    /// The values cut into `parts.count` equal consecutive blocks, block i filled by `parts[i]`
    /// (e.g. an LSTM bias with the forget gate's block at 1).
    indirect case blocks([Initializer])

    /// The config names accepted for each case (`he_normal`, `xavier_uniform`, …).
    public static let names = ["zeros", "constant", "normal", "uniform", "xavier_uniform", "xavier_normal", "he_uniform", "he_normal", "orthogonal"]

    /// The config name of this initializer (the inverse of `init(name:)` for parameterless cases).
    public var name: String {
        switch self {
        case .zeros: return "zeros"
        case .constant: return "constant"
        case .normal: return "normal"
        case .uniform: return "uniform"
        case .xavierUniform: return "xavier_uniform"
        case .xavierNormal: return "xavier_normal"
        case .heUniform: return "he_uniform"
        case .heNormal: return "he_normal"
        case .orthogonal: return "orthogonal"
        case .blocks: return "blocks"
        }
    }

    /// Parses a config name; `nil` if unknown.
    public init?(name: String) {
        switch name {
        case "zeros": self = .zeros
        case "xavier_uniform", "glorot_uniform": self = .xavierUniform
        case "xavier_normal", "glorot_normal": self = .xavierNormal
        case "he_uniform", "kaiming_uniform": self = .heUniform
        case "he_normal", "kaiming_normal": self = .heNormal
        case "orthogonal": self = .orthogonal
        default: return nil
        }
    }

    /// Fills `values` using `generator`.
    public func fill(_ values: UnsafeMutableBufferPointer<Float>, fanIn: Int, fanOut: Int,
                     generator: inout Generator) {
        switch self {
        case .zeros:
            values.update(repeating: 0)
        case .constant(let value):
            values.update(repeating: value)
        case .normal(let std):
            for i in values.indices { values[i] = generator.normal(standardDeviation: std) }
        case .uniform(let limit):
            for i in values.indices { values[i] = generator.uniform(-limit, limit) }
        case .xavierUniform:
            Initializer.uniform(limit: (6 / Float(fanIn + fanOut)).squareRoot())
                .fill(values, fanIn: fanIn, fanOut: fanOut, generator: &generator)
        case .xavierNormal:
            Initializer.normal(standardDeviation: (2 / Float(fanIn + fanOut)).squareRoot())
                .fill(values, fanIn: fanIn, fanOut: fanOut, generator: &generator)
        case .heUniform:
            Initializer.uniform(limit: (6 / Float(fanIn)).squareRoot())
                .fill(values, fanIn: fanIn, fanOut: fanOut, generator: &generator)
        case .heNormal:
            Initializer.normal(standardDeviation: (2 / Float(fanIn)).squareRoot())
                .fill(values, fanIn: fanIn, fanOut: fanOut, generator: &generator)
        case .orthogonal:
            Initializer.fillOrthogonal(values, columns: fanIn, generator: &generator)
        case .blocks(let parts):
            precondition(!parts.isEmpty && values.count % parts.count == 0,
                         "Initializer.blocks: \(values.count) values do not split into \(parts.count) blocks")
            let size = values.count / parts.count
            for (index, part) in parts.enumerated() {
                part.fill(UnsafeMutableBufferPointer(rebasing: values[(index * size)..<((index + 1) * size)]),
                          fanIn: fanIn, fanOut: fanOut, generator: &generator)
            }
        }
    }
}
