import Glibc
import NN
import Tensors
import TestSupport
import Testing

private func makeLayer(_ kind: String, units: Int, returnSequences: Bool, useBias: Bool = true) -> RecurrentLayer {
    switch kind {
    case "simple_rnn": return SimpleRNN(units: units, returnSequences: returnSequences, useBias: useBias)
    case "lstm": return LSTM(units: units, returnSequences: returnSequences, useBias: useBias)
    default: return GRU(units: units, returnSequences: returnSequences, useBias: useBias)
    }
}

private func σ(_ x: Float) -> Float { 1 / (1 + expf(-x)) }

/// PyTorch's `nn.LSTM` and `nn.GRU` equations written out element by element, the reference for
/// the sgemm/time-major implementation. x (N, T, F) → h₁ … h_T (N, T, H).
private enum NaiveRecurrence {
    static func lstm(_ x: [Float], n: Int, t: Int, f: Int, h: Int, wih: [Float], whh: [Float], b: [Float]) -> [Float] {
        var out = [Float](repeating: 0, count: n * t * h)
        for s in 0..<n {
            var (hidden, cell) = ([Float](repeating: 0, count: h), [Float](repeating: 0, count: h))
            for step in 0..<t {
                func pre(_ gate: Int, _ j: Int) -> Float {
                    let row = gate * h + j
                    var sum = b[row]
                    for k in 0..<f { sum += wih[row * f + k] * x[(s * t + step) * f + k] }
                    for k in 0..<h { sum += whh[row * h + k] * hidden[k] }
                    return sum
                }
                var next = hidden
                for j in 0..<h {
                    let (i, fg, g, o) = (σ(pre(0, j)), σ(pre(1, j)), tanhf(pre(2, j)), σ(pre(3, j)))
                    cell[j] = fg * cell[j] + i * g
                    next[j] = o * tanhf(cell[j])
                }
                hidden = next
                for j in 0..<h { out[(s * t + step) * h + j] = hidden[j] }
            }
        }
        return out
    }

    static func gru(_ x: [Float], n: Int, t: Int, f: Int, h: Int, wih: [Float], whh: [Float], bih: [Float], bhh: [Float]) -> [Float] {
        var out = [Float](repeating: 0, count: n * t * h)
        for s in 0..<n {
            var hidden = [Float](repeating: 0, count: h)
            for step in 0..<t {
                func input(_ gate: Int, _ j: Int) -> Float {
                    let row = gate * h + j
                    return bih[row] + (0..<f).reduce(0) { $0 + wih[row * f + $1] * x[(s * t + step) * f + $1] }
                }
                func recurrent(_ gate: Int, _ j: Int) -> Float {
                    let row = gate * h + j
                    return bhh[row] + (0..<h).reduce(0) { $0 + whh[row * h + $1] * hidden[$1] }
                }
                var next = hidden
                for j in 0..<h {
                    let r = σ(input(0, j) + recurrent(0, j)), z = σ(input(1, j) + recurrent(1, j))
                    let candidate = tanhf(input(2, j) + r * recurrent(2, j))
                    next[j] = (1 - z) * candidate + z * hidden[j]
                }
                hidden = next
                for j in 0..<h { out[(s * t + step) * h + j] = hidden[j] }
            }
        }
        return out
    }
}

struct RecurrentTests {
    @Test(arguments: ["simple_rnn", "lstm", "gru"], [false, true])
    func backwardMatchesFiniteDifferences(kind: String, returnSequences: Bool) throws {
        let (steps, features, units, batch) = (4, 3, 3, 2)
        let layer = makeLayer(kind, units: units, returnSequences: returnSequences)
        let report = try checkLayerGradients(layer, inputShape: [steps, features], batch: batch)
        #expect(report.error < 2e-3, "\(report)")
        let gates = ["simple_rnn": 1, "lstm": 4, "gru": 3][kind] ?? 0
        let biases = kind == "gru" ? 2 : 1
        #expect(report.checked == gates * units * (features + units + biases) + batch * steps * features)
    }

