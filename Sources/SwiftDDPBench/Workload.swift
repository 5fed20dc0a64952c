// The benchmark's workload: the default MLP on random in-memory batches, and one training step
// copied from Trainer.run (TRAINING STEP BEGIN … END), so the numbers are the trainer's numbers.
import Comm
import NN
import Tensors
import Training

enum BenchError: Error, CustomStringConvertible {
    case nonFiniteLoss(step: Int)
    case nonFiniteGradient(step: Int)
    case usage(String)

    var description: String {
        switch self {
        case .nonFiniteLoss(let step): "non-finite loss at step \(step)"
        case .nonFiniteGradient(let step): "non-finite averaged gradient at step \(step)"
        case .usage(let message): message
        }
    }
}

/// The default model (784-512-256-10, ReLU), its loss, optimizer and gradient buckets, fed with
/// random batches held in memory (no HDF5, no loader).
final class MLPWorkload {
    static let batchSize = 128
    static let widths = [784, 512, 256, 10]

    let comm: any Communicator
    let model: Sequential
    let criterion = SoftmaxCrossEntropy()
    let optimizer: SGD
    let buckets: GradientBuckets
    let progress: BucketProgress?   // nil for one rank, as in Trainer
    let learningRate: Float = 0.01
    private let batches: [(features: Tensor, labels: [Int32])]
    private var next = 0
    private let flags = UnsafeMutableBufferPointer<Double>.allocate(capacity: 3)   // the control flags, as Trainer keeps them

    deinit { flags.deallocate() }
    private(set) var steps = 0
    /// Whether the gradients live in the communicator's shared memory (summed in place).
    private(set) var inSharedMemory = false

    /// The model as `swiftddp train` builds it by default, with SGD momentum 0.9 and the
    /// trainer's bucket planning (`distributed.bucket_mb`, default 4).
    /// With `sharedMemory` (the trainer's default, `distributed.shared_memory`), the gradients
    /// live where the communicator sums them in place, when it can.
    init(comm: any Communicator, bucketMegabytes: Double = 4, batchCount: Int = 8, seed: UInt64 = 1, sharedMemory: Bool = true) throws {
        self.comm = comm
        model = try Sequential([Dense(units: 512), ReLU(), Dense(units: 256), ReLU(), Dense(units: 10)], inputShape: [784])
        model.initializeParameters(seed: seed)
        try comm.broadcast(model.store.values.buffer, from: 0)
        if sharedMemory {   // as Trainer
            inSharedMemory = try moveGradientsToReductionBuffer(of: model, communicator: comm) != nil
        }
        optimizer = SGD(parameterCount: model.parameterCount, momentum: 0.9)
        buckets = GradientBuckets(gradients: model.store.gradients.buffer, bucketBytes: Int(bucketMegabytes * 1_048_576))
        progress = comm.size > 1 ? BucketProgress(buckets: buckets, communicator: comm) : nil
        var generator = Generator(seed: seed, keys: [UInt64(comm.rank), 0xBE7C])
        batches = (0..<batchCount).map { _ in
            let features = Tensor(zeros: [MLPWorkload.batchSize, 784])
            for i in 0..<features.count { features.pointer[i] = generator.nextUnitFloat() }
            let labels = (0..<MLPWorkload.batchSize).map { _ in Int32(generator.nextInt(below: 10)) }
            return (features, labels)
        }
    }

    private func nextBatch() -> (features: Tensor, labels: [Int32]) {
        let batch = batches[next]
        next = (next + 1) % batches.count
        return batch
    }

    /// One training step exactly as Trainer.run takes it, with its non-finite check (minus the
    /// data fetch, the anomaly hooks and the gradient norm that is only computed on logging
    /// steps). Returns the loss and the exposed communication that `buckets.finish` reports.
    @discardableResult
    func step() throws -> (loss: Float, exposed: Double) {
        let batch = nextBatch()   // the gradients are zero: the previous step's optimizer pass cleared them, as in Trainer
        let logits = model.forward(batch.features, mode: .training) { _, _ in }
        let loss = criterion.forward(logits, labels: batch.labels)
        model.backward(criterion.backward(scale: 1 / Float(comm.size)), progress: progress) { _, _ in }
        let exposed = try buckets.finish(communicator: comm)       // buckets started during backward
        let checkInStep = try takeControlFlags(loss: loss)
        try optimizerStep(checkingFinite: checkInStep)
        steps += 1
        return (loss, exposed)
    }

    /// The control flags and the non-finite check between `finish` and the optimizer, as
    /// Trainer takes them with the default `training.nonfinite: stop`: the flags all-reduced;
    /// the averaged gradient is not read again when every rank's part of the sum was found
    /// finite as it was added. Returns whether the optimizer's pass must check it instead
    /// (`NonFinitePolicy.checksInOptimizerStep`: one rank, MPI's own all-reduce).
    private func takeControlFlags(loss: Float) throws -> Bool {
        flags[0] = loss.isFinite ? Double(comm.size) : Double(comm.rank)
        flags[1] = -0.0
        flags[2] = buckets.partsFinite ? 1 : 0
        try comm.allReduce(inPlace: flags, .min)
        if flags[0] < Double(comm.size) { throw BenchError.nonFiniteLoss(step: steps) }
        return flags[2] != 1
    }

