// Which rows of which shard files each rank trains on.
import Data

/// The part of the training data one rank loads: whole files, or a row range of one file.
public struct ShardAssignment: Equatable, Sendable {
    /// A file, or rows of it, with the index that keys its shuffle.
    public struct Part: Equatable, Sendable {
        /// The shard file.
        public let path: String
        /// The rows to load (`nil`: all).
        public let rows: Range<Int>?
        /// The index of this part's shuffle stream (the file index when files are whole).
        public let shuffleKey: Int
        /// The file's index in the sorted list (with `rows`, it names each sample globally).
        public let fileIndex: Int
    }

    /// This rank's parts.
    public let parts: [Part]

    /// Assigns `files` (sorted) to `rank` of `ranks`.
    ///
    /// With S files and N ranks: when S ≥ N, rank r loads files r, r+N, r+2N, … (round robin);
    /// when S < N, file f is shared by ranks f, f+S, f+2S, …, which split its rows into
    /// near-equal contiguous ranges by hyperslab (`rowCount(f)` is read from the file header).
    public init(files: [String], rank: Int, ranks: Int, rowCount: (String) throws -> Int) throws {
        if files.count >= ranks {
            parts = stride(from: rank, to: files.count, by: ranks).map { Part(path: files[$0], rows: nil, shuffleKey: $0, fileIndex: $0) }
        } else {
            let fileIndex = rank % files.count
            let sharers = (ranks - fileIndex + files.count - 1) / files.count
            let position = rank / files.count
            let total = try rowCount(files[fileIndex])
            let base = total / sharers, extra = total % sharers
            let start = position * base + Swift.min(position, extra)
            let end = start + base + (position < extra ? 1 : 0)
            parts = [Part(path: files[fileIndex], rows: start..<end, shuffleKey: rank, fileIndex: fileIndex)]
        }
    }
}
