// The contract every layer keeps: declare parameters, run forward, run backward.
import Tensors

/// Whether a forward pass is for training or for evaluation (dropout and batch norm differ).
public enum Mode: Sendable {
    case training
    case evaluation
}

/// A building block with a hand-written backward pass.
///
/// A model asks each layer, in order, for its output shape and parameters (`build`), lays all
/// parameters out in one `ParameterStore` (and any non-trainable state in one `BufferStore`), and
/// hands each layer its views (`bind`). Forward keeps what backward needs; backward *adds* into
/// the parameter gradients and returns the input gradient.
public protocol Layer: AnyObject {
    /// A short description for summaries, e.g. `Dense(784 → 512)`.
    var summary: String { get }

    /// Given the shape of one input sample (without the batch dimension), returns the shape of
    /// one output sample and the parameters this layer needs.
    func build(inputShape: [Int]) throws -> (outputShape: [Int], parameters: [ParameterSpec])

    /// Gives the layer its parameter views, in the order `build` listed them.
    func bind(store: ParameterStore, parameters: [Parameter])

    /// The non-trainable state this layer keeps (batch norm's running statistics), known after
    /// `build`; empty for most layers.
    var bufferSpecs: [BufferSpec] { get }

    /// Gives the layer its buffer views, in the order `bufferSpecs` listed them.
    func bind(bufferStore: BufferStore, buffers: [Parameter])

    /// Computes the output for a batch `x` of shape (N, inputShape…) and keeps what `backward`
    /// needs. The returned tensor is owned by the layer and valid until its next `forward`.
    func forward(_ x: Tensor, mode: Mode) -> Tensor

    /// Given dL/d(output) of the last `forward`, adds parameter gradients into the store and
    /// returns dL/d(input). A layer with large parameters may report, through `progress`, the
    /// parts of its gradient that are final before it returns (last part first), so that their
    /// all-reduce can start while the rest is computed.
    func backward(_ outputGradient: Tensor, progress: (any GradientProgress)?) -> Tensor

    /// Like `backward`, for the first layer of a model, whose input gradient nobody reads.
    func accumulateParameterGradients(_ outputGradient: Tensor, progress: (any GradientProgress)?)

    /// Gives a stochastic layer (dropout) its random stream; others ignore it.
    func reseed(_ generator: Generator)
}

/// Receives the news that gradients in the flat buffer are final, during backward.
public protocol GradientProgress: AnyObject {
    /// Every gradient from flat index `offset` to the end of the buffer is final.
    func gradientsFinal(from offset: Int)

    /// Where the next report below `offset` is worth making: a layer that computes a large
    /// gradient in blocks (`Dense`) may compute everything from the returned index up to `offset`
    /// in one block, since reporting anywhere in between would change nothing (no reduction
    /// starts there). The answer must depend only on the reports made so far, never on timing,
    /// so that the blocks, and the bits, are the same in every run. The default, `offset − 1`,
    /// asks for every block.
    func nextReport(below offset: Int) -> Int
}

extension GradientProgress {
    public func nextReport(below offset: Int) -> Int { offset - 1 }
}

extension Layer {
    public func bind(store: ParameterStore, parameters: [Parameter]) {}

    public var bufferSpecs: [BufferSpec] { [] }

    public func bind(bufferStore: BufferStore, buffers: [Parameter]) {}

    public func reseed(_ generator: Generator) {}

    public func accumulateParameterGradients(_ outputGradient: Tensor, progress: (any GradientProgress)?) {
        _ = backward(outputGradient, progress: progress)
    }

    /// `backward` without progress reports.
    public func backward(_ outputGradient: Tensor) -> Tensor {
        backward(outputGradient, progress: nil)
    }

    /// `accumulateParameterGradients` without progress reports.
    public func accumulateParameterGradients(_ outputGradient: Tensor) {
        accumulateParameterGradients(outputGradient, progress: nil)
    }
}

/// A problem with a model definition found while building it (a layer that cannot accept its
/// input shape, for instance).
public struct ModelError: Error, CustomStringConvertible {
    /// What is wrong, naming the layer.
    public let description: String

    /// Creates an error with a message.
    public init(_ description: String) { self.description = description }
}
