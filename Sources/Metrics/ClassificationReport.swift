// Classification metrics from labels and predicted probabilities, computed the way
// scikit-learn computes them: accuracy_score, precision_recall_fscore_support (macro and
// weighted), confusion_matrix, roc_auc_score(multi_class="ovr", average="macro") and log_loss.
import Foundation

/// Labels and predicted class probabilities of N samples over K classes.
public struct ClassificationPredictions: Sendable {
    /// N true class ids in `0..<classes`.
    public let labels: [Int32]
    /// N × K probabilities, row-major; each row sums to 1 (a softmax output or a mean of them).
    public let probabilities: [Float]
    /// The number of classes K.
    public let classes: Int

    /// The number of samples N.
    public var count: Int { labels.count }

    /// Predictions of `classes` classes.
    ///
    /// - Precondition: `probabilities.count == labels.count * classes`, labels in `0..<classes`.
    public init(labels: [Int32], probabilities: [Float], classes: Int) {
        precondition(classes >= 1 && probabilities.count == labels.count * classes,
                     "ClassificationPredictions: \(probabilities.count) probabilities for \(labels.count) labels × \(classes) classes")
        precondition(labels.allSatisfy { $0 >= 0 && Int($0) < classes }, "ClassificationPredictions: a label is outside 0..<\(classes)")
        self.labels = labels
        self.probabilities = probabilities
        self.classes = classes
    }

    /// The predicted class of every sample: the arg-max of its probabilities, the first one on
    /// ties (numpy's `argmax`).
    public var predicted: [Int32] {
        (0..<count).map { row in
            let base = row * classes
            var best = 0
            for j in 1..<classes where probabilities[base + j] > probabilities[base + best] { best = j }
            return Int32(best)
        }
    }

    /// The element-wise mean of several models' probabilities for the same samples (an ensemble).
    ///
    /// - Precondition: every member has the same labels and classes.
    public static func mean(_ members: [ClassificationPredictions]) -> ClassificationPredictions {
        precondition(!members.isEmpty, "ClassificationPredictions.mean: no members")
        let first = members[0]
        precondition(members.allSatisfy { $0.labels == first.labels && $0.classes == first.classes },
                     "ClassificationPredictions.mean: the members were evaluated on different samples or classes")
        var sum = [Double](repeating: 0, count: first.probabilities.count)
        for member in members {
            for i in sum.indices { sum[i] += Double(member.probabilities[i]) }
        }
        let scale = 1 / Double(members.count)
        return ClassificationPredictions(labels: first.labels, probabilities: sum.map { Float($0 * scale) }, classes: first.classes)
    }
}

/// Precision, recall and F1 of one class, or an average of them.
public struct PrecisionRecallF1: Sendable, Equatable {
    public var precision: Double
    public var recall: Double
    public var f1: Double

    /// The three values.
    public init(precision: Double, recall: Double, f1: Double) {
        self.precision = precision
        self.recall = recall
        self.f1 = f1
    }
}

/// Every classification metric of one set of predictions.
///
/// Definitions follow scikit-learn (1.9), so that its functions give the same numbers:
/// - precision = tp / (tp + fp), recall = tp / (tp + fn), F1 = 2·tp / (2·tp + fp + fn); a 0/0 is 0
///   (`zero_division=0`).
/// - The macro average is the unweighted mean over the classes that occur among the labels or
///   the predictions (scikit-learn's default `labels`); the weighted average weights every class
///   by its support (true count).
/// - AUC is the area under the ROC curve of each class against the rest, with tied scores
///   counted half (the trapezoid rule), and the macro AUC is the mean over classes. A class with
///   no positive or no negative sample has no AUC (NaN) and is left out of the mean, where
///   scikit-learn raises an error instead.
/// - Log loss is the mean of −ln p(label), with p clipped below at 2.2e-16 (float64's epsilon).
public struct ClassificationReport: Sendable {
    /// The number of classes K.
    public let classes: Int
    /// The number of samples N.
    public let count: Int
    /// K × K counts: `confusion[t][p]` samples of true class t predicted as p.
    public let confusion: [[Int]]
    /// The fraction of samples predicted right.
    public let accuracy: Double
    /// Per class, in class order.
    public let perClass: [PrecisionRecallF1]
    /// True samples per class.
    public let support: [Int]
    /// The unweighted mean over the classes present among labels or predictions.
    public let macro: PrecisionRecallF1
    /// The mean weighted by support.
    public let weighted: PrecisionRecallF1
    /// One-vs-rest ROC AUC per class (NaN where undefined).
    public let aucPerClass: [Double]
    /// The mean of the defined per-class AUCs (NaN if none is defined).
    public let aucMacro: Double
    /// Mean negative log-likelihood of the labels.
    public let logLoss: Double

