import Foundation
import Testing
@testable import Data

@Suite struct DatasetShardTests {
    static let metadata = DatasetMetadata(
        numClasses: 3, featureShape: [1, 2, 2], classNames: ["a", "b", "c"], source: "test", split: .validation)

    @Test func uint8ShardRoundTripsScaled() throws {
        let directory = TemporaryDirectory()
        let path = directory.file("val.h5")
        let pixels: [UInt8] = [0, 255, 51, 102, 10, 20, 30, 40, 1, 2, 3, 4]
        try DatasetShard.write(path: path, features: pixels, labels: [2, 0, 1], metadata: Self.metadata)

        let shard = try DatasetShard.load(path: path)
        #expect(shard.path == path)
        #expect(shard.count == 3)
        #expect(shard.features.shape == [3, 4])
        #expect(shard.features.toArray() == pixels.map { Float($0) * (Float(1) / 255) })
        #expect(shard.labels == [2, 0, 1])
        #expect(shard.numClasses == 3)
        #expect(shard.featureShape == [1, 2, 2])
        #expect(shard.classNames == ["a", "b", "c"])

        let file = try HDF5File.open(path: path)
        #expect(try file.readStringAttribute("format") == "swiftddp-dataset")
        #expect(try file.readIntAttribute("format_version") == 1)
        #expect(try file.readStringAttribute("split") == "val")
        #expect(try file.readStringAttribute("source") == "test")
        #expect(try file.datasetInfo("/features") == ([3, 4], .uint8))
        #expect(try file.datasetInfo("/labels") == ([3], .int32))
    }

