import Foundation
import Testing
@testable import Data

/// Training shards of uint8 files stay bytes in memory (`load(keepingBytes:)`); every float read
/// from them must be, to the bit, the float a float load of the same file gives.
@Suite struct FeatureRowsTests {
    /// A uint8 shard of 12 rows × (1, 4, 4) pixels covering 0...255, with each normalization a
    /// file can carry: scale only, scale with one mean/std, scale with per-feature mean/std, none.
    static let normalizations: [(name: String, scale: Float, mean: [Float]?, std: [Float]?)] = [
        ("scale 1/255", 1 / 255, nil, nil),
        ("scale, mean, std", 1 / 255, [0.2860], [0.3530]),
        ("per-feature mean and std", 1 / 255, perFeature(from: 0.1, step: 0.025), perFeature(from: 0.2, step: 0.03)),
        ("raw bytes", 1, nil, nil),
    ]

    static func perFeature(from start: Float, step: Float) -> [Float] {
        (0..<16).map { start + Float($0) * step }
    }

    private func write(_ directory: TemporaryDirectory, _ index: Int) throws -> String {
        let case_ = Self.normalizations[index]
        let path = directory.file("train-\(index).h5")
        var pixels = (0..<(12 * 16)).map { (i: Int) -> UInt8 in UInt8((i * 37 + 11) % 256) }
        (pixels[0], pixels[1]) = (255, 0)   // both ends of the range
        var metadata = DatasetMetadata(numClasses: 3, featureShape: [1, 4, 4], source: "test")
        (metadata.scale, metadata.mean, metadata.std) = (case_.scale, case_.mean, case_.std)
        try DatasetShard.write(path: path, features: pixels, labels: (0..<12).map { Int32($0 % 3) },
                               metadata: metadata)
        return path
    }

    private func bits(_ values: [Float]) -> [UInt32] { values.map(\.bitPattern) }

    @Test(arguments: 0..<4)
    func byteRowsGiveTheFloatsOfAFloatLoad(_ index: Int) throws {
        let directory = TemporaryDirectory()
        let path = try write(directory, index)
        let floats = try DatasetShard.load(path: path)
        let bytes = try DatasetShard.load(path: path, keepingBytes: true)
        #expect(!floats.features.isBytes && bytes.features.isBytes, "\(Self.normalizations[index].name)")
        #expect(bytes.features.shape == floats.features.shape && bytes.count == 12)
        #expect(bytes.features.memoryBytes * 4 == floats.features.memoryBytes)
        #expect(bits(bytes.features.toArray()) == bits(floats.features.toArray()), "\(Self.normalizations[index].name)")
        #expect(bits(bytes.features.rows(3..<7).toArray()) == bits(floats.features.rows(3..<7).toArray()))
        #expect(bytes.features[5, 9].bitPattern == floats.features[5, 9].bitPattern)
        #expect(bytes.zeroValue == floats.zeroValue && bytes.labels == floats.labels)
        #expect(bytes.features.firstNonFinite() == nil)
        // a part of the file, as a rank reads it
        let part = try DatasetShard.load(path: path, rows: 4..<9, keepingBytes: true)
        #expect(bits(part.features.toArray()) == bits(floats.features.rows(4..<9).toArray()))
    }

    @Test(arguments: 0..<4)
    func batchesFromByteRowsEqualBatchesFromFloatRows(_ index: Int) throws {
        let directory = TemporaryDirectory()
        let path = try write(directory, index)
        for augmentation in [Augmentation(), Augmentation(cropPadding: 1, horizontalFlip: true)] {
            let floats = try TrainingLoader(shards: [(index: 0, shard: try DatasetShard.load(path: path))], batchSize: 4, seed: 7,
                                            augmentation: augmentation)
            let bytes = try TrainingLoader(shards: [(index: 0, shard: try DatasetShard.load(path: path, keepingBytes: true))],
                                           batchSize: 4, seed: 7, augmentation: augmentation)
            for epoch in 0..<2 {
                for step in 0..<floats.stepsPerEpoch {
                    let (a, b) = (floats.batch(epoch: epoch, step: step), bytes.batch(epoch: epoch, step: step))
                    #expect(bits(a.features.toArray()) == bits(b.features.toArray()), "epoch \(epoch) step \(step) \(augmentation)")
                    #expect(a.labels == b.labels)
                }
            }
        }
    }

    @Test func otherTypesStayFloat() throws {
        let directory = TemporaryDirectory()
        let path = directory.file("float.h5")
        var metadata = DatasetMetadata(numClasses: 2, featureShape: [3], source: "test")
        metadata.scale = 1
        try DatasetShard.write(path: path, features: [0.5, 1, 2, 3, 4, 5], labels: [0, 1], metadata: metadata)
        let shard = try DatasetShard.load(path: path, keepingBytes: true)
        #expect(!shard.features.isBytes && shard.features.memoryBytes == 6 * 4)
        #expect(shard.features.toArray() == [0.5, 1, 2, 3, 4, 5])
    }

    @Test func aNonFiniteNormalizationIsFoundInByteRows() throws {
        // a per-feature std so small that x / std overflows for the largest byte of feature 2
        let directory = TemporaryDirectory()
        let path = directory.file("tiny-std.h5")
        var metadata = DatasetMetadata(numClasses: 2, featureShape: [3], source: "test")
        (metadata.scale, metadata.mean, metadata.std) = (1, [0, 0, 0], [1, 1, 1e-37])
        try DatasetShard.write(path: path, features: [1, 2, 0, 4, 5, 200] as [UInt8], labels: [0, 1], metadata: metadata)
        let bytes = try DatasetShard.load(path: path, keepingBytes: true)
        let floats = try DatasetShard.load(path: path)
        let found = try #require(bytes.features.firstNonFinite())
        #expect(found.row == 1 && found.value == .infinity)
        #expect(floats.features.firstNonFinite()?.row == 1)
    }
}
