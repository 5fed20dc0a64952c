import NN
import Tensors
import TestSupport
import Testing

/// The textbook six-loop convolution, the reference for Conv2D's im2col + sgemm path.
/// x (N, C, H, W), w (F, C, k, k) flattened, b (F) → y (N, F, Ho, Wo).
private func directConvolution(_ x: [Float], n: Int, c: Int, h: Int, w: Int, weight: [Float], bias: [Float],
                               filters: Int, k: Int, stride: Int, padding: Int) -> [Float] {
    let ho = (h + 2 * padding - k) / stride + 1, wo = (w + 2 * padding - k) / stride + 1
    var y = [Float](repeating: 0, count: n * filters * ho * wo)
    for s in 0..<n {
        for f in 0..<filters {
            for oh in 0..<ho {
                for ow in 0..<wo {
                    var sum = Double(bias[f])
                    for ch in 0..<c {
                        for i in 0..<k {
                            for j in 0..<k {
                                let ih = oh * stride - padding + i, iw = ow * stride - padding + j
                                guard ih >= 0, ih < h, iw >= 0, iw < w else { continue }
                                sum += Double(weight[((f * c + ch) * k + i) * k + j]) * Double(x[((s * c + ch) * h + ih) * w + iw])
                            }
                        }
                    }
                    y[((s * filters + f) * ho + oh) * wo + ow] = Float(sum)
                }
            }
        }
    }
    return y
}

