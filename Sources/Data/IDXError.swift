// Errors found while locating or reading IDX files (the MNIST / Fashion-MNIST source format).

/// An IDX file that is missing, unreadable or malformed.
public enum IDXError: Error, Equatable, CustomStringConvertible {
    /// None of the paths tried exists.
    case missingFile(tried: [String])
    /// The file exists but could not be opened or decompressed.
    case unreadable(path: String, reason: String)
    /// The first four bytes are not an IDX magic number of unsigned bytes (`0x00000801` …).
    case badMagic(path: String, found: UInt32)
    /// The file has a different number of dimensions than expected (e.g. labels given as images).
    case wrongRank(path: String, found: Int, expected: Int)
    /// The file ends before its header or data does.
    case truncated(path: String, expectedBytes: Int, gotBytes: Int)
    /// An images file and its labels file disagree on the number of samples.
    case countMismatch(images: String, imageCount: Int, labels: String, labelCount: Int)

    /// A one-line explanation naming the file, with a hint where one helps.
    public var description: String {
        switch self {
        case let .missingFile(tried):
            return "IDX file not found (tried \(tried.joined(separator: ", "))); install Debian's "
                + "dataset-fashion-mnist package (apt-get install dataset-fashion-mnist) or pass --source DIR"
        case let .unreadable(path, reason):
            return "cannot read \(path): \(reason)"
        case let .badMagic(path, found):
            let hex = String(found, radix: 16)
            return "\(path) is not an IDX file of unsigned bytes: magic number 0x"
                + String(repeating: "0", count: max(0, 8 - hex.count)) + hex
                + " (expected 0x00000801 for labels or 0x00000803 for images)"
        case let .wrongRank(path, found, expected):
            return "\(path) has \(found) dimensions but \(expected) were expected "
                + "(images files have 3: count, rows, columns; labels files have 1)"
        case let .truncated(path, expectedBytes, gotBytes):
            return "\(path) is truncated: expected \(expectedBytes) bytes got \(gotBytes) "
                + "(download it again or reinstall dataset-fashion-mnist)"
        case let .countMismatch(images, imageCount, labels, labelCount):
            return "\(images) holds \(imageCount) images but \(labels) holds \(labelCount) labels"
        }
    }
}