    /// The optimizer step as Trainer takes it, zeroing the gradients in its pass.
    private func optimizerStep(checkingFinite: Bool) throws {
        if !checkingFinite {
            optimizer.step(model.store, learningRate: learningRate, zeroingGradients: true)
        } else if !optimizer.stepCheckingFinite(model.store, learningRate: learningRate) {
            throw BenchError.nonFiniteGradient(step: steps)
        }
    }

    /// The same step with a timestamp after every phase (the per-layer hooks are the ones the
    /// trainer already passes). `phases` gets seconds added at the indices of `Phase`.
    /// Also returns the monotonic times at which the backward computation ended (layer 0's hook,
    /// before its bucket starts) and at which `finish` returned.
    @discardableResult
    func timedStep(into phases: inout [Double]) throws -> (backwardEnd: Double, finishEnd: Double) {
        let batch = nextBatch()
        let layerCount = model.layers.count
        var stamps = [Double](repeating: 0, count: layerCount)
        let t0 = monotonicSeconds()
        let t1 = monotonicSeconds()   // (zeroing the gradients is part of the optimizer pass, as in Trainer)
        let logits = model.forward(batch.features, mode: .training) { layer, _ in stamps[layer] = monotonicSeconds() }
        for layer in 0..<layerCount { phases[Phase.forward(layer)] += stamps[layer] - (layer == 0 ? t1 : stamps[layer - 1]) }
        let forwardEnd = stamps[layerCount - 1]
        let loss = criterion.forward(logits, labels: batch.labels)
        let t2 = monotonicSeconds()
        let dy = criterion.backward(scale: 1 / Float(comm.size))
        let t3 = monotonicSeconds()
        model.backward(dy, progress: progress) { layer, _ in
            stamps[layer] = monotonicSeconds()
        }
        let t4 = monotonicSeconds()
        let exposed = try buckets.finish(communicator: comm)
        let t5 = monotonicSeconds()
        let checkInStep = try takeControlFlags(loss: loss)
        let t6 = monotonicSeconds()
        try optimizerStep(checkingFinite: checkInStep)
        let t7 = monotonicSeconds()
        steps += 1
        // backward of layer i runs from the previous hook (layer i+1's, or the loss gradient) to its own hook
        for layer in 0..<layerCount {
            let start = layer == layerCount - 1 ? t3 : stamps[layer + 1]
            phases[Phase.backward(layer)] += stamps[layer] - start
        }
        phases[Phase.bucketStarts] += t4 - stamps[0]
        phases[Phase.zeroGradients] += t1 - t0
        phases[Phase.lossForward] += t2 - forwardEnd
        phases[Phase.lossBackward] += t3 - t2
        phases[Phase.finish] += t5 - t4
        phases[Phase.exposed] += exposed
        phases[Phase.flags] += t6 - t5
        phases[Phase.optimizer] += t7 - t6
        phases[Phase.total] += t7 - t0
        return (stamps[0], t5)
    }
}

/// Indices into the phase-time array of `timedStep` (5 layers).
enum Phase {
    static let layers = 5
    static func forward(_ layer: Int) -> Int { layer }
    static func backward(_ layer: Int) -> Int { layers + layer }
    static let zeroGradients = 2 * layers
    static let lossForward = zeroGradients + 1
    static let lossBackward = zeroGradients + 2
    static let bucketStarts = zeroGradients + 3   // from layer 0's hook stamp to the end of backward (its layerFinished)
    static let finish = zeroGradients + 4
    static let exposed = zeroGradients + 5        // what finish returned (inside `finish`)
    static let flags = zeroGradients + 6
    static let optimizer = zeroGradients + 7
    static let total = zeroGradients + 8
    static let count = zeroGradients + 9

    static let layerNames = ["Dense 784→512", "ReLU 512", "Dense 512→256", "ReLU 256", "Dense 256→10"]
}

/// The eight GEMMs of one training step of the MLP, on buffers of the same shapes, run alone
/// through the same `gemm` wrapper the layers call.
final class GemmSequence {
    struct Call {
        let name: String
        let m: Int, n: Int, k: Int
        var flops: Double { 2 * Double(m) * Double(n) * Double(k) }
    }

    let x, w1, w2, w3, h1, h2, z, dz, dh2, dh1, gw1, gw2, gw3: Tensor
    let b1, b2, b3: Tensor

