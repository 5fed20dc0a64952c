// A model as an ordered list of layers over one flat parameter store.
import Tensors

/// Runs layers in order on `forward` and in reverse order on `backward`.
///
/// Building lays every layer's parameters out in one `ParameterStore`, named by position:
/// `layers.0.weight`, `layers.0.bias`, `layers.2.weight`, …
public final class Sequential {
    /// The layers, in forward order.
    public let layers: [any Layer]
    /// The shape of one input sample.
    public let inputShape: [Int]
    /// The shape of one output sample.
    public let outputShape: [Int]
    /// Each layer's output shape (one sample).
    public let layerOutputShapes: [[Int]]
    /// The flat parameter and gradient buffers.
    public let store: ParameterStore
    /// For each layer, the indices into `store.parameters` that it owns.
    public let parameterIndices: [Range<Int>]
    /// The non-trainable state (batch norm's running statistics), named like parameters
    /// (`layers.3.running_mean`); empty for most models.
    public let buffers: BufferStore
    private let specs: [ParameterSpec]

    /// Builds `layers` for samples of `inputShape`; throws `ModelError` naming the layer that
    /// cannot take its input.
    public init(_ layers: [any Layer], inputShape: [Int]) throws {
        self.layers = layers
        self.inputShape = inputShape
        var shape = inputShape
        var names: [String] = []
        var specs: [ParameterSpec] = []
        var indices: [Range<Int>] = []
        var shapes: [[Int]] = []
        var bufferNames: [String] = [], bufferSpecs: [BufferSpec] = [], bufferIndices: [Range<Int>] = []
        for (index, layer) in layers.enumerated() {
            let built: (outputShape: [Int], parameters: [ParameterSpec])
            do {
                built = try layer.build(inputShape: shape)
            } catch let error as ModelError {
                throw ModelError("layers.\(index): \(error.description)")
            }
            indices.append(specs.count..<(specs.count + built.parameters.count))
            for spec in built.parameters {
                names.append("layers.\(index).\(spec.name)")
                specs.append(spec)
            }
            bufferIndices.append(bufferSpecs.count..<(bufferSpecs.count + layer.bufferSpecs.count))
            for spec in layer.bufferSpecs {
                bufferNames.append("layers.\(index).\(spec.name)")
                bufferSpecs.append(spec)
            }
            shape = built.outputShape
            shapes.append(shape)
        }
        self.outputShape = shape
        self.layerOutputShapes = shapes
        self.specs = specs
        self.parameterIndices = indices
        self.store = ParameterStore(names: names, shapes: specs.map(\.shape))
        for (layer, range) in zip(layers, indices) {
            layer.bind(store: store, parameters: Array(store.parameters[range]))
        }
        self.buffers = BufferStore(names: bufferNames, specs: bufferSpecs)
        for (layer, range) in zip(layers, bufferIndices) where !range.isEmpty {
            layer.bind(bufferStore: buffers, buffers: Array(buffers.buffers[range]))
        }
        layerParameterRanges = indices.map { [store] indices in
            let parameters = store.parameters[indices]
            guard let first = parameters.first, let last = parameters.last else { return 0..<0 }
            return first.offset..<(last.offset + last.count)
        }
    }

    /// Fills every parameter with its initializer, drawing from one generator in model order,
    /// so the same seed gives the same parameters on every rank and every run.
    public func initializeParameters(seed: UInt64) {
        var generator = Generator(seed: seed, keys: [Purpose.initialization])
        for (parameter, spec) in zip(store.parameters, specs) {
            spec.initializer.fill(store.value(parameter).buffer, fanIn: spec.fans.fanIn, fanOut: spec.fans.fanOut,
                                  generator: &generator)
        }
    }

    /// For each layer, the range of the flat buffers its parameters occupy (empty for layers
    /// without parameters).
    public let layerParameterRanges: [Range<Int>]

    /// Gives every stochastic layer its random stream for optimizer step `step`, keyed by
    /// (seed, rank, layer index, step): ranks draw different dropout masks, a rerun draws the same
    /// ones, and a run resumed at any step draws exactly what it would have drawn.
    public func reseedStochasticLayers(seed: UInt64, rank: Int, step: Int) {
        for (index, layer) in layers.enumerated() where layer is Dropout {
            layer.reseed(Generator(seed: seed, keys: [Purpose.dropout, UInt64(rank), UInt64(index), UInt64(step)]))
        }
    }

    /// The number of trainable scalars.
    public var parameterCount: Int { store.count }

    // MARK: - Forward

    /// Runs every layer on `x` (N, inputShape…) and returns the last layer's output.
    public func forward(_ x: Tensor, mode: Mode = .training) -> Tensor {
        layers.reduce(x) { input, layer in layer.forward(input, mode: mode) }
    }

    /// Like `forward(_:mode:)`, calling `layerDone(i, output)` after each layer (the hook of
    /// `--detect-anomalies`).
    public func forward(_ x: Tensor, mode: Mode = .training, layerDone: (Int, Tensor) throws -> Void) rethrows -> Tensor {
        var output = x
        for (index, layer) in layers.enumerated() {
            output = layer.forward(output, mode: mode)
            try layerDone(index, output)
        }
        return output
    }

    // MARK: - Backward

    /// Back-propagates `outputGradient` through every layer, last first, adding into the
    /// gradient buffer. `layerDone(i, inputGradient)` runs as soon as layer `i` has finished its
    /// parameter gradients (the hook for starting gradient all-reduces early). Nothing below the
    /// first layer with parameters needs an input gradient, so that layer only accumulates its
    /// parameter gradients, the parameterless layers in front of it (a reshape or flatten) are
    /// skipped, and their input gradients are passed as `nil`.
    public func backward(_ outputGradient: Tensor, progress: (any GradientProgress)? = nil,
                         layerDone: (Int, Tensor?) throws -> Void) rethrows {
        var gradient = outputGradient
        let firstTrainable = layerParameterRanges.firstIndex { !$0.isEmpty } ?? 0
        for index in layers.indices.reversed() {
            if index < firstTrainable {
                try layerDone(index, nil)
            } else if index == firstTrainable {
                layers[index].accumulateParameterGradients(gradient, progress: progress)
                try layerDone(index, nil)
            } else {
                gradient = layers[index].backward(gradient, progress: progress)
                try layerDone(index, gradient)
            }
            // everything from this layer's first parameter on is final now
            progress?.gradientsFinal(from: layerParameterRanges[index].isEmpty ? store.count : layerParameterRanges[index].lowerBound)
        }
    }

    /// Back-propagates `outputGradient` through every layer, last first.
    public func backward(_ outputGradient: Tensor) {
        backward(outputGradient) { _, _ in }
    }

    /// A Keras-style table: layer, output shape, parameter count.
    public var summary: String {
        var lines = ["layer                          output shape      parameters"]
        for (index, layer) in layers.enumerated() {
            let count = store.parameters[parameterIndices[index]].reduce(0) { $0 + $1.count }
            let name = "layers.\(index) \(layer.summary)"
            lines.append(name.padded(to: 31) + "\(layerOutputShapes[index])".padded(to: 18) + "\(count)")
        }
        lines.append("total parameters: \(parameterCount)")
        if buffers.count > 0 {
            lines.append("buffers (not trained): \(buffers.count) in \(buffers.buffers.map(\.name).joined(separator: ", "))")
        }
        return lines.joined(separator: "\n")
    }
}

extension String {
    /// The string followed by spaces up to `width` characters (at least one space).
    func padded(to width: Int) -> String {
        count >= width ? self + " " : self + String(repeating: " ", count: width - count)
    }
}
