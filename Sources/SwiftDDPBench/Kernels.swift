// The non-GEMM parts of a step timed alone, next to reference kernels written here, so the
// report can say what each part costs and what a better kernel would cost (measured, not guessed).
import Comm
import NN
import Tensors

final class KernelBench {
    /// Names in report order; `run` returns seconds per call for each.
    static let names = [
        "ReLU.backward [128,512], 50 % positive (as in training)",
        "ReLU.backward [128,512], all positive",
        "reference: branch-free SIMD ReLU backward [128,512]",
        "reference: ReLU.backward's loop, load hoisted [128,512]",
        "ReLU.forward [128,512]",
        "SGD.step (one fused pass, 535,818 floats)",
        "  axpby alone (v = g + μv)",
        "  axpy alone (p −= lr·v)",
        "reference: fused SIMD momentum step, one pass",
        "reference: sscal + saxpy instead of saxpby",
        "zeroGradients (memset 2.1 MB)",
        "1/N scaling loop of buckets.finish (535,818 floats)",
        "SGD.step zeroing the gradients (as in training)",
        "SGD.stepCheckingFinite (the same, probing for NaN, ±∞)",
        "allFinite alone (sdot; the check the probe replaces)",
    ]

    private let reluMixed = ReLU(), reluPositive = ReLU()
    private let mixedInput: Tensor, positiveInput: Tensor, upstream: Tensor, referenceOut: Tensor
    private let store: ParameterStore
    private let optimizer: SGD
    private let velocity: UnsafeMutableBufferPointer<Float>

    init() {
        var generator = Generator(seed: 3)
        mixedInput = Tensor(zeros: [128, 512]); positiveInput = Tensor(zeros: [128, 512])
        upstream = Tensor(zeros: [128, 512]); referenceOut = Tensor(zeros: [128, 512])
        for i in 0..<mixedInput.count {
            mixedInput.pointer[i] = generator.uniform(-1, 1)
            positiveInput.pointer[i] = generator.uniform(0.1, 1)
            upstream.pointer[i] = generator.uniform(-1, 1)
        }
        store = ParameterStore(names: ["w"], shapes: [[535_818]])
        for i in 0..<store.count {
            store.values.buffer[i] = generator.uniform(-0.1, 0.1)
            store.gradients.buffer[i] = generator.uniform(-1e-3, 1e-3)
        }
        optimizer = SGD(parameterCount: store.count, momentum: 0.9)
        velocity = .allocate(capacity: store.count)
        velocity.initialize(repeating: 0)
    }

    deinit { velocity.deallocate() }

    /// Seconds per call of each kernel in `names`, averaged over `iterations` calls.
    func run(iterations: Int) -> [Double] {
        var seconds = [Double](repeating: 0, count: KernelBench.names.count)
        let mixedMask = reluMixed.forward(mixedInput, mode: .training)
        _ = reluPositive.forward(positiveInput, mode: .training)
        let n = store.count
        let p = store.values.buffer.baseAddress!, g = store.gradients.buffer.baseAddress!
        let v = optimizer.velocity.buffer.baseAddress!
        for _ in 0..<iterations {
            var t = monotonicSeconds()
            func lap(_ index: Int) {
                let now = monotonicSeconds()
                seconds[index] += now - t
                t = now
            }
            _ = reluMixed.backward(upstream); lap(0)
            _ = reluPositive.backward(upstream); lap(1)
            reluBackwardSIMD(mask: mixedMask.pointer, upstream: upstream.pointer, into: referenceOut.pointer, count: mixedMask.count); lap(2)
            reluBackwardHoisted(mask: mixedMask.pointer, upstream: upstream.pointer, into: referenceOut.pointer, count: mixedMask.count); lap(3)
            _ = reluMixed.forward(mixedInput, mode: .training); lap(4)
            optimizer.step(store, learningRate: 1e-6); lap(5)
            axpby(count: n, alpha: 1, x: g, beta: 0.9, y: v); lap(6)
            axpy(count: n, alpha: -1e-6, x: v, y: p); lap(7)
            momentumStepSIMD(p: p, g: g, v: velocity.baseAddress!, count: n, momentum: 0.9, learningRate: 1e-6); lap(8)
            scale(count: n, alpha: 0.9, x: v)
            axpy(count: n, alpha: 1, x: g, y: v); lap(9)
            store.zeroGradients(); lap(10)
            let values = store.gradients.buffer   // the loop GradientBuckets.finish runs
            let inverse: Float = 0.5
            for i in values.indices { values[i] *= inverse }
            lap(11)
            store.gradients.buffer.update(repeating: 1e-4)   // keep the gradient non-zero for the SGD work
            t = monotonicSeconds()
            optimizer.step(store, learningRate: 1e-6, zeroingGradients: true); lap(12)
            store.gradients.buffer.update(repeating: 1e-4)
            t = monotonicSeconds()
            precondition(optimizer.stepCheckingFinite(store, learningRate: 1e-6)); lap(13)
            store.gradients.buffer.update(repeating: 1e-4)
            t = monotonicSeconds()
            precondition(allFinite(store.gradients.buffer)); lap(14)
        }
        return seconds.map { $0 / Double(iterations) }
    }
}

/// dx = dy where y > 0, else 0, sixteen lanes at a time with a select instead of a branch.
func reluBackwardSIMD(mask: UnsafePointer<Float>, upstream: UnsafePointer<Float>, into target: UnsafeMutablePointer<Float>, count: Int) {
    var i = 0
    while i + 16 <= count {
        let m = UnsafeRawPointer(mask + i).loadUnaligned(as: SIMD16<Float>.self)
        let u = UnsafeRawPointer(upstream + i).loadUnaligned(as: SIMD16<Float>.self)
        UnsafeMutableRawPointer(target + i).storeBytes(of: u.replacing(with: 0, where: m .<= 0), as: SIMD16<Float>.self)
        i += 16
    }
    while i < count {
        target[i] = mask[i] > 0 ? upstream[i] : 0
        i += 1
    }
}

/// ReLU.backward's loop with the upstream load taken out of the condition, so the compiler can use
/// a select instead of a branch.
func reluBackwardHoisted(mask: UnsafePointer<Float>, upstream: UnsafePointer<Float>, into target: UnsafeMutablePointer<Float>, count: Int) {
    for i in 0..<count {
        let u = upstream[i]
        target[i] = mask[i] > 0 ? u : 0
    }
}

/// v = g + μ·v; p −= lr·v in one pass over the three buffers (what SGD.step does in two BLAS calls).
func momentumStepSIMD(p: UnsafeMutablePointer<Float>, g: UnsafePointer<Float>, v: UnsafeMutablePointer<Float>,
                      count: Int, momentum: Float, learningRate: Float) {
    var i = 0
    let mu = SIMD16<Float>(repeating: momentum), lr = SIMD16<Float>(repeating: learningRate)
    while i + 16 <= count {
        let gi = UnsafeRawPointer(g + i).loadUnaligned(as: SIMD16<Float>.self)
        var vi = UnsafeRawPointer(v + i).loadUnaligned(as: SIMD16<Float>.self)
        var pi = UnsafeRawPointer(p + i).loadUnaligned(as: SIMD16<Float>.self)
        vi = gi + mu * vi
        pi = pi - lr * vi
        UnsafeMutableRawPointer(v + i).storeBytes(of: vi, as: SIMD16<Float>.self)
        UnsafeMutableRawPointer(p + i).storeBytes(of: pi, as: SIMD16<Float>.self)
        i += 16
    }
    while i < count {
        v[i] = g[i] + momentum * v[i]
        p[i] -= learningRate * v[i]
        i += 1
    }
}
