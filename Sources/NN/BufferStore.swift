// Non-trainable model state (batch norm's running statistics) in one flat buffer of its own, apart
// from the parameters, so that the optimizer, weight decay, gradient all-reduce and clipping never
// see it.
import Tensors

/// What a layer asks for besides its parameters: a locally named buffer, its shape and the value
/// every element starts at (PyTorch's `register_buffer`).
public struct BufferSpec: Sendable, Equatable {
    /// The local name, e.g. `"running_mean"`.
    public var name: String
    /// The buffer's shape, e.g. (channels).
    public var shape: [Int]
    /// The value every element starts at.
    public var initialValue: Float

    /// Creates a spec.
    public init(name: String, shape: [Int], initialValue: Float) {
        self.name = name
        self.shape = shape
        self.initialValue = initialValue
    }
}

/// One flat buffer of a model's non-trainable state, laid out like `ParameterStore` but without
/// gradients: each buffer is a named view (`layers.3.running_mean`) at an offset.
///
/// Layers update their views in training-mode forward passes. Data-parallel training keeps the
/// views equal on every rank by averaging the whole store at fixed points (docs/architecture.md,
/// "Buffers: batch norm's running statistics"); checkpoints and weights files save it under
/// `/buffers/<name>`.
public final class BufferStore: @unchecked Sendable {
    /// Every buffer, in model order.
    public let buffers: [Parameter]
    /// The total number of elements.
    public let count: Int
    /// Buffer values, `count` elements.
    public let values: TensorStorage
    private let initialValues: [Float]

    /// Lays out `specs` under the model-wide `names`, each filled with its initial value.
    public init(names: [String], specs: [BufferSpec]) {
        let (buffers, count) = Parameter.layout(names: names, shapes: specs.map(\.shape), of: "BufferStore")
        self.buffers = buffers
        self.count = count
        self.values = TensorStorage(count: count)
        self.initialValues = zip(buffers, specs).flatMap { buffer, spec in Array(repeating: spec.initialValue, count: buffer.count) }
        reset()
    }

    /// The values of `buffer` as a tensor view.
    public func value(_ buffer: Parameter) -> Tensor {
        Tensor(shape: buffer.shape, storage: values, offset: buffer.offset)
    }

    /// The buffer called `name`, if any.
    public func buffer(named name: String) -> Parameter? {
        buffers.first { $0.name == name }
    }

    /// All values, flat, in model order (the span that is averaged across ranks).
    public var flatValues: UnsafeMutableBufferPointer<Float> {
        UnsafeMutableBufferPointer(rebasing: values.buffer[0..<count])
    }

    /// Puts every buffer back to its initial value.
    public func reset() {
        _ = flatValues.update(fromContentsOf: initialValues)
    }

    /// A 64-bit FNV-1a hash of the raw bits of every value (0xcbf29ce484222325 when empty).
    public func checksum() -> UInt64 {
        bitChecksum(UnsafeBufferPointer(flatValues))
    }
}
