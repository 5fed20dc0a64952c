import Foundation
import Tensors
import Testing
@testable import Data

@Suite struct HDF5FileTests {
    @Test func datasetsOfEveryTypeRoundTrip() throws {
        let directory = TemporaryDirectory()
        let path = directory.file("types.h5")
        let floats: [Float] = [1.5, -2, 3.25, 4, 5, 6]
        try HDF5File.writeAtomically(path: path) { file in
            try file.write(floats, shape: [2, 3], to: "/floats")
            try file.write([0, 127, 255] as [UInt8], shape: [3], to: "/bytes")
            try file.write([-7, 0, 2_000_000_000] as [Int32], shape: [3], to: "/group/int32")
            try file.write([Int64.min, 0, Int64.max] as [Int64], shape: [3, 1], to: "/group/deeper/int64")
            try file.write(Tensor(shape: [2, 2], values: [1, 2, 3, 4]), to: "/tensor")
            try file.write([] as [Float], shape: [0, 4], to: "/empty")
        }
        let file = try HDF5File.open(path: path)
        #expect(try file.readFloats("/floats") == (floats, [2, 3]))
        #expect(try file.readFloats("/bytes").values == [0, 127, 255])  // converted by HDF5
        #expect(try file.readInt32s("/group/int32").values == [-7, 0, 2_000_000_000])
        #expect(try file.readInt64s("/group/deeper/int64") == ([Int64.min, 0, Int64.max], [3, 1]))
        #expect(try file.readInt64s("/bytes").values == [0, 127, 255])
        #expect(try file.readDoubles("/floats").values == floats.map { Double($0) })
        #expect(try file.readTensor("/tensor").toArray() == [1, 2, 3, 4])
        #expect(try file.readFloats("/empty") == ([], [0, 4]))

        #expect(try file.datasetInfo("/floats") == ([2, 3], .float32))
        #expect(try file.datasetInfo("/bytes").elementType == .uint8)
        #expect(try file.datasetInfo("/group/int32").elementType == .int32)
        #expect(try file.datasetInfo("/group/deeper/int64").elementType == .int64)
        try file.close()
        try file.close()  // idempotent
    }

