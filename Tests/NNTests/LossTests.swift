// The element-wise losses: hand-computed values and gradients, finite-difference checks, and
// binary cross-entropy at extreme logits.
import Foundation
import NN
import Tensors
import Testing
import TestSupport

struct LossTests {
    /// outputs [[1, 2], [3, 4]] against [[0, 2], [5, 4]]: errors 1, 0, −2, 0.
    private let outputs = Tensor(shape: [2, 2], values: [1, 2, 3, 4])
    private let targets = Targets.values(Tensor(shape: [2, 2], values: [0, 2, 5, 4]))

    private func expectClose(_ actual: [Float], _ expected: [Float], tolerance: Float = 1e-6,
                             sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(actual.count == expected.count && zip(actual, expected).allSatisfy { abs($0 - $1) <= tolerance },
                "\(actual) vs \(expected)", sourceLocation: sourceLocation)
    }

    // MARK: - Hand-computed values

    @Test func meanSquaredErrorMatchesHandComputedValues() {
        let loss = MeanSquaredError()
        #expect(loss.forward(outputs, targets: targets) == 1.25)               // (1 + 0 + 4 + 0) / 4
        expectClose(loss.backward().toArray(), [0.5, 0, -1, 0])                // 2e / 4
        expectClose(loss.backward(scale: 0.5).toArray(), [0.25, 0, -0.5, 0])   // data-parallel 1/ranks
    }

    @Test func meanAbsoluteErrorMatchesHandComputedValues() {
        let loss = MeanAbsoluteError()
        #expect(loss.forward(outputs, targets: targets) == 0.75)               // (1 + 0 + 2 + 0) / 4
        expectClose(loss.backward().toArray(), [0.25, 0, -0.25, 0])            // sign(e) / 4, 0 at e = 0
    }

    @Test func huberIsQuadraticInsideDeltaAndLinearOutside() {
        let errors = Tensor(shape: [2, 1], values: [0.5, -3])
        let zero = Targets.values(Tensor(zeros: [2]))                           // (N) targets for K = 1
        let huber = Huber()
        #expect(abs(huber.forward(errors, targets: zero) - 1.3125) < 1e-6)     // (½·0.25 + 1·(3 − ½)) / 2
        expectClose(huber.backward().toArray(), [0.25, -0.5])                  // clamp(e, ±1) / 2
        let wide = Huber(delta: 2)
        #expect(abs(wide.forward(errors, targets: zero) - 2.0625) < 1e-6)      // (0.125 + 2·(3 − 1)) / 2
        expectClose(wide.backward().toArray(), [0.25, -1])
        #expect(wide.summary == "Huber(delta: 2.0)")
    }

    @Test func binaryCrossEntropyMatchesHandComputedValues() {
        // z = 0, t = 1 → log 2; z = ln 3 (σ = 0.75), t = 0 → −log 0.25 = log 4
        let logits = Tensor(shape: [2, 1], values: [0, Float(log(3.0))])
        let loss = BinaryCrossEntropy()
        let expected = Float(1.5 * log(2.0))
        #expect(abs(loss.forward(logits, targets: .values(Tensor(shape: [2, 1], values: [1, 0]))) - expected) < 1e-6)
        expectClose(loss.backward().toArray(), [-0.25, 0.375])                 // (σ − t) / 2
        // the same with class ids 0/1 for a one-output model
        #expect(abs(loss.forward(logits, targets: .classes([1, 0])) - expected) < 1e-6)
        expectClose(loss.backward().toArray(), [-0.25, 0.375])
        // soft targets: t = 0.25 at σ = 0.75 → −(0.25 log 0.75 + 0.75 log 0.25)
        let soft = loss.forward(Tensor(shape: [1, 1], values: [Float(log(3.0))]), targets: .values(Tensor(shape: [1], values: [0.25])))
        #expect(abs(soft - Float(-(0.25 * log(0.75) + 0.75 * log(0.25)))) < 1e-6)
    }

    @Test func binaryCrossEntropyStaysFiniteAtExtremeLogits() {
        let loss = BinaryCrossEntropy()
        let logits = Tensor(shape: [2, 2], values: [1000, -1000, 1000, -1000])
        let value = loss.forward(logits, targets: .values(Tensor(shape: [2, 2], values: [1, 0, 0, 1])))
        #expect(value.isFinite)
        #expect(abs(value - 500) < 1e-3)                                       // (0 + 0 + 1000 + 1000) / 4
        let gradient = loss.backward().toArray()
        #expect(gradient.allSatisfy { $0.isFinite })
        expectClose(gradient, [0, 0, 0.25, -0.25])
    }

    // MARK: - Finite differences

    /// Outputs (4, 3) in [−2, 2] and targets at least 0.2 away from them, so that no element sits
    /// within ε of the kink of MAE.
    private func randomProblem(seed: UInt64) -> (Tensor, Tensor) {
        var generator = Generator(seed: seed)
        let z = (0..<12).map { _ in generator.uniform(-2, 2) }
        let t = z.map { $0 + (generator.uniform(0.2, 1.5) * (generator.uniform(-1, 1) < 0 ? -1 : 1)) }
        return (Tensor(shape: [4, 3], values: z), Tensor(shape: [4, 3], values: t))
    }

    @Test func regressionLossesMatchFiniteDifferences() {
        let (outputs, targets) = randomProblem(seed: 5)
        for loss in [MeanSquaredError(), MeanAbsoluteError(), Huber()] as [any Loss] {
            let worst = lossGradientError(loss, outputs: outputs, targets: .values(targets))
            #expect(worst < 1e-3, "\(loss.summary): max abs difference \(worst)")
        }
    }

    @Test(arguments: [Float(0.5), 1, 2])
    func huberMatchesFiniteDifferencesOnBothSidesOfDelta(delta: Float) {
        // errors well inside and well outside ±δ, none within ε of ±δ
        let errors: [Float] = [-2.5, -1.5, -0.8, -0.3, 0.1, 0.35, 0.9, 1.4, 2.7, 4]
        #expect(errors.contains { abs($0) < delta } && errors.contains { abs($0) > delta })
        #expect(errors.allSatisfy { abs(abs($0) - delta) > 0.05 })
        let outputs = Tensor(shape: [5, 2], values: errors)
        let worst = lossGradientError(Huber(delta: delta), outputs: outputs, targets: .values(Tensor(zeros: [5, 2])))
        #expect(worst < 1e-3, "delta \(delta): max abs difference \(worst)")
    }

    @Test func binaryCrossEntropyMatchesFiniteDifferences() {
        var generator = Generator(seed: 11)
        let logits = Tensor(shape: [4, 3], values: (0..<12).map { _ in generator.uniform(-4, 4) })
        let multiLabel = Tensor(shape: [4, 3], values: [1, 0, 1, 0, 0, 1, 1, 1, 0, 0.25, 0.5, 0.9])
        let worst = lossGradientError(BinaryCrossEntropy(), outputs: logits, targets: .values(multiLabel))
        #expect(worst < 1e-3, "max abs difference \(worst)")
        let single = Tensor(shape: [4, 1], values: [-3, -0.5, 0.7, 2.5])
        let classes = lossGradientError(BinaryCrossEntropy(), outputs: single, targets: .classes([0, 1, 1, 0]))
        #expect(classes < 1e-3, "class ids: max abs difference \(classes)")
    }
}
