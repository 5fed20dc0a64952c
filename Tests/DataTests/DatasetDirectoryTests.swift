import Foundation
import Testing
@testable import Data

@Suite struct DatasetDirectoryTests {
    private func touch(_ directory: TemporaryDirectory, _ names: [String]) {
        for name in names { _ = FileManager.default.createFile(atPath: directory.file(name), contents: Foundation.Data()) }
    }

    @Test func findsShardsValidationAndTest() throws {
        let directory = TemporaryDirectory()
        touch(directory, ["train-00001-of-00002.h5", "train-00000-of-00002.h5", "val.h5", "test.h5", "notes.txt"])
        let dataset = try DatasetDirectory(path: directory.path)
        #expect(dataset.trainShards == [directory.file("train-00000-of-00002.h5"), directory.file("train-00001-of-00002.h5")])
        #expect(dataset.validation == directory.file("val.h5"))
        #expect(dataset.test == directory.file("test.h5"))
    }

    @Test func unnumberedShardsAndMissingSplitsAreAccepted() throws {
        let directory = TemporaryDirectory()
        touch(directory, ["train-b.h5", "train-a.h5"])
        let dataset = try DatasetDirectory(path: directory.path)
        #expect(dataset.trainShards == [directory.file("train-a.h5"), directory.file("train-b.h5")])
        #expect(dataset.validation == nil && dataset.test == nil)
    }

    @Test func missingDirectoryAndEmptyDirectoryGiveHints() throws {
        let directory = TemporaryDirectory()
        let absent = directory.file("absent")
        #expect(throws: DatasetError.directoryNotFound(absent)) { try DatasetDirectory(path: absent) }
        let file = directory.file("data.csv")
        try "x,y\n".write(toFile: file, atomically: true, encoding: .utf8)
        let notADirectory = #expect(throws: DatasetError.notADirectory(file)) { try DatasetDirectory(path: file) }
        #expect(notADirectory?.description.hasPrefix("\(file) is a file, not a dataset directory") == true)
        touch(directory, ["val.h5"])
        let error = #expect(throws: DatasetError.noTrainShards(directory: directory.path)) {
            try DatasetDirectory(path: directory.path)
        }
        #expect(error?.description.contains("swiftddp prepare fashion-mnist --out \(directory.path)") == true)
    }

    @Test func incompleteShardSetsAreRejected() throws {
        let missing = TemporaryDirectory()
        touch(missing, ["train-00000-of-00003.h5", "train-00002-of-00003.h5"])
        let error = #expect(throws: DatasetError.self) { try DatasetDirectory(path: missing.path) }
        #expect(error?.description.contains("1 of 3 shards are missing (train-00001-of-00003.h5)") == true)

        let mixed = TemporaryDirectory()
        touch(mixed, ["train-00000-of-00001.h5", "train-00000-of-00002.h5", "train-00001-of-00002.h5"])
        #expect(throws: DatasetError.self) { try DatasetDirectory(path: mixed.path) }
    }

    @Test func aPerHostCopyMayLackOtherHostsShards() throws {
        let directory = TemporaryDirectory()
        touch(directory, ["train-00001-of-00004.h5", "train-00003-of-00004.h5"])
        let dataset = try DatasetDirectory(path: directory.path, requireAllShards: false)
        #expect(dataset.trainShards == (0..<4).map { directory.file("train-0000\($0)-of-00004.h5") })
        #expect(dataset.missingShards == [directory.file("train-00000-of-00004.h5"), directory.file("train-00002-of-00004.h5")])
        #expect(try DatasetDirectory(path: directory.path, requireAllShards: false).validation == nil)
        // mixed sets stay an error
        touch(directory, ["train-00000-of-00002.h5"])
        #expect(throws: DatasetError.self) { try DatasetDirectory(path: directory.path, requireAllShards: false) }
    }

    @Test func shardNamesAreZeroPaddedAndParse() {
        #expect(DatasetFormat.trainShardName(index: 3, count: 8) == "train-00003-of-00008.h5")
        #expect(DatasetFormat.trainShardName(index: 0, count: 123_456) == "train-00000-of-123456.h5")
        #expect(DatasetDirectory.parse("train-00003-of-00008.h5")! == (3, 8))
        #expect(DatasetDirectory.parse("train-8-of-8.h5") == nil)
        #expect(DatasetDirectory.parse("train-a.h5") == nil)
    }
}
