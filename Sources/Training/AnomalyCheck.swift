// `--detect-anomalies`: stop at the first non-finite activation, loss or gradient, naming the
// layer, the step and the rank (PyTorch's detect_anomaly, for this layer-by-layer model).
import NN
import Tensors

/// Finds the first non-finite value after each layer's forward and backward.
struct AnomalyCheck {
    let model: Sequential
    let rank: Int

    /// Throws if `output` of layer `index` holds NaN or ±∞.
    func afterForward(_ index: Int, _ output: Tensor, step: Int) throws {
        if let position = firstNonFinite(output.buffer) {
            throw TrainingError.anomaly(step: step, rank: rank, layer: "layers.\(index) (\(model.layers[index].summary))",
                                        what: "forward output", value: output.buffer[position], index: position)
        }
    }

    /// Throws if `loss`, computed by `criterion` from the finite `outputs`, is NaN or ±∞ (the
    /// loss itself overflowed, e.g. a squared error of huge targets).
    func afterLoss(_ loss: Float, criterion: any Loss, outputs: Tensor, step: Int) throws {
        guard !loss.isFinite else { return }
        let largest = outputs.buffer.reduce(Float(0)) { max($0, $1.magnitude) }
        throw TrainingError.anomalousLoss(step: step, rank: rank, loss: criterion.summary, value: loss, largestOutput: largest)
    }

    /// Throws if the parameter gradients of layer `index` or its input gradient hold NaN or ±∞.
    func afterBackward(_ index: Int, _ inputGradient: Tensor?, step: Int) throws {
        for parameter in model.store.parameters[model.parameterIndices[index]] {
            let gradient = model.store.gradient(parameter).buffer
            if let position = firstNonFinite(gradient) {
                throw TrainingError.anomaly(step: step, rank: rank, layer: "layers.\(index) (\(model.layers[index].summary))",
                                            what: "gradient of \(parameter.name)", value: gradient[position], index: position)
            }
        }
        if let inputGradient, let position = firstNonFinite(inputGradient.buffer) {
            throw TrainingError.anomaly(step: step, rank: rank, layer: "layers.\(index) (\(model.layers[index].summary))",
                                        what: "input gradient", value: inputGradient.buffer[position], index: position)
        }
    }

    private func firstNonFinite(_ values: UnsafeMutableBufferPointer<Float>) -> Int? {
        values.firstIndex { !$0.isFinite }
    }
}
