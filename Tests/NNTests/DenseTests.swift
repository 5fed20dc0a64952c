import NN
import Tensors
import TestSupport
import Testing

struct DenseTests {
    @Test func forwardComputesAffineMapOnHandNumbers() throws {
        let layer = Dense(units: 2)
        let model = try Sequential([layer], inputShape: [3])
        let store = model.store
        // W = [[1, 2, 3], [4, 5, 6]], b = [0.5, -1]
        _ = store.value(store.parameters[0]).buffer.update(fromContentsOf: [1, 2, 3, 4, 5, 6] as [Float])
        _ = store.value(store.parameters[1]).buffer.update(fromContentsOf: [0.5, -1] as [Float])
        let y = layer.forward(Tensor(shape: [2, 3], values: [1, 0, -1, 2, 1, 0]), mode: .training)
        // row 0: [1-3+0.5, 4-6-1] ; row 1: [2+2+0.5, 8+5-1]
        #expect(y.toArray() == [-1.5, -3, 4.5, 12])
    }

    @Test func backwardMatchesFiniteDifferences() throws {
        let report = try checkLayerGradients(Dense(units: 4, weightInitializer: .xavierUniform), inputShape: [5])
        #expect(report.error < 2e-3, "\(report)")
        #expect(report.checked == 4 * 5 + 4 + 3 * 5)
    }

    @Test func flattensMultiDimensionalInput() throws {
        let model = try Sequential([Dense(units: 3)], inputShape: [2, 2, 2])
        #expect(model.store.parameters[0].shape == [3, 8])
        #expect(model.outputShape == [3])
    }

    /// A communicator's shared-memory buffer takes the gradients over: the values move with
    /// them, and backward writes there from then on.
    @Test func gradientsMovedToBorrowedMemoryAreWhereBackwardWrites() throws {
        let model = try Sequential([Dense(units: 2)], inputShape: [3])
        model.initializeParameters(seed: 3)
        let x = Tensor(shape: [1, 3], values: [1, 2, 3])
        _ = model.forward(x, mode: .training)
        model.backward(Tensor(shape: [1, 2], values: [1, -1]))
        let before = Array(model.store.gradients.buffer.prefix(model.store.count))
        let memory = UnsafeMutableBufferPointer<Float>.allocate(capacity: model.store.count)
        defer { memory.deallocate() }
        let owner = Tensor(zeros: [1])   // anything that lives as long as the memory
        model.store.moveGradients(to: TensorStorage(borrowing: memory, owner: owner.storage))
        #expect(Array(memory) == before)
        model.store.zeroGradients()
        _ = model.forward(x, mode: .training)
        model.backward(Tensor(shape: [1, 2], values: [1, -1]))
        #expect(Array(memory) == before)
    }

    @Test func namesParametersByPosition() throws {
        let model = try Sequential([Dense(units: 4), ReLU(), Dense(units: 2, useBias: false)], inputShape: [3])
        #expect(model.store.parameters.map(\.name) == ["layers.0.weight", "layers.0.bias", "layers.2.weight"])
        #expect(model.store.parameters.map(\.offset) == [0, 12, 16])
        #expect(model.parameterCount == 12 + 4 + 8)
    }
}

/// Records progress reports. With `boundaries`, only those flat indices are worth a report, as
/// with gradient buckets that start there.
private final class ProgressLog: GradientProgress {
    var offsets: [Int] = []
    var boundaries: [Int]?
    init(boundaries: [Int]? = nil) { self.boundaries = boundaries }
    func gradientsFinal(from offset: Int) { offsets.append(offset) }
    func nextReport(below offset: Int) -> Int {
        guard let boundaries else { return offset - 1 }
        return boundaries.filter { $0 < offset }.max() ?? 0
    }
}

struct DenseProgressTests {
    /// The parameter gradients of one `Dense(units:)` layer on seeded random x and dy, with
    /// `progress` listening (nil: nobody listens, so dW is one GEMM).
    private func gradients(units: Int, inputs: Int, batch: Int, seed: UInt64, progress: ProgressLog?) throws -> [Float] {
        var generator = Generator(seed: seed)
        let x = Tensor(shape: [batch, inputs], values: (0..<(batch * inputs)).map { _ in generator.uniform(-1, 1) })
        let dy = Tensor(shape: [batch, units], values: (0..<(batch * units)).map { _ in generator.uniform(-1e-2, 1e-2) })
        let layer = Dense(units: units)
        let model = try Sequential([layer], inputShape: [inputs])
        model.initializeParameters(seed: 1)
        _ = layer.forward(x, mode: .training)
        layer.accumulateParameterGradients(dy, progress: progress)
        return Array(model.store.gradients.buffer)
    }

    @Test func blockwiseWeightGradientEqualsOneGEMMAndReportsSuffixes() throws {
        // 300 units > 2 × 64 rows: dW is computed in blocks of at least 64 rows that start at
        // multiples of 48, last block first
        let log = ProgressLog()
        let whole = try gradients(units: 300, inputs: 7, batch: 5, seed: 2, progress: nil)
        #expect(try gradients(units: 300, inputs: 7, batch: 5, seed: 2, progress: log) == whole)
        // bias (offset 2100) first, then weight rows 192..<300 (236 rounded down), 96..<192, 0..<96
        #expect(log.offsets == [2100, 192 * 7, 96 * 7, 0])
    }

    @Test(arguments: [([700], [1400, 96 * 7, 0]),           // a bucket starts at row 100: the block starts below it, at 96
                      ([672], [1400, 96 * 7, 0]),           // at row 96, a block start itself
                      ([1390], [1400, 96 * 7, 0]),          // at row 198: the block is still ≥ 64 rows (136, then 96)
                      ([], [1400, 0])])                      // nothing to start before the end: one GEMM
    func weightGradientBlocksEndWhereAReportMatters(boundaries: [Int], reports: [Int]) throws {
        let log = ProgressLog(boundaries: boundaries)
        let whole = try gradients(units: 200, inputs: 7, batch: 5, seed: 3, progress: nil)
        #expect(try gradients(units: 200, inputs: 7, batch: 5, seed: 3, progress: log) == whole)
        #expect(log.offsets == reports)
    }
}
