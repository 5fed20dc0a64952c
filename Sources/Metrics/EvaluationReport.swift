// The output of `swiftddp evaluate`: each checkpoint's metrics, the ensemble's next to them, the
// per-class table and the confusion matrix with class names; as text or JSON.

/// The evaluation of one or several models on one dataset file.
public struct EvaluationReport: Sendable {
    /// One evaluated model.
    public struct Member: Sendable {
        /// A short label (the checkpoint's file name, or its path when names repeat).
        public var name: String
        /// The checkpoint's path.
        public var path: String
        /// The checkpoint's step, if known.
        public var step: Int?
        public var report: ClassificationReport

        /// A member.
        public init(name: String, path: String, step: Int?, report: ClassificationReport) {
            self.name = name
            self.path = path
            self.step = step
            self.report = report
        }
    }

    /// The dataset file.
    public var dataPath: String
    /// One name per class; when the file has none, the class ids.
    public var classNames: [String]
    public var members: [Member]
    /// The mean of the members' probabilities, with more than one member.
    public var ensemble: ClassificationReport?

    /// A report; empty `classNames` become "0", "1", ….
    public init(dataPath: String, classNames: [String], members: [Member], ensemble: ClassificationReport?) {
        precondition(!members.isEmpty, "EvaluationReport: no members")
        self.dataPath = dataPath
        self.classNames = classNames.isEmpty ? (0..<members[0].report.classes).map(String.init) : classNames
        self.members = members
        self.ensemble = ensemble
    }

    /// The report the per-class table and the confusion matrix show: the ensemble's, else the
    /// only member's.
    public var headline: ClassificationReport { ensemble ?? members[0].report }

    private static let summaryMetrics = ["accuracy", "f1_macro", "auc", "log_loss", "f1_weighted"]

    // MARK: - Text

    /// The human-readable report.
    public func table() -> String {
        let main = headline
        var lines = ["data: \(dataPath) (\(main.count) samples, \(main.classes) classes)", ""]
        var models = TextTable(header: ["model", "step"] + EvaluationReport.summaryMetrics)
        for member in members {
            models.add([member.name, member.step.map(String.init) ?? "-"] + EvaluationReport.summaryMetrics.map { formatMetric(member.report.value(of: $0)) })
        }
        if let ensemble {
            models.add(["ensemble (\(members.count) models)", "-"] + EvaluationReport.summaryMetrics.map { formatMetric(ensemble.value(of: $0)) })
        }
        lines += models.render()
        let whose = ensemble != nil ? " (ensemble)" : ""
        lines += ["", "per class\(whose):"]
        var perClass = TextTable(header: ["class", "precision", "recall", "f1", "support", "auc"])
        for (index, metrics) in main.perClass.enumerated() {
            perClass.add([classNames[index], formatMetric(metrics.precision), formatMetric(metrics.recall), formatMetric(metrics.f1),
                          String(main.support[index]), formatMetric(main.aucPerClass[index])])
        }
        perClass.add(["macro avg", formatMetric(main.macro.precision), formatMetric(main.macro.recall), formatMetric(main.macro.f1),
                      String(main.count), formatMetric(main.aucMacro)])
        perClass.add(["weighted avg", formatMetric(main.weighted.precision), formatMetric(main.weighted.recall),
                      formatMetric(main.weighted.f1), String(main.count), ""])
        lines += perClass.render()
        lines += ["", "confusion matrix\(whose): rows are true classes, columns predicted classes (by number)"]
        lines += confusionLines(main)
        return lines.joined(separator: "\n") + "\n"
    }

    /// The K × K counts with `i name` row labels and class numbers as column headers.
    private func confusionLines(_ report: ClassificationReport) -> [String] {
        let labels = classNames.enumerated().map { "\($0.offset) \($0.element)" }
        let labelWidth = labels.map(\.count).max() ?? 1
        let cellWidth = max(String(report.confusion.flatMap { $0 }.max() ?? 0).count, String(report.classes - 1).count) + 1
        func pad(_ text: String, _ width: Int) -> String { String(repeating: " ", count: max(0, width - text.count)) + text }
        var lines = [String(repeating: " ", count: labelWidth) + (0..<report.classes).map { pad(String($0), cellWidth) }.joined()]
        for (index, row) in report.confusion.enumerated() {
            lines.append(labels[index] + String(repeating: " ", count: labelWidth - labels[index].count)
                + row.map { pad(String($0), cellWidth) }.joined())
        }
        return lines
    }

    // MARK: - JSON

    /// Every number of the report (docs/cli.md lists the keys).
    public func json() -> JSONValue {
        func entry(_ report: ClassificationReport, _ identity: [(key: String, value: JSONValue)]) -> JSONValue {
            let metrics = ClassificationReport.metricNames.map { (key: $0, value: JSONValue.finite(report.value(of: $0))) }
            let perClass: [JSONValue] = report.perClass.enumerated().map { index, metrics in
                .object([("class", .string(classNames[index])), ("precision", .finite(metrics.precision)), ("recall", .finite(metrics.recall)),
                         ("f1", .finite(metrics.f1)), ("support", .integer(report.support[index])), ("auc", .finite(report.aucPerClass[index]))])
            }
            return .object(identity + metrics + [
                ("confusion_matrix", .array(report.confusion.map { .array($0.map { .integer($0) }) })),
                ("per_class", .array(perClass)),
            ])
        }
        let main = headline
        return .object([
            ("data", .string(dataPath)),
            ("samples", .integer(main.count)),
            ("classes", .integer(main.classes)),
            ("class_names", .array(classNames.map { .string($0) })),
            ("members", .array(members.map { member in
                entry(member.report, [("checkpoint", .string(member.path)), ("step", member.step.map { .integer($0) } ?? .null)])
            })),
            ("ensemble", ensemble.map { entry($0, [("members", .integer(members.count))]) } ?? .null),
        ])
    }
}
