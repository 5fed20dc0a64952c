// Reading IDX files, the format of MNIST and Fashion-MNIST, gzip-compressed or plain.
import CZlib
import Foundation

/// The contents of one IDX file of unsigned bytes: its shape and its values in row-major order.
///
/// The format is a 4-byte big-endian magic number `0x000008RR` (`08` = unsigned byte, `RR` = the
/// number of dimensions), `RR` big-endian 32-bit sizes, then the bytes. Fashion-MNIST images are
/// `0x00000803` with shape (N, 28, 28); labels are `0x00000801` with shape (N).
///
/// ### References
/// 1. http://yann.lecun.com/exdb/mnist/ ("file formats for the MNIST database")
public struct IDXArray: Sendable, Equatable {
    /// The file the values came from.
    public let path: String
    /// The size of each dimension, e.g. [60000, 28, 28].
    public let shape: [Int]
    /// The bytes, `shape`'s product of them.
    public let values: [UInt8]

    /// Reads an IDX file, decompressing it if it is gzip (zlib reads plain files unchanged).
    ///
    /// - Parameters:
    ///   - path: the file, e.g. `train-images-idx3-ubyte.gz`.
    ///   - rank: the number of dimensions required (3 for images, 1 for labels), or `nil` for any.
    /// - Throws: `IDXError.missingFile`, `.unreadable`, `.badMagic`, `.wrongRank` or `.truncated`.
    public static func read(path: String, rank: Int? = nil) throws -> IDXArray {
        guard FileManager.default.fileExists(atPath: path) else { throw IDXError.missingFile(tried: [path]) }
        guard let file = gzopen(path, "rb") else {
            throw IDXError.unreadable(path: path, reason: String(cString: strerror(errno)))
        }
        defer { gzclose(file) }
        _ = gzbuffer(file, 1 << 18)

        var magic = [UInt8](repeating: 0, count: 4)
        let magicBytes = try readBytes(file, path, into: &magic)
        guard magicBytes == 4 else { throw IDXError.truncated(path: path, expectedBytes: 4, gotBytes: magicBytes) }
        let magicNumber = bigEndian(magic)
        let dimensionCount = Int(magic[3])
        guard magic[0] == 0, magic[1] == 0, magic[2] == 0x08, dimensionCount >= 1 else {
            throw IDXError.badMagic(path: path, found: magicNumber)
        }
        if let rank, rank != dimensionCount {
            throw IDXError.wrongRank(path: path, found: dimensionCount, expected: rank)
        }

        var header = [UInt8](repeating: 0, count: 4 * dimensionCount)
        let headerBytes = try readBytes(file, path, into: &header)
        guard headerBytes == header.count else {
            throw IDXError.truncated(path: path, expectedBytes: 4 + header.count, gotBytes: 4 + headerBytes)
        }
        let shape = (0..<dimensionCount).map { Int(bigEndian(header[(4 * $0)..<(4 * $0 + 4)])) }

        let count = shape.reduce(1, *)
        var values = [UInt8](repeating: 0, count: count)
        let dataBytes = try readBytes(file, path, into: &values)
        guard dataBytes == count else {
            let headerSize = 4 + header.count
            throw IDXError.truncated(path: path, expectedBytes: headerSize + count, gotBytes: headerSize + dataBytes)
        }
        return IDXArray(path: path, shape: shape, values: values)
    }

    /// The path of IDX file `baseName` in `directory`, preferring `<baseName>.gz` over `<baseName>`.
    ///
    /// - Throws: `IDXError.missingFile` naming both paths tried, with an install hint.
    public static func locate(_ baseName: String, in directory: String) throws -> String {
        let base = (directory as NSString).appendingPathComponent(baseName)
        let candidates = [base + ".gz", base]
        guard let found = candidates.first(where: { FileManager.default.fileExists(atPath: $0) }) else {
            throw IDXError.missingFile(tried: candidates)
        }
        return found
    }

    /// Reads as many bytes as `buffer` holds, or up to the end of the stream; returns the count read.
    private static func readBytes(_ file: gzFile, _ path: String, into buffer: inout [UInt8]) throws -> Int {
        var total = 0
        let wanted = buffer.count
        try buffer.withUnsafeMutableBytes { bytes in
            guard let base = bytes.baseAddress else { return }
            while total < wanted {
                let chunk = UInt32(min(wanted - total, 1 << 30))
                let got = gzread(file, base + total, chunk)
                if got == 0 { break }
                if got < 0 {
                    var code: Int32 = 0
                    let message = String(cString: gzerror(file, &code))
                    if code == Z_BUF_ERROR { break }  // the compressed stream ends early: truncated
                    throw IDXError.unreadable(path: path, reason: message)
                }
                total += Int(got)
            }
        }
        return total
    }

    private static func bigEndian<Bytes: Collection<UInt8>>(_ bytes: Bytes) -> UInt32 {
        bytes.reduce(0) { $0 << 8 | UInt32($1) }
    }
}

/// The four Fashion-MNIST (or MNIST) IDX files in a directory, found by their standard names.
public struct IDXSourceFiles: Sendable, Equatable {
    /// `train-images-idx3-ubyte[.gz]`: training images (60000, 28, 28).
    public let trainImages: String
    /// `train-labels-idx1-ubyte[.gz]`: training labels (60000).
    public let trainLabels: String
    /// `t10k-images-idx3-ubyte[.gz]`: test images (10000, 28, 28).
    public let testImages: String
    /// `t10k-labels-idx1-ubyte[.gz]`: test labels (10000).
    public let testLabels: String

    /// Where Debian's `dataset-fashion-mnist` package installs the files.
    public static let debianDirectory = "/usr/share/datasets/fashion-mnist"

    /// Finds the four files in `directory`, gzip-compressed or plain.
    ///
    /// - Throws: `IDXError.missingFile` for the first one missing, naming the paths tried.
    public init(directory: String) throws {
        trainImages = try IDXArray.locate("train-images-idx3-ubyte", in: directory)
        trainLabels = try IDXArray.locate("train-labels-idx1-ubyte", in: directory)
        testImages = try IDXArray.locate("t10k-images-idx3-ubyte", in: directory)
        testLabels = try IDXArray.locate("t10k-labels-idx1-ubyte", in: directory)
    }
}
