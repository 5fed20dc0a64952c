// Finite-difference gradient checks for layers and losses (llm.c's check_tensor idea: report the
// worst element and its difference).
import NN
import Tensors

/// The worst disagreement between an analytic and a numeric gradient.
public struct GradientCheckReport: CustomStringConvertible {
    /// Which gradient: a parameter name or `"input"`.
    public var name = ""
    /// The flat index of the worst element.
    public var index = 0
    /// The analytic (backward) value there.
    public var analytic: Float = 0
    /// The central-difference value there.
    public var numeric: Float = 0
    /// |analytic − numeric| / max(1, |numeric|) (absolute error for small gradients).
    public var error: Float = 0
    /// How many elements were compared.
    public var checked = 0

    public var description: String {
        "worst \(name)[\(index)]: analytic \(analytic) vs numeric \(numeric), error \(error) over \(checked) elements"
    }

    mutating func record(name: String, index: Int, analytic: Float, numeric: Float) {
        checked += 1
        let error = abs(analytic - numeric) / max(1, abs(numeric))
        if error > self.error || checked == 1 {
            self = GradientCheckReport(name: name, index: index, analytic: analytic, numeric: numeric,
                                       error: error, checked: checked)
        }
    }
}

/// Checks `layer`'s backward against central differences of L = Σ y ⊙ R for a fixed random R.
///
/// Builds the layer for `inputShape`, initializes its parameters from `seed` (or sets them to
/// `parameters`, flat in store order), draws `x` with `batch` rows, and compares every parameter
/// gradient and the input gradient.
public func checkLayerGradients(_ layer: any Layer, inputShape: [Int], batch: Int = 3, seed: UInt64 = 7,
                                epsilon: Float = 1e-2, input: Tensor? = nil, parameters: [Float]? = nil) throws -> GradientCheckReport {
    let model = try Sequential([layer], inputShape: inputShape)
    model.initializeParameters(seed: seed)
    if let parameters { _ = model.store.values.buffer.update(fromContentsOf: parameters) }
    var generator = Generator(seed: seed, keys: [99])
    let x = input ?? Tensor(shape: [batch] + inputShape,
                            values: (0..<(batch * inputShape.reduce(1, *))).map { _ in generator.uniform(-1, 1) })
    let outputCount = x.rowCount * model.outputShape.reduce(1, *)
    let r = Tensor(shape: [x.rowCount] + model.outputShape,
                   values: (0..<outputCount).map { _ in generator.uniform(-1, 1) })
    func loss() -> Float {
        let y = layer.forward(x, mode: .training)
        var total: Double = 0
        for i in 0..<y.count { total += Double(y.pointer[i]) * Double(r.pointer[i]) }
        return Float(total)
    }
    model.store.zeroGradients()
    _ = layer.forward(x, mode: .training)
    let dx = layer.backward(r).copy()

    var report = GradientCheckReport()
    let values = model.store.values.buffer
    let gradients = model.store.gradients.buffer
    for parameter in model.store.parameters {
        for i in parameter.range {
            let saved = values[i]
            values[i] = saved + epsilon
            let plus = loss()
            values[i] = saved - epsilon
            let minus = loss()
            values[i] = saved
            report.record(name: parameter.name, index: i - parameter.offset, analytic: gradients[i],
                          numeric: (plus - minus) / (2 * epsilon))
        }
    }
    for i in 0..<x.count {
        let saved = x.pointer[i]
        x.pointer[i] = saved + epsilon
        let plus = loss()
        x.pointer[i] = saved - epsilon
        let minus = loss()
        x.pointer[i] = saved
        report.record(name: "input", index: i, analytic: dx.pointer[i], numeric: (plus - minus) / (2 * epsilon))
    }
    return report
}

/// The largest |analytic − central difference| over the elements of ∂loss/∂outputs.
///
/// Runs `loss.forward` and `backward(scale: 1)` once for the analytic gradient, then perturbs
/// each output by ±`epsilon`; `outputs` is restored afterwards.
public func lossGradientError(_ loss: any Loss, outputs: Tensor, targets: Targets, epsilon: Float = 1e-2) -> Float {
    _ = loss.forward(outputs, targets: targets)
    let analytic = loss.backward().copy()
    var worst: Float = 0
    for i in 0..<outputs.count {
        let saved = outputs.pointer[i]
        outputs.pointer[i] = saved + epsilon
        let plus = loss.forward(outputs, targets: targets)
        outputs.pointer[i] = saved - epsilon
        let minus = loss.forward(outputs, targets: targets)
        outputs.pointer[i] = saved
        worst = max(worst, abs((plus - minus) / (2 * epsilon) - analytic.pointer[i]))
    }
    return worst
}
