// Named wrappers over the OpenBLAS calls the project uses; nothing outside Tensors sees Int32
// strides or CblasRowMajor.
import CBLAS
import Synchronization

/// Computes `c = alpha · op(a) · op(b) + beta · c` for row-major matrices with `cblas_sgemm`.
///
/// `a` and `b` are viewed as 2-D: (rows, rowLength). `op(x)` is `x`, or `xᵀ` when the
/// matching `transpose` flag is set.
/// - Precondition: inner dimensions agree and `c` is (rows of op(a), columns of op(b)).
public func gemm(
    _ a: Tensor, transposeA: Bool = false,
    _ b: Tensor, transposeB: Bool = false,
    into c: Tensor, alpha: Float = 1, beta: Float = 0
) {
    gemm(a.matrix, transposeA: transposeA, b.matrix, transposeB: transposeB, into: c.matrix, alpha: alpha, beta: beta)
}

/// `c = alpha · op(a) · op(b) + beta · c` on matrix views, whose rows may be strided.
/// - Precondition: inner dimensions agree and `c` is (rows of op(a), columns of op(b)).
public func gemm(
    _ a: MatrixView, transposeA: Bool = false,
    _ b: MatrixView, transposeB: Bool = false,
    into c: MatrixView, alpha: Float = 1, beta: Float = 0
) {
    let (m, k) = transposeA ? (a.columns, a.rows) : (a.rows, a.columns)
    let (kb, n) = transposeB ? (b.columns, b.rows) : (b.rows, b.columns)
    precondition(k == kb, "gemm: inner dimensions differ: [\(a.rows), \(a.columns)]\(transposeA ? "ᵀ" : "") × [\(b.rows), \(b.columns)]\(transposeB ? "ᵀ" : "")")
    precondition(c.rows == m && c.columns == n, "gemm: output is [\(c.rows), \(c.columns)], expected [\(m), \(n)]")
    if m == 0 || n == 0 { return }
    cblas_sgemm(
        CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
        Int32(m), Int32(n), Int32(k), alpha,
        a.base, Int32(max(a.rowStride, 1)), b.base, Int32(max(b.rowStride, 1)), beta, c.base, Int32(max(c.rowStride, 1)))
}

/// `c += a[:, columns]ᵀ · b`: the rows `columns` of a weight gradient, from a column block of
/// `a` (N, M) read in place with its row stride, and `b` (N, K); `c` is (columns.count, K).
public func gemmColumns(_ a: Tensor, columns: Range<Int>, _ b: Tensor, into c: MatrixView) {
    let (n, m) = (a.rowCount, a.rowLength)
    let k = b.rowLength
    precondition(b.rowCount == n, "gemmColumns: \(a.shape) and \(b.shape) have different row counts")
    precondition(columns.lowerBound >= 0 && columns.upperBound <= m, "gemmColumns: columns \(columns) outside 0..<\(m)")
    precondition(c.rows == columns.count && c.columns == k, "gemmColumns: output is \(c.rows)×\(c.columns), expected \(columns.count)×\(k)")
    if columns.isEmpty || k == 0 || n == 0 { return }
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, Int32(columns.count), Int32(k), Int32(n), 1,
                a.pointer + columns.lowerBound, Int32(m), b.pointer, Int32(k), 1, c.base, Int32(c.rowStride))
}

/// Adds the column sums of the 2-D matrix `a` (N, D), scaled by `alpha`, into `y` (D elements).
///
/// `y += alpha · aᵀ · 1`, a `cblas_sgemv` against a vector of ones.
public func addColumnSums(of a: Tensor, into y: UnsafeMutablePointer<Float>, alpha: Float = 1) {
    let (rows, cols) = (a.rowCount, a.rowLength)
    if rows == 0 || cols == 0 { return }
    let ones = OnesVector.shared(count: rows)
    cblas_sgemv(CblasRowMajor, CblasTrans, Int32(rows), Int32(cols), alpha, a.pointer, Int32(cols),
                ones, 1, 1, y, 1)
}

/// Adds `x` (D elements) to every row of the 2-D matrix `a` (N, D): `a += 1 · xᵀ`, a `cblas_sger`.
public func addToEveryRow(_ x: UnsafePointer<Float>, of a: Tensor) {
    let (rows, cols) = (a.rowCount, a.rowLength)
    if rows == 0 || cols == 0 { return }
    let ones = OnesVector.shared(count: rows)
    cblas_sger(CblasRowMajor, Int32(rows), Int32(cols), 1, ones, 1, x, 1, a.pointer, Int32(cols))
}

/// `y = alpha · x + y` over `count` elements (`cblas_saxpy`).
public func axpy(count: Int, alpha: Float, x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>) {
    if count > 0 { cblas_saxpy(Int32(count), alpha, x, 1, y, 1) }
}

/// `y = alpha · x + beta · y` over `count` elements (`cblas_saxpby`).
public func axpby(count: Int, alpha: Float, x: UnsafePointer<Float>, beta: Float, y: UnsafeMutablePointer<Float>) {
    if count > 0 { cblas_saxpby(Int32(count), alpha, x, 1, beta, y, 1) }
}

/// `x = alpha · x` over `count` elements (`cblas_sscal`).
public func scale(count: Int, alpha: Float, x: UnsafeMutablePointer<Float>) {
    if count > 0 { cblas_sscal(Int32(count), alpha, x, 1) }
}

/// Σ xᵢ² over `count` elements (`cblas_sdot` of `x` with itself). It is NaN or ±∞ when an
/// element is, and also when a huge finite element (|xᵢ| > 1.8e19) overflows it.
public func sumOfSquares(count: Int, x: UnsafePointer<Float>) -> Float {
    count > 0 ? cblas_sdot(Int32(count), x, 1, x, 1) : 0
}

/// The Euclidean norm of `count` elements (`cblas_snrm2`).
public func norm2(count: Int, x: UnsafePointer<Float>) -> Float {
    count > 0 ? cblas_snrm2(Int32(count), x, 1) : 0
}

/// The BLAS library's own threading and build facts.
public enum BLASRuntime {
    /// Sets the number of OpenBLAS threads for this process.
    public static func setThreads(_ count: Int) {
        openblas_set_num_threads(Int32(max(1, count)))
    }

    /// The number of threads OpenBLAS will use.
    public static var threads: Int { Int(openblas_get_num_threads()) }

    /// The kernel family OpenBLAS selected for this CPU, e.g. "Cooperlake".
    public static var coreName: String { String(cString: openblas_get_corename()) }

    /// OpenBLAS's build configuration string.
    public static var config: String { String(cString: openblas_get_config()) }
}

/// A process-wide read-only vector of ones, grown on demand, used as the BLAS operand for row
/// and column sums.
private enum OnesVector {
    // Every block ever grown is kept, so a pointer handed out earlier stays valid when another
    // thread (a simulated rank) grows the vector.
    private static let blocks = Mutex<[TensorStorage]>([])

    static func shared(count: Int) -> UnsafePointer<Float> {
        blocks.withLock { blocks in
            if let last = blocks.last, last.buffer.count >= count {
                return UnsafePointer(last.buffer.baseAddress!)
            }
            let grown = TensorStorage(count: max(count, 2 * (blocks.last?.buffer.count ?? 512)))
            grown.buffer.update(repeating: 1)
            blocks.append(grown)
            return UnsafePointer(grown.buffer.baseAddress!)
        }
    }
}
