import Foundation
import Testing
@testable import Data

@Suite struct InspectTests {
    @Test func describesADatasetShardWithAHistogram() throws {
        let directory = TemporaryDirectory()
        let path = directory.file("train-00000-of-00001.h5")
        let metadata = DatasetMetadata(numClasses: 3, featureShape: [2], classNames: ["cat", "dog", "T-shirt/top"],
                                       source: "unit test", split: .train, shardIndex: 0, shardCount: 1)
        try DatasetShard.write(path: path, features: [UInt8](repeating: 7, count: 10), labels: [0, 2, 2, 2, 1],
                               metadata: metadata)
        let report = try describeHDF5File(path: path)
        #expect(report.hasPrefix("\(path) ("))
        #expect(report.contains("  format          \"swiftddp-dataset\""))
        #expect(report.contains("  feature_shape   [2]"))
        #expect(report.contains("  class_names     [\"cat\", \"dog\", \"T-shirt/top\"]"))
        #expect(report.contains("  /features  uint8  [5, 2]  scale = 0.003921569"))
        #expect(report.contains("  /labels    int32  [5]"))
        #expect(report.contains("swiftddp dataset: 5 samples, 3 classes, split train, shard 0 of 1"))
        #expect(report.contains("  0 cat          1   20.0 %"))
        #expect(report.contains("  2 T-shirt/top  3   60.0 %"))
    }

    @Test func describesAnyFileAndTruncatesLongArrays() throws {
        let directory = TemporaryDirectory()
        let path = directory.file("ckpt-00000010.h5")
        try HDF5File.writeAtomically(path: path) { file in
            try file.write([Float](repeating: 0, count: 6), shape: [2, 3], to: "/params/layers.0.weight")
            try file.write([0] as [Int64], shape: [1], to: "/optimizer/step")
            try file.writeAttribute("step", 10)
            try file.writeAttribute("rng", Array(0..<100))
        }
        let report = try describeHDF5File(path: path)
        #expect(report.contains("  rng   [0, 1, 2, 3, 4, 5, 6, 7, … (100 values)]"))
        #expect(report.contains("  /optimizer/step          int64    [1]"))
        #expect(report.contains("  /params/layers.0.weight  float32  [2, 3]"))
        #expect(!report.contains("samples"))
    }

    @Test func rejectsNonHDF5Files() throws {
        let directory = TemporaryDirectory()
        let text = directory.file("README")
        try "# notes".write(toFile: text, atomically: true, encoding: .utf8)
        #expect(throws: HDF5Error.notHDF5(text)) { try describeHDF5File(path: text) }
    }
}
