// `swiftddp evaluate --predictions FILE`: every sample's label, predicted class and class
// probabilities, as CSV or HDF5 (docs/cli.md, "Predictions file").
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
        if path.hasSuffix(".h5") || path.hasSuffix(".hdf5") {
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
