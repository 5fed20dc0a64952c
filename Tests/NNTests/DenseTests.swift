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
    @Test func blockwiseWeightGradientEqualsOneGEMMAndReportsSuffixes() throws {
        // 200 units > 2 × 64 rows: dW is computed in blocks of 64 rows, last block first
        let blockwise = Dense(units: 200), whole = Dense(units: 200)
        let a = try Sequential([blockwise], inputShape: [7]), b = try Sequential([whole], inputShape: [7])
        a.initializeParameters(seed: 1)
        b.initializeParameters(seed: 1)
        var generator = Generator(seed: 2)
        let x = Tensor(shape: [5, 7], values: (0..<35).map { _ in generator.uniform(-1, 1) })
        let dy = Tensor(shape: [5, 200], values: (0..<1000).map { _ in generator.uniform(-1, 1) })
        _ = blockwise.forward(x, mode: .training)
        _ = whole.forward(x, mode: .training)
        let log = ProgressLog()
        blockwise.accumulateParameterGradients(dy, progress: log)
        whole.accumulateParameterGradients(dy)
        #expect(Array(a.store.gradients.buffer) == Array(b.store.gradients.buffer))
        // bias (offset 1400) first, then weight rows 136..<200, 72..<136, 8..<72, 0..<8
        #expect(log.offsets == [1400, 136 * 7, 72 * 7, 8 * 7, 0])
    }

    @Test(arguments: [([700], [1400, 700, 0]),              // a bucket starts at row 100: two GEMMs
                      ([1390], [1400, 136 * 7, 0]),          // at row 198: the block is still ≥ 64 rows
                      ([], [1400, 0])])                      // nothing to start before the end: one GEMM
    func weightGradientBlocksEndWhereAReportMatters(boundaries: [Int], reports: [Int]) throws {
        let blockwise = Dense(units: 200), whole = Dense(units: 200)
        let a = try Sequential([blockwise], inputShape: [7]), b = try Sequential([whole], inputShape: [7])
        a.initializeParameters(seed: 1)
        b.initializeParameters(seed: 1)
        var generator = Generator(seed: 3)
        let x = Tensor(shape: [5, 7], values: (0..<35).map { _ in generator.uniform(-1, 1) })
        let dy = Tensor(shape: [5, 200], values: (0..<1000).map { _ in generator.uniform(-1, 1) })
        _ = blockwise.forward(x, mode: .training)
        _ = whole.forward(x, mode: .training)
        let log = ProgressLog(boundaries: boundaries)
        blockwise.accumulateParameterGradients(dy, progress: log)
        whole.accumulateParameterGradients(dy)
        #expect(Array(a.store.gradients.buffer) == Array(b.store.gradients.buffer))
        #expect(log.offsets == reports)
    }

    /// The default MLP's first layer at batch 128: however the blocks fall (64 rows, a bucket
    /// boundary mid-layer, one GEMM), OpenBLAS gives the same bits, so `distributed.bucket_mb`
    /// changes only speed, as config.md says.
    @Test func blocksOfTheDefaultFirstLayerGiveTheBitsOfOneGEMM() throws {
        var generator = Generator(seed: 4)
        let x = Tensor(shape: [128, 784], values: (0..<(128 * 784)).map { _ in generator.uniform(-1, 1) })
        let dy = Tensor(shape: [128, 512], values: (0..<(128 * 512)).map { _ in generator.uniform(-1e-2, 1e-2) })
        func weightGradient(_ progress: ProgressLog?) throws -> [Float] {
            let layer = Dense(units: 512)
            let model = try Sequential([layer], inputShape: [784])
            model.initializeParameters(seed: 1)
            _ = layer.forward(x, mode: .training)
            layer.accumulateParameterGradients(dy, progress: progress)
            return Array(model.store.gradients.buffer)
        }
        let whole = try weightGradient(nil)
        #expect(try weightGradient(ProgressLog()) == whole)                          // 8 blocks of 64 rows
        #expect(try weightGradient(ProgressLog(boundaries: [300 * 784 + 5])) == whole)  // rows 300..<512, then 0..<300
        #expect(try weightGradient(ProgressLog(boundaries: [])) == whole)             // one block
    }
}
