import Foundation
import Testing
@testable import Data

@Suite struct IDXTests {
    @Test(arguments: [true, false])
    func readsImagesAndLabels(gzip: Bool) throws {
        let directory = TemporaryDirectory()
        let images = directory.file("images.idx")
        let labels = directory.file("labels.idx")
        try writeFile(images, idxBytes(shape: [3, 2, 2], values: Array(0..<12)), gzip: gzip)
        try writeFile(labels, idxBytes(shape: [3], values: [9, 0, 4]), gzip: gzip)

        let imageArray = try IDXArray.read(path: images, rank: 3)
        #expect(imageArray.shape == [3, 2, 2])
        #expect(imageArray.values == Array(0..<12))
        let labelArray = try IDXArray.read(path: labels)
        #expect(labelArray.shape == [3])
        #expect(labelArray.values == [9, 0, 4])
    }

    @Test(arguments: [true, false])
    func truncatedFilesNameTheByteCounts(gzip: Bool) throws {
        let directory = TemporaryDirectory()
        let path = directory.file("short.idx")
        let bytes = idxBytes(shape: [4, 2, 2], values: Array(0..<16))
        try writeFile(path, Array(bytes.dropLast(5)), gzip: gzip)  // 16 header + 11 data bytes
        let error = #expect(throws: IDXError.truncated(path: path, expectedBytes: 32, gotBytes: 27)) {
            try IDXArray.read(path: path)
        }
        #expect(error?.description.contains("\(path) is truncated: expected 32 bytes got 27") == true)

        let headerOnly = directory.file("header.idx")
        try writeFile(headerOnly, [0, 0, 8, 3, 0, 0], gzip: gzip)
        #expect(throws: IDXError.truncated(path: headerOnly, expectedBytes: 16, gotBytes: 6)) {
            try IDXArray.read(path: headerOnly)
        }
    }

    @Test func truncatedGzipStreamIsReportedAsTruncated() throws {
        let directory = TemporaryDirectory()
        let whole = directory.file("whole.idx.gz")
        // Incompressible-ish data so that cutting the compressed file cuts the data.
        let values = (0..<4000).map { UInt8(truncatingIfNeeded: ($0 &* 2_654_435_761) >> 13) }
        try writeFile(whole, idxBytes(shape: [4000], values: values), gzip: true)
        let compressed = try Foundation.Data(contentsOf: URL(fileURLWithPath: whole))
        let cut = directory.file("cut.idx.gz")
        try compressed.prefix(compressed.count / 2).write(to: URL(fileURLWithPath: cut))
        let error = #expect(throws: IDXError.self) { try IDXArray.read(path: cut) }
        guard case let .truncated(path, expected, got)? = error else {
            Issue.record("expected .truncated, got \(String(describing: error))")
            return
        }
        #expect(path == cut && expected == 4008 && got < expected)
    }

    @Test func badMagicAndWrongRankAreRejected() throws {
        let directory = TemporaryDirectory()
        let text = directory.file("text.idx")
        try "not an idx file".write(toFile: text, atomically: true, encoding: .utf8)
        let error = #expect(throws: IDXError.self) { try IDXArray.read(path: text) }
        #expect(error?.description.hasPrefix("\(text) is not an IDX file of unsigned bytes: magic number 0x") == true)

        let labels = directory.file("labels.idx")
        try writeFile(labels, idxBytes(shape: [2], values: [1, 2]), gzip: false)
        #expect(throws: IDXError.wrongRank(path: labels, found: 1, expected: 3)) {
            try IDXArray.read(path: labels, rank: 3)
        }
    }

    @Test func locatingPrefersGzipAndNamesThePathsTried() throws {
        let directory = TemporaryDirectory()
        let error = #expect(throws: IDXError.self) { try IDXArray.locate("train-images-idx3-ubyte", in: directory.path) }
        let tried = directory.file("train-images-idx3-ubyte")
        #expect(error?.description.contains(tried + ".gz") == true)
        #expect(error?.description.contains("apt-get install dataset-fashion-mnist") == true)
        #expect(error?.description.contains("--source DIR") == true)

        try writeFile(tried, idxBytes(shape: [1], values: [1]), gzip: false)
        #expect(try IDXArray.locate("train-images-idx3-ubyte", in: directory.path) == tried)
        try writeFile(tried + ".gz", idxBytes(shape: [1], values: [1]), gzip: true)
        #expect(try IDXArray.locate("train-images-idx3-ubyte", in: directory.path) == tried + ".gz")

        #expect(throws: IDXError.self) { try IDXSourceFiles(directory: directory.path) }  // labels missing
        let missing = directory.file("absent.idx")
        #expect(throws: IDXError.missingFile(tried: [missing])) { try IDXArray.read(path: missing) }
    }

    @Test(.enabled(if: FileManager.default.fileExists(atPath: IDXSourceFiles.debianDirectory),
                   "needs Debian's dataset-fashion-mnist package"))
    func readsTheRealTrainingLabels() throws {
        let files = try IDXSourceFiles(directory: IDXSourceFiles.debianDirectory)
        let labels = try IDXArray.read(path: files.trainLabels, rank: 1)
        #expect(labels.shape == [60000])
        #expect(labels.values.allSatisfy { $0 < 10 })
        #expect(Set(labels.values).count == 10)
    }
}