    /// The calls in the order a step makes them: forward 1-2-3, then per layer (last first)
    /// dW (transposeA, beta 1) and dX (not for the first layer).
    static let calls: [Call] = [
        Call(name: "fwd  x·W1ᵀ  128×512×784", m: 128, n: 512, k: 784),
        Call(name: "fwd  h1·W2ᵀ 128×256×512", m: 128, n: 256, k: 512),
        Call(name: "fwd  h2·W3ᵀ 128×10×256", m: 128, n: 10, k: 256),
        Call(name: "dW3  dzᵀ·h2 10×256×128", m: 10, n: 256, k: 128),
        Call(name: "dX   dz·W3  128×256×10", m: 128, n: 256, k: 10),
        Call(name: "dW2  dh2ᵀ·h1 256×512×128", m: 256, n: 512, k: 128),
        Call(name: "dX   dh2·W2 128×512×256", m: 128, n: 512, k: 256),
        Call(name: "dW1  dh1ᵀ·x 512×784×128", m: 512, n: 784, k: 128),
    ]
    static var flops: Double { calls.reduce(0) { $0 + $1.flops } }

    /// Every buffer is a page-aligned slice of one storage, so all of them sit on transparent huge
    /// pages (`TensorStorage` advises them for 2 MiB and more), as the model's parameters and
    /// gradients do: the reference is the best rate of these shapes, not one slowed by TLB misses
    /// that the step no longer pays (3–4 % on this VM, docs/performance.md).
    init(seed: UInt64 = 2) {
        var generator = Generator(seed: seed)
        let n = MLPWorkload.batchSize
        let shapes = [[n, 784], [512, 784], [256, 512], [10, 256], [n, 512], [n, 256], [n, 10], [n, 10], [n, 256], [n, 512],
                      [512, 784], [256, 512], [10, 256], [512], [256], [10]]
        func pageRounded(_ shape: [Int]) -> Int { (shape.reduce(1, *) + 1023) / 1024 * 1024 }
        let arena = TensorStorage(count: shapes.map(pageRounded).reduce(0, +))
        var used = 0
        var next = shapes.makeIterator()
        func zeros() -> Tensor {
            let shape = next.next()!
            defer { used += pageRounded(shape) }
            return Tensor(shape: shape, storage: arena, offset: used)
        }
        func random(_ scale: Float) -> Tensor {
            let t = zeros()
            for i in 0..<t.count { t.pointer[i] = generator.uniform(-scale, scale) }
            return t
        }
        x = random(1); w1 = random(0.05); w2 = random(0.05); w3 = random(0.1)
        h1 = zeros(); h2 = zeros(); z = zeros()
        dz = random(0.01); dh2 = random(0.01); dh1 = random(0.01)
        gw1 = zeros(); gw2 = zeros(); gw3 = zeros()
        b1 = random(0.1); b2 = random(0.1); b3 = random(0.1)
    }

    /// Runs call `index` of `calls`.
    @inline(__always)
    func run(_ index: Int) {
        switch index {
        case 0: gemm(x, w1, transposeB: true, into: h1)
        case 1: gemm(h1, w2, transposeB: true, into: h2)
        case 2: gemm(h2, w3, transposeB: true, into: z)
        case 3: gemm(dz, transposeA: true, h2, into: gw3, beta: 1)
        case 4: gemm(dz, w3, into: dh2)
        case 5: gemm(dh2, transposeA: true, h1, into: gw2, beta: 1)
        case 6: gemm(dh2, w2, into: dh1)
        default: gemm(dh1, transposeA: true, x, into: gw1, beta: 1)
        }
    }

    /// The whole sequence once.
    func runAll() {
        for index in 0..<GemmSequence.calls.count { run(index) }
    }

    /// The bias operations of the Dense layers, alone: forward adds (sger with ones) and
    /// backward column sums (sgemv with ones), in seconds for one step's worth.
    func biasOperations() -> (forward: Double, backward: Double) {
        let t0 = monotonicSeconds()
        addToEveryRow(b1.pointer, of: h1)
        addToEveryRow(b2.pointer, of: h2)
        addToEveryRow(b3.pointer, of: z)
        let t1 = monotonicSeconds()
        addColumnSums(of: dz, into: b3.pointer, alpha: 1e-6)
        addColumnSums(of: dh2, into: b2.pointer, alpha: 1e-6)
        addColumnSums(of: dh1, into: b1.pointer, alpha: 1e-6)
        let t2 = monotonicSeconds()
        return (t1 - t0, t2 - t1)
    }
}

/// The floating-point operations of one training step of the MLP at batch `n`: forward, dW for
/// all three Dense layers, dX for the second and third only (the first layer's input gradient is
/// not computed). Equals `GemmSequence.flops` for n = 128.
func stepFlops(batch n: Int = MLPWorkload.batchSize) -> Double {
    let w = MLPWorkload.widths
    let weights = zip(w.dropLast(), w.dropFirst()).map { Double($0 * $1) }
    let forward = 2 * Double(n) * weights.reduce(0, +)
    let dW = forward
    let dX = 2 * Double(n) * weights.dropFirst().reduce(0, +)
    return forward + dW + dX
}
