// Issue 4: the CNN of launch/configs/fashion-mnist-cnn.yaml, one process: samples/s of its
// training step, and the achieved GFLOP/s of each conv and dense layer (forward + backward, FLOPs
// counted analytically) against cblas_sgemm on the same GEMM shapes, measured in the same run.
import Comm
import Foundation
import NN
import Tensors

enum CNNBench {
    /// One sgemm call of a layer's forward or backward, as the layer issues it (row-major,
    /// C[m, n] = op(A) · op(B), inner dimension k), made `count` times with the operands
    /// advanced by the given strides each time (0: the same matrix, e.g. the weight).
    struct Call {
        let m: Int, n: Int, k: Int
        var transposeA = false, transposeB = false
        var beta: Float = 0
        var count = 1
        var strides = (a: 0, b: 0, c: 0)
        var flops: Double { 2 * Double(m) * Double(n) * Double(k) * Double(count) }
        var shape: String { "\(count > 1 ? "\(count)× " : "")\(m)×\(n)×\(k)" }
    }

    /// A layer with parameters, the sgemm calls its forward and backward make, and buffers of
    /// those shapes to run the calls alone.
    final class Timed {
        let name: String
        let index: Int                   // in the model
        let calls: [Call]
        private let operands: [(a: TensorStorage, b: TensorStorage, c: TensorStorage)]
        var flops: Double { calls.reduce(0) { $0 + $1.flops } }

        init(name: String, index: Int, calls: [Call], generator: inout Generator) {
            self.name = name
            self.index = index
            self.calls = calls
            func random(_ count: Int) -> TensorStorage {
                let t = TensorStorage(count: count)
                for i in 0..<count { t.buffer[i] = generator.uniform(-0.1, 0.1) }
                return t
            }
            operands = calls.map { c in
                (random((c.count - 1) * c.strides.a + c.m * c.k), random((c.count - 1) * c.strides.b + c.k * c.n),
                 random((c.count - 1) * c.strides.c + c.m * c.n))
            }
        }

        /// Runs the layer's sgemm calls once, through the same wrapper the layers call.
        func runCalls() {
            for (call, o) in zip(calls, operands) {
                for i in 0..<call.count {
                    gemm(Tensor(shape: call.transposeA ? [call.k, call.m] : [call.m, call.k], storage: o.a, offset: i * call.strides.a),
                         transposeA: call.transposeA,
                         Tensor(shape: call.transposeB ? [call.n, call.k] : [call.k, call.n], storage: o.b, offset: i * call.strides.b),
                         transposeB: call.transposeB,
                         into: Tensor(shape: [call.m, call.n], storage: o.c, offset: i * call.strides.c), beta: call.beta)
                }
            }
        }
    }

    /// The calls of Conv2D, one per sample (F filters, R = C·k·k column rows, P = Ho·Wo positions;
    /// Conv2D.swift): forward W · X̂ₙ, backward dW += dyₙ · X̂ₙᵀ and, except for the first layer,
    /// Wᵀ · dyₙ. With `batched`, the same products as one GEMM each over the batch's
    /// (R, N·P) column matrix: what a whole-batch lowering would hand to sgemm.
    static func convCalls(filters f: Int, geometry g: ConvGeometry, batch: Int, first: Bool, batched: Bool = false) -> [Call] {
        let (r, p) = (g.columnRows, g.columnCount)
        if batched {
            var calls = [Call(m: f, n: batch * p, k: r), Call(m: f, n: r, k: batch * p, transposeB: true, beta: 1)]
            if !first { calls.append(Call(m: r, n: batch * p, k: f, transposeA: true)) }
            return calls
        }
        var calls = [Call(m: f, n: p, k: r, count: batch, strides: (0, r * p, f * p)),
                     Call(m: f, n: r, k: p, transposeB: true, beta: 1, count: batch, strides: (f * p, r * p, 0))]
        if !first { calls.append(Call(m: r, n: p, k: f, transposeA: true, count: batch, strides: (0, f * p, 0))) }
        return calls
    }

