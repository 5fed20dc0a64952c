// A finite-difference check of a whole model's backward pass on one real batch (the debug aid
// behind `swiftddp train --check-gradients`).
import Tensors

/// How well one parameter's analytic gradient agrees with finite differences.
public struct ParameterGradientCheck: Sendable {
    /// The parameter, e.g. `layers.0.weight`.
    public let name: String
    /// The directional derivative from backward, g·d.
    public let analytic: Double
    /// (L(θ + εd) − L(θ − εd)) / 2ε.
    public let numeric: Double
    /// |analytic − numeric| / max(|analytic|, |numeric|, ‖g‖, floor), where ‖g‖ (the largest
    /// derivative along any unit direction) keeps tiny directional derivatives from turning Float
    /// noise into large relative errors, and floor = 1000·ulp(L)/ε (L the loss) is the least a
    /// central difference in Float resolves: a parameter whose true gradient is 0 (the bias of
    /// a layer followed by batch norm) passes instead of failing on one ulp of the loss.
    public let relativeError: Double
}

/// Checks the gradient of every parameter of `model` under `lossOf` along two directions: the
/// analytic gradient itself (a wrong scale or sign shows at once) and a seeded random direction
/// (a wrong pattern shows). Directional derivatives aggregate a whole tensor, so Float noise
/// stays far below the signal, unlike element-by-element checks of large layers.
///
/// - Parameters:
///   - model: the model; its parameters and buffers are restored exactly afterwards.
///   - lossOf: runs forward on the fixed batch and returns the loss; `backward` of the same
///     closure's loss must have been run by `computeGradients` first.
///   - computeGradients: zeroes the gradients, runs forward, loss and backward once.
/// - Returns: one result per parameter, worst first.
public func checkModelGradients(
    _ model: Sequential, seed: UInt64 = 0, epsilon: Float = 1e-2,
    lossOf: () -> Float, computeGradients: () -> Void
) -> [ParameterGradientCheck] {
    let savedBuffers = Array(model.buffers.flatValues)   // training-mode forwards move batch norm's running statistics
    defer { _ = model.buffers.flatValues.update(fromContentsOf: savedBuffers) }
    computeGradients()
    // two losses that differ by k ulps give a derivative of k·ulp(L)/2ε from rounding alone
    let floor = max(1e-6, 1000 * Double(lossOf().magnitude.ulp) / Double(epsilon))
    let store = model.store
    let values = store.values.buffer
    let gradients = Array(store.gradients.buffer)  // a copy: lossOf may run backward-free forwards only
    var generator = Generator(seed: seed, keys: [0x6772_6164])
    var results: [ParameterGradientCheck] = []
    for parameter in store.parameters {
        let range = parameter.range
        let gradientNorm = range.reduce(0.0) { $0 + Double(gradients[$1]) * Double(gradients[$1]) }.squareRoot()
        var worst: ParameterGradientCheck?
        for direction in directions(for: range, gradients: gradients, generator: &generator) {
            let saved = direction.map { values[$0.index] }
            func loss(at sign: Float) -> Double {
                for (k, (i, weight)) in direction.enumerated() { values[i] = saved[k] + sign * epsilon * weight }
                return Double(lossOf())
            }
            let numeric = (loss(at: 1) - loss(at: -1)) / (2 * Double(epsilon))
            for (k, (i, _)) in direction.enumerated() { values[i] = saved[k] }
            let analytic = direction.reduce(0.0) { $0 + Double(gradients[$1.index]) * Double($1.weight) }
            let error = abs(analytic - numeric) / max(abs(analytic), abs(numeric), gradientNorm, floor)
            if worst == nil || error > worst!.relativeError {
                worst = ParameterGradientCheck(name: parameter.name, analytic: analytic, numeric: numeric, relativeError: error)
            }
        }
        if let worst { results.append(worst) }
    }
    return results.sorted { $0.relativeError > $1.relativeError }
}

/// Two unit directions over `range`: the analytic gradient itself, and a random direction over
/// at most 256 random elements (few enough that its derivative stays well above Float noise).
private func directions(for range: Range<Int>, gradients: [Float],
                        generator: inout Generator) -> [[(index: Int, weight: Float)]] {
    var result: [[(index: Int, weight: Float)]] = []
    let norm = range.reduce(0.0) { $0 + Double(gradients[$1]) * Double(gradients[$1]) }.squareRoot()
    if norm > 0 { result.append(range.map { (index: $0, weight: Float(Double(gradients[$0]) / norm)) }) }
    let picked = range.count <= 256 ? Array(range) : Array(generator.permutation(range.count).prefix(256).map { range.lowerBound + $0 })
    let random = picked.map { _ in generator.normal() }
    let randomNorm = random.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
    result.append(zip(picked, random).map { (index: $0, weight: Float(Double($1) / randomNorm)) })
    return result
}
