// RegressionTally against scikit-learn's numbers (sklearn.metrics 1.9 on the same arrays, quoted
// in each test), merging, and BinaryTally.
import Metrics
import Testing

struct RegressionMetricsTests {
    private func tally(_ predictions: [Float], _ targets: [Float], targets k: Int, loss: Float = 0) -> RegressionTally {
        var tally = RegressionTally(targets: k)
        tally.add(meanLoss: loss, predictions: predictions, targets: targets, rows: targets.count / k)
        return tally
    }

    @Test func oneTargetMatchesScikitLearn() {
        // mean_absolute_error, mean_squared_error, root_mean_squared_error, r2_score of
        // y_true [3, −0.5, 2, 7], y_pred [2.5, 0, 2, 8]: 0.5, 0.375, 0.6123724356957945, 0.9486081370449679
        let result = tally([2.5, 0, 2, 8], [3, -0.5, 2, 7], targets: 1, loss: 2)
        #expect(result.count == 4 && result.loss == 2)
        #expect(result.meanAbsoluteError == 0.5 && result.meanSquaredError == 0.375)
        #expect(abs(result.rootMeanSquaredError - 0.6123724356957945) < 1e-12)
        #expect(abs(result.r2 - 0.9486081370449679) < 1e-12)
    }

    @Test func severalTargetsAverageLikeScikitLearn() {
        // y_true [[0.5, 1], [−1, 1], [7, −6]], y_pred [[0, 2], [−1, 2], [8, −5]], uniform average:
        // MAE 0.75, MSE 0.7083333333333334, RMSE 0.8227486121839513, R² 0.9368005266622779;
        // R² per target [0.96543779, 0.90816327]
        let result = tally([0, 2, -1, 2, 8, -5], [0.5, 1, -1, 1, 7, -6], targets: 2)
        #expect(result.meanAbsoluteError == 0.75)
        #expect(abs(result.meanSquaredError - 0.7083333333333334) < 1e-12)
        #expect(abs(result.rootMeanSquaredError - 0.8227486121839513) < 1e-12)
        #expect(abs(result.r2 - 0.9368005266622779) < 1e-12)
        #expect(abs(result.r2(target: 0) - 0.96543779) < 1e-8 && abs(result.r2(target: 1) - 0.90816327) < 1e-8)
        #expect(result.meanAbsoluteError(target: 1) == 1 && result.meanSquaredError(target: 1) == 1)
    }

    @Test func batchesAndMergesGiveTheWholeSetsNumbers() {
        let predictions: [Float] = [1, 2, 0.5, 3, 4, -1, 2.5, 0, 7, 1]
        let targets: [Float] = [1.5, 2, 0, 2.5, 5, -2, 2, 1, 6, 0.5]
        let whole = tally(predictions, targets, targets: 2, loss: 1)
        var batched = RegressionTally(targets: 2)
        batched.add(meanLoss: 1, predictions: predictions, targets: targets, rows: 2)
        batched.add(meanLoss: 1, predictions: Array(predictions[4...]), targets: Array(targets[4...]), rows: 3)
        var merged = tally(Array(predictions[..<6]), Array(targets[..<6]), targets: 2, loss: 1)
        merged.merge(tally(Array(predictions[6...]), Array(targets[6...]), targets: 2, loss: 1))
        for other in [batched, merged] {
            #expect(other.count == 5 && other.loss == whole.loss)
            #expect(abs(other.meanAbsoluteError - whole.meanAbsoluteError) < 1e-12)
            #expect(abs(other.meanSquaredError - whole.meanSquaredError) < 1e-12)
            #expect(abs(other.r2 - whole.r2) < 1e-12, "\(other.r2) vs \(whole.r2)")
        }
    }

    @Test func constantTargetsAndEmptyTallies() {
        // r2_score([2, 2, 2], [2, 2, 2]) = 1.0 and r2_score([2, 2, 2], [2, 2, 3]) = 0.0
        #expect(tally([2, 2, 2], [2, 2, 2], targets: 1).r2 == 1)
        #expect(tally([2, 2, 3], [2, 2, 2], targets: 1).r2 == 0)
        let empty = RegressionTally(targets: 3)
        #expect(empty.loss.isNaN && empty.meanAbsoluteError.isNaN && empty.r2.isNaN)
    }

    @Test func binaryTallyJudgesEachOutputAtOneHalf() {
        var tally = BinaryTally()
        // logits > 0 predict yes; targets ≥ 0.5 are yes: right, right, wrong, right
        tally.add(meanLoss: 0.5, logits: [2, -1, 0.5, -3], targets: [1, 0, 0, 0.2], rows: 2, values: 4)
        tally.add(meanLoss: 1, logits: [1, 1], labels: [1, 0])
        #expect(tally.count == 4 && tally.outputs == 6 && tally.correct == 4)
        #expect(tally.accuracy == 4.0 / 6 && tally.loss == 0.75)
    }
}
