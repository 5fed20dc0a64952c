// Non-finite values (issue 7): a NaN or ±∞ loss on any rank, or in the averaged gradient, makes
// every rank skip the step (training.nonfinite: skip, up to training.nonfinite_max_skips) or stop
// (stop); and a checkpoint is never written with a non-finite value in it.
import NN
import Tensors

/// Where the first non-finite element of a flat buffer lies, by parameter.
public struct NonFiniteElement: Equatable, Sendable {
    /// The parameter (`layers.0.weight`) whose element it is.
    public let parameter: String
    /// The element's index inside the parameter.
    public let index: Int
    /// The value (NaN, +∞ or −∞).
    public let value: Float
}

/// Whether every element of `buffer` is finite. Σ x² through BLAS (`sdot`, fast in debug
/// builds too: about 30 µs for 2 MB) is finite exactly when every element is, unless a huge
/// finite element overflows it; only then are the elements looked at one by one. (A pass that
/// reads the values anyway uses `Comm.FiniteProbe` instead; alone, in a debug build, its plain
/// loop is about 100 times slower than `sdot`.)
func allFinite(_ buffer: UnsafeMutableBufferPointer<Float>) -> Bool {
    guard let base = buffer.baseAddress else { return true }
    return sumOfSquares(count: buffer.count, x: base).isFinite || buffer.allSatisfy(\.isFinite)
}

/// The first non-finite element of `buffer`, a flat buffer with `store`'s layout (values,
/// gradients or an optimizer state), or nil.
public func firstNonFinite(_ buffer: UnsafeMutableBufferPointer<Float>, in store: ParameterStore) -> NonFiniteElement? {
    guard !allFinite(buffer) else { return nil }
    for parameter in store.parameters {
        let part = UnsafeMutableBufferPointer(rebasing: buffer[parameter.range])
        if !allFinite(part), let index = part.firstIndex(where: { !$0.isFinite }) {
            return NonFiniteElement(parameter: parameter.name, index: index, value: part[index])
        }
    }
    return nil
}

/// The `training.nonfinite` policy, applied after the gradients are averaged, so that every rank
/// sees the same gradient and takes the same decision without another collective.
struct NonFinitePolicy {
    /// `stop` or `skip`.
    let action: String
    /// With `skip`: how many steps may be skipped in this run before it stops.
    let maxSkips: Int
    /// Steps skipped so far.
    private(set) var skipped = 0

    init(config: TrainingConfig) {
        action = config.nonFinite
        maxSkips = config.nonFiniteMaxSkips
    }

    /// Whether step `step` must be skipped: its averaged gradient, or the loss of the lowest rank
    /// `lossRank` (nil: every rank's loss is finite), is not finite. `knownFinite`: the ranks
    /// found every part of the gradient sum finite as they added it (`GradientBuckets.partsFinite`
    /// on every rank), so the gradient is not read again.
    /// - Throws: `TrainingError.nonFinite` when the policy is `stop` or the skips are used up.
    mutating func skips(step: Int, lossRank: Int?, gradients: UnsafeMutableBufferPointer<Float>, knownFinite: Bool = false,
                        store: ParameterStore, console: Console) throws -> Bool {
        let gradient = knownFinite ? nil : firstNonFinite(gradients, in: store)
        guard lossRank != nil || gradient != nil else { return false }
        let finding = TrainingError.nonFinite(step: step, lossRank: lossRank, gradient: gradient, action: action, skipped: skipped)
        guard action == "skip", skipped < maxSkips else { throw finding }
        skipped += 1
        console.print0("warning: \(finding.finding); step skipped (\(skipped) of at most \(maxSkips), training.nonfinite: skip)")
        return true
    }
}

extension Trainer {
    /// Refuses to checkpoint non-finite parameters or optimizer state (every rank checks the
    /// same values, so every rank stops together, and the last good checkpoint stays the newest).
    func refuseNonFinite(_ store: ParameterStore, _ optimizer: any Optimizer, step: Int) throws {
        let buffers = [("parameters", store.values.buffer)] + optimizer.state.map { ("optimizer state \($0.name)", $0.values.buffer) }
        for (what, buffer) in buffers {
            if let element = firstNonFinite(buffer, in: store) {
                throw TrainingError.nonFiniteCheckpoint(step: step, what: what, element: element)
            }
        }
    }
}
