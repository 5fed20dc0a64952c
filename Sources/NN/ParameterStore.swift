// All parameters of a model in one contiguous buffer, all gradients in a second one of the same
// layout (design.md §3). A parameter is a named view: name, offset, shape.
import Tensors

/// What a layer asks for: a locally named parameter, its shape and how to fill it.
public struct ParameterSpec: Sendable {
    /// The local name, e.g. `"weight"`.
    public var name: String
    /// The parameter's shape, e.g. (outFeatures, inFeatures).
    public var shape: [Int]
    /// How the values are first filled.
    public var initializer: Initializer
    /// Fan-in and fan-out, as the initializer sees them.
    public var fans: (fanIn: Int, fanOut: Int)

    /// Creates a spec.
    public init(name: String, shape: [Int], initializer: Initializer, fanIn: Int, fanOut: Int) {
        self.name = name
        self.shape = shape
        self.initializer = initializer
        self.fans = (fanIn, fanOut)
    }
}

/// A named view into the flat parameter and gradient buffers.
public struct Parameter: Sendable, Equatable {
    /// The model-wide dotted name, e.g. `layers.0.weight`.
    public let name: String
    /// The first element's index in the flat buffers.
    public let offset: Int
    /// The parameter's shape.
    public let shape: [Int]
    /// The number of elements.
    public var count: Int { shape.reduce(1, *) }
    /// The index range in the flat buffers.
    public var range: Range<Int> { offset..<(offset + count) }

    /// Named views laid out one after another from offset 0, and the total element count; `owner`
    /// names the store in precondition messages.
    static func layout(names: [String], shapes: [[Int]], of owner: String) -> (views: [Parameter], count: Int) {
        precondition(names.count == shapes.count, "\(owner): \(names.count) names for \(shapes.count) shapes")
        precondition(Set(names).count == names.count, "\(owner): duplicate names in \(names)")
        var offset = 0
        var views: [Parameter] = []
        for (name, shape) in zip(names, shapes) {
            let view = Parameter(name: name, offset: offset, shape: shape)
            views.append(view)
            offset += view.count
        }
        return (views, offset)
    }
}

/// One flat buffer of parameter values and one of gradients, shared by every layer of a model.
///
/// The optimizer, gradient all-reduce, checksums and checkpoints all work on the flat buffers;
/// layers see their own `Tensor` views through `value(_:)` and `gradient(_:)`.
public final class ParameterStore: @unchecked Sendable {
    /// Every parameter, in model order (the order `namedParameters` lists them).
    public let parameters: [Parameter]
    /// The total number of elements.
    public let count: Int
    /// Parameter values, `count` elements.
    public let values: TensorStorage
    /// Gradients, same layout as `values`.
    public private(set) var gradients: TensorStorage
    /// The weights (parameters whose last name component starts with `weight`: `*.weight`,
    /// `*.weight_ih`, `*.weight_hh`), as the L1 penalty picks them; biases and batch norm's
    /// scale and shift are not among them.
    public let weights: [Parameter]

    /// Lays out `specs` (already carrying model-wide names) one after another, zero-filled.
    public init(names: [String], shapes: [[Int]]) {
        let (parameters, count) = Parameter.layout(names: names, shapes: shapes, of: "ParameterStore")
        self.parameters = parameters
        self.count = count
        self.values = TensorStorage(count: count)
        self.gradients = TensorStorage(count: count)
        self.weights = parameters.filter { $0.name.split(separator: ".").last?.hasPrefix("weight") == true }
    }

    /// The values of `parameter` as a tensor view.
    public func value(_ parameter: Parameter) -> Tensor {
        Tensor(shape: parameter.shape, storage: values, offset: parameter.offset)
    }

    /// The gradient of `parameter` as a tensor view.
    public func gradient(_ parameter: Parameter) -> Tensor {
        Tensor(shape: parameter.shape, storage: gradients, offset: parameter.offset)
    }

    /// The parameter called `name`, if any.
    public func parameter(named name: String) -> Parameter? {
        parameters.first { $0.name == name }
    }

    /// All values as one flat tensor.
    public var flatValues: Tensor { Tensor(shape: [count], storage: values) }

    /// All gradients as one flat tensor.
    public var flatGradients: Tensor { Tensor(shape: [count], storage: gradients) }

    /// Moves the gradients into `storage` (at least `count` elements), e.g. memory a
    /// communicator can reduce in place (`Communicator.makeReductionBuffer`). Layers look the
    /// gradient buffer up on every use, so they follow; anything holding the old buffer (a
    /// `GradientBuckets`) must be made after this.
    public func moveGradients(to storage: TensorStorage) {
        precondition(storage.buffer.count >= count, "ParameterStore: \(storage.buffer.count) elements cannot hold \(count) gradients")
        storage.buffer.baseAddress!.update(from: gradients.buffer.baseAddress!, count: count)
        gradients = storage
    }

    /// Sets every gradient to zero (one memset).
    public func zeroGradients() {
        gradients.buffer.update(repeating: 0)
    }

    /// The global L2 norm of all gradients.
    public func gradientNorm() -> Float {
        norm2(count: count, x: gradients.buffer.baseAddress!)
    }
}
