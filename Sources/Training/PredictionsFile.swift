// `swiftddp evaluate --predictions FILE`: every sample's label, predicted class and class
// probabilities, or its targets and predicted values, as CSV or HDF5 (docs/cli.md, "Predictions
// file").
import Data
import Foundation
import Metrics

/// Writes predictions for other tools (scikit-learn, pandas, h5py).
public enum PredictionsFile {
    /// The `format` attribute of the HDF5 form.
    public static let format = "swiftddp-predictions"

    /// Writes `predictions` to `path`: HDF5 when it ends in `.h5` or `.hdf5`, else CSV.
    ///
    /// CSV: a header `index,label,predicted,prob_0,…,prob_<K−1>`, then one row per sample;
    /// probabilities in float32's shortest round-trip decimal form. HDF5: `/labels` and
    /// `/predicted` int32 (N), `/probabilities` float32 (N, K), and the attributes `format`,
    /// `format_version`, `class_names`, `data` and `checkpoints`.
    public static func write(_ predictions: ClassificationPredictions, to path: String, classNames: [String],
                             dataPath: String, checkpoints: [String]) throws {
        let predicted = predictions.predicted
        let k = predictions.classes
        if isHDF5(path) {
            do {
                try writeHDF5(predictions, predicted: predicted, to: path, classNames: classNames, dataPath: dataPath, checkpoints: checkpoints)
            } catch {
                // HDF5's own error for a missing directory says only that H5Fcreate failed
                if let problem = OutputFile.directoryProblem(for: path) { throw OutputFileError(what: "predictions file", path: path, reason: problem) }
                throw error
            }
            return
        }
        var text = (["index", "label", "predicted"] + (0..<k).map { "prob_\($0)" }).joined(separator: ",") + "\n"
        text.reserveCapacity(predictions.count * (8 + 12 * k))
        for row in 0..<predictions.count {
            text += "\(row),\(predictions.labels[row]),\(predicted[row])"
            for j in 0..<k { text += ",\(predictions.probabilities[row * k + j])" }
            text += "\n"
        }
        try OutputFile.write(text, to: path, what: "predictions file")
    }

    /// Writes a regression's `predicted` values beside the true `targets` (both N × K, row-major)
    /// to `path`: HDF5 when it ends in `.h5` or `.hdf5`, else CSV.
    ///
    /// CSV: a header `sample,target,predicted_target` (K = 1) or `sample,target_0,…,
    /// predicted_target_0,…`, then one row per sample, values in float32's shortest round-trip
    /// form. HDF5: `/targets` and `/predicted` float32 (N, K), and the attributes `format`,
    /// `format_version`, `task` = `regression`, `data` and `checkpoints`.
    public static func writeRegression(predicted: [Float], targets: [Float], targetCount k: Int, to path: String,
                                       dataPath: String, checkpoints: [String]) throws {
        precondition(k >= 1 && predicted.count == targets.count && targets.count % k == 0,
                     "PredictionsFile.writeRegression: \(predicted.count) predictions for \(targets.count) targets of \(k) per sample")
        let rows = targets.count / k
        if isHDF5(path) {
            do {
                try HDF5File.writeAtomically(path: path) { file in
                    try file.writeAttribute("format", format)
                    try file.writeAttribute("format_version", 1)
                    try file.writeAttribute("task", "regression")
                    try file.writeAttribute("data", dataPath)
                    try file.writeAttribute("checkpoints", checkpoints)
                    try file.write(targets, shape: [rows, k], to: "/targets")
                    try file.write(predicted, shape: [rows, k], to: "/predicted")
                }
            } catch {
                if let problem = OutputFile.directoryProblem(for: path) { throw OutputFileError(what: "predictions file", path: path, reason: problem) }
                throw error
            }
            return
        }
        let names = k == 1 ? ["target"] : (0..<k).map { "target_\($0)" }
        var text = (["sample"] + names + names.map { "predicted_" + $0 }).joined(separator: ",") + "\n"
        for row in 0..<rows {
            text += "\(row)"
            for j in 0..<k { text += ",\(targets[row * k + j])" }
            for j in 0..<k { text += ",\(predicted[row * k + j])" }
            text += "\n"
        }
        try OutputFile.write(text, to: path, what: "predictions file")
    }

    /// Whether `path` names an HDF5 file (`.h5` or `.hdf5`).
    private static func isHDF5(_ path: String) -> Bool { path.hasSuffix(".h5") || path.hasSuffix(".hdf5") }

    private static func writeHDF5(_ predictions: ClassificationPredictions, predicted: [Int32], to path: String, classNames: [String],
                                  dataPath: String, checkpoints: [String]) throws {
        let k = predictions.classes
        try HDF5File.writeAtomically(path: path) { file in
            try file.writeAttribute("format", format)
            try file.writeAttribute("format_version", 1)
            try file.writeAttribute("data", dataPath)
            try file.writeAttribute("checkpoints", checkpoints)
            if !classNames.isEmpty { try file.writeAttribute("class_names", classNames) }
            try file.write(predictions.labels, shape: [predictions.count], to: "/labels")
            try file.write(predicted, shape: [predictions.count], to: "/predicted")
            try file.write(predictions.probabilities, shape: [predictions.count, k], to: "/probabilities")
        }
    }
}
