// `swiftddp inspect`: a readable report of any HDF5 file (a dataset shard, a checkpoint, …).
import Foundation

/// A report of an HDF5 file: its root attributes, every dataset (recursively) with shape, element
/// type and attributes, and for dataset shards the sample count and a per-class label histogram.
///
/// ```
/// /data/fmnist/val.h5 (3.9 MB)
/// attributes of /:
///   class_names     ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", … (10 values)]
///   num_classes     10
///   split           "val"
/// datasets:
///   /features  uint8  [5000, 784]  scale = 0.003921569
///   /labels    int32  [5000]
/// swiftddp dataset: 5000 samples, 10 classes, split val, shard 0 of 1
///   0 T-shirt/top   522   10.4 %
///   1 Trouser       522   10.4 %
/// ```
///
/// - Throws: `HDF5Error` if the file is missing, not HDF5 or unreadable.
public func describeHDF5File(path: String) throws -> String {
    let file = try HDF5File.open(path: path)
    defer { try? file.close() }
    var lines = ["\(path) (\(formattedSize(path)))"]

    let rootAttributes = try file.attributeNames()
    if !rootAttributes.isEmpty {
        lines.append("attributes of /:")
        let width = rootAttributes.map(\.count).max() ?? 0
        for name in rootAttributes {
            let value = (try? file.attributeDisplayString(name)) ?? "<unreadable>"
            lines.append("  " + padded(name, width) + "  " + value)
        }
    }

    let datasets = try file.allDatasetPaths()
    lines.append(datasets.isEmpty ? "datasets: none" : "datasets:")
    let nameWidth = datasets.map(\.count).max() ?? 0
    let infos = try datasets.map { try file.datasetInfo($0) }
    let typeWidth = infos.map(\.elementType.description.count).max() ?? 0
    for (name, info) in zip(datasets, infos) {
        var line = "  " + padded(name, nameWidth) + "  " + padded(info.elementType.description, typeWidth)
            + "  \(info.shape)"
        let attributes = (try? file.attributeNames(of: name)) ?? []
        let rendered = attributes.map { "\($0) = " + ((try? file.attributeDisplayString($0, of: name)) ?? "?") }
        if !rendered.isEmpty { line += "  " + rendered.joined(separator: ", ") }
        lines.append(line)
    }

    if let summary = try datasetSummary(file, datasets: datasets) { lines += summary }
    return lines.joined(separator: "\n")
}

/// For swiftddp dataset files (or any file with integer `/labels`): counts and a label histogram.
private func datasetSummary(_ file: HDF5File, datasets: [String]) throws -> [String]? {
    let labelsName = "/" + DatasetFormat.labelsKey
    let names = DatasetFormat.Attribute.self
    let isDataset = (try? file.readStringAttribute(names.format)) == DatasetFormat.name
    guard isDataset || datasets.contains(labelsName) else { return nil }
    if (try? file.readStringAttribute(names.task)) == DatasetTask.regression.rawValue, datasets.contains(labelsName) {
        return try regressionSummary(file, labelsName)
    }
    guard datasets.contains(labelsName), try file.datasetInfo(labelsName).elementType.isInteger else {
        return ["swiftddp dataset: no integer \(labelsName) to summarize"]
    }
    let labels = try file.readInt64s(labelsName).values
    let classNames = (try? file.readStringArrayAttribute(names.classNames)) ?? []
    let numClasses = (try? file.readIntAttribute(names.numClasses)) ?? Int((labels.max() ?? -1) + 1)
    var lines = [heading(file, "\(isDataset ? "swiftddp dataset" : "labels"): \(labels.count) samples, \(numClasses) classes")]

    var counts = [Int](repeating: 0, count: max(numClasses, 0))
    var outside = 0
    for label in labels {
        if label >= 0 && label < Int64(counts.count) { counts[Int(label)] += 1 } else { outside += 1 }
    }
    let nameWidth = classNames.map(\.count).max() ?? 0
    let countWidth = String(labels.count).count
    for (label, count) in counts.enumerated() {
        let name = label < classNames.count ? classNames[label] : ""
        let percent = labels.isEmpty ? 0 : 100 * Double(count) / Double(labels.count)
        lines.append("  " + padded(String(label), String(max(numClasses - 1, 0)).count, right: true) + " "
            + padded(name, nameWidth) + "  " + padded(String(count), countWidth, right: true)
            + "  " + String(format: "%5.1f %%", percent))
    }
    if outside > 0 { lines.append("  \(outside) labels outside 0..<\(numClasses)") }
    return lines
}

/// `start`, then the file's split and shard position when it records them.
private func heading(_ file: HDF5File, _ start: String) -> String {
    let names = DatasetFormat.Attribute.self
    var text = start
    if let split = try? file.readStringAttribute(names.split) { text += ", split \(split)" }
    if let index = try? file.readIntAttribute(names.shardIndex), let count = try? file.readIntAttribute(names.shardCount) {
        text += ", shard \(index) of \(count)"
    }
    return text
}

/// For regression shards: counts, and the mean, standard deviation and range of each target.
private func regressionSummary(_ file: HDF5File, _ labelsName: String) throws -> [String] {
    let names = DatasetFormat.Attribute.self
    let (values, shape) = try file.readDoubles(labelsName)
    let rows = shape.first ?? 0, k = shape.count == 2 ? shape[1] : 1
    let targetNames = (try? file.readStringArrayAttribute(names.targetNames)) ?? []
    let width = max(targetNames.map(\.count).max() ?? 0, "target 0".count)
    var lines = [heading(file, "swiftddp dataset: \(rows) samples, \(k) regression target(s)"),
                 "  " + padded("target", width) + "        mean         std         min         max"]
    for j in 0..<k where rows > 0 {
        let column = (0..<rows).map { values[$0 * k + j] }
        let mean = column.reduce(0, +) / Double(rows)
        let std = (column.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(rows)).squareRoot()
        let numbers = [mean, std, column.min() ?? .nan, column.max() ?? .nan].map { String(format: "%12.4g", $0) }.joined()
        lines.append("  " + padded(j < targetNames.count ? targetNames[j] : "target \(j)", width) + numbers)
    }
    return lines
}

/// `text` padded with spaces to `width` characters, on the right (or on the left when `right`).
private func padded(_ text: String, _ width: Int, right: Bool = false) -> String {
    let padding = String(repeating: " ", count: max(0, width - text.count))
    return right ? padding + text : text + padding
}

/// The file's size as `812 B`, `45.3 KB`, `21.6 MB` or `1.2 GB`.
private func formattedSize(_ path: String) -> String {
    let bytes = ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.doubleValue ?? 0
    let units = ["B", "KB", "MB", "GB", "TB"]
    var value = bytes, unit = 0
    while value >= 1000, unit < units.count - 1 {
        value /= 1000
        unit += 1
    }
    return unit == 0 ? "\(Int(value)) B" : String(format: "%.1f", value) + " " + units[unit]
}
