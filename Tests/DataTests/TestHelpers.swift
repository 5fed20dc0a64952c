// Shared helpers for the Data tests: unique temporary directories and tiny IDX fixtures.
import CZlib
import Foundation

/// A fresh directory under the system temporary directory, removed when the value is released.
final class TemporaryDirectory {
    /// The directory's path.
    let path: String

    init(_ label: String = #function) {
        let safe = label.filter { $0.isLetter || $0.isNumber }
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("swiftddp-data-\(safe)-\(UUID().uuidString)")
        // A failure here is a broken test machine; trapping with the path is the clearest report.
        do {
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        } catch {
            fatalError("cannot create \(url.path): \(error)")
        }
        path = url.path
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    /// The path of `name` inside the directory.
    func file(_ name: String) -> String { (path as NSString).appendingPathComponent(name) }
}

/// The bytes of an IDX file of unsigned bytes with the given shape.
func idxBytes(shape: [Int], values: [UInt8]) -> [UInt8] {
    var bytes: [UInt8] = [0, 0, 0x08, UInt8(shape.count)]
    for dimension in shape {
        bytes += [24, 16, 8, 0].map { UInt8((dimension >> $0) & 0xFF) }
    }
    return bytes + values
}

/// Writes `bytes` to `path`, gzip-compressed through zlib when `gzip` is set.
func writeFile(_ path: String, _ bytes: [UInt8], gzip: Bool) throws {
    guard gzip else {
        try Foundation.Data(bytes).write(to: URL(fileURLWithPath: path))
        return
    }
    guard let file = gzopen(path, "wb") else { throw CocoaError(.fileWriteUnknown) }
    let written = bytes.withUnsafeBytes { gzwrite(file, $0.baseAddress, UInt32($0.count)) }
    guard gzclose(file) == Z_OK, Int(written) == bytes.count else { throw CocoaError(.fileWriteUnknown) }
}

/// Writes an IDX images file of `count` images of `rows`×`columns` whose first pixel is the
/// sample index and the others follow from it, and a labels file with label `index % 10`.
func writeSyntheticIDX(
    directory: String, prefix: String, count: Int, rows: Int = 28, columns: Int = 28, gzip: Bool = true
) throws {
    var pixels = [UInt8](repeating: 0, count: count * rows * columns)
    for index in 0..<count {
        for pixel in 0..<(rows * columns) {
            pixels[index * rows * columns + pixel] = pixel == 0 ? UInt8(index) : UInt8((index * 7 + pixel) % 256)
        }
    }
    let labels = (0..<count).map { UInt8($0 % 10) }
    let suffix = gzip ? ".gz" : ""
    let images = (directory as NSString).appendingPathComponent("\(prefix)-images-idx3-ubyte\(suffix)")
    let labelsPath = (directory as NSString).appendingPathComponent("\(prefix)-labels-idx1-ubyte\(suffix)")
    try writeFile(images, idxBytes(shape: [count, rows, columns], values: pixels), gzip: gzip)
    try writeFile(labelsPath, idxBytes(shape: [count], values: labels), gzip: gzip)
}
