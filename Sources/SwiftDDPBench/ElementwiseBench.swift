// Element-wise kernels (issue 8): every activation, loss, optimizer and gradient-regularization
// kernel of the library timed against a scalar reference loop written here, one element at a
// time, and against memcpy of the same bytes (these kernels are memory bound, so copy bandwidth
// is the honest ceiling).
//
// "Scalar" means: the reference loop stores each result through a relaxed atomic store. On x86-64
// that is an ordinary `mov`, but LLVM never vectorizes a loop that contains one (neither the loop
// nor the SLP vectorizer), so the reference runs one element per iteration with scalar
// instructions: what the obvious loop costs when the compiler does not vectorize it. Reductions
// (the losses' sums) are scalar anyway: Float/Double addition is not reassociated at -O.
//
//   swiftddp-bench kernels [--reps 7] [--launches 5] [--only NAME]
import Comm
import Foundation
import NN
import Synchronization
import Tensors

enum ElementwiseBench {
    /// One kernel: the library call and its scalar reference, and the bytes one call must move.
    struct Case {
        let name: String
        let shape: String
        let elements: Int          // elements of the largest operand: the memcpy compared with
        let bytes: Int             // bytes read + written by one call (each operand once)
        let library: () -> Void
        let scalar: () -> Void
    }

    /// Runs `launches` separate processes of one launch each (the VM is noisy between launches,
    /// platform.md) and prints medians over them; one launch prints its own table and RESULT lines.
    static func run(repetitions: Int, launches: Int, only: String?) throws {
        if launches > 1 { return try runLaunches(repetitions: repetitions, launches: launches, only: only) }
        let cases = makeCases().filter { only == nil || "\($0.name) \($0.shape)".contains(only!) }
        guard !cases.isEmpty else { throw BenchError.usage("kernels: no kernel matches --only \(only!)") }
        var copyRates: [Int: Double] = [:]                                // elements → memcpy GB/s (read + write)
        for size in Set(cases.map(\.elements)) { copyRates[size] = copyRate(elements: size, repetitions: repetitions) }
        print("swiftddp-bench kernels: \(cases.count) kernels, \(repetitions) repetitions, median µs per call")
        print(pad("kernel", 28) + pad("shape", 14) + pad("scalar µs", 12, right: true) + pad("library µs", 12, right: true)
              + pad("speedup", 9, right: true) + pad("GB/s", 8, right: true) + pad("memcpy GB/s", 13, right: true))
        for kernel in cases {
            let (scalar, library) = time(kernel, repetitions: repetitions)
            let rate = Double(kernel.bytes) / library / 1e9
            let copy = copyRates[kernel.elements]!
            print(pad(kernel.name, 28) + pad(kernel.shape, 14) + pad(fmt(scalar * 1e6, 2), 12, right: true)
                  + pad(fmt(library * 1e6, 2), 12, right: true) + pad(fmt(scalar / library, 2) + "x", 9, right: true)
                  + pad(fmt(rate, 1), 8, right: true) + pad(fmt(copy, 1), 13, right: true))
            var line = ResultLine("kernels")
            line.add("kernel", kernel.name)
            line.add("shape", kernel.shape)
            line.add("scalar_us", scalar * 1e6)
            line.add("library_us", library * 1e6)
            line.add("speedup", scalar / library)
            line.add("gbps", rate)
            line.add("memcpy_gbps", copy)
            line.print()
        }
    }

    // MARK: - Timing

    /// Median seconds per call of the scalar reference and of the library kernel, measured
    /// alternately in each repetition so that noise hits both alike.
    private static func time(_ kernel: Case, repetitions: Int) -> (scalar: Double, library: Double) {
        kernel.library(); kernel.scalar()                                  // warm-up: caches, workspaces
        let calls = callsPerRepetition { kernel.library() }
        let scalarCalls = callsPerRepetition { kernel.scalar() }
        var scalar: [Double] = [], library: [Double] = []
        for _ in 0..<repetitions {
            scalar.append(seconds(calls: scalarCalls, kernel.scalar))
            library.append(seconds(calls: calls, kernel.library))
        }
        return (median(scalar), median(library))
    }

    /// Enough calls for about 10 ms.
    private static func callsPerRepetition(_ body: () -> Void) -> Int {
        let once = seconds(calls: 1, body)
        return max(1, min(100_000, Int(0.01 / max(once, 1e-9))))
    }

    private static func seconds(calls: Int, _ body: () -> Void) -> Double {
        let start = monotonicSeconds()
        for _ in 0..<calls { body() }
        return (monotonicSeconds() - start) / Double(calls)
    }

