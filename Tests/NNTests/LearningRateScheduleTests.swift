import NN
import Testing

struct LearningRateScheduleTests {
    private func close(_ a: Float, _ b: Double) -> Bool { abs(Double(a) - b) <= 1e-6 * max(1, abs(b)) }

    @Test func warmupRisesLinearlyToThePeak() {
        let schedule = LearningRateSchedule(peak: 0.1, warmupSteps: 4)
        #expect([0, 1, 2, 3, 4, 100].map { schedule($0) } == [0.025, 0.05, 0.075, 0.1, 0.1, 0.1])
    }

    @Test func stepDecayMultipliesEveryKSteps() {
        let schedule = LearningRateSchedule(peak: 1, decay: .step(every: 10, gamma: 0.5))
        #expect(close(schedule(9), 1) && close(schedule(10), 0.5) && close(schedule(25), 0.25))
    }

    @Test func exponentialDecayIsContinuous() {
        let schedule = LearningRateSchedule(peak: 2, warmupSteps: 2, decay: .exponential(every: 10, gamma: 0.1))
        #expect(close(schedule(2), 2) && close(schedule(7), 2 * 0.316227766016838) && close(schedule(12), 0.2))
    }

    @Test func cosineGoesFromPeakToTheFinalFraction() {
        let schedule = LearningRateSchedule(peak: 1, warmupSteps: 10, decay: .cosine(totalSteps: 110, finalFraction: 0.1))
        #expect(close(schedule(10), 1))
        #expect(close(schedule(60), 0.55))          // halfway: f + (1 − f)/2
        #expect(close(schedule(110), 0.1) && close(schedule(500), 0.1))
    }
}