    @Test func floatShardAndRowRange() throws {
        let directory = TemporaryDirectory()
        let path = directory.file("float.h5")
        var metadata = Self.metadata
        metadata.scale = 1
        let values = (0..<16).map { Float($0) / 2 }
        try DatasetShard.write(path: path, features: values, labels: [0, 1, 2, 0], metadata: metadata)

        let whole = try DatasetShard.load(path: path)
        #expect(whole.features.toArray() == values)
        let part = try DatasetShard.load(path: path, rows: 1..<3)
        #expect(part.features.toArray() == Array(values[4..<12]))
        #expect(part.labels == [1, 2])
        #expect(throws: DatasetError.rowsOutOfRange(file: path, rows: 3..<5, rowCount: 4)) {
            try DatasetShard.load(path: path, rows: 3..<5)
        }
    }

    @Test func meanAndStdNormalizeAfterScaling() throws {
        let directory = TemporaryDirectory()
        let path = directory.file("normalized.h5")
        var metadata = Self.metadata
        (metadata.scale, metadata.mean, metadata.std) = (0.5, [10], [4])
        try DatasetShard.write(path: path, features: [20, 28, 36, 44] as [UInt8], labels: [1], metadata: metadata)
        #expect(try DatasetShard.load(path: path).features.toArray() == [0, 1, 2, 3])  // (x/2 − 10) / 4

        let bad = try fixture { file in
            try file.write([Float](repeating: 0, count: 4), shape: [2, 2], to: "/features")
            try file.write([1, 0] as [Int32], shape: [2], to: "/labels")
            try file.writeAttribute("std", 0.0, on: "/features")
        }
        let error = #expect(throws: DatasetError.self) { try DatasetShard.load(path: bad.file) }
        #expect(error?.description.contains("attribute std of /features must be one finite, positive number") == true)
    }

    @Test func filesWrittenLikeH5pyWithOtherKeysLoad() throws {
        // float64 features (N, 2, 2) without scale, int64 labels, no num_classes: inferred as max + 1.
        let directory = TemporaryDirectory()
        let path = directory.file("h5py.h5")
        try HDF5File.writeAtomically(path: path) { file in
            try file.write([Float](repeating: 0.5, count: 12), shape: [3, 2, 2], to: "/inputs/x")
            try file.write([4, 0, 1] as [Int64], shape: [3], to: "/y")
        }
        let shard = try DatasetShard.load(path: path, featuresKey: "inputs/x", labelsKey: "/y")
        #expect(shard.features.shape == [3, 4])
        #expect(shard.featureShape == [2, 2])
        #expect(shard.features.toArray().allSatisfy { $0 == 0.5 })
        #expect(shard.labels == [4, 0, 1])
        #expect(shard.numClasses == 5)
    }

    @Test func missingAndNonHDF5FilesAreNamed() throws {
        let directory = TemporaryDirectory()
        let missing = directory.file("missing.h5")
        #expect(throws: DatasetError.fileNotFound(missing)) { try DatasetShard.load(path: missing) }
        let text = directory.file("train-00000-of-00001.h5")
        try "labels,features\n".write(toFile: text, atomically: true, encoding: .utf8)
        let error = #expect(throws: DatasetError.notHDF5(text)) { try DatasetShard.load(path: text) }
        #expect(error?.description.contains("\(text) is not an HDF5 file") == true)
    }

    @Test func missingLabelsNamesTheKeyAndWhatIsThere() throws {
        let path = try fixture { file in
            try file.write([UInt8](repeating: 1, count: 8), shape: [2, 4], to: "/features")
            try file.write([0, 1] as [Int32], shape: [2], to: "/targets")
        }
        let error = #expect(throws: DatasetError.self) { try DatasetShard.load(path: path.file) }
        #expect(error == .missingKey(file: path.file, key: "labels", available: ["/features", "/targets"]))
        #expect(error?.description.contains(path.file) == true)
        #expect(error?.description.contains("no dataset \"labels\"; it holds /features, /targets") == true)
    }

    @Test func mismatchedLengthsAreReported() throws {
        let path = try fixture { file in
            try file.write([Float](repeating: 0, count: 200), shape: [100, 2], to: "/features")
            try file.write([Int32](repeating: 0, count: 99), shape: [99], to: "/labels")
        }
        let error = #expect(throws: DatasetError.self) { try DatasetShard.load(path: path.file) }
        #expect(error?.description.contains("\(path.file): features has 100 rows but labels has 99") == true)
    }

    @Test func labelOutOfRangeNamesTheRow() throws {
        let path = try fixture { file in
            try file.write([Float](repeating: 0, count: 8), shape: [4, 2], to: "/features")
            try file.write([0, 1, 7, 2] as [Int32], shape: [4], to: "/labels")
            try file.writeAttribute("num_classes", 3)
        }
        let error = #expect(throws: DatasetError.labelOutOfRange(file: path.file, key: "labels", row: 2, label: 7,
                                                                 numClasses: 3)) {
            try DatasetShard.load(path: path.file)
        }
        #expect(error?.description.contains("\(path.file): labels row 2 is 7, outside 0..<3") == true)
        // The row is the file's row, also when loading a range.
        #expect(throws: DatasetError.labelOutOfRange(file: path.file, key: "labels", row: 2, label: 7, numClasses: 3)) {
            try DatasetShard.load(path: path.file, rows: 1..<4)
        }
        let bad = path.directory.file("bad.h5")
        #expect(throws: DatasetError.labelOutOfRange(file: bad, key: "labels", row: 1, label: 3, numClasses: 3)) {
            try DatasetShard.write(path: bad, features: [UInt8](repeating: 0, count: 8),
                                   labels: [0, 3], metadata: Self.metadata)
        }
    }

    @Test func featuresMustHaveAtLeastTwoDimensions() throws {
        let path = try fixture { file in
            try file.write([1, 2, 3] as [Float], shape: [3], to: "/features")
            try file.write([0, 1, 0] as [Int32], shape: [3], to: "/labels")
        }
        let error = #expect(throws: DatasetError.featureRank(file: path.file, key: "features", shape: [3])) {
            try DatasetShard.load(path: path.file)
        }
        #expect(error?.description.contains(path.file) == true)
    }

    @Test func floatLabelsNeedNumClassesAndWholeNumbers() throws {
        let noClasses = try fixture { file in
            try file.write([Float](repeating: 0, count: 4), shape: [2, 2], to: "/features")
            try file.write([1, 0] as [Float], shape: [2], to: "/labels")
        }
        #expect(throws: DatasetError.cannotInferClasses(file: noClasses.file, key: "labels", type: "float32")) {
            try DatasetShard.load(path: noClasses.file)
        }
        let withClasses = try fixture { file in
            try file.write([Float](repeating: 0, count: 4), shape: [2, 2], to: "/features")
            try file.write([1, 0.5] as [Float], shape: [2], to: "/labels")
            try file.writeAttribute("num_classes", 2)
        }
        #expect(throws: DatasetError.nonIntegerLabel(file: withClasses.file, key: "labels", row: 1, value: 0.5)) {
            try DatasetShard.load(path: withClasses.file)
        }
    }

    @Test func badAttributesAndNewerVersionsAreRejected() throws {
        let wrongShape = try fixture { file in
            try file.write([Float](repeating: 0, count: 4), shape: [2, 2], to: "/features")
            try file.write([1, 0] as [Int32], shape: [2], to: "/labels")
            try file.writeAttribute("feature_shape", [3])
        }
        let error = #expect(throws: DatasetError.self) { try DatasetShard.load(path: wrongShape.file) }
        #expect(error?.description.contains("feature_shape is [3] but each features row holds 2 values") == true)

        let newer = try fixture { file in
            try file.write([Float](repeating: 0, count: 4), shape: [2, 2], to: "/features")
            try file.write([1, 0] as [Int32], shape: [2], to: "/labels")
            try file.writeAttribute("format_version", 2)
        }
        #expect(throws: DatasetError.unsupportedVersion(file: newer.file, found: 2, supported: 1)) {
            try DatasetShard.load(path: newer.file)
        }
        let checkpoint = try fixture { file in try file.writeAttribute("format", "swiftddp-checkpoint") }
        #expect(throws: DatasetError.wrongFormat(file: checkpoint.file, found: "swiftddp-checkpoint")) {
            try DatasetShard.load(path: checkpoint.file)
        }
    }

    /// Writes a file with `body` in a fresh temporary directory (kept alive by the returned pair).
    private func fixture(_ body: (HDF5File) throws -> Void) throws -> (directory: TemporaryDirectory, file: String) {
        let directory = TemporaryDirectory()
        let path = directory.file("shard.h5")
        try HDF5File.writeAtomically(path: path, body)
        return (directory, path)
    }
}