    @Test func rowRangesReadHyperslabs() throws {
        let directory = TemporaryDirectory()
        let path = directory.file("rows.h5")
        try HDF5File.writeAtomically(path: path) { file in
            try file.write((0..<15).map { Float($0) }, shape: [5, 3], to: "/x")
            try file.write((0..<5).map { UInt8($0) }, shape: [5], to: "/y")
        }
        let file = try HDF5File.open(path: path)
        #expect(try file.readFloatRows("/x", rows: 1..<3) == [3, 4, 5, 6, 7, 8])
        #expect(try file.readFloatRows("/x", rows: 4..<5) == [12, 13, 14])
        #expect(try file.readFloatRows("/x", rows: 2..<2) == [])
        #expect(try file.readInt32Rows("/y", rows: 3..<5) == [3, 4])
        var buffer = [Float](repeating: -1, count: 6)
        try buffer.withUnsafeMutableBufferPointer { try file.readFloatRows("/x", rows: 3..<5, into: $0) }
        #expect(buffer == [9, 10, 11, 12, 13, 14])
        #expect(throws: HDF5Error.rowsOutOfRange(file: path, object: "/x", rows: 4..<6, rowCount: 5)) {
            try file.readFloatRows("/x", rows: 4..<6)
        }
    }

    @Test func attributesOfEveryKindRoundTrip() throws {
        let directory = TemporaryDirectory()
        let path = directory.file("attributes.h5")
        try HDF5File.writeAtomically(path: path) { file in
            try file.write([1, 2] as [Float], shape: [2], to: "/values")
            try file.writeAttribute("count", 42)
            try file.writeAttribute("count", 43)  // replaces
            try file.writeAttribute("shape", [1, 28, 28])
            try file.writeAttribute("scale", Float(1) / 255)
            try file.writeAttribute("rate", 0.125)
            try file.writeAttribute("name", "Schuh ünï 👟")
            try file.writeAttribute("names", ["a", "", "T-shirt/top"])
            try file.writeAttribute("unit", "m/s", on: "/values")
        }
        let file = try HDF5File.open(path: path)
        #expect(try file.readIntAttribute("count") == 43)
        #expect(try file.readIntArrayAttribute("shape") == [1, 28, 28])
        #expect(try file.readDoubleAttribute("scale") == Double(Float(1) / 255))
        #expect(try file.readDoubleAttribute("rate") == 0.125)
        #expect(try file.readDoubleAttribute("count") == 43)  // integers read as numbers too
        #expect(try file.readStringAttribute("name") == "Schuh ünï 👟")
        #expect(try file.readStringArrayAttribute("names") == ["a", "", "T-shirt/top"])
        #expect(try file.readStringAttribute("unit", of: "/values") == "m/s")
        #expect(try file.attributeNames() == ["count", "name", "names", "rate", "scale", "shape"])
        #expect(try file.attributeNames(of: "/values") == ["unit"])
        #expect(file.hasAttribute("unit", on: "/values"))
        #expect(!file.hasAttribute("unit"))
        #expect(try file.attributeInfo("shape") == ([3], .int64))
        #expect(try file.attributeInfo("scale") == ([], .float32))

        #expect(try file.attributeDisplayString("count") == "43")
        #expect(try file.attributeDisplayString("shape") == "[1, 28, 28]")
        #expect(try file.attributeDisplayString("scale") == "0.003921569")
        #expect(try file.attributeDisplayString("names") == "[\"a\", \"\", \"T-shirt/top\"]")
        #expect(try file.attributeDisplayString("shape", maxElements: 2) == "[1, 28, … (3 values)]")

        #expect(throws: HDF5Error.missingObject(file: path, name: "attribute nope")) {
            try file.readIntAttribute("nope")
        }
        let mismatch = #expect(throws: HDF5Error.self) { try file.readIntAttribute("name") }
        #expect(mismatch?.description.contains("cannot be read as integer") == true)
        #expect(throws: HDF5Error.self) { try file.readIntAttribute("shape") }  // three values, not one
    }

    @Test func structureQueriesWorkOnNestedPaths() throws {
        let directory = TemporaryDirectory()
        let path = directory.file("tree.h5")
        try HDF5File.writeAtomically(path: path) { file in
            try file.createGroup("/empty/inner")
            try file.write([1] as [Float], shape: [1], to: "/params/layers.0.weight")
            try file.write([2] as [Float], shape: [1], to: "/params/layers.0.bias")
            try file.write([3] as [Int32], shape: [1], to: "/top")
        }
        let file = try HDF5File.open(path: path)
        #expect(file.exists("/"))
        #expect(file.exists("/params/layers.0.bias"))
        #expect(file.exists("/empty/inner"))
        #expect(!file.exists("/params/missing"))
        #expect(!file.exists("/missing/deeper/still"))
        #expect(try file.datasetNames() == ["top"])
        #expect(try file.groupNames() == ["empty", "params"])
        #expect(try file.datasetNames(in: "/params") == ["layers.0.bias", "layers.0.weight"])
        #expect(try file.allDatasetPaths() == ["/params/layers.0.bias", "/params/layers.0.weight", "/top"])
        #expect(throws: HDF5Error.missingObject(file: path, name: "/nope")) { try file.datasetNames(in: "/nope") }
        #expect(throws: HDF5Error.missingObject(file: path, name: "/nope")) { try file.readFloats("/nope") }
    }

    @Test func atomicWriteLeavesOnlyCompleteFiles() throws {
        struct Boom: Error {}
        let directory = TemporaryDirectory()
        let path = directory.file("atomic.h5")
        try HDF5File.writeAtomically(path: path) { try $0.write([1] as [Float], shape: [1], to: "/a") }
        #expect(FileManager.default.fileExists(atPath: path))
        #expect(!FileManager.default.fileExists(atPath: path + ".partial"))

        // A failing body leaves the earlier file untouched and no partial file.
        #expect(throws: Boom.self) {
            try HDF5File.writeAtomically(path: path) { file in
                try file.write([2] as [Float], shape: [1], to: "/b")
                throw Boom()
            }
        }
        #expect(!FileManager.default.fileExists(atPath: path + ".partial"))
        #expect(try HDF5File.open(path: path).allDatasetPaths() == ["/a"])

        let fresh = directory.file("never.h5")
        #expect(throws: Boom.self) { try HDF5File.writeAtomically(path: fresh) { _ in throw Boom() } }
        #expect(!FileManager.default.fileExists(atPath: fresh))
        #expect(!FileManager.default.fileExists(atPath: fresh + ".partial"))
    }

    @Test func openingNonHDF5FilesGivesClearErrors() throws {
        let directory = TemporaryDirectory()
        let text = directory.file("notes.txt")
        try "hello".write(toFile: text, atomically: true, encoding: .utf8)
        let notHDF5 = #expect(throws: HDF5Error.notHDF5(text)) { try HDF5File.open(path: text) }
        #expect(notHDF5?.description.hasPrefix("\(text) is not an HDF5 file") == true)
        let missing = directory.file("missing.h5")
        #expect(throws: HDF5Error.fileNotFound(missing)) { try HDF5File.open(path: missing) }
        let folder = directory.file("folder.h5")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let isDirectory = #expect(throws: HDF5Error.isDirectory(folder)) { try HDF5File.open(path: folder) }
        #expect(isDirectory?.description == "\(folder) is a directory, not an HDF5 file")
    }

    @Test func aTruncatedFileIsCalledTruncatedNotLocked() throws {
        let directory = TemporaryDirectory()
        let path = directory.file("whole.h5")
        try HDF5File.writeAtomically(path: path) { file in
            try file.write([Float](repeating: 1, count: 4096), shape: [4096], to: "/x")
        }
        let bytes = try Foundation.Data(contentsOf: URL(fileURLWithPath: path))
        let cut = directory.file("cut.h5")
        try bytes.prefix(3000).write(to: URL(fileURLWithPath: cut))
        let error = #expect(throws: HDF5Error.self) { try HDF5File.open(path: cut) }
        let text = error?.description ?? ""
        #expect(text.contains(cut) && text.contains("truncated by an interrupted copy or write"), "\(text)")
        #expect(!text.contains("another process has the file open"), "\(text)")
    }

    @Test func failedCallsNameTheCallFileAndObject() throws {
        let directory = TemporaryDirectory()
        let path = directory.file("twice.h5")
        let file = try HDF5File.create(path: path)
        try file.write([1] as [Float], shape: [1], to: "/x")
        let error = #expect(throws: HDF5Error.self) { try file.write([1] as [Float], shape: [1], to: "/x") }
        guard case let .call(function, errorFile, object, _)? = error else {
            Issue.record("expected HDF5Error.call, got \(String(describing: error))")
            return
        }
        #expect(function == "H5Dcreate2" && errorFile == path && object == "/x")
        #expect(error?.description.hasPrefix("H5Dcreate2 failed on /x in \(path)") == true)
        #expect(throws: HDF5Error.typeMismatch(file: path, object: "/x", found: "float32", expected: "int32")) {
            try file.readInt32s("/x")
        }
    }

    @Test func sameContentsGiveIdenticalBytes() throws {
        let directory = TemporaryDirectory()
        func make(_ name: String) throws -> Foundation.Data {
            let path = directory.file(name)
            try HDF5File.writeAtomically(path: path) { file in
                try file.write([1, 2, 3] as [UInt8], shape: [3], to: "/group/bytes")
                try file.writeAttribute("names", ["x", "y"])
            }
            return try Foundation.Data(contentsOf: URL(fileURLWithPath: path))
        }
        let first = try make("one.h5")
        Thread.sleep(forTimeInterval: 1.1)  // modification times, if stored, would now differ
        #expect(try make("two.h5") == first)
    }
}
