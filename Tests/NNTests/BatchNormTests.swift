import NN
import Tensors
import TestSupport
import Testing

/// Sets a one-layer model's buffers by name.
private func setBuffers(_ model: Sequential, _ values: [String: [Float]]) {
    for (name, value) in values {
        guard let buffer = model.buffers.buffer(named: name) else { Issue.record("no buffer \(name)"); continue }
        _ = model.buffers.value(buffer).buffer.update(fromContentsOf: value)
    }
}

private func buffer(_ model: Sequential, _ name: String) -> [Float] {
    model.buffers.buffer(named: name).map { model.buffers.value($0).toArray() } ?? []
}

private func expectClose(_ actual: [Float], _ expected: [Double], tolerance: Double = 1e-5, _ what: String) {
    #expect(actual.count == expected.count, "\(what): \(actual) vs \(expected)")
    let worst = zip(actual, expected).map { abs(Double($0) - $1) }.max() ?? 0
    #expect(worst <= tolerance, "\(what): \(actual) vs \(expected)")
}

struct BatchNormTests {
    @Test func trainingNormalizesWithBatchStatisticsAndUpdatesRunningStatistics() throws {
        let layer = BatchNorm()
        let model = try Sequential([layer], inputShape: [2])
        model.initializeParameters(seed: 1)
        // (N, F) = (4, 2). Channel 0: 1, 3, 5, 7 → μ 4, Σ(x − μ)² 20; channel 1: 0, 1, 2, 5 → μ 2, Σ 14
        let x = Tensor(shape: [4, 2], values: [1, 0, 3, 1, 5, 2, 7, 5])
        let y = layer.forward(x, mode: .training)
        let (var0, var1) = (20.0 / 4, 14.0 / 4)   // biased, for normalizing
        expectClose(y.toArray(), [-3 / (var0 + 1e-5).squareRoot(), -2 / (var1 + 1e-5).squareRoot(),
                                  -1 / (var0 + 1e-5).squareRoot(), -1 / (var1 + 1e-5).squareRoot(),
                                  1 / (var0 + 1e-5).squareRoot(), 0,
                                  3 / (var0 + 1e-5).squareRoot(), 3 / (var1 + 1e-5).squareRoot()], "y")
        // PyTorch: running ← 0.9 · running + 0.1 · statistic, with the unbiased variance (÷ (M − 1))
        expectClose(buffer(model, "layers.0.running_mean"), [0.1 * 4, 0.1 * 2], "running_mean")
        expectClose(buffer(model, "layers.0.running_var"), [0.9 + 0.1 * 20 / 3, 0.9 + 0.1 * 14 / 3], "running_var")

        // a second batch moves them again: channel 0: 2, 2, 2, 6 → μ 3, Σ 12; channel 1: −1, 1, −1, 1 → μ 0, Σ 4
        _ = layer.forward(Tensor(shape: [4, 2], values: [2, -1, 2, 1, 2, -1, 6, 1]), mode: .training)
        expectClose(buffer(model, "layers.0.running_mean"), [0.9 * 0.4 + 0.1 * 3, 0.9 * 0.2 + 0.1 * 0], "running_mean after 2")
        expectClose(buffer(model, "layers.0.running_var"), [0.9 * (0.9 + 2.0 / 3) + 0.1 * 4, 0.9 * (0.9 + 1.4 / 3) + 0.1 * 4 / 3],
                    "running_var after 2")
    }

    @Test func convolutionalInputHasStatisticsPerChannelOverBatchAndPositions() throws {
        let layer = BatchNorm(momentum: 0.5)
        let model = try Sequential([layer], inputShape: [2, 1, 2])
        model.initializeParameters(seed: 1)
        // (N, C, H, W) = (2, 2, 1, 2): channel 0 holds 1, 3 | 5, 7 (μ 4, Σ 20), channel 1 holds 0, 2 | 4, 10 (μ 4, Σ 56)
        let y = layer.forward(Tensor(shape: [2, 2, 1, 2], values: [1, 3, 0, 2, 5, 7, 4, 10]), mode: .training)
        let (k0, k1) = (1 / (20.0 / 4 + 1e-5).squareRoot(), 1 / (56.0 / 4 + 1e-5).squareRoot())
        expectClose(y.toArray(), [-3 * k0, -1 * k0, -4 * k1, -2 * k1, 1 * k0, 3 * k0, 0, 6 * k1], "y")
        expectClose(buffer(model, "layers.0.running_mean"), [0.5 * 4, 0.5 * 4], "running_mean")
        expectClose(buffer(model, "layers.0.running_var"), [0.5 + 0.5 * 20 / 3, 0.5 + 0.5 * 56 / 3], "running_var")
    }

