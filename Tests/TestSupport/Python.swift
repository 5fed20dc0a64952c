// Running Python reference checks (scikit-learn, TensorBoard's reader) from tests; the packages
// come from launch/install-deps.sh.
import Foundation

/// Runs `python3 -c script arguments…` and returns what it printed.
public func python(_ script: String, _ arguments: [String] = [], timeout: Double = 120) throws -> CommandResult {
    try runCommand("/usr/bin/env", ["python3", "-c", script] + arguments, timeout: timeout)
}

/// Whether `tool` is an executable on PATH.
public func onPath(_ tool: String) -> Bool {
    (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":")
        .contains { FileManager.default.isExecutableFile(atPath: "\($0)/\(tool)") }
}

/// A Python script that checks a `swiftddp evaluate --format json` report against scikit-learn on
/// the predictions CSV it exported: `python(scikitLearnEvaluationCheck, [json, csv, "member" or "ensemble"])`
/// prints `ok N worst` when accuracy, precision, recall, F1 (macro, weighted, per class), AUC, log
/// loss and the confusion matrix all agree.
public let scikitLearnEvaluationCheck = #"""
    import json, sys
    import numpy as np, pandas as pd
    from sklearn import metrics as m
    report, frame = json.load(open(sys.argv[1])), pd.read_csv(sys.argv[2])
    entry = report["ensemble"] if sys.argv[3] == "ensemble" else report["members"][0]
    k = report["classes"]
    y, p = frame["label"].to_numpy(), frame["predicted"].to_numpy()
    P = frame[[f"prob_{j}" for j in range(k)]].to_numpy()
    assert (P.argmax(axis=1) == p).all(), "predicted is not the arg-max of the probabilities"
    expected = {
        "accuracy": m.accuracy_score(y, p),
        "f1_macro": m.f1_score(y, p, average="macro"), "f1_weighted": m.f1_score(y, p, average="weighted"),
        "precision_macro": m.precision_score(y, p, average="macro", zero_division=0),
        "recall_macro": m.recall_score(y, p, average="macro", zero_division=0),
        "precision_weighted": m.precision_score(y, p, average="weighted", zero_division=0),
        "recall_weighted": m.recall_score(y, p, average="weighted", zero_division=0),
        "auc": m.roc_auc_score(y, P, multi_class="ovr", average="macro"),
    }
    worst = max(abs(entry[name] - value) for name, value in expected.items())
    assert worst < 1e-12, {name: (entry[name], value) for name, value in expected.items()}
    assert abs(entry["log_loss"] - m.log_loss(y, P, labels=list(range(k)))) < 1e-6, (entry["log_loss"], m.log_loss(y, P))
    assert entry["confusion_matrix"] == m.confusion_matrix(y, p, labels=list(range(k))).tolist()
    f1 = m.f1_score(y, p, average=None, labels=list(range(k)), zero_division=0)
    auc = [m.roc_auc_score(y == j, P[:, j]) for j in range(k)]
    for j, row in enumerate(entry["per_class"]):
        assert abs(row["f1"] - f1[j]) < 1e-12 and abs(row["auc"] - auc[j]) < 1e-12, (j, row, f1[j], auc[j])
    assert 0.2 < entry["accuracy"] < 0.99, "the test needs imperfect predictions: accuracy %s" % entry["accuracy"]
    print("ok", len(y), worst)
    """#
