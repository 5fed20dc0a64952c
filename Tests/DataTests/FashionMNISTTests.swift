import Foundation
import Testing
@testable import Data

@Suite struct FashionMNISTTests {
    /// A source directory with 50 training and 20 test samples; pixel 0 of sample i is i.
    private func makeSource() throws -> TemporaryDirectory {
        let source = TemporaryDirectory()
        try writeSyntheticIDX(directory: source.path, prefix: "train", count: 50)
        try writeSyntheticIDX(directory: source.path, prefix: "t10k", count: 20, gzip: false)
        return source
    }

    /// The original sample index of every row of a loaded shard (pixel 0 holds it, scaled by 1/255).
    private func sampleIndices(_ shard: DatasetShard) -> [Int] {
        (0..<shard.count).map { Int((shard.features[$0, 0] * 255).rounded()) }
    }

    @Test func writesCountsSplitsAndMetadata() throws {
        let source = try makeSource()
        let output = TemporaryDirectory()
        let outputPath = output.file("nested/fmnist")
        var messages: [String] = []
        let summary = try FashionMNISTPreparer(source: source.path, output: outputPath, shards: 2, validationSize: 10,
                                               seed: 7).run { messages.append($0) }
        #expect(summary.files.map(\.sampleCount) == [20, 20, 10, 20])
        #expect(summary.files.map(\.split) == [.train, .train, .validation, .test])
        #expect(summary.description.contains("train      20  \(outputPath)/train-00000-of-00002.h5"))
        #expect(messages.contains { $0.hasPrefix("writing \(outputPath)/val.h5") })

        let dataset = try DatasetDirectory(path: outputPath)
        #expect(dataset.trainShards.map { ($0 as NSString).lastPathComponent }
                == ["train-00000-of-00002.h5", "train-00001-of-00002.h5"])
        let test = try DatasetShard.load(path: try #require(dataset.test))
        #expect(test.count == 20)
        #expect(test.features.shape == [20, 784])
        #expect(test.featureShape == [1, 28, 28])
        #expect(test.numClasses == 10)
        #expect(test.classNames == FashionMNISTPreparer.classNames)
        #expect(sampleIndices(test) == Array(0..<20))
        #expect(test.labels == (0..<20).map { Int32($0 % 10) })

        let file = try HDF5File.open(path: dataset.trainShards[1])
        #expect(try file.readIntAttribute("shard_index") == 1)
        #expect(try file.readIntAttribute("shard_count") == 2)
        #expect(try file.readStringAttribute("split") == "train")
        #expect(try file.readStringAttribute("source") == "Fashion-MNIST (Zalando), IDX files from \(source.path)")
    }

