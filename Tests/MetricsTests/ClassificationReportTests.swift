import Foundation
import Metrics
import Testing

struct ClassificationReportTests {
    /// Probability rows whose arg-max is `predicted`, with `confidence` on it.
    private func predictions(labels: [Int32], predicted: [Int], classes: Int, confidence: Float = 0.7) -> ClassificationPredictions {
        var probabilities: [Float] = []
        for guess in predicted {
            probabilities += (0..<classes).map { $0 == guess ? confidence : (1 - confidence) / Float(classes - 1) }
        }
        return ClassificationPredictions(labels: labels, probabilities: probabilities, classes: classes)
    }

    @Test func precisionRecallF1AndTheConfusionMatrixMatchHandCounts() {
        // true 0 0 1 1 2 2, predicted 0 1 1 1 2 0
        let report = ClassificationReport(predictions(labels: [0, 0, 1, 1, 2, 2], predicted: [0, 1, 1, 1, 2, 0], classes: 3))
        #expect(report.confusion == [[1, 1, 0], [0, 2, 0], [1, 0, 1]])
        #expect(abs(report.accuracy - 4.0 / 6) < 1e-15)
        #expect(report.support == [2, 2, 2])
        // class 0: P 1/2 R 1/2; class 1: P 2/3 R 1 F1 4/5; class 2: P 1 R 1/2 F1 2/3
        let expected: [(Double, Double, Double)] = [(0.5, 0.5, 0.5), (2.0 / 3, 1, 0.8), (1, 0.5, 2.0 / 3)]
        for (metrics, (p, r, f)) in zip(report.perClass, expected) {
            #expect(abs(metrics.precision - p) < 1e-15 && abs(metrics.recall - r) < 1e-15 && abs(metrics.f1 - f) < 1e-15)
        }
        #expect(abs(report.macro.f1 - (0.5 + 0.8 + 2.0 / 3) / 3) < 1e-15)
        #expect(abs(report.macro.precision - (0.5 + 2.0 / 3 + 1) / 3) < 1e-15)
        #expect(abs(report.weighted.recall - report.accuracy) < 1e-15)   // weighted recall is accuracy
        #expect(report.value(of: "f1_macro") == report.macro.f1 && report.value(of: "nonsense") == nil)
    }

    @Test func macroAveragesSkipClassesThatNeverOccurLikeScikitLearn() {
        // class 3 is neither a label nor a prediction: it is left out of the macro mean and has no AUC
        let report = ClassificationReport(predictions(labels: [0, 1, 2, 2], predicted: [0, 1, 2, 1], classes: 4))
        #expect(report.perClass[3] == PrecisionRecallF1(precision: 0, recall: 0, f1: 0))
        #expect(abs(report.macro.f1 - (1 + 2.0 / 3 + 2.0 / 3) / 3) < 1e-15)
        #expect(report.aucPerClass[3].isNaN && !report.aucMacro.isNaN)
    }

    @Test func aucCountsTiesHalfAsTheTrapezoidRuleDoes() {
        // scikit-learn's documented example: roc_auc_score([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]) == 0.75
        #expect(rocAUC(scores: [0.1, 0.4, 0.35, 0.8], positives: [false, false, true, true]) == 0.75)
        #expect(rocAUC(scores: [0.5, 0.5, 0.5, 0.5], positives: [true, false, true, false]) == 0.5)
        // pairs (pos, neg): (.5,.5) ½, (.5,.2) 1, (.9,.5) 1, (.9,.2) 1 → 3.5 / 4
        #expect(rocAUC(scores: [0.5, 0.5, 0.2, 0.9], positives: [true, false, false, true]) == 0.875)
        #expect(rocAUC(scores: [0.3, 0.6], positives: [true, true]).isNaN)
    }

    @Test func ensembleIsTheMeanOfProbabilitiesAndLogLossUsesTheLabelColumn() {
        let a = ClassificationPredictions(labels: [0, 1], probabilities: [0.9, 0.1, 0.4, 0.6], classes: 2)
        let b = ClassificationPredictions(labels: [0, 1], probabilities: [0.5, 0.5, 0.0, 1.0], classes: 2)
        let mean = ClassificationPredictions.mean([a, b])
        #expect(mean.probabilities == [0.7, 0.3, 0.2, 0.8])
        #expect(mean.predicted == [0, 1])
        let report = ClassificationReport(a)
        let expected: Double = -(log(Double(Float(0.9))) + log(Double(Float(0.6)))) / 2
        #expect(abs(report.logLoss - expected) < 1e-12)
        // a probability of exactly 0 for the label is clipped at float64's epsilon, as scikit-learn does
        #expect(abs(ClassificationReport(ClassificationPredictions(labels: [0], probabilities: [0, 1], classes: 2)).logLoss + log(Double.ulpOfOne)) < 1e-9)
    }
}