    @Test(arguments: ["simple_rnn", "lstm", "gru"])
    func backwardWithoutBiasMatchesFiniteDifferences(kind: String) throws {
        let layer = makeLayer(kind, units: 2, returnSequences: true, useBias: false)
        let report = try checkLayerGradients(layer, inputShape: [3, 2], batch: 3)
        #expect(report.error < 2e-3, "\(report)")
    }

    /// An input that is not [steps, features] is refused with a reshape that fits it: an image's
    /// rows, or a [T, F] of the input's size (not Fashion-MNIST's [28, 28] for every input).
    @Test func aShapeThatIsNotASequenceNamesAReshapeThatFits() throws {
        let image = #expect(throws: ModelError.self) { try makeLayer("lstm", units: 2, returnSequences: false).build(inputShape: [1, 8, 5]) }
        #expect("\(image!)".contains("{type: reshape, shape: [8, 5]} in front"), "\(String(describing: image))")
        let flat = #expect(throws: ModelError.self) { try makeLayer("gru", units: 2, returnSequences: false).build(inputShape: [16]) }
        #expect("\(flat!)".contains("put {type: reshape, shape: [T, F]} in front, with T·F = 16"), "\(String(describing: flat))")
    }

    @Test func lstmForwardOnHandNumbers() throws {
        // H = F = 1, gates i f g o; x = [1, −1]
        let layer = LSTM(units: 1, returnSequences: true)
        let model = try Sequential([layer], inputShape: [2, 1])
        setParameters(model, [[0.5, -0.5, 1.0, 0.25], [0.1, 0.2, -0.3, 0.4], [0, 1, 0, 0]])
        let y = layer.forward(Tensor(shape: [1, 2, 1], values: [1, -1]), mode: .training)
        // step 1: a = [0.5, 0.5, 1, 0.25]: c₁ = σ(0.5)·tanh(1), h₁ = σ(0.25)·tanh(c₁) = 0.2481869
        // step 2: a = [−0.5 + 0.1h₁, 1.5 + 0.2h₁, −1 − 0.3h₁, −0.25 + 0.4h₁]: c₂ = f·c₁ + i·g, h₂ = o·tanh(c₂)
        #expect(y.shape == [1, 2, 1])
        #expect(abs(y[0, 0, 0] - 0.2481869) < 1e-6 && abs(y[0, 1, 0] - 0.0404578) < 1e-6, "\(y)")
    }

    @Test func gruForwardOnHandNumbers() throws {
        // H = F = 1, gates r z n; x = [1, −1]
        let layer = GRU(units: 1)
        let model = try Sequential([layer], inputShape: [2, 1])
        setParameters(model, [[0.5, -0.5, 1.0], [0.1, 0.2, -0.3], [0.1, 0.2, 0.3], [-0.1, 0.05, 0.2]])
        let y = layer.forward(Tensor(shape: [1, 2, 1], values: [1, -1]), mode: .training)
        // step 1: r = σ(0.5), z = σ(−0.25), n = tanh(1.3 + 0.2r), h₁ = (1 − z)·n = 0.5006363
        // step 2: r = σ(−0.5 + 0.1h₁), z = σ(0.75 + 0.2h₁), n = tanh(−0.7 + r·(0.2 − 0.3h₁)), h₂ = (1 − z)·n + z·h₁
        #expect(y.shape == [1, 1])
        #expect(abs(y[0, 0] - 0.1735203) < 1e-6, "\(y)")
    }

    @Test func simpleRNNForwardOnHandNumbers() throws {
        let layer = SimpleRNN(units: 1, returnSequences: true)
        let model = try Sequential([layer], inputShape: [2, 1])
        setParameters(model, [[0.5], [-0.8], [0.1]])
        let y = layer.forward(Tensor(shape: [1, 2, 1], values: [1, -1]), mode: .training)
        // h₁ = tanh(0.5 + 0.1), h₂ = tanh(−0.5 − 0.8h₁ + 0.1)
        #expect(abs(y[0, 0, 0] - 0.5370496) < 1e-6 && abs(y[0, 1, 0] + 0.6802825) < 1e-6, "\(y)")
    }