    @Test func evaluationUsesTheRunningStatisticsAndLeavesThemAlone() throws {
        let layer = BatchNorm(epsilon: 1e-3)
        let model = try Sequential([layer], inputShape: [2])
        _ = model.store.values.buffer.update(fromContentsOf: [2, 0.5, 0.1, -1] as [Float])   // γ, then β
        setBuffers(model, ["layers.0.running_mean": [1, -2], "layers.0.running_var": [4, 0.25]])
        let x = Tensor(shape: [2, 2], values: [3, -1, 0, 0])
        let y = layer.forward(x, mode: .evaluation)
        let (k0, k1) = (1 / (4.001).squareRoot(), 1 / (0.251).squareRoot())
        // y = γ·(x − running_mean)·k + β
        expectClose(y.toArray(), [2 * 2 * k0 + 0.1, 0.5 * 1 * k1 - 1, 2 * -1 * k0 + 0.1, 0.5 * 2 * k1 - 1], "y")
        #expect(buffer(model, "layers.0.running_mean") == [1, -2] && buffer(model, "layers.0.running_var") == [4, 0.25])
        // the statistics are constants here: dx = γ·k·dy, dγ = Σ dy·x̂, dβ = Σ dy
        model.store.zeroGradients()
        let dx = layer.backward(Tensor(shape: [2, 2], values: [1, 1, -1, 2]))
        expectClose(dx.toArray(), [2 * k0, 0.5 * k1, -2 * k0, 1 * k1], "dx")
        expectClose(Array(model.store.gradients.buffer), [2 * k0 + 1 * k0, 1 * k1 + 2 * 2 * k1, 0, 3], "dγ, dβ")
    }

    @Test func denseFormMatchesFiniteDifferences() throws {
        // γ and β away from 1 and 0, so that every term of the fused formula shows
        let report = try checkLayerGradients(BatchNorm(), inputShape: [5], batch: 4,
                                             parameters: [1.5, -0.7, 0.3, 2, 1, 0.2, -0.4, 0, 0.9, 0.1])
        #expect(report.error < 2e-3, "\(report)")
        #expect(report.checked == 2 * 5 + 4 * 5)
    }

    @Test func convolutionalFormMatchesFiniteDifferences() throws {
        let report = try checkLayerGradients(BatchNorm(), inputShape: [3, 4, 5], batch: 2,
                                             parameters: [0.5, 1.7, -1.2, 0.3, -0.6, 0.05])
        #expect(report.error < 2e-3, "\(report)")
        #expect(report.checked == 2 * 3 + 2 * 60)
    }

    @Test func buffersLiveApartFromTheTrainedParameters() throws {
        // (a bias right before batch norm would be redundant: its gradient is zero)
        let model = try Sequential([Conv2D(filters: 3, kernelSize: 3, useBias: false), BatchNorm(), ReLU(), Flatten(),
                                    Dense(units: 4, useBias: false), BatchNorm(), Dense(units: 2)], inputShape: [1, 5, 5])
        #expect(model.store.parameters.map(\.name) == ["layers.0.weight", "layers.1.weight", "layers.1.bias",
                                                       "layers.4.weight", "layers.5.weight", "layers.5.bias",
                                                       "layers.6.weight", "layers.6.bias"])
        #expect(model.buffers.buffers.map(\.name) == ["layers.1.running_mean", "layers.1.running_var",
                                                      "layers.5.running_mean", "layers.5.running_var"])
        #expect(model.buffers.buffers.map(\.shape) == [[3], [3], [4], [4]] && model.buffers.count == 14)
        #expect(model.buffers.flatValues.map { $0 } == [0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, 1])
        #expect(model.summary.contains("buffers (not trained): 14 in layers.1.running_mean"))

        // an optimizer step with weight decay moves parameters, never buffers; a model-wide
        // gradient check (many training-mode forwards) leaves the buffers as they were
        model.initializeParameters(seed: 2)
        var generator = Generator(seed: 3)
        let x = Tensor(shape: [4, 1, 5, 5], values: (0..<100).map { _ in generator.uniform(-1, 1) })
        let labels: [Int32] = [0, 1, 1, 0]
        let loss = SoftmaxCrossEntropy()
        _ = loss.forward(model.forward(x, mode: .training), labels: labels)
        let buffersBefore = Array(model.buffers.flatValues)
        let results = checkModelGradients(model, epsilon: 1e-3, lossOf: { loss.forward(model.forward(x), labels: labels) },
                                          computeGradients: {
            model.store.zeroGradients()
            _ = loss.forward(model.forward(x), labels: labels)
            model.backward(loss.backward())
        })
        #expect(results.allSatisfy { $0.relativeError < 1e-2 }, "\(results)")
        #expect(Array(model.buffers.flatValues) == buffersBefore)
        let optimizer = SGD(parameterCount: model.parameterCount, momentum: 0.9, nesterov: false, weightDecay: 0.1)
        optimizer.step(model.store, learningRate: 0.1)
        #expect(Array(model.buffers.flatValues) == buffersBefore)
    }

    @Test func buildNeedsASampleShape() {
        #expect(throws: ModelError.self) { try Sequential([BatchNorm()], inputShape: []) }
        #expect(throws: ModelError.self) { try Sequential([BatchNorm()], inputShape: [3, 0, 2]) }
    }
}