    /// The calls of Dense (in → out, batch N): x · Wᵀ, dyᵀ · x and dy · W.
    static func denseCalls(inputs: Int, units: Int, batch: Int) -> [Call] {
        [Call(m: batch, n: units, k: inputs, transposeB: true),
         Call(m: units, n: inputs, k: batch, transposeA: true, beta: 1),
         Call(m: batch, n: inputs, k: units)]
    }

    static func run(threads: Int, steps: Int, repetitions: Int, warmup: Int, batch: Int, padding: Int) throws {
        BLASRuntime.setThreads(threads)
        // launch/configs/fashion-mnist-cnn.yaml; `padding` 2 is the "same" variant
        let model = try Sequential([
            Conv2D(filters: 32, kernelSize: 5, padding: padding), ReLU(), MaxPool2D(poolSize: 2),
            Conv2D(filters: 64, kernelSize: 5, padding: padding), ReLU(), MaxPool2D(poolSize: 2),
            Flatten(), Dense(units: 128), ReLU(), Dense(units: 10, weightInitializer: .xavierUniform),
        ], inputShape: [1, 28, 28])
        model.initializeParameters(seed: 1)
        let criterion = SoftmaxCrossEntropy()
        let optimizer = Adam(parameterCount: model.parameterCount)
        var generator = Generator(seed: 1, keys: [0xC22])
        let inputs = (0..<4).map { _ in
            let x = Tensor(zeros: [batch, 1, 28, 28])
            for i in 0..<x.count { x.pointer[i] = generator.normal() }
            return (x, (0..<batch).map { _ in Int32(generator.nextInt(below: 10)) })
        }
        var next = 0
        func step() -> Float {
            let (x, labels) = inputs[next]
            next = (next + 1) % inputs.count
            model.store.zeroGradients()
            let loss = criterion.forward(model.forward(x, mode: .training), labels: labels)
            model.backward(criterion.backward(scale: 1), progress: nil) { _, _ in }   // as Trainer with 1 rank
            optimizer.step(model.store, learningRate: 1e-3)
            return loss
        }

        // the layers with parameters, their inputs and output gradients captured from a real step
        let g1 = ConvGeometry(channels: 1, height: 28, width: 28, kernel: 5, padding: padding)
        let side = g1.outputHeight / 2
        let g2 = ConvGeometry(channels: 32, height: side, width: side, kernel: 5, padding: padding)
        let flat = 64 * (g2.outputHeight / 2) * (g2.outputWidth / 2)
        let timed = [
            Timed(name: "conv1 5×5 1→32", index: 0, calls: convCalls(filters: 32, geometry: g1, batch: batch, first: true), generator: &generator),
            Timed(name: "conv2 5×5 32→64", index: 3, calls: convCalls(filters: 64, geometry: g2, batch: batch, first: false), generator: &generator),
            Timed(name: "dense \(flat)→128", index: 7, calls: denseCalls(inputs: flat, units: 128, batch: batch), generator: &generator),
            Timed(name: "dense 128→10", index: 9, calls: denseCalls(inputs: 128, units: 10, batch: batch), generator: &generator),
        ]
        // for comparison: the conv products as one GEMM each over the whole batch
        let batchedConvs = [
            Timed(name: "conv1 batched", index: 0, calls: convCalls(filters: 32, geometry: g1, batch: batch, first: true, batched: true), generator: &generator),
            Timed(name: "conv2 batched", index: 3, calls: convCalls(filters: 64, geometry: g2, batch: batch, first: false, batched: true), generator: &generator),
        ]
        var layerInputs: [Tensor] = [inputs[0].0.copy()]
        _ = model.forward(inputs[0].0, mode: .training) { _, output in layerInputs.append(output.copy()) }
        let gradients = timed.map { t -> Tensor in
            let y = Tensor(zeros: layerInputs[t.index + 1].shape)
            for i in 0..<y.count { y.pointer[i] = generator.uniform(-1e-3, 1e-3) }
            return y
        }
        func runLayer(_ t: Timed, _ dy: Tensor) {
            let layer = model.layers[t.index]
            _ = layer.forward(layerInputs[t.index], mode: .training)
            if t.index == 0 { layer.accumulateParameterGradients(dy, progress: nil) } else { _ = layer.backward(dy, progress: nil) }
        }

        for _ in 0..<warmup { _ = step() }
        // wall-clock seconds, and this process's CPU seconds for the same blocks: with 1 thread the
        // CPU time leaves out the time other processes held the core (platform.md: a shared VM)
        var stepTimes: [Double] = [], stepCPU: [Double] = []
        var layerTimes: [[Double]] = [], gemmTimes: [[Double]] = []      // per repetition, per timed layer: seconds per pass
        var layerCPU: [[Double]] = [], gemmCPU: [[Double]] = []
        var batchedTimes: [[Double]] = [], batchedCPU: [[Double]] = []    // per repetition, per batchedConvs entry
        var phaseTimes: [[Double]] = []                                   // per repetition: forward and backward of every layer
        var lastLoss: Float = 0
        let accounting = CPUAccounting()
        let layerCount = model.layers.count
        for _ in 0..<repetitions {
            // interleaved, so a noisy period hurts every piece alike
            var (wall, cpu) = measure(steps) { lastLoss = step() }
            stepTimes.append(wall)
            stepCPU.append(cpu)
            var layers: [Double] = [], gemms: [Double] = [], layersCPU: [Double] = [], gemmsCPU: [Double] = []
            for (t, dy) in zip(timed, gradients) {
                (wall, cpu) = measure(steps) { runLayer(t, dy) }
                layers.append(wall)
                layersCPU.append(cpu)
                (wall, cpu) = measure(steps) { t.runCalls() }
                gemms.append(wall)
                gemmsCPU.append(cpu)
            }
            layerTimes.append(layers)
            gemmTimes.append(gemms)
            layerCPU.append(layersCPU)
            gemmCPU.append(gemmsCPU)
            let batchedRuns = batchedConvs.map { t in measure(steps) { t.runCalls() } }
            batchedTimes.append(batchedRuns.map(\.wall))
            batchedCPU.append(batchedRuns.map(\.cpu))
            var phases = [Double](repeating: 0, count: 2 * layerCount)   // CPU seconds: robust on a busy machine
            for _ in 0..<steps {
                var stamps = [Double](repeating: 0, count: layerCount)
                let (x, labels) = inputs[0]
                model.store.zeroGradients()
                let t0 = cpuSeconds()
                let logits = model.forward(x, mode: .training) { layer, _ in stamps[layer] = cpuSeconds() }
                for layer in 0..<layerCount { phases[layer] += stamps[layer] - (layer == 0 ? t0 : stamps[layer - 1]) }
                _ = criterion.forward(logits, labels: labels)
                let dy = criterion.backward(scale: 1)
                let t1 = cpuSeconds()
                model.backward(dy, progress: nil) { layer, _ in stamps[layer] = cpuSeconds() }
                for layer in 0..<layerCount {
                    phases[layerCount + layer] += stamps[layer] - (layer == layerCount - 1 ? t1 : stamps[layer + 1])
                }
            }
            phaseTimes.append(phases.map { $0 / Double(steps) })
        }

        let cpu = accounting.shares(jobSeconds: accounting.selfSeconds)
        let stepTime = median(stepTimes)
        func layerTime(_ i: Int) -> Double { median(layerTimes.map { $0[i] }) }
        func gemmTime(_ i: Int) -> Double { median(gemmTimes.map { $0[i] }) }
        func ratio(_ i: Int) -> Double { median(zip(layerTimes, gemmTimes).map { $1[i] / $0[i] }) }
        let totalFlops = timed.reduce(0) { $0 + $1.flops }
        let totalRatio = median(zip(layerTimes, gemmTimes).map { $1.reduce(0, +) / $0.reduce(0, +) })
        func cpuRatio(_ i: Int) -> Double { median(zip(layerCPU, gemmCPU).map { $1[i] / $0[i] }) }
        let totalCPURatio = median(zip(layerCPU, gemmCPU).map { $1.reduce(0, +) / $0.reduce(0, +) })
        let layerCPUSum = (0..<timed.count).reduce(0.0) { i, l in i + median(layerCPU.map { $0[l] }) }
        let gemmCPUSum = (0..<timed.count).reduce(0.0) { i, l in i + median(gemmCPU.map { $0[l] }) }

        print("== CNN training step, 1 process, OpenBLAS \(BLASRuntime.coreName), \(BLASRuntime.threads) thread(s) ==")
        print("model conv 5×5 32 (padding \(padding)) → ReLU → max-pool 2 → conv 5×5 64 → ReLU → max-pool 2 → dense 128 → ReLU → dense 10; "
              + "Adam; batch \(batch); \(model.parameterCount) parameters")
        print("\(repetitions) repetitions × \(steps) steps after \(warmup) warm-up steps; median [min–max] over repetitions; last loss \(lastLoss)")
        print("other work on the machine meanwhile: \(fmt(cpu.other, 1)) % of the cores; hypervisor steal \(fmt(cpu.steal, 1)) %")
        print("step time          \(spread(stepTimes, scale: 1e3, digits: 2)) ms")
        print("samples/s          \(spread(stepTimes.map { Double(batch) / $0 }, digits: 0))")
        print("")
        print("layer forward + backward (as in training) against its sgemm calls alone, same shapes:")
        print("  layer                 MFLOP   layer ms  GFLOP/s   sgemm ms  GFLOP/s   layer/sgemm   sgemm calls (m×n×k)")
        for (i, t) in timed.enumerated() {
            let shapes = t.calls.map(\.shape).joined(separator: ", ")
            print("  \(t.name.padding(toLength: 20, withPad: " ", startingAt: 0)) \(fmt(t.flops / 1e6, 1).leftPadded(7)) "
                  + "\(fmt(layerTime(i) * 1e3, 3).leftPadded(9)) \(fmt(t.flops / layerTime(i) / 1e9, 1).leftPadded(8)) "
                  + "\(fmt(gemmTime(i) * 1e3, 3).leftPadded(10)) \(fmt(t.flops / gemmTime(i) / 1e9, 1).leftPadded(8)) "
                  + "\(fmt(100 * ratio(i), 1).leftPadded(11)) %   \(shapes)")
        }
        let layerSum = (0..<timed.count).reduce(0.0) { $0 + layerTime($1) }, gemmSum = (0..<timed.count).reduce(0.0) { $0 + gemmTime($1) }
        print("  all four              \(fmt(totalFlops / 1e6, 1).leftPadded(7)) \(fmt(layerSum * 1e3, 3).leftPadded(9)) "
              + "\(fmt(totalFlops / layerSum / 1e9, 1).leftPadded(8)) \(fmt(gemmSum * 1e3, 3).leftPadded(10)) "
              + "\(fmt(totalFlops / gemmSum / 1e9, 1).leftPadded(8)) \(fmt(100 * totalRatio, 1).leftPadded(11)) %   (target ≥ 60 %)")
        print("  whole step: \(fmt(totalFlops / stepTime / 1e9, 1)) GFLOP/s of conv + dense work")
        print("  by CPU time instead of wall time: samples/s \(fmt(Double(batch) / median(stepCPU), 0)); conv + dense "
              + "\(fmt(totalFlops / layerCPUSum / 1e9, 1)) GFLOP/s against sgemm \(fmt(totalFlops / gemmCPUSum / 1e9, 1)), "
              + "\(fmt(100 * totalCPURatio, 1)) %; per layer \((0..<timed.count).map { fmt(100 * cpuRatio($0), 1) + " %" }.joined(separator: ", "))")
        print("  (CPU time counts every thread of this process; with 1 thread it leaves out the time the core ran other work)")
        for (i, t) in batchedConvs.enumerated() {
            let wall = median(batchedTimes.map { $0[i] }), cpu = median(batchedCPU.map { $0[i] })
            print("  for comparison, \(t.name) as one sgemm per product (\(t.calls.map(\.shape).joined(separator: ", "))): "
                  + "\(fmt(t.flops / wall / 1e9, 1)) GFLOP/s (by CPU time \(fmt(t.flops / cpu / 1e9, 1)))")
        }
        print("")
        print("time split of a step (process CPU µs, median over repetitions; with 2 threads both threads' time):")
        let names = model.layers.map(\.summary)
        for layer in 0..<layerCount {
            let forward = median(phaseTimes.map { $0[layer] }), backward = median(phaseTimes.map { $0[layerCount + layer] })
            print("  \(names[layer].padding(toLength: 52, withPad: " ", startingAt: 0)) forward \(fmt(forward * 1e6, 0).leftPadded(7))  "
                  + "backward \(fmt(backward * 1e6, 0).leftPadded(7))")
        }

        var result = ResultLine("cnn")
        result.add("threads", Double(BLASRuntime.threads))
        result.add("padding", Double(padding))
        result.add("batch", Double(batch))
        result.add("other_pct", cpu.other)
        result.add("steal_pct", cpu.steal)
        result.add("step_ms", stepTime * 1e3)
        result.add("samples_per_s", Double(batch) / stepTime)
        for (i, key) in ["conv1", "conv2", "dense1", "dense2"].enumerated() {
            result.add("\(key)_gflops", timed[i].flops / layerTime(i) / 1e9)
            result.add("\(key)_gemm_gflops", timed[i].flops / gemmTime(i) / 1e9)
            result.add("\(key)_pct", 100 * ratio(i))
        }
        result.add("layers_gflops", totalFlops / layerSum / 1e9)
        result.add("layers_gemm_gflops", totalFlops / gemmSum / 1e9)
        result.add("layers_pct", 100 * totalRatio)
        // the whole training step's conv + dense GFLOP/s against the sgemm calls alone (issue 8, done-when 2)
        result.add("step_gflops", totalFlops / stepTime / 1e9)
        result.add("step_pct", 100 * median(zip(stepTimes, gemmTimes).map { $1.reduce(0, +) / $0 }))
        result.add("cpu_samples_per_s", Double(batch) / median(stepCPU))
        result.add("cpu_layers_gflops", totalFlops / layerCPUSum / 1e9)
        result.add("cpu_layers_gemm_gflops", totalFlops / gemmCPUSum / 1e9)
        result.add("cpu_layers_pct", 100 * totalCPURatio)
        for (i, key) in ["conv1", "conv2", "dense1", "dense2"].enumerated() { result.add("cpu_\(key)_pct", 100 * cpuRatio(i)) }
        for (i, key) in ["conv1", "conv2"].enumerated() {
            result.add("\(key)_batched_gemm_gflops", batchedConvs[i].flops / median(batchedTimes.map { $0[i] }) / 1e9)
            result.add("cpu_\(key)_batched_gemm_gflops", batchedConvs[i].flops / median(batchedCPU.map { $0[i] }) / 1e9)
            result.add("cpu_\(key)_gflops", timed[i].flops / median(layerCPU.map { $0[i] }) / 1e9)
            result.add("cpu_\(key)_gemm_gflops", timed[i].flops / median(gemmCPU.map { $0[i] }) / 1e9)
        }
        for layer in 0..<layerCount {
            result.add("cpu_fwd\(layer)_us", median(phaseTimes.map { $0[layer] }) * 1e6)
            result.add("cpu_bwd\(layer)_us", median(phaseTimes.map { $0[layerCount + layer] }) * 1e6)
        }
        result.print()
    }

    /// Runs `body` `count` times; wall-clock and process CPU seconds per run.
    private static func measure(_ count: Int, _ body: () -> Void) -> (wall: Double, cpu: Double) {
        let (wall, cpu) = (monotonicSeconds(), cpuSeconds())
        for _ in 0..<count { body() }
        return ((monotonicSeconds() - wall) / Double(count), (cpuSeconds() - cpu) / Double(count))
    }

    private static func cpuSeconds() -> Double {
        var now = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now)
        return Double(now.tv_sec) + Double(now.tv_nsec) * 1e-9
    }
}