    @Test(arguments: ["lstm", "gru"])
    func forwardMatchesPyTorchEquationsOnRandomData(kind: String) throws {
        let (n, t, f, h) = (3, 5, 4, 3)
        let layer = makeLayer(kind, units: h, returnSequences: true)
        let model = try Sequential([layer], inputShape: [t, f])
        var generator = Generator(seed: 3)
        let values = model.store.parameters.map { p in (0..<p.count).map { _ in generator.uniform(-0.8, 0.8) } }
        setParameters(model, values)
        let x = (0..<(n * t * f)).map { _ in generator.uniform(-1, 1) }
        let y = layer.forward(Tensor(shape: [n, t, f], values: x), mode: .training).toArray()
        let expected = kind == "lstm"
            ? NaiveRecurrence.lstm(x, n: n, t: t, f: f, h: h, wih: values[0], whh: values[1], b: values[2])
            : NaiveRecurrence.gru(x, n: n, t: t, f: f, h: h, wih: values[0], whh: values[1], bih: values[2], bhh: values[3])
        #expect(y.count == expected.count)
        #expect(zip(y, expected).map { abs($0 - $1) }.max() ?? 1 < 1e-5)
        // the last step alone, as returnSequences: false gives it
        let last = makeLayer(kind, units: h, returnSequences: false)
        setParameters(try Sequential([last], inputShape: [t, f]), values)
        let lastStep = last.forward(Tensor(shape: [n, t, f], values: x), mode: .training)
        #expect(lastStep.shape == [n, h])
        for s in 0..<n { for j in 0..<h { #expect(lastStep[s, j] == y[(s * t + t - 1) * h + j]) } }
    }

    @Test func parametersHavePyTorchNamesShapesAndKerasInitialization() throws {
        let model = try Sequential([Reshape([6, 5]), LSTM(units: 4, returnSequences: true), GRU(units: 2)], inputShape: [1, 6, 5])
        #expect(model.outputShape == [2])
        #expect(model.store.parameters.map(\.name) == ["layers.1.weight_ih", "layers.1.weight_hh", "layers.1.bias",
                                                       "layers.2.weight_ih", "layers.2.weight_hh", "layers.2.bias_ih", "layers.2.bias_hh"])
        #expect(model.store.parameters.map(\.shape) == [[16, 5], [16, 4], [16], [6, 4], [6, 2], [6], [6]])
        #expect(throws: ModelError.self) { try Sequential([LSTM(units: 4)], inputShape: [1, 6, 5]) }
        let sequences = try Sequential([LSTM(units: 4, returnSequences: true)], inputShape: [6, 5])
        #expect(sequences.outputShape == [6, 4])

        model.initializeParameters(seed: 1)
        let bias = model.store.value(model.store.parameters[2]).toArray()
        #expect(bias == [0, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0])   // forget gate's block at 1
        // W_hh (4H, H) orthogonal: its columns are orthonormal
        let w = model.store.value(model.store.parameters[1])
        for a in 0..<4 {
            for b in 0..<4 {
                let dot = (0..<16).reduce(Float(0)) { $0 + w[$1, a] * w[$1, b] }
                #expect(abs(dot - (a == b ? 1 : 0)) < 1e-5)
            }
        }
    }
}

extension RecurrentTests {
    @Test func l1PenalizesRecurrentWeightsButNotBiases() {
        let store = ParameterStore(names: ["layers.0.weight_ih", "layers.0.weight_hh", "layers.0.bias_ih"], shapes: [[1], [1], [1]])
        _ = store.values.buffer.update(fromContentsOf: [1, -1, 1] as [Float])
        store.addL1Gradient(0.5)
        #expect(Array(store.gradients.buffer) == [0.5, -0.5, 0])
    }
}

struct ReshapeTests {
    @Test func viewsSamplesWithTheNewShapeBothWays() throws {
        let layer = Reshape([3, 4])
        let model = try Sequential([layer], inputShape: [1, 4, 3])
        #expect(model.outputShape == [3, 4])
        let x = Tensor(shape: [2, 1, 4, 3], values: (0..<24).map(Float.init))
        let y = layer.forward(x, mode: .training)
        #expect(y.shape == [2, 3, 4] && y.toArray() == x.toArray())
        let dx = layer.backward(y)
        #expect(dx.shape == [2, 1, 4, 3])
        #expect(throws: ModelError.self) { try Sequential([Reshape([5, 5])], inputShape: [1, 4, 3]) }
    }
}
