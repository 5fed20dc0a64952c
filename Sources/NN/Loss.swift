// The contract every loss keeps: forward gives the mean loss over a batch, backward its gradient
// with respect to the model's outputs. Also the shared machinery of the element-wise losses.
import Tensors

/// What a loss compares the model's outputs with.
public enum Targets {
    /// One class id per row: softmax cross-entropy, or binary cross-entropy with one output.
    case classes([Int32])
    /// Float targets with the outputs' shape (N, K); (N) is accepted when K = 1.
    case values(Tensor)
}

/// A loss: the mean over a batch of a per-sample penalty, and its gradient.
///
/// `forward` keeps what `backward` needs, as layers do. Data-parallel training passes
/// `scale` = 1 / ranks to `backward`, so that summing the ranks' gradients gives their mean.
public protocol Loss: AnyObject {
    /// A short description for logs, e.g. `Huber(delta: 1.0)`.
    var summary: String { get }

    /// Returns the mean loss over the batch `outputs` (N, K) against `targets`.
    func forward(_ outputs: Tensor, targets: Targets) -> Float

    /// Returns `scale` · ∂loss/∂outputs, (N, K), for the last `forward`. The tensor is owned by
    /// the loss and valid until its next `backward`.
    func backward(scale: Float) -> Tensor
}

extension Loss {
    /// ∂loss/∂outputs for the last `forward`, unscaled.
    public func backward() -> Tensor { backward(scale: 1) }
}

/// The machinery of losses that compare every output with its own float target and average
/// over all N·K elements (PyTorch's `reduction="mean"`): subclasses give the penalty of an
/// element and its derivative, for 16 elements at a time.
public class ElementwiseLoss: Loss {
    private var saved: (outputs: Tensor, targets: Tensor)?
    private var classTargets = Workspace()     // class ids as floats, for binary cross-entropy
    private var outputGradient = Workspace()

    /// Whether class ids 0/1 are accepted as targets of a single output (binary cross-entropy).
    var acceptsClasses: Bool { false }

    /// For subclasses.
    init() {}

    public var summary: String { preconditionFailure("ElementwiseLoss.summary must be overridden") }

    /// The penalties of 16 outputs `z` against their targets `t`, lane by lane (one call per 16
    /// elements instead of one per element; the last vector is padded with zeros).
    func values(_ z: SIMD16<Float>, _ t: SIMD16<Float>) -> SIMD16<Float> { preconditionFailure("ElementwiseLoss.values must be overridden") }

    /// ∂value/∂z, lane by lane.
    func derivatives(_ z: SIMD16<Float>, _ t: SIMD16<Float>) -> SIMD16<Float> {
        preconditionFailure("ElementwiseLoss.derivatives must be overridden")
    }

    // MARK: - Forward

    public func forward(_ outputs: Tensor, targets: Targets) -> Float {
        let t = targetTensor(targets, outputs: outputs)
        let (z, y, count) = (outputs.pointer, t.pointer, outputs.count)
        var total: Double = 0
        forEachVector(count: count) { i, lanes in
            let penalty = values(loadVector(z, at: i, lanes: lanes), loadVector(y, at: i, lanes: lanes))
            for lane in 0..<lanes { total += Double(penalty[lane]) }        // summed in element order, in Double
        }
        saved = (outputs, t)
        return count > 0 ? Float(total / Double(count)) : 0
    }

    /// The targets as floats of the outputs' shape, checked.
    private func targetTensor(_ targets: Targets, outputs: Tensor) -> Tensor {
        switch targets {
        case .values(let t):
            precondition(t.count == outputs.count && t.shape.first == outputs.shape.first,
                         "\(summary): targets \(t.shape) for outputs \(outputs.shape)")
            return t
        case .classes(let labels):
            precondition(acceptsClasses, "\(summary) needs float targets, got class ids")
            precondition(outputs.rowLength == 1 && labels.count == outputs.rowCount,
                         "\(summary): \(labels.count) class ids for outputs \(outputs.shape); class ids need one output per row")
            let t = classTargets.tensor(labels.count)
            for (row, label) in labels.enumerated() {
                precondition(label == 0 || label == 1, "\(summary): class id \(label) in row \(row) is not 0 or 1")
                t.pointer[row] = Float(label)
            }
            return t
        }
    }

    // MARK: - Backward

    public func backward(scale: Float) -> Tensor {
        guard let (outputs, t) = saved else { preconditionFailure("\(summary).backward called before forward") }
        let dz = outputGradient.tensor(outputs.shape)
        let factor = scale / Float(max(outputs.count, 1))
        let (z, y, target) = (outputs.pointer, t.pointer, dz.pointer)
        forEachVector(count: outputs.count) { i, lanes in
            let slope = derivatives(loadVector(z, at: i, lanes: lanes), loadVector(y, at: i, lanes: lanes))
            storeVector(slope * factor, target, at: i, lanes: lanes)
        }
        return dz
    }
}