    /// memcpy of `elements` floats, in GB/s of traffic (bytes read + bytes written), median.
    private static func copyRate(elements: Int, repetitions: Int) -> Double {
        let source = UnsafeMutablePointer<Float>.allocate(capacity: elements)
        let target = UnsafeMutablePointer<Float>.allocate(capacity: elements)
        defer { source.deallocate(); target.deallocate() }
        source.initialize(repeating: 1, count: elements)
        target.initialize(repeating: 0, count: elements)
        let copy = { _ = memcpy(target, source, elements * 4) }
        copy()
        let calls = callsPerRepetition(copy)
        let times = (0..<repetitions).map { _ in seconds(calls: calls, copy) }
        return Double(2 * 4 * elements) / median(times) / 1e9
    }

    // MARK: - Several launches

    /// Runs this program `launches` times with `--launches 1` and prints, per kernel, the median
    /// over launches of each launch's median, with the range.
    private static func runLaunches(repetitions: Int, launches: Int, only: String?) throws {
        var results: [String: [String: [Double]]] = [:]                 // "kernel shape" → key → values
        var order: [String] = []
        for launch in 1...launches {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: CommandLine.arguments[0])
            process.arguments = ["kernels", "--reps", "\(repetitions)", "--launches", "1"] + (only.map { ["--only", $0] } ?? [])
            let pipe = Pipe()
            process.standardOutput = pipe
            try process.run()
            let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            guard process.terminationStatus == 0 else { throw BenchError.usage("kernels: launch \(launch) failed") }
            for line in output.split(separator: "\n") where line.hasPrefix("RESULT kernels ") {
                var fields: [String: String] = [:]
                for field in line.split(separator: " ").dropFirst(2) {
                    let parts = field.split(separator: "=", maxSplits: 1)
                    if parts.count == 2 { fields[String(parts[0])] = String(parts[1]) }
                }
                let key = "\(fields["kernel"] ?? "?") \(fields["shape"] ?? "?")"
                if results[key] == nil { order.append(key) }
                for (name, text) in fields { if let value = Double(text) { results[key, default: [:]][name, default: []].append(value) } }
            }
            FileHandle.standardError.write(Data("  launch \(launch)/\(launches) done\n".utf8))
        }
        print("swiftddp-bench kernels: median [min–max] over \(launches) launches of each launch's median over \(repetitions) repetitions")
        print(pad("kernel shape", 42) + pad("scalar µs", 24, right: true) + pad("library µs", 24, right: true)
              + pad("speedup", 10, right: true) + pad("GB/s", 8, right: true) + pad("memcpy", 8, right: true))
        for key in order {
            let values = results[key]!
            let (scalar, library) = (values["scalar_us"] ?? [], values["library_us"] ?? [])
            print(pad(key, 42) + pad(spread(scalar, digits: 2), 24, right: true) + pad(spread(library, digits: 2), 24, right: true)
                  + pad(fmt(median(values["speedup"] ?? [0]), 2) + "x", 10, right: true)
                  + pad(fmt(median(values["gbps"] ?? [0]), 1), 8, right: true)
                  + pad(fmt(median(values["memcpy_gbps"] ?? [0]), 1), 8, right: true))
            var line = ResultLine("kernels-median")
            let parts = key.split(separator: " ")
            line.add("kernel", String(parts[0]))
            line.add("shape", String(parts[1]))
            for name in ["scalar_us", "library_us", "speedup", "gbps", "memcpy_gbps"] { line.add(name, median(values[name] ?? [0])) }
            line.add("launches", Double(launches))
            line.print()
        }
    }

    private static func pad(_ text: String, _ width: Int, right: Bool = false) -> String {
        let fill = String(repeating: " ", count: max(0, width - text.count))
        return right ? fill + text : text + fill
    }

    // MARK: - The kernels

    /// Tensors whose raw pointers the references use: kept for the whole run.
    nonisolated(unsafe) private static var alive: [Any] = []

    private static func makeCases() -> [Case] {
        var generator = Generator(seed: 8)
        var cases: [Case] = []
        for shape in [[128, 512], [64, 32 * 28 * 28]] {
            cases += activationCases(shape: shape, generator: &generator)
        }
        cases += lossCases(generator: &generator)
        cases += optimizerCases(generator: &generator)
        return cases
    }

    private static func randomTensor(_ shape: [Int], _ generator: inout Generator, _ low: Float = -3, _ high: Float = 3) -> Tensor {
        let t = Tensor(zeros: shape)
        for i in 0..<t.count { t.pointer[i] = generator.uniform(low, high) }
        return t
    }

    private static func activationCases(shape: [Int], generator: inout Generator) -> [Case] {
        let x = randomTensor(shape, &generator), dy = randomTensor(shape, &generator, -1, 1)
        let y = Tensor(zeros: shape), dx = Tensor(zeros: shape)    // the references' outputs
        alive += [x, dy, y, dx]
        let n = x.count, label = shape.map(String.init).joined(separator: "x")
        let (source, upstream, out, grad) = (UnsafePointer(x.pointer), UnsafePointer(dy.pointer), y.pointer, dx.pointer)
        var cases: [Case] = []
        func add(_ name: String, _ layer: any Layer, bytes: (forward: Int, backward: Int),
                 forward: @escaping () -> Void, backward: @escaping () -> Void) {
            _ = layer.forward(x, mode: .training)
            cases.append(Case(name: name + ".forward", shape: label, elements: n, bytes: bytes.forward * n,
                              library: { _ = layer.forward(x, mode: .training) }, scalar: forward))
            cases.append(Case(name: name + ".backward", shape: label, elements: n, bytes: bytes.backward * n,
                              library: { _ = layer.backward(dy) }, scalar: backward))
        }
        // Forward reads x and writes y (8 B per element); backward reads what forward saved and dy,
        // and writes dx (12 B).
        add("ReLU", ReLU(), bytes: (8, 12),
            forward: { for i in 0..<n { storeScalar(max(source[i], 0), out + i) } },
            backward: { for i in 0..<n { let u = upstream[i]; storeScalar(out[i] > 0 ? u : 0, grad + i) } })
        let slope: Float = 0.01
        add("LeakyReLU", LeakyReLU(slope: slope), bytes: (8, 12),
            forward: { for i in 0..<n { let v = source[i]; storeScalar(v > 0 ? v : slope * v, out + i) } },
            backward: { for i in 0..<n { let u = upstream[i]; storeScalar(source[i] > 0 ? u : slope * u, grad + i) } })
        add("Sigmoid", Sigmoid(), bytes: (8, 12),
            forward: {
                for i in 0..<n {
                    let v = source[i], e = expf(-abs(v)), r = 1 / (1 + e)
                    storeScalar(v >= 0 ? r : e * r, out + i)
                }
            },
            backward: { for i in 0..<n { let s = out[i]; storeScalar(upstream[i] * s * (1 - s), grad + i) } })
        add("Tanh", Tanh(), bytes: (8, 12),
            forward: { for i in 0..<n { storeScalar(tanhf(source[i]), out + i) } },
            backward: { for i in 0..<n { let t = out[i]; storeScalar(upstream[i] * (1 - t * t), grad + i) } })
        let (k, c): (Float, Float) = (0.70710678118654752440, 0.39894228040143267794)
        add("GELU", GELU(), bytes: (8, 12),
            forward: { for i in 0..<n { let v = source[i]; storeScalar(0.5 * v * (1 + erff(v * k)), out + i) } },
            backward: {
                for i in 0..<n {
                    let v = source[i], cdf = 0.5 * (1 + erff(v * k)), pdf = c * expf(-0.5 * v * v)
                    storeScalar(upstream[i] * (cdf + v * pdf), grad + i)
                }
            })
        let row = shape.last!
        add("Softmax", Softmax(), bytes: (8, 12),
            forward: {
                for r in 0..<(n / row) { _ = scalarSoftmax(source + r * row, into: out + r * row, count: row) }
            },
            backward: {
                for r in 0..<(n / row) {
                    let (p, g, d) = (out + r * row, upstream + r * row, grad + r * row)
                    var dot: Float = 0
                    for j in 0..<row { dot += g[j] * p[j] }
                    for j in 0..<row { storeScalar(p[j] * (g[j] - dot), d + j) }
                }
            })
        return cases
    }

    private static func lossCases(generator: inout Generator) -> [Case] {
        let (rows, classes) = (128, 10)
        let n = rows * classes
        let logits = randomTensor([rows, classes], &generator)
        let targets = randomTensor([rows, classes], &generator, -1, 1)
        let probabilities = randomTensor([rows, classes], &generator, 0, 1)        // BCE targets in [0, 1]
        let labels = (0..<rows).map { _ in Int32(generator.uniform(0, Float(classes) - 0.01)) }
        let gradient = Tensor(zeros: [rows, classes]), work = Tensor(zeros: [rows, classes])
        alive += [logits, targets, probabilities, gradient, work]
        let (z, d, p) = (UnsafePointer(logits.pointer), gradient.pointer, work.pointer)
        var sink: Float = 0
        let label = "\(rows)x\(classes)"
        var cases: [Case] = []
        // forward reads z and t, backward reads them again and writes dz: 20 B per element
        func add(_ name: String, _ loss: some Loss, targets values: Tensor,
                 value: @escaping (Float, Float) -> Float, derivative: @escaping (Float, Float) -> Float) {
            let y = UnsafePointer(values.pointer)
            cases.append(Case(name: name, shape: label, elements: n, bytes: 20 * n,
                              library: { sink += loss.forward(logits, targets: .values(values)); _ = loss.backward(scale: 1) },
                              scalar: {
                                  var total: Double = 0
                                  for i in 0..<n { total += Double(value(z[i], y[i])) }
                                  sink += Float(total / Double(n))
                                  let factor = 1 / Float(n)
                                  for i in 0..<n { storeScalar(derivative(z[i], y[i]) * factor, d + i) }
                              }))
        }
        add("MeanSquaredError", MeanSquaredError(), targets: targets,
            value: { let e = $0 - $1; return e * e }, derivative: { 2 * ($0 - $1) })
        add("MeanAbsoluteError", MeanAbsoluteError(), targets: targets,
            value: { abs($0 - $1) }, derivative: { let e = $0 - $1; return e > 0 ? 1 : e < 0 ? -1 : 0 })
        let delta: Float = 1
        add("Huber", Huber(delta: delta), targets: targets,
            value: { let e = abs($0 - $1); return e <= delta ? 0.5 * e * e : delta * (e - 0.5 * delta) },
            derivative: { min(max($0 - $1, -delta), delta) })
        add("BinaryCrossEntropy", BinaryCrossEntropy(), targets: probabilities,
            value: { max($0, 0) - $0 * $1 + log1pf(expf(-abs($0))) },
            derivative: { let e = expf(-abs($0)); return ($0 >= 0 ? 1 / (1 + e) : e / (1 + e)) - $1 })
        // softmax cross-entropy: forward reads z, writes p; backward reads p, writes dz (16 B)
        let crossEntropy = SoftmaxCrossEntropy()
        cases.append(Case(name: "SoftmaxCrossEntropy", shape: label, elements: n, bytes: 16 * n,
                          library: { sink += crossEntropy.forward(logits, labels: labels); _ = crossEntropy.backward(scale: 1) },
                          scalar: {
                              var total: Double = 0
                              for r in 0..<rows {
                                  let zRow = z + r * classes
                                  let (maximum, sum) = scalarSoftmax(zRow, into: p + r * classes, count: classes)
                                  total += Double(logf(sum) - (zRow[Int(labels[r])] - maximum))
                              }
                              sink += Float(total / Double(rows))
                              let scale = 1 / Float(rows)
                              for i in 0..<n { storeScalar(p[i] * scale, d + i) }
                              for r in 0..<rows { d[r * classes + Int(labels[r])] -= scale }
                          }))
        if sink.isNaN { print("unexpected NaN loss") }                      // keeps `sink` alive
        return cases
    }

    private static func optimizerCases(generator: inout Generator) -> [Case] {
        let n = 535_818                                                       // the MLP's parameters
        let store = ParameterStore(names: ["dense.weight"], shapes: [[n]])
        alive.append(store)
        for i in 0..<n {
            store.values.buffer[i] = generator.uniform(-0.1, 0.1)
            store.gradients.buffer[i] = generator.uniform(-1e-3, 1e-3)
        }
        // The references update their own copy of p and their own state (zero at the start, as the
        // library's), so both sides move the same bytes. Never freed: they live for the whole run.
        func buffer(_ initial: UnsafeMutablePointer<Float>?) -> UnsafeMutablePointer<Float> {
            let b = UnsafeMutablePointer<Float>.allocate(capacity: n)
            if let initial { b.initialize(from: initial, count: n) } else { b.initialize(repeating: 0, count: n) }
            return b
        }
        let p = buffer(store.values.buffer.baseAddress!)
        let (velocity, m, v, rmsV, sum) = (buffer(nil), buffer(nil), buffer(nil), buffer(nil), buffer(nil))
        let g2 = buffer(store.gradients.buffer.baseAddress!)
        let g = UnsafePointer(store.gradients.buffer.baseAddress!)
        let lr: Float = 1e-6
        let label = "\(n)"
        var cases: [Case] = []
        func add(_ name: String, bytesPerParameter: Int, library: @escaping () -> Void, scalar: @escaping () -> Void) {
            cases.append(Case(name: name, shape: label, elements: n, bytes: bytesPerParameter * n, library: library, scalar: scalar))
        }
        // SGD with momentum: reads p, g, v and writes p, v (20 B per parameter)
        let sgd = SGD(parameterCount: n, momentum: 0.9)
        add("SGD(momentum)", bytesPerParameter: 20, library: { sgd.step(store, learningRate: lr) }, scalar: {
            for i in 0..<n {
                let u = 0.9 * velocity[i] + g[i]
                storeScalar(u, velocity + i)
                storeScalar(p[i] - lr * u, p + i)
            }
        })
        // Adam: reads p, g, m, v and writes p, m, v (28 B)
        let adam = Adam(parameterCount: n)
        var adamStep = 0
        add("Adam", bytesPerParameter: 28, library: { adam.step(store, learningRate: lr) }, scalar: {
            adamStep += 1
            let (b1, b2, eps): (Float, Float, Float) = (0.9, 0.999, 1e-8)
            let stepSize = lr / (1 - pow(b1, Float(adamStep))), correction2 = (1 - pow(b2, Float(adamStep))).squareRoot()
            for i in 0..<n {
                let gradient = g[i]
                let mean = m[i] + (1 - b1) * (gradient - m[i])
                let square = b2 * v[i] + (1 - b2) * gradient * gradient
                storeScalar(mean, m + i)
                storeScalar(square, v + i)
                storeScalar(p[i] - stepSize * (mean / (square.squareRoot() / correction2 + eps)), p + i)
            }
        })
        // RMSprop and AdaGrad: read p, g, v and write p, v (20 B)
        let rmsprop = RMSprop(parameterCount: n)
        add("RMSprop", bytesPerParameter: 20, library: { rmsprop.step(store, learningRate: lr) }, scalar: {
            for i in 0..<n {
                let gradient = g[i]
                let square = 0.99 * rmsV[i] + (1 - 0.99) * gradient * gradient
                storeScalar(square, rmsV + i)
                storeScalar(p[i] - lr * (gradient / (square.squareRoot() + 1e-8)), p + i)
            }
        })
        let adagrad = AdaGrad(parameterCount: n)
        add("AdaGrad", bytesPerParameter: 20, library: { adagrad.step(store, learningRate: lr) }, scalar: {
            for i in 0..<n {
                let gradient = g[i]
                let total = sum[i] + gradient * gradient
                storeScalar(total, sum + i)
                storeScalar(p[i] - lr * (gradient / (total.squareRoot() + 1e-10)), p + i)
            }
        })
        // Gradient regularization: L1 reads p and g and writes g (12 B); clipping reads and writes g (8 B).
        // Both change the gradient, so each call is followed by nothing: L1 adds ±1e-9 per call, and
        // clipping at a limit above every gradient writes the same values back.
        add("addL1Gradient", bytesPerParameter: 12, library: { store.addL1Gradient(1e-9) }, scalar: {
            for i in 0..<n {
                let value = p[i]
                storeScalar(g2[i] + (value > 0 ? 1e-9 : (value < 0 ? -1e-9 : 0)), g2 + i)
            }
        })
        add("clipGradientValues", bytesPerParameter: 8, library: { store.clipGradientValues(to: 1) }, scalar: {
            for i in 0..<n { storeScalar(min(max(g2[i], -1), 1), g2 + i) }
        })
        return cases
    }
}

/// `pointer.pointee = value` through a relaxed atomic store: a plain `mov` on x86-64, but a loop
/// containing it is never vectorized (see the top of this file).
@inline(__always)
/// The scalar reference softmax of one row: `p = exp(z − max) / Σ`, one element at a time;
/// returns the row's maximum and the sum of the exponentials (cross-entropy needs both).
private func scalarSoftmax(_ z: UnsafePointer<Float>, into p: UnsafeMutablePointer<Float>, count: Int) -> (maximum: Float, sum: Float) {
    var maximum = z[0]
    for j in 1..<count { maximum = max(maximum, z[j]) }
    var sum: Float = 0
    for j in 0..<count { let e = expf(z[j] - maximum); storeScalar(e, p + j); sum += e }
    let inverse = 1 / sum
    for j in 0..<count { storeScalar(p[j] * inverse, p + j) }
    return (maximum, sum)
}

private func storeScalar(_ value: Float, _ pointer: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(pointer).assumingMemoryBound(to: Atomic<UInt32>.self).pointee
        .store(value.bitPattern, ordering: .relaxed)
}
