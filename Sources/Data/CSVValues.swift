// The selected columns of a CSV table parsed into numbers, and what `prepare csv` does with
// them: find and fill missing values, map class values to ids, standardization statistics.
import Foundation

/// Features and regression targets as `Double`s (NaN marks a missing value), class values as
/// strings (`nil` when missing), row-major over the file's data records.
struct CSVValues {
    let rowCount: Int
    let featureNames: [String]
    private(set) var featureValues: [Double]     // rowCount × featureCount
    let targetValues: [Double]                   // rowCount × targetCount, regression
    let classValues: [String?]                   // rowCount, classification
    var featureCount: Int { featureNames.count }
    var targetCount: Int { targetValues.count / max(rowCount, 1) }

    /// Parses the cells of `features` and `targets` (column indices) of every record.
    ///
    /// - Throws: `CSVError.notANumber` naming the line and column of a cell that is neither a
    ///   finite number nor a missing-value marker (class targets may be any text).
    init(_ table: CSVTable, features: [Int], targets: [Int], task: DatasetTask) throws {
        rowCount = table.records.count
        featureNames = features.map { table.header[$0] }
        var featureValues = [Double](repeating: .nan, count: rowCount * features.count)
        var targetValues = [Double](repeating: .nan, count: task == .regression ? rowCount * targets.count : 0)
        var classValues = [String?](repeating: nil, count: task == .classification ? rowCount : 0)
        func number(_ record: CSVTable.Record, _ column: Int) throws -> Double {
            let cell = record.cells[column].trimmingCharacters(in: .whitespaces)
            if CSVPreparer.missingMarkers.contains(cell.lowercased()) { return .nan }
            guard let value = Double(cell), value.isFinite else {
                throw CSVError.notANumber(file: table.path, line: record.line, column: table.header[column], value: record.cells[column])
            }
            return value
        }
        for (row, record) in table.records.enumerated() {
            for (j, column) in features.enumerated() { featureValues[row * features.count + j] = try number(record, column) }
            if task == .regression {
                for (j, column) in targets.enumerated() { targetValues[row * targets.count + j] = try number(record, column) }
            } else {
                let cell = record.cells[targets[0]].trimmingCharacters(in: .whitespaces)
                classValues[row] = CSVPreparer.missingMarkers.contains(cell.lowercased()) ? nil : cell
            }
        }
        self.featureValues = featureValues
        self.targetValues = targetValues
        self.classValues = classValues
    }

    /// Whether `row` lacks its class value or any target value.
    func targetMissing(_ row: Int) -> Bool {
        if !classValues.isEmpty { return classValues[row] == nil }
        return targetValues[(row * targetCount)..<((row + 1) * targetCount)].contains { $0.isNaN }
    }

    /// Whether `row` lacks any feature value.
    func featureMissing(_ row: Int) -> Bool {
        featureValues[(row * featureCount)..<((row + 1) * featureCount)].contains { $0.isNaN }
    }

    /// The missing values of each feature column among `rows`, for the columns that have any.
    func missingCounts(rows: [Int]) -> [(column: String, count: Int)] {
        featureNames.indices.compactMap { j in
            let count = rows.count { featureValues[$0 * featureCount + j].isNaN }
            return count > 0 ? (featureNames[j], count) : nil
        }
    }

    /// Fills the missing features of `rows` with the mean or median of that column over
    /// `trainRows`; returns, per column with missing values, how many were filled and with what.
    mutating func impute(_ policy: CSVPreparer.MissingPolicy, from trainRows: [Int], into rows: [Int],
                         file: String) throws -> [(column: String, count: Int, value: Double)] {
        var filled: [(column: String, count: Int, value: Double)] = []
        for j in 0..<featureCount {
            let missingRows = rows.filter { featureValues[$0 * featureCount + j].isNaN }
            guard !missingRows.isEmpty else { continue }
            let known = trainRows.map { featureValues[$0 * featureCount + j] }.filter { !$0.isNaN }
            guard !known.isEmpty else { throw CSVError.nothingToImpute(file: file, column: featureNames[j]) }
            let value: Double
            if policy == .median {
                let sorted = known.sorted()
                value = sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
            } else {
                value = known.reduce(0, +) / Double(known.count)
            }
            for row in missingRows { featureValues[row * featureCount + j] = value }
            filled.append((featureNames[j], missingRows.count, value))
        }
        return filled
    }

    /// Each feature's mean and population standard deviation over `rows` (as scikit-learn's
    /// `StandardScaler`); a constant column gets std 1 and is listed in `constant`.
    func standardization(rows: [Int]) -> (mean: [Float], std: [Float], constant: [Int]) {
        var mean: [Float] = [], std: [Float] = [], constant: [Int] = []
        for j in 0..<featureCount {
            let column = rows.map { featureValues[$0 * featureCount + j] }
            let average = column.reduce(0, +) / Double(max(column.count, 1))
            let variance = column.reduce(0) { $0 + ($1 - average) * ($1 - average) } / Double(max(column.count, 1))
            let deviation = variance.squareRoot()
            mean.append(Float(average))
            if deviation > 1e-12 * max(1, abs(average)) && Float(deviation) > 0 {
                std.append(Float(deviation))
            } else {
                std.append(1)
                constant.append(j)
            }
        }
        return (mean, std, constant)
    }

    /// The features of `rows`, in that order, as float32.
    func features(rows: [Int]) -> [Float] {
        rows.flatMap { row in featureValues[(row * featureCount)..<((row + 1) * featureCount)].map { Float($0) } }
    }

    /// The regression targets of `rows`, in that order, as float32.
    func targets(rows: [Int]) -> [Float] {
        rows.flatMap { row in targetValues[(row * targetCount)..<((row + 1) * targetCount)].map { Float($0) } }
    }

    /// Class ids for the class values of `rows` (indexed by row; −1 elsewhere) and the class names
    /// in id order: numerically sorted when every value is an integer, otherwise sorted as text.
    static func classIDs(_ values: [String?], rows: [Int]) -> (ids: [Int32], names: [String]) {
        let present = Set(rows.compactMap { values[$0] })
        let integers = present.compactMap { Int($0) }
        let key: (String) -> String   // "07" and "7" are one class when every value is an integer
        let names: [String]
        if integers.count == present.count {
            names = Set(integers).sorted().map(String.init)
            key = { Int($0).map(String.init) ?? $0 }
        } else {
            names = present.sorted()
            key = { $0 }
        }
        let idOf = Dictionary(uniqueKeysWithValues: names.enumerated().map { ($1, Int32($0)) })
        var ids = [Int32](repeating: -1, count: values.count)
        for row in rows {
            if let value = values[row] { ids[row] = idOf[key(value)] ?? -1 }
        }
        return (ids, names)
    }
}