    /// Computes every metric of `predictions`.
    public init(_ predictions: ClassificationPredictions) {
        let k = predictions.classes
        let labels = predictions.labels, predicted = predictions.predicted
        classes = k
        count = labels.count
        var confusion = [[Int]](repeating: [Int](repeating: 0, count: k), count: k)
        for (truth, guess) in zip(labels, predicted) { confusion[Int(truth)][Int(guess)] += 1 }
        self.confusion = confusion

        let truePositives = (0..<k).map { confusion[$0][$0] }
        let support = confusion.map { $0.reduce(0, +) }
        let predictedCounts = (0..<k).map { column in confusion.reduce(0) { $0 + $1[column] } }
        self.support = support
        accuracy = count > 0 ? Double(truePositives.reduce(0, +)) / Double(count) : .nan
        func ratio(_ numerator: Int, _ denominator: Int) -> Double { denominator > 0 ? Double(numerator) / Double(denominator) : 0 }
        let perClass = (0..<k).map { c in
            PrecisionRecallF1(precision: ratio(truePositives[c], predictedCounts[c]), recall: ratio(truePositives[c], support[c]),
                              f1: ratio(2 * truePositives[c], support[c] + predictedCounts[c]))
        }
        self.perClass = perClass
        let present = (0..<k).filter { support[$0] > 0 || predictedCounts[$0] > 0 }
        macro = ClassificationReport.average(perClass, over: present, weights: present.map { _ in 1 })
        weighted = ClassificationReport.average(perClass, over: present, weights: present.map { Double(support[$0]) })

        aucPerClass = (0..<k).map { c in
            rocAUC(scores: (0..<labels.count).map { predictions.probabilities[$0 * k + c] }, positives: labels.map { Int($0) == c })
        }
        let defined = aucPerClass.filter { !$0.isNaN }
        aucMacro = defined.isEmpty ? .nan : defined.reduce(0, +) / Double(defined.count)

        var nll = 0.0
        for (row, label) in labels.enumerated() {
            nll -= log(max(Double(predictions.probabilities[row * k + Int(label)]), Double.ulpOfOne))
        }
        logLoss = count > 0 ? nll / Double(count) : .nan
    }

    /// The weighted mean of `perClass` over the classes `indices` (0 when the weights sum to 0).
    private static func average(_ perClass: [PrecisionRecallF1], over indices: [Int], weights: [Double]) -> PrecisionRecallF1 {
        let total = weights.reduce(0, +)
        guard total > 0 else { return PrecisionRecallF1(precision: 0, recall: 0, f1: 0) }
        func mean(_ value: (PrecisionRecallF1) -> Double) -> Double {
            zip(indices, weights).reduce(0) { $0 + value(perClass[$1.0]) * $1.1 } / total
        }
        return PrecisionRecallF1(precision: mean(\.precision), recall: mean(\.recall), f1: mean(\.f1))
    }

    /// The value of a metric by its config and record name (`accuracy`, `f1_macro`, `auc`, …;
    /// `ClassificationReport.metricNames`), or nil for an unknown name.
    public func value(of name: String) -> Double? {
        switch name {
        case "accuracy": return accuracy
        case "precision_macro": return macro.precision
        case "recall_macro": return macro.recall
        case "f1_macro": return macro.f1
        case "precision_weighted": return weighted.precision
        case "recall_weighted": return weighted.recall
        case "f1_weighted": return weighted.f1
        case "auc": return aucMacro
        case "log_loss": return logLoss
        default: return nil
        }
    }

    /// The metric names `value(of:)` knows, in the order records list them.
    public static let metricNames = ["accuracy", "precision_macro", "recall_macro", "f1_macro",
                                     "precision_weighted", "recall_weighted", "f1_weighted", "auc", "log_loss"]
}

/// The area under the ROC curve of `scores` for the samples marked in `positives`: the
/// probability that a random positive scores above a random negative, ties counted half
/// (Mann–Whitney U / (P·N), equal to the trapezoid area of the exact ROC curve). NaN without
/// positives or without negatives.
public func rocAUC(scores: [Float], positives: [Bool]) -> Double {
    precondition(scores.count == positives.count, "rocAUC: \(scores.count) scores for \(positives.count) labels")
    let positiveCount = positives.reduce(0) { $0 + ($1 ? 1 : 0) }
    let negativeCount = positives.count - positiveCount
    guard positiveCount > 0, negativeCount > 0, !scores.contains(where: \.isNaN) else { return .nan }
    let order = scores.indices.sorted { scores[$0] < scores[$1] }
    // Σ over positives of their 1-based rank, a tie group taking its mean rank
    var rankSum = 0.0
    var start = 0
    while start < order.count {
        var end = start + 1
        while end < order.count && scores[order[end]] == scores[order[start]] { end += 1 }
        let meanRank = Double(start + 1 + end) / 2
        for index in order[start..<end] where positives[index] { rankSum += meanRank }
        start = end
    }
    let p = Double(positiveCount), n = Double(negativeCount)
    return (rankSum - p * (p + 1) / 2) / (p * n)
}