struct ConvolutionTests {
    @Test func forwardOnHandNumbers() throws {
        let layer = Conv2D(filters: 1, kernelSize: 2)
        let model = try Sequential([layer], inputShape: [1, 3, 3])
        setParameters(model, [[1, 2, 3, 4], [0.5]])
        let x = Tensor(shape: [1, 1, 3, 3], values: [1, 2, 3, 4, 5, 6, 7, 8, 9])
        let y = layer.forward(x, mode: .training)
        // y[0,0] = 1·1 + 2·2 + 3·4 + 4·5 + 0.5, and so on, window by window
        #expect(y.shape == [1, 1, 2, 2])
        #expect(y.toArray() == [37.5, 47.5, 67.5, 77.5])
        #expect(y.toArray() == directConvolution(x.toArray(), n: 1, c: 1, h: 3, w: 3, weight: [1, 2, 3, 4], bias: [0.5],
                                                 filters: 1, k: 2, stride: 1, padding: 0))
    }

    @Test func forwardWithPaddingAndStrideMatchesDirectConvolution() throws {
        // one channel 3×3, 2×2 kernel, padding 1, stride 2 → 2×2 output
        let layer = Conv2D(filters: 1, kernelSize: 2, stride: 2, padding: 1)
        let model = try Sequential([layer], inputShape: [1, 3, 3])
        setParameters(model, [[1, 2, 3, 4], [-1]])
        let x = Tensor(shape: [1, 1, 3, 3], values: [1, 2, 3, 4, 5, 6, 7, 8, 9])
        let y = layer.forward(x, mode: .training)
        // windows over the padded 5×5 image at rows/cols {-1, 0} and {1, 2}:
        // (0,0): 4·1 − 1 = 3; (0,1): 3·2 + 4·3 − 1 = 17; (1,0): 2·4 + 4·7 − 1 = 35; (1,1): 5 + 12 + 24 + 36 − 1 = 76
        #expect(y.shape == [1, 1, 2, 2])
        #expect(y.toArray() == [3, 17, 35, 76])
        #expect(y.toArray() == directConvolution(x.toArray(), n: 1, c: 1, h: 3, w: 3, weight: [1, 2, 3, 4], bias: [-1],
                                                 filters: 1, k: 2, stride: 2, padding: 1))
    }

    @Test(arguments: [(1, 0), (1, 1), (2, 1), (2, 0), (3, 2)])
    func forwardMatchesDirectConvolutionOnRandomData(stride: Int, padding: Int) throws {
        let (n, c, h, w, f, k) = (2, 3, 7, 6, 4, 3)
        let layer = Conv2D(filters: f, kernelSize: k, stride: stride, padding: padding)
        let model = try Sequential([layer], inputShape: [c, h, w])
        var generator = Generator(seed: 11)
        let weight = (0..<(f * c * k * k)).map { _ in generator.uniform(-1, 1) }
        let bias = (0..<f).map { _ in generator.uniform(-1, 1) }
        setParameters(model, [weight, bias])
        let x = Tensor(shape: [n, c, h, w], values: (0..<(n * c * h * w)).map { _ in generator.uniform(-1, 1) })
        let y = layer.forward(x, mode: .training)
        let expected = directConvolution(x.toArray(), n: n, c: c, h: h, w: w, weight: weight, bias: bias,
                                         filters: f, k: k, stride: stride, padding: padding)
        #expect(y.shape == [n, f] + Array(model.outputShape.dropFirst()))
        #expect(y.count == expected.count)
        let worst = zip(y.toArray(), expected).map { abs($0 - $1) }.max() ?? 0
        #expect(worst < 1e-5)
    }

    @Test func backwardMatchesFiniteDifferences() throws {
        let report = try checkLayerGradients(Conv2D(filters: 3, kernelSize: 3, stride: 2, padding: 1),
                                             inputShape: [2, 5, 5], batch: 2)
        #expect(report.error < 2e-3, "\(report)")
        #expect(report.checked == 3 * 18 + 3 + 2 * 50)
    }

    @Test func backwardMatchesFiniteDifferencesWithoutPaddingOrBias() throws {
        let report = try checkLayerGradients(Conv2D(filters: 2, kernelSize: 2, useBias: false),
                                             inputShape: [3, 4, 5], batch: 3)
        #expect(report.error < 2e-3, "\(report)")
        #expect(report.checked == 2 * 12 + 3 * 60)
    }

    @Test func outputShapesAndParameters() throws {
        let model = try Sequential([Conv2D(filters: 6, kernelSize: 5)], inputShape: [1, 28, 28])
        #expect(model.outputShape == [6, 24, 24])
        #expect(model.store.parameters.map(\.shape) == [[6, 25], [6]])
        let strided = try Sequential([Conv2D(filters: 3, kernelSize: 3, stride: 2, padding: 1)], inputShape: [2, 5, 5])
        #expect(strided.outputShape == [3, 3, 3])
        let same = try Sequential([Conv2D(filters: 8, kernelSize: 3, padding: 1)], inputShape: [4, 7, 9])
        #expect(same.outputShape == [8, 7, 9])
    }

    @Test func buildRejectsAKernelLargerThanThePaddedInput() {
        #expect(throws: ModelError.self) { try Sequential([Conv2D(filters: 2, kernelSize: 5, padding: 1)], inputShape: [1, 2, 2]) }
        #expect(throws: ModelError.self) { try Sequential([Conv2D(filters: 2, kernelSize: 3)], inputShape: [1, 3, 2]) }
        #expect(throws: ModelError.self) { try Sequential([Conv2D(filters: 2, kernelSize: 3)], inputShape: [9, 9]) }
        do {
            _ = try Sequential([Conv2D(filters: 2, kernelSize: 5, padding: 1)], inputShape: [1, 2, 2])
        } catch let error as ModelError {
            #expect(error.description.contains("[1, 2, 2]"), "\(error)")
            #expect(error.description.contains("5×5"), "\(error)")
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test func smallCNNNamesParametersAndPassesAModelGradientCheck() throws {
        let model = try Sequential([Conv2D(filters: 4, kernelSize: 3, padding: 1), ReLU(), MaxPool2D(poolSize: 2),
                                    Flatten(), Dense(units: 3)], inputShape: [1, 8, 8])
        #expect(model.store.parameters.map(\.name) == ["layers.0.weight", "layers.0.bias", "layers.4.weight", "layers.4.bias"])
        #expect(model.layerOutputShapes == [[4, 8, 8], [4, 8, 8], [4, 4, 4], [64], [3]])
        #expect(model.parameterCount == 4 * 9 + 4 + 3 * 64 + 3)
        model.initializeParameters(seed: 3)
        var generator = Generator(seed: 4)
        let x = Tensor(shape: [5, 1, 8, 8], values: (0..<320).map { _ in generator.uniform(-1, 1) })
        let labels: [Int32] = [0, 1, 2, 1, 0]
        let loss = SoftmaxCrossEntropy()
        let results = checkModelGradients(model, epsilon: 1e-3, lossOf: { loss.forward(model.forward(x), labels: labels) },
                                          computeGradients: {
            model.store.zeroGradients()
            _ = loss.forward(model.forward(x), labels: labels)
            model.backward(loss.backward())
        })
        #expect(results.count == 4)
        #expect(results.allSatisfy { $0.relativeError < 1e-2 }, "\(results)")
    }
}

struct Im2ColTests {
    @Test func geometryFollowsTheConvolutionArithmetic() {
        let g = ConvGeometry(channels: 2, height: 5, width: 4, kernel: 3, stride: 2, padding: 1)
        #expect(g.outputHeight == 3 && g.outputWidth == 2)
        #expect(g.columnRows == 18 && g.columnCount == 6 && g.imageCount == 40)
        #expect(!ConvGeometry(channels: 1, height: 2, width: 2, kernel: 5, padding: 1).isValid)
    }


    @Test(arguments: [(3, 2, 1), (3, 1, 0), (2, 3, 2), (4, 1, 2), (1, 2, 0)])
    func col2imIsTheAdjointOfIm2col(kernel: Int, stride: Int, padding: Int) {
        // ⟨im2col(x), c⟩ = ⟨x, col2im(c)⟩ for any x and c
        let g = ConvGeometry(channels: 2, height: 5, width: 4, kernel: kernel, stride: stride, padding: padding)
        var generator = Generator(seed: 5)
        let x = Tensor(shape: [g.imageCount], values: (0..<g.imageCount).map { _ in generator.uniform(-1, 1) })
        let c = Tensor(shape: [g.columnRows * g.columnCount],
                       values: (0..<(g.columnRows * g.columnCount)).map { _ in generator.uniform(-1, 1) })
        let columns = Tensor(zeros: [g.columnRows * g.columnCount])
        im2col(x.pointer, geometry: g, into: columns.pointer)
        let image = Tensor(zeros: [g.imageCount])
        col2im(c.pointer, geometry: g, addingInto: image.pointer)
        let left = zip(columns.toArray(), c.toArray()).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
        let right = zip(x.toArray(), image.toArray()).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
        #expect(g.isValid)
        #expect(abs(left - right) < 1e-5)
    }
}
