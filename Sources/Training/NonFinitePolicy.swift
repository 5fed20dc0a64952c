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
    /// Whether the run checks every layer's values (`--detect-anomalies`), for the error's hint.
    let anomaliesChecked: Bool
    /// Steps skipped so far.
    private(set) var skipped = 0

    init(config: TrainingConfig, anomaliesChecked: Bool = false) {
        action = config.nonFinite
        maxSkips = config.nonFiniteMaxSkips
        self.anomaliesChecked = anomaliesChecked
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
        let finding = TrainingError.nonFinite(step: step, lossRank: lossRank, gradient: gradient, action: action, skipped: skipped, anomaliesChecked: anomaliesChecked)
        guard action == "skip", skipped < maxSkips else { throw finding }
        skipped += 1
        console.print0("warning: \(finding.finding); step skipped (\(skipped) of at most \(maxSkips), training.nonfinite: skip)")
        return true
    }

    /// Whether this step's gradient is better checked in the optimizer's own pass
    /// (`Optimizer.stepCheckingFinite`) than read on its own before it. So it is with `stop`
    /// when no pass has looked at the sum yet (one rank; MPI's own all-reduce), the loss is
    /// finite (else the gradient is named with it now), and no value clipping comes between
    /// (it would turn ±∞ into the limit). The update is then taken before the verdict, and a
    /// stop writes nothing after it.
    func checksInOptimizerStep(lossRank: Int?, knownFinite: Bool, clipsValues: Bool) -> Bool {
        action == "stop" && lossRank == nil && !knownFinite && !clipsValues
    }

    /// The stop of step `step`, whose optimizer pass found a non-finite gradient
    /// (`checksInOptimizerStep`) and left the non-finite elements in place.
    func stop(step: Int, gradients: UnsafeMutableBufferPointer<Float>, store: ParameterStore) -> TrainingError {
        TrainingError.nonFinite(step: step, lossRank: nil, gradient: firstNonFinite(gradients, in: store), action: action, skipped: skipped,
                              anomaliesChecked: anomaliesChecked)
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
