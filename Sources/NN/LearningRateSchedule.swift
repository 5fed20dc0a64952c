// Learning rate as a function of the optimizer step: constant, step decay, exponential decay or
// cosine, with an optional linear warm-up in front (llm.c's get_learning_rate, Keras/PyTorch
// schedules). A pure function of the step, so a resumed run gets the same rates.
import Glibc

/// The learning rate at every optimizer step.
///
/// With `warmupSteps` W > 0, steps 0..<W rise linearly to the peak: lr(t) = peak·(t+1)/W. After
/// that, with u = t − W:
/// - `.constant`: peak;
/// - `.step(every: k, gamma: γ)`: peak·γ^⌊u/k⌋ (PyTorch StepLR, counted in steps);
/// - `.exponential(every: k, gamma: γ)`: peak·γ^(u/k) (Keras ExponentialDecay, continuous);
/// - `.cosine(totalSteps: T, finalFraction: f)`: peak·(f + (1−f)·(1 + cos(π·min(u, T−W)/(T−W)))/2)
///   (Loshchilov & Hutter, SGDR, https://arxiv.org/abs/1608.03983).
public struct LearningRateSchedule: Sendable, Equatable {
    /// The shape of the decay after warm-up.
    public enum Decay: Sendable, Equatable {
        case constant
        case step(every: Int, gamma: Float)
        case exponential(every: Int, gamma: Float)
        case cosine(totalSteps: Int, finalFraction: Float)
    }

    /// The learning rate after warm-up, before decay.
    public let peak: Float
    /// Steps of linear warm-up.
    public let warmupSteps: Int
    /// The decay after warm-up.
    public let decay: Decay

    /// Creates a schedule.
    public init(peak: Float, warmupSteps: Int = 0, decay: Decay = .constant) {
        precondition(peak > 0, "LearningRateSchedule: peak must be > 0, got \(peak)")
        precondition(warmupSteps >= 0, "LearningRateSchedule: warmupSteps must be ≥ 0, got \(warmupSteps)")
        self.peak = peak
        self.warmupSteps = warmupSteps
        self.decay = decay
    }

    /// The learning rate for optimizer step `step` (0-based).
    public func callAsFunction(_ step: Int) -> Float {
        if step < warmupSteps { return peak * Float(step + 1) / Float(warmupSteps) }
        let u = Double(step - warmupSteps)
        let peak = Double(self.peak)
        switch decay {
        case .constant:
            return self.peak
        case .step(let every, let gamma):
            return Float(peak * pow(Double(gamma), (u / Double(every)).rounded(.down)))
        case .exponential(let every, let gamma):
            return Float(peak * pow(Double(gamma), u / Double(every)))
        case .cosine(let totalSteps, let finalFraction):
            let span = Double(max(totalSteps - warmupSteps, 1))
            let progress = min(u, span) / span
            let f = Double(finalFraction)
            return Float(peak * (f + (1 - f) * (1 + cos(Double.pi * progress)) / 2))
        }
    }
}
