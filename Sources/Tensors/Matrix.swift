// A 2-D view by pointer with a row stride, and sgemm on it: per-step maths (one time step of a
// recurrent layer) without building a `Tensor` and its shape array every step.

/// A row-major matrix view: `rows` rows of `columns` elements, row `i` starting at
/// `base + i · rowStride`.
///
/// Unlike a `Tensor` it holds no array, so making one allocates nothing; it does not keep its
/// storage alive, so take it from a `Tensor` that outlives the call.
///
/// ```swift
/// let steps = Tensor(zeros: [4, 2, 3])       // (T, N, D)
/// let second = steps.matrix(block: 1, rows: 2) // step 1 as a (2, 3) matrix
/// ```
public struct MatrixView {
    /// The first element.
    public let base: UnsafeMutablePointer<Float>
    /// The number of rows.
    public let rows: Int
    /// The number of elements per row.
    public let columns: Int
    /// The distance between the starts of consecutive rows, ≥ `columns`.
    public let rowStride: Int

    /// A view of `rows` × `columns` elements at `base`; rows are `rowStride` apart (default:
    /// contiguous).
    public init(_ base: UnsafeMutablePointer<Float>, rows: Int, columns: Int, rowStride: Int? = nil) {
        precondition(rows >= 0 && columns >= 0, "MatrixView: negative size \(rows)×\(columns)")
        precondition((rowStride ?? columns) >= columns, "MatrixView: row stride \(rowStride ?? columns) < \(columns) columns")
        self.base = base
        self.rows = rows
        self.columns = columns
        self.rowStride = rowStride ?? columns
    }
}

extension Tensor {
    /// The tensor as a 2-D matrix (rowCount, rowLength).
    public var matrix: MatrixView { MatrixView(pointer, rows: rowCount, columns: rowLength) }

    /// Block `index` of the tensor seen as equal consecutive blocks of `rows` rows of
    /// `rowLength` elements: for a (T, N, D) tensor and rows = N, step `index` as (N, D).
    public func matrix(block index: Int, rows: Int) -> MatrixView {
        let columns = shape.last ?? 1
        precondition(index >= 0 && (index + 1) * rows * columns <= count,
                     "Tensor.matrix: block \(index) of \(rows) rows is outside \(shape)")
        return MatrixView(pointer + index * rows * columns, rows: rows, columns: columns)
    }
}
