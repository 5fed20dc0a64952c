// The orthogonal initializer's kernel: Gram–Schmidt on a Gaussian matrix.
import Tensors

extension Initializer {
    /// Fills `values`, seen as a (values.count / columns, columns) matrix, with a random matrix
    /// whose shorter side is orthonormal: W·Wᵀ = I when rows ≤ columns, Wᵀ·W = I otherwise.
    ///
    /// Draws a standard Gaussian matrix and orthonormalizes its shorter-side vectors with
    /// modified Gram–Schmidt (twice, in Double, for accuracy). This is the Q of a QR
    /// decomposition with R's diagonal made positive, so the result is uniformly (Haar)
    /// distributed, like Keras' `Orthogonal` initializer (which takes Q·sign(diag R)).
    static func fillOrthogonal(_ values: UnsafeMutableBufferPointer<Float>, columns: Int,
                               generator: inout Generator) {
        precondition(columns > 0 && values.count % columns == 0,
                     "Initializer.orthogonal: \(values.count) values are not rows of \(columns) columns")
        let rows = values.count / columns
        let (vectors, length) = (min(rows, columns), max(rows, columns))
        // vectors × length, one vector per row: the rows of W, or the columns of W when it is tall
        var q = (0..<values.count).map { _ in Double(generator.normal()) }
        let index: (Int, Int) -> Int = rows <= columns ? { v, i in v * columns + i } : { v, i in i * columns + v }
        for v in 0..<vectors {
            for _ in 0..<2 {
                for u in 0..<v {
                    var dot = 0.0
                    for i in 0..<length { dot += q[index(u, i)] * q[index(v, i)] }
                    for i in 0..<length { q[index(v, i)] -= dot * q[index(u, i)] }
                }
            }
            var norm = 0.0
            for i in 0..<length { norm += q[index(v, i)] * q[index(v, i)] }
            norm = norm.squareRoot()
            precondition(norm > 1e-12, "Initializer.orthogonal: degenerate random matrix")
            for i in 0..<length { q[index(v, i)] /= norm }
        }
        for i in values.indices { values[i] = Float(q[i]) }
    }
}
