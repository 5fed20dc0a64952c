// A preparation's files replaced together or not at all (`PreparationOutput`), the output
// directory's errors, and the `preparation` id that lets `train` find a mixed directory
// (`DatasetDirectory.checkOnePreparation`).
import Foundation
import Testing
@testable import Data

@Suite struct PreparationOutputTests {
    /// Writes a 2-row shard at `path` itself, as a preparation writes its `.partial` files.
    private func writeTiny(_ path: String, id: String, value: Float = 1) throws {
        var metadata = DatasetMetadata(numClasses: 2, featureShape: [1], scale: 1)
        metadata.preparation = id
        try DatasetShard.write(path: path, features: [value, value], labels: [0, 1], metadata: metadata, atomically: false)
    }

    @Test func filesAppearOnlyAtCommit() throws {
        let directory = TemporaryDirectory()
        let output = try PreparationOutput(directory: directory.file("a/b"), id: "1")
        try output.write {
            for name in ["train-00000-of-00001.h5", "val.h5"] {
                try writeTiny(output.stage(name), id: output.id)
                #expect(!FileManager.default.fileExists(atPath: directory.file("a/b/\(name)")))
            }
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.file("a/b")).sorted() == ["train-00000-of-00001.h5", "val.h5"])
        #expect(try DatasetDirectory(path: directory.file("a/b")).checkOnePreparation() == "1")
    }

    /// A killed preparation leaves its `.partial` files; the next one that succeeds removes those
    /// of dataset files, whatever their shard count, and leaves other files alone.
    @Test func aSuccessRemovesPartialFilesLeftByAKilledPreparation() throws {
        let directory = TemporaryDirectory()
        let leftovers = ["train-00000-of-00003.h5.partial", "train-00002-of-00003.h5.partial", "test.h5.partial"]
        for name in leftovers + ["notes.txt.partial"] { try writeTiny(directory.file(name), id: "killed") }
        let output = try PreparationOutput(directory: directory.path, id: "new")
        try output.write { try writeTiny(output.stage("train-00000-of-00001.h5"), id: output.id) }
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
                == ["notes.txt.partial", "train-00000-of-00001.h5"])
    }

    @Test func aFailureRemovesEveryPartialFileAndKeepsTheOldOnes() throws {
        let directory = TemporaryDirectory()
        try writeTiny(directory.file("val.h5"), id: "old")
        let before = FileManager.default.contents(atPath: directory.file("val.h5"))
        struct Stop: Error {}
        let output = try PreparationOutput(directory: directory.path, id: "new")
        #expect(throws: Stop.self) {
            try output.write {
                try writeTiny(output.stage("val.h5"), id: output.id, value: 2)
                try writeTiny(output.stage("test.h5"), id: output.id, value: 2)
                throw Stop()
            }
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["val.h5"])
        #expect(FileManager.default.contents(atPath: directory.file("val.h5")) == before)
    }

    @Test func aDirectoryInTheWayFailsBeforeAnythingIsRenamed() throws {
        let directory = TemporaryDirectory()
        try FileManager.default.createDirectory(atPath: directory.file("test.h5"), withIntermediateDirectories: false)
        let output = try PreparationOutput(directory: directory.path, id: "new")
        let error = #expect(throws: DatasetError.self) {
            try output.write {
                try writeTiny(output.stage("val.h5"), id: output.id)
                try writeTiny(output.stage("test.h5"), id: output.id)
            }
        }
        #expect(error == .commitFailed(directory: directory.path, file: "test.h5", reason: "a directory has that name", renamed: []))
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["test.h5"])
    }

    @Test func anOutputThatIsAFileOrCannotBeMadeIsNamed() throws {
        let directory = TemporaryDirectory()
        _ = FileManager.default.createFile(atPath: directory.file("file"), contents: Foundation.Data())
        #expect(throws: DatasetError.outputNotADirectory(directory.file("file"))) {
            try PreparationOutput(directory: directory.file("file"), id: "")
        }
        let error = #expect(throws: DatasetError.cannotCreateDirectory(directory.file("file/below"), reason: "Not a directory")) {
            try PreparationOutput(directory: directory.file("file/below"), id: "")
        }
        #expect(error?.description == "cannot create output directory \(directory.file("file/below")): Not a directory")
    }

    @Test func staleFilesAreNamedWithTheirReason() throws {
        let directory = TemporaryDirectory()
        for name in ["train-00000-of-00002.h5", "train-00001-of-00002.h5", "val.h5"] {
            _ = FileManager.default.createFile(atPath: directory.file(name), contents: Foundation.Data())
        }
        let output = try PreparationOutput(directory: directory.path, id: "")
        #expect(throws: DatasetError.staleFiles(directory: directory.path, files: ["train-00000-of-00002.h5", "train-00001-of-00002.h5"])) {
            try output.checkNoStaleFiles(shardCount: 3, absent: [])
        }
        let error = #expect(throws: DatasetError.staleSplitFile(directory: directory.path, file: "val.h5", option: "--val-fraction 0")) {
            try output.checkNoStaleFiles(shardCount: 2, absent: [("val.h5", "--val-fraction 0"), ("test.h5", "--test-fraction 0")])
        }
        #expect(error?.description.contains("but --val-fraction 0 writes no val.h5") == true)
        #expect(error?.description.contains("shard count") == false)
    }

    @Test func idsFollowInputsAndOptions() {
        let bytes: [UInt8] = [1, 2, 3]
        let checksum = bytes.withUnsafeBytes(PreparationOutput.checksum)
        #expect(checksum == "crc32 55bc801d size 3")
        let id = PreparationOutput.id(describing: ["seed 1", checksum])
        #expect(id.count == 16 && id.allSatisfy(\.isHexDigit))
        #expect(id == PreparationOutput.id(describing: ["seed 1", checksum]))
        #expect(id != PreparationOutput.id(describing: ["seed 2", checksum]))
    }

    @Test func filesOfTwoPreparationsAreFound() throws {
        let directory = TemporaryDirectory()
        for name in ["train-00000-of-00002.h5", "train-00001-of-00002.h5"] { try writeTiny(directory.file(name), id: "a") }
        #expect(try DatasetDirectory(path: directory.path).checkOnePreparation() == "a")
        try writeTiny(directory.file("val.h5"), id: "b")
        let error = #expect(throws: DatasetError.mixedPreparations(directory: directory.path, file: "train-00000-of-00002.h5", id: "a",
                                                                   other: "val.h5", otherID: "b")) {
            try DatasetDirectory(path: directory.path).checkOnePreparation()
        }
        #expect(error?.description.contains("val.h5 is from preparation b") == true)
        try writeTiny(directory.file("val.h5"), id: "")   // a file without an id among files with one
        #expect(throws: DatasetError.self) { try DatasetDirectory(path: directory.path).checkOnePreparation() }

        let unprepared = TemporaryDirectory()   // files of other tools carry no id at all
        for name in ["train-00000-of-00001.h5", "test.h5"] { try writeTiny(unprepared.file(name), id: "") }
        #expect(try DatasetDirectory(path: unprepared.path).checkOnePreparation() == nil)
    }
}
