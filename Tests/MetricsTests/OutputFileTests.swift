// OutputFile: a whole file written through a rename, and failures named by their cause (the
// missing directory, a file in a directory's place), with "(is the disk full?)" only for ENOSPC.
import Foundation
import Glibc
import Metrics
import Testing
import TestSupport

struct OutputFileTests {
    @Test func writesTheTextAndLeavesNoPartialFile() throws {
        let directory = try TemporaryDirectory("output-file")
        try OutputFile.write("old", to: directory.file("a.csv"), what: "predictions file")
        try OutputFile.write("a,b\n1,2\n", to: directory.file("a.csv"), what: "predictions file")
        #expect(try String(contentsOfFile: directory.file("a.csv"), encoding: .utf8) == "a,b\n1,2\n")
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["a.csv"])
    }

    @Test func aMissingDirectoryOrAFileInItsPlaceIsNamed() throws {
        let directory = try TemporaryDirectory("output-file")
        let missing = directory.file("no/such/x.svg")
        #expect(throws: OutputFileError.self) { try OutputFile.write("<svg/>", to: missing, what: "plot") }
        do {
            try OutputFile.write("<svg/>", to: missing, what: "plot")
        } catch {
            #expect("\(error)" == "cannot write plot \(missing): directory \(directory.file("no")) does not exist")
        }
        try "".write(toFile: directory.file("file"), atomically: true, encoding: .utf8)
        #expect(OutputFile.reason(path: directory.file("file/sub/x.svg"), errno: ENOTDIR) == "\(directory.file("file")) is not a directory")
        #expect(OutputFile.directoryProblem(for: directory.file("file/x.h5")) == "\(directory.file("file")) is not a directory")
        #expect(OutputFile.directoryProblem(for: directory.file("no/x.h5")) == "directory \(directory.file("no")) does not exist")
        #expect(OutputFile.directoryProblem(for: directory.file("x.h5")) == nil)
        // ENOENT in a directory that exists (a virtual file system) is the system's own message
        #expect(OutputFile.reason(path: directory.file("x.csv"), errno: ENOENT) == "No such file or directory")
    }

    @Test func onlyAFullDiskAsksWhetherTheDiskIsFull() {
        #expect(OutputFile.reason(path: "out/p.csv", errno: ENOSPC) == "No space left on device (is the disk full?)")
        #expect(!OutputFile.reason(path: "out/p.csv", errno: EIO).contains("disk full"))
    }
}