    @Test func validationAndTrainingAreDisjointAndComplete() throws {
        let source = try makeSource()
        let output = TemporaryDirectory()
        _ = try FashionMNISTPreparer(source: source.path, output: output.path, shards: 3, validationSize: 10).run { _ in }
        let dataset = try DatasetDirectory(path: output.path)
        let shards = try dataset.trainShards.map { try DatasetShard.load(path: $0) }
        #expect(shards.map(\.count) == [13, 13, 14])
        let train = shards.flatMap(sampleIndices)
        let validation = sampleIndices(try DatasetShard.load(path: try #require(dataset.validation)))
        #expect(train == train.sorted())  // original order, contiguous parts
        #expect(validation == validation.sorted())
        #expect(Set(train).isDisjoint(with: validation))
        #expect(Set(train + validation) == Set(0..<50))
        #expect(train.count + validation.count == 50)
        for shard in shards {  // labels travel with their images
            #expect(shard.labels == sampleIndices(shard).map { Int32($0 % 10) })
        }
    }

    @Test func sameSeedGivesIdenticalBytesAndOtherSeedsOtherSplits() throws {
        let source = try makeSource()
        let first = TemporaryDirectory(), second = TemporaryDirectory(), third = TemporaryDirectory()
        for (directory, seed) in [(first, UInt64(3)), (second, 3), (third, 4)] {
            _ = try FashionMNISTPreparer(source: source.path, output: directory.path, shards: 2, validationSize: 10,
                                         seed: seed).run { _ in }
        }
        for name in ["train-00000-of-00002.h5", "train-00001-of-00002.h5", "val.h5", "test.h5"] {
            let a = try Foundation.Data(contentsOf: URL(fileURLWithPath: first.file(name)))
            let b = try Foundation.Data(contentsOf: URL(fileURLWithPath: second.file(name)))
            #expect(a == b, "\(name) differs between two runs with the same seed")
        }
        let validation3 = sampleIndices(try DatasetShard.load(path: first.file("val.h5")))
        let validation4 = sampleIndices(try DatasetShard.load(path: third.file("val.h5")))
        #expect(validation3 != validation4)
    }

    @Test func normalizeStoresTrainingMeanAndStd() throws {
        let source = try makeSource()
        let output = TemporaryDirectory()
        _ = try FashionMNISTPreparer(source: source.path, output: output.path, shards: 2, validationSize: 10,
                                     normalize: true).run { _ in }
        let dataset = try DatasetDirectory(path: output.path)
        let train = try dataset.trainShards.flatMap { try DatasetShard.load(path: $0).features.toArray() }
        let mean = train.reduce(0, +) / Float(train.count)
        let variance = train.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Float(train.count)
        #expect(abs(mean) < 1e-4)
        #expect(abs(variance - 1) < 1e-3)
        let file = try HDF5File.open(path: try #require(dataset.test))
        #expect(file.hasAttribute("mean") && file.hasAttribute("std"))
    }

    @Test func invalidOptionsAndStaleShardsAreRejected() throws {
        let source = try makeSource()
        let output = TemporaryDirectory()
        #expect(throws: DatasetError.invalidOption(name: "shards", value: 0, requirement: "≥ 1")) {
            try FashionMNISTPreparer(source: source.path, output: output.path, shards: 0).run { _ in }
        }
        let error = #expect(throws: DatasetError.self) {
            try FashionMNISTPreparer(source: source.path, output: output.path, shards: 1, validationSize: 50).run { _ in }
        }
        #expect(error?.description.contains("validation size is 50 but must be in 0..<50") == true)

        _ = try FashionMNISTPreparer(source: source.path, output: output.path, shards: 3, validationSize: 0).run { _ in }
        #expect(!FileManager.default.fileExists(atPath: output.file("val.h5")))
        #expect(throws: DatasetError.staleFiles(directory: output.path, files: [
            "train-00000-of-00003.h5", "train-00001-of-00003.h5", "train-00002-of-00003.h5",
        ])) {
            try FashionMNISTPreparer(source: source.path, output: output.path, shards: 2, validationSize: 0).run { _ in }
        }
    }

    /// A preparation that fails while writing (a directory where `test.h5.partial` goes, as a full
    /// disk fails the last file) leaves the earlier files byte for byte, and no partial file.
    @Test func aFailedPreparationLeavesTheEarlierFilesWhole() throws {
        let source = try makeSource()
        let output = TemporaryDirectory()
        _ = try FashionMNISTPreparer(source: source.path, output: output.path, shards: 2, validationSize: 10, seed: 3).run { _ in }
        func contents() throws -> [String: Foundation.Data] {
            var files: [String: Foundation.Data] = [:]
            for name in try FileManager.default.contentsOfDirectory(atPath: output.path) {
                files[name] = FileManager.default.contents(atPath: output.file(name))
            }
            return files
        }
        let before = try contents()
        try FileManager.default.createDirectory(atPath: output.file("test.h5.partial/blocker"), withIntermediateDirectories: true)
        #expect(throws: (any Error).self) {
            try FashionMNISTPreparer(source: source.path, output: output.path, shards: 2, validationSize: 10, seed: 4).run { _ in }
        }
        try FileManager.default.removeItem(atPath: output.file("test.h5.partial"))
        #expect(try contents() == before)
    }

    /// `--val-size 0` writes no `val.h5`, so an earlier one would stay next to the new shards.
    @Test func aZeroValidationSizeRefusesAnOldValidationFile() throws {
        let source = try makeSource()
        let output = TemporaryDirectory()
        _ = try FashionMNISTPreparer(source: source.path, output: output.path, shards: 2, validationSize: 10).run { _ in }
        let error = #expect(throws: DatasetError.self) {
            try FashionMNISTPreparer(source: source.path, output: output.path, shards: 2, validationSize: 0).run { _ in }
        }
        #expect(error?.description.contains("holds val.h5 from an earlier preparation, but --val-size 0 writes no val.h5") == true,
                "\(String(describing: error))")
    }

    /// Every file of one preparation carries the same `preparation` id; another seed gives another.
    @Test func everyFileNamesItsPreparation() throws {
        let source = try makeSource()
        let first = TemporaryDirectory(), second = TemporaryDirectory()
        for (directory, seed) in [(first, UInt64(3)), (second, 4)] {
            _ = try FashionMNISTPreparer(source: source.path, output: directory.path, shards: 2, validationSize: 10, seed: seed).run { _ in }
        }
        func ids(_ directory: TemporaryDirectory) throws -> Set<String> {
            Set(try ["train-00000-of-00002.h5", "train-00001-of-00002.h5", "val.h5", "test.h5"].map {
                try HDF5File.open(path: directory.file($0)).readStringAttribute("preparation")
            })
        }
        #expect(try ids(first).count == 1 && ids(second).count == 1)
        #expect(try ids(first) != ids(second))
    }

    @Test func missingSourceFilesGiveTheInstallHint() throws {
        let empty = TemporaryDirectory()
        let error = #expect(throws: IDXError.self) {
            try FashionMNISTPreparer(source: empty.path, output: empty.file("out"), shards: 1).run { _ in }
        }
        #expect(error?.description.contains(empty.file("train-images-idx3-ubyte.gz")) == true)
        #expect(error?.description.contains("apt-get install dataset-fashion-mnist") == true)
    }
}
