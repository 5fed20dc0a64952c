// Issue 2: single-process training-step throughput of the default MLP against OpenBLAS sgemm on
// the same shapes, measured in the same process, with the time split of a step.
import Comm
import Foundation
import NN
import Tensors

enum StepBench {
    static func run(threads: Int, steps: Int, repetitions: Int, warmup: Int) throws {
        BLASRuntime.setThreads(threads)
        let workload = try MLPWorkload(comm: SingleProcessCommunicator())
        let sequence = GemmSequence()
        let flops = stepFlops()
        precondition(abs(flops - GemmSequence.flops) < 1, "step FLOPs \(flops) differ from the GEMM sequence's \(GemmSequence.flops)")
        let callCount = GemmSequence.calls.count
        let kernels = KernelBench()

        for _ in 0..<warmup {
            try workload.step()
            sequence.runAll()
        }

        var stepTimes: [Double] = []            // seconds per step, one value per repetition
        var gemmTimes: [Double] = []            // seconds per GEMM sequence
        var phaseTimes: [[Double]] = []         // per repetition: seconds per step by phase
        var callTimes: [[Double]] = []          // per repetition: seconds per call
        var biasTimes: [(forward: Double, backward: Double)] = []
        var kernelTimes: [[Double]] = []     // per repetition: seconds per call of each KernelBench kernel
        var lastLoss: Float = 0
        let accounting = CPUAccounting()
        for _ in 0..<repetitions {
            // the pieces interleave, so a noisy period hurts all of them alike
            var start = monotonicSeconds()
            for _ in 0..<steps { lastLoss = try workload.step().loss }
            stepTimes.append((monotonicSeconds() - start) / Double(steps))

            start = monotonicSeconds()
            for _ in 0..<steps { sequence.runAll() }
            gemmTimes.append((monotonicSeconds() - start) / Double(steps))

            var phases = [Double](repeating: 0, count: Phase.count)
            for _ in 0..<steps { try workload.timedStep(into: &phases) }
            phaseTimes.append(phases.map { $0 / Double(steps) })

            var calls = [Double](repeating: 0, count: callCount)
            for _ in 0..<steps {
                for index in 0..<callCount {
                    let t = monotonicSeconds()
                    sequence.run(index)
                    calls[index] += monotonicSeconds() - t
                }
            }
            callTimes.append(calls.map { $0 / Double(steps) })

            var bias = (forward: 0.0, backward: 0.0)
            for _ in 0..<steps {
                let b = sequence.biasOperations()
                bias.forward += b.forward
                bias.backward += b.backward
            }
            biasTimes.append((bias.forward / Double(steps), bias.backward / Double(steps)))

            kernelTimes.append(kernels.run(iterations: steps))
        }

        let cpu = accounting.shares(jobSeconds: accounting.selfSeconds)
        let allocations = try Memory.allocationsPerCall(steps) { try workload.step() }
        let n = Double(MLPWorkload.batchSize)
        let ratios = zip(stepTimes, gemmTimes).map { $1 / $0 }   // = step GFLOP/s ÷ GEMM GFLOP/s
        let step = median(stepTimes), gemmSequence = median(gemmTimes)
        func phase(_ index: Int) -> Double { median(phaseTimes.map { $0[index] }) }
        func call(_ index: Int) -> Double { median(callTimes.map { $0[index] }) }

        print("== training step, 1 process, OpenBLAS \(BLASRuntime.coreName), \(BLASRuntime.threads) thread(s) ==")
        print("model 784-512-256-10 ReLU, softmax CE, SGD momentum 0.9, batch \(MLPWorkload.batchSize), "
              + "\(workload.model.parameterCount) parameters; \(fmt(flops / 1e6, 1)) MFLOP per step "
              + "(fwd + dW all layers + dX layers 2,4)")
        print("\(repetitions) repetitions × \(steps) steps after \(warmup) warm-up steps; median [min–max] over repetitions; last loss \(lastLoss)")
        print("other work on the machine meanwhile: \(fmt(cpu.other, 1)) % of the cores; hypervisor steal \(fmt(cpu.steal, 1)) %")
        print("step time          \(spread(stepTimes, scale: 1e3, digits: 3)) ms")
        print("samples/s          \(spread(stepTimes.map { n / $0 }, digits: 0))")
        print("training GFLOP/s   \(spread(stepTimes.map { flops / $0 / 1e9 }, digits: 1))")
        print("GEMM-only sequence \(spread(gemmTimes, scale: 1e3, digits: 3)) ms = \(spread(gemmTimes.map { flops / $0 / 1e9 }, digits: 1)) GFLOP/s")
        print("ratio training/GEMM \(spread(ratios, scale: 100, digits: 1)) %  (target ≥ 85 %)")
        print("heap allocations per step \(fmt(allocations, 2)) (training thread; target 0); peak resident \(fmt(Memory.peakResidentMegabytes, 1)) MiB")
        print("")
        print("GEMM calls alone (each timed separately):")
        for (index, c) in GemmSequence.calls.enumerated() {
            print("  \(c.name.padding(toLength: 28, withPad: " ", startingAt: 0)) \(fmt(call(index) * 1e6, 1).leftPadded(7)) µs  "
                  + "\(fmt(c.flops / call(index) / 1e9, 1).leftPadded(6)) GFLOP/s")
        }
        let callSum = (0..<callCount).reduce(0.0) { $0 + call($1) }
        print("  sum of calls                  \(fmt(callSum * 1e6, 1).leftPadded(7)) µs")
        print("")
        print("time split of a step (timed step; median over repetitions, µs per step):")
        let total = phase(Phase.total)
        func line(_ name: String, _ seconds: Double, _ note: String = "") {
            print("  \(name.padding(toLength: 34, withPad: " ", startingAt: 0)) \(fmt(seconds * 1e6, 1).leftPadded(8))  "
                  + "\(fmt(100 * seconds / total, 1).leftPadded(5)) %  \(note)")
        }
        line("zero gradients (memset 2.1 MB)", phase(Phase.zeroGradients))
        let forwardGemm = [0, 1, 2], backwardGemm = [[7], [], [5, 6], [], [3, 4]]
        for layer in 0..<Phase.layers {
            let name = "forward  " + Phase.layerNames[layer]
            if layer % 2 == 0 {
                let g = call(forwardGemm[layer / 2])
                line(name, phase(Phase.forward(layer)), "gemm \(fmt(g * 1e6, 1)) µs, rest \(fmt((phase(Phase.forward(layer)) - g) * 1e6, 1)) µs")
            } else {
                line(name, phase(Phase.forward(layer)))
            }
        }
        line("loss forward (softmax CE)", phase(Phase.lossForward))
        line("loss backward", phase(Phase.lossBackward))
        for layer in (0..<Phase.layers).reversed() {
            let name = "backward " + Phase.layerNames[layer]
            if layer % 2 == 0 {
                let g = backwardGemm[layer].reduce(0.0) { $0 + call($1) }
                line(name, phase(Phase.backward(layer)), "gemm \(fmt(g * 1e6, 1)) µs, rest \(fmt((phase(Phase.backward(layer)) - g) * 1e6, 1)) µs")
            } else {
                line(name, phase(Phase.backward(layer)))
            }
        }
        line("buckets.finish + flags allReduce, gradient check", phase(Phase.finish) + phase(Phase.flags) + phase(Phase.bucketStarts))
        line("optimizer (SGD momentum)", phase(Phase.optimizer))
        line("total (timed step)", total)
        let nonGemm = total - callSum
        line("  of which GEMM (calls alone)", callSum)
        line("  of which everything else", nonGemm)
        let bias = (forward: median(biasTimes.map(\.forward)), backward: median(biasTimes.map(\.backward)))
        print("  bias alone: forward sger ×3 \(fmt(bias.forward * 1e6, 1)) µs, backward sgemv ×3 \(fmt(bias.backward * 1e6, 1)) µs")
        print("")
        print("non-GEMM kernels alone (µs per call, median over repetitions):")
        func kernel(_ index: Int) -> Double { median(kernelTimes.map { $0[index] }) }
        for (index, name) in KernelBench.names.enumerated() {
            print("  \(name.padding(toLength: 56, withPad: " ", startingAt: 0)) \(fmt(kernel(index) * 1e6, 1).leftPadded(8))")
        }

        var result = ResultLine("step")
        result.add("threads", Double(BLASRuntime.threads))
        result.add("other_pct", cpu.other)
        result.add("steal_pct", cpu.steal)
        result.add("step_ms", step * 1e3)
        result.add("samples_per_s", n / step)
        result.add("train_gflops", flops / step / 1e9)
        result.add("gemm_seq_ms", gemmSequence * 1e3)
        result.add("gemm_gflops", flops / gemmSequence / 1e9)
        result.add("ratio_pct", 100 * median(ratios))
        result.add("allocs_per_step", allocations)
        result.add("peak_rss_mb", Memory.peakResidentMegabytes)
        result.add("gemm_calls_us", callSum * 1e6)
        result.add("timed_step_us", total * 1e6)
        result.add("zero_us", phase(Phase.zeroGradients) * 1e6)
        result.add("relu_fwd_us", (phase(Phase.forward(1)) + phase(Phase.forward(3))) * 1e6)
        result.add("relu_bwd_us", (phase(Phase.backward(1)) + phase(Phase.backward(3))) * 1e6)
        result.add("dense_fwd_us", (phase(Phase.forward(0)) + phase(Phase.forward(2)) + phase(Phase.forward(4))) * 1e6)
        result.add("dense_bwd_us", (phase(Phase.backward(0)) + phase(Phase.backward(2)) + phase(Phase.backward(4))) * 1e6)
        result.add("loss_us", (phase(Phase.lossForward) + phase(Phase.lossBackward)) * 1e6)
        result.add("finish_us", (phase(Phase.finish) + phase(Phase.flags) + phase(Phase.bucketStarts)) * 1e6)
        result.add("sgd_us", phase(Phase.optimizer) * 1e6)
        result.add("bias_fwd_us", bias.forward * 1e6)
        result.add("bias_bwd_us", bias.backward * 1e6)
        for index in 0..<callCount { result.add("gemm\(index)_us", call(index) * 1e6) }
        let kernelKeys = ["relu_bwd_mixed_us", "relu_bwd_positive_us", "relu_bwd_simd_us", "relu_bwd_hoisted_us", "relu_fwd_alone_us",
                          "sgd_alone_us", "axpby_us", "axpy_us", "sgd_simd_us", "scal_axpy_us", "memset_us", "scale_us",
                          "sgd_zeroing_us", "sgd_checking_us", "all_finite_us"]
        for (index, key) in kernelKeys.enumerated() { result.add(key, kernel(index) * 1e6) }
        result.print()
    }
}

extension String {
    func leftPadded(_ width: Int) -> String {
        count >= width ? self : String(repeating: " ", count: width - count) + self
    }
}
