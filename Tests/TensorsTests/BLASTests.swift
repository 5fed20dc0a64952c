import Tensors
import Testing

/// The naive triple loop that every sgemm call is checked against.
private func naiveProduct(_ a: [Float], _ b: [Float], m: Int, k: Int, n: Int) -> [Float] {
    var c = [Float](repeating: 0, count: m * n)
    for i in 0..<m { for j in 0..<n { for p in 0..<k { c[i * n + j] += a[i * k + p] * b[p * n + j] } } }
    return c
}

private func transpose(_ a: [Float], rows: Int, cols: Int) -> [Float] {
    (0..<(rows * cols)).map { a[($0 % rows) * cols + $0 / rows] }
}

struct BLASTests {
    @Test(arguments: [(false, false), (true, false), (false, true), (true, true)])
    func gemmMatchesNaiveProduct(transposeA: Bool, transposeB: Bool) {
        let (m, k, n) = (5, 7, 3)
        var generator = Generator(seed: 5)
        let a = (0..<(m * k)).map { _ in generator.uniform(-1, 1) }
        let b = (0..<(k * n)).map { _ in generator.uniform(-1, 1) }
        let expected = naiveProduct(a, b, m: m, k: k, n: n)
        let aTensor = transposeA ? Tensor(shape: [k, m], values: transpose(a, rows: m, cols: k)) : Tensor(shape: [m, k], values: a)
        let bTensor = transposeB ? Tensor(shape: [n, k], values: transpose(b, rows: k, cols: n)) : Tensor(shape: [k, n], values: b)
        let c = Tensor(zeros: [m, n])
        gemm(aTensor, transposeA: transposeA, bTensor, transposeB: transposeB, into: c)
        #expect(zip(c.toArray(), expected).allSatisfy { abs($0 - $1) < 1e-5 })
    }

    @Test func gemmAccumulatesWithBeta() {
        let a = Tensor(shape: [1, 1], values: [2])
        let c = Tensor(shape: [1, 1], values: [10])
        gemm(a, a, into: c, beta: 1)
        #expect(c[0, 0] == 14)
    }

    @Test func rowAndColumnHelpers() {
        let a = Tensor(shape: [2, 3], values: [1, 2, 3, 4, 5, 6])
        var sums: [Float] = [1, 1, 1]
        sums.withUnsafeMutableBufferPointer { addColumnSums(of: a, into: $0.baseAddress!) }
        #expect(sums == [6, 8, 10])
        let bias: [Float] = [10, 20, 30]
        bias.withUnsafeBufferPointer { addToEveryRow($0.baseAddress!, of: a) }
        #expect(a.toArray() == [11, 22, 33, 14, 25, 36])
    }
}
